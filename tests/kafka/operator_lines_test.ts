/**
 * What a person reads (issue 24): a ready line (what the service consumes, from where, how far
 * behind), a progress line every ~10 s while behind (records/s, records behind, open carts, time
 * to catch up), a caught-up line; text lines with `--log-format text`, JSON for machines.
 * Broker-free: the lines from views; on a real broker: the service's own output under a backlog.
 */
import assert from "node:assert/strict";
import { OperatorLines, type OperatorView } from "../../lib/kafka/operator_lines.ts";
import { jsonLogger, logFormat, textLogger } from "../../lib/observe/log.ts";
import { brokerFixture, simulateInto } from "../support/service_fixture.ts";
import { eventually, startService, stopService } from "../support/service_process.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

const CONFIG = {
  broker: ["broker.store-17.lan:9092"],
  footTopic: "foot_traffic",
  shelfTopic: "shelf_events",
  groupIdFoot: "pos-simulator-foot",
  groupIdShelf: "pos-simulator-shelf",
  applicationId: "pos-producer",
};

function view(over: Partial<OperatorView>): OperatorView {
  return {
    nowMs: 0,
    ready: true,
    inputs: { foot: [0, 1, 2], shelf: [0, 1, 2] },
    checkoutTasks: [0, 1, 2],
    inputLag: { foot: 0, shelf: 0 },
    forwardedLag: 0,
    applied: 0,
    openCarts: 0,
    openSessions: 0,
    ...over,
  };
}

Deno.test("operator lines: ready says what is consumed, from where, as what, and how far behind", () => {
  const lines = new OperatorLines(CONFIG);
  assert.deepEqual(lines.look(view({ ready: false })), []);
  const now = (nowMs: number) =>
    view({
      nowMs,
      inputLag: { foot: 2000, shelf: 40_000 },
      forwardedLag: 345,
      openCarts: 12,
      inputs: { foot: [0, 1, 2], shelf: [] },
    });
  // No shelf partition here (yet?): the ready line waits for it, up to 5 s.
  assert.deepEqual(lines.look(now(1000)), []);
  const [ready] = lines.look(now(6000));
  assert.equal(
    ready.msg,
    "ready: consuming foot_traffic (partitions 0-2, group pos-simulator-foot) and shelf_events " +
      "(no partition here, group pos-simulator-shelf) from broker.store-17.lan:9092 as " +
      "application pos-producer, checkout tasks 0-2; 42,345 records behind (foot 2,000, shelf " +
      "40,000, forwarded 345); 12 open carts",
  );
  assert.equal(ready.level, "info");
});

Deno.test("operator lines: while behind, every 10 s the pace, the backlog, open carts and the time to catch up; then caught up once", () => {
  const lines = new OperatorLines(CONFIG);
  const behind = (nowMs: number, shelf: number, applied: number, openCarts = 89) =>
    lines.look(view({ nowMs, inputLag: { foot: 0, shelf }, applied, openCarts }));
  assert.match(behind(0, 100_000, 0)[0].msg, /^ready: .*; 100,000 records behind/);
  assert.deepEqual(behind(5000, 90_000, 10_000), [], "not before 10 s");
  const [p] = behind(10_000, 60_000, 40_000);
  assert.equal(
    p.msg,
    "catching up: 4,000 records/s, 60,000 records behind (foot 0, shelf 60,000, forwarded 0), " +
      "89 open carts, caught up in ~15 s",
  );
  assert.deepEqual(p.fields, {
    recordsPerSecond: 4000,
    behind: 60_000,
    openCarts: 89,
    catchUpSeconds: 15,
  });
  assert.match(
    behind(20_000, 70_000, 45_000)[0].msg,
    /not gaining: the backlog grows by 1,000 records\/s$/,
  );
  assert.deepEqual(
    lines.look(view({ nowMs: 30_000, applied: 115_000, openCarts: 7, openSessions: 9 })).map((l) =>
      l.msg
    ),
    [
      "caught up: 0 records behind, 7 open carts, 9 open sessions",
    ],
  );
  assert.deepEqual(
    lines.look(view({ nowMs: 40_000, applied: 115_000 })),
    [],
    "quiet when caught up",
  );
  lines.look(view({ nowMs: 41_000, ready: false }));
  assert.match(lines.look(view({ nowMs: 42_000 }))[0].msg, /^ready again: .*; caught up \(foot 0/);
});

Deno.test("operator lines: ready waits up to 5 s for its input partitions and their lag, then says what it knows", () => {
  const standby = new OperatorLines(CONFIG);
  const none = { foot: [], shelf: [] };
  assert.deepEqual(standby.look(view({ nowMs: 0, inputs: none })), []);
  assert.match(
    standby.look(view({ nowMs: 5000, inputs: none, checkoutTasks: [] }))[0].msg,
    /^ready: consuming foot_traffic \(no partition here, .*, no checkout task here \(standing by\); caught up/,
  );
  const lines = new OperatorLines(CONFIG);
  assert.deepEqual(lines.look(view({ nowMs: 0, inputLag: undefined })), []);
  assert.deepEqual(lines.look(view({ nowMs: 4000, inputLag: undefined })), []);
  assert.match(
    lines.look(view({ nowMs: 5000, inputLag: undefined }))[0].msg,
    /; how far behind is not known yet; /,
  );
});

Deno.test("log formats: text is time, level, message and key=value; JSON one object; auto is text on a terminal", () => {
  const at = () => new Date(Date.UTC(2026, 11, 7, 10, 0, 0, 123));
  const text: string[] = [];
  textLogger("info", (l) => text.push(l), at).info("ready: consuming foot_traffic", {
    behind: 12,
    topic: "foot_traffic",
    error: new Error("gone away"),
    list: [1, 2],
  });
  textLogger("info", (l) => text.push(l), at).debug("hidden");
  assert.deepEqual(text, [
    '2026-12-07 10:00:00.123 INFO  ready: consuming foot_traffic behind=12 topic=foot_traffic error="Error: gone away" list=[1,2]',
  ]);
  const json: string[] = [];
  jsonLogger("info", (l) => json.push(l), at).info("ready", { behind: 12 });
  assert.deepEqual(JSON.parse(json[0]), {
    ts: "2026-12-07T10:00:00.123Z",
    level: "info",
    msg: "ready",
    behind: 12,
  });
  assert.equal(logFormat("auto", () => true), "text");
  assert.equal(logFormat("auto", () => false), "json");
  assert.equal(logFormat("json", () => true), "json");
  assert.equal(logFormat("text", () => false), "text");
});

Deno.test(
  "--log-format text under a backlog: a ready line saying how far behind, progress lines while behind, caught up",
  opts,
  async () => {
    const { fx } = await brokerFixture(3);
    await simulateInto(fx, ["--customers", "50000", "--as-fast-as-possible", "--seed", "2425"]);
    // Progress every 2 s instead of 10 (a test hook): the backlog takes some 10 s here.
    const svc = await startService([...fx.args, "--log-format", "text"], {
      POS_TEST_PROGRESS_MS: "2000",
    });
    try {
      await eventually(
        "caught up",
        async () => (await svc.log()).includes(" caught up: "),
        240_000,
        1000,
      );
      assert.equal(await stopService(svc), 0);
      const lines = (await svc.log()).split("\n").filter((l) => l !== "");
      assert.deepEqual(lines.filter((l) => l.startsWith("{")), [], "no JSON line");
      const ready = lines.filter((l) => / INFO {2}ready: /.test(l));
      assert.equal(ready.length, 1, ready.join("\n"));
      assert.match(
        ready[0],
        new RegExp(
          `^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  ready: consuming ` +
            `${fx.topics.foot} \\(partitions 0-2, group gf-\\w+\\) and ${fx.topics.shelf} ` +
            `\\(partitions 0-2, group gs-\\w+\\) from ${fx.bootstrap} as application tx-\\w+, ` +
            `checkout tasks 0-2; [\\d,]+ records behind \\(foot [\\d,]+, shelf [\\d,]+, forwarded ` +
            `[\\d,]+\\); [\\d,]+ open carts behind=\\d+ openCarts=\\d+$`,
        ),
      );
      const progress = lines.filter((l) => / INFO {2}catching up: /.test(l));
      console.log(
        [...ready, ...progress, ...lines.filter((l) => l.includes(" caught up: "))].join("\n"),
      );
      assert.ok(progress.length >= 1, "a progress line while behind");
      for (const p of progress) {
        assert.match(
          p,
          / INFO {2}catching up: [\d,]+ records\/s, [\d,]+ records behind \(foot [\d,]+, shelf [\d,]+, forwarded [\d,]+\), [\d,]+ open carts, (caught up in ~\d+ (s|min)|not gaining: .*) recordsPerSecond=/,
        );
      }
    } finally {
      svc.kill("SIGKILL");
    }
  },
);
