/**
 * Instances that share the input groups but not the application (issue 24): each would read the
 * whole input and bill every visit, committing its offsets over the other's, silently. Every
 * instance says its shared settings in its group metadata and refuses (exit 2, one line naming
 * the variable and the fix) to run beside members that disagree. Broker-free: the line; on a
 * real broker: two processes.
 */
import assert from "node:assert/strict";
import {
  decodeSettings,
  disagreement,
  type GroupMember,
  roundRobinWithSettings,
  settingsUserData,
  type SharedSettings,
} from "../../lib/kafka/shared_settings.ts";
import { decodeOwned, encodeOwned } from "../../lib/kafka/tasks/assigner.ts";
import {
  brokerFixture,
  expectTransactions,
  produceTraffic,
  replayedTraffic,
} from "../support/service_fixture.ts";
import {
  isReady,
  readyBy,
  type ServiceProcess,
  startService,
  stopService,
} from "../support/service_process.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

const X: SharedSettings = {
  app: "pos-producer",
  footGroup: "pos-simulator-foot",
  shelfGroup: "pos-simulator-shelf",
  repartition: "pos-producer-by-customer",
  state: "pos_producer_state",
  pos: "pos_transactions",
  delivery: "exactly-once",
};

function member(settings: SharedSettings | undefined, host = "/10.0.0.5"): GroupMember {
  return { clientId: "pos-producer", clientHost: host, settings };
}

Deno.test("shared settings: members that agree, or say nothing (older versions), pass", () => {
  const group = { groupId: "pos-simulator-shelf", env: "GROUP_ID_SHELF" };
  assert.equal(disagreement(X, group, [member(X), member(undefined)]), undefined);
  assert.equal(disagreement(X, group, []), undefined);
});

Deno.test("shared settings: another application in an input group is one line naming APPLICATION_ID and the fix", () => {
  const group = { groupId: "pos-simulator-shelf", env: "GROUP_ID_SHELF" };
  const line = disagreement({ ...X, app: "store-17-b" }, group, [
    member({ ...X, app: "store-17-a" }),
    member({ ...X, app: "store-17-a" }, "/10.0.0.6"),
  ]);
  assert.ok(line);
  assert.doesNotMatch(line, /\n/);
  assert.equal(
    line,
    "the input group pos-simulator-shelf (GROUP_ID_SHELF) is used by application store-17-a " +
      "(2 members: pos-producer at 10.0.0.5, pos-producer at 10.0.0.6), this instance is " +
      "application store-17-b: instances of one service share APPLICATION_ID (and " +
      "TRANSACTIONAL_ID, which stands for it when it is unset), else each reads the whole " +
      "input, bills every visit and commits its offsets over the other's: set " +
      "APPLICATION_ID=store-17-a, or give this application its own GROUP_ID_FOOT/GROUP_ID_SHELF",
  );
});

Deno.test("shared settings: one application's instances disagreeing on a topic, group or delivery are named by the variable", () => {
  const group = { groupId: "pos-producer-checkout" };
  const cases: [Partial<SharedSettings>, RegExp][] = [
    [
      { repartition: "other" },
      /disagree on REPARTITION_TOPIC: .* have REPARTITION_TOPIC=other, this instance REPARTITION_TOPIC=pos-producer-by-customer; .*set REPARTITION_TOPIC=other here/,
    ],
    [{ footGroup: "g2" }, /disagree on GROUP_ID_FOOT: .*foot topic's offsets are split/],
    [{ shelfGroup: "g2" }, /disagree on GROUP_ID_SHELF: .*shelf topic's offsets are split/],
    [{ state: "s2" }, /disagree on STATE_TOPIC: /],
    [{ pos: "p2" }, /disagree on POS_TOPIC: /],
    [{ delivery: "at-least-once" }, /disagree on DELIVERY: /],
  ];
  for (const [theirs, expected] of cases) {
    const line = disagreement(X, group, [member({ ...X, ...theirs })]);
    assert.match(line ?? "", expected);
    assert.match(line ?? "", /the checkout group pos-producer-checkout/);
  }
});

Deno.test("shared settings: carried in the members' userData, beside the checkout tasks they own", () => {
  assert.deepEqual(decodeSettings(settingsUserData(X)), X);
  const checkout = encodeOwned([1, 4], X);
  assert.deepEqual(decodeOwned(checkout), [1, 4]);
  assert.deepEqual(decodeSettings(checkout), X);
  assert.equal(decodeSettings(encodeOwned([2])), undefined);
  assert.equal(decodeSettings(new TextEncoder().encode("not json")), undefined);
});

/** The lines of a service's output that are not JSON log lines (what an operator reads). */
async function plainLines(svc: ServiceProcess): Promise<string[]> {
  return (await svc.log()).split("\n").filter((l) => l.trim() !== "" && !l.startsWith("{"));
}

/** `args` with `--flag value` replaced (or added). */
function withFlag(args: string[], flag: string, value: string): string[] {
  const i = args.indexOf(flag);
  return i < 0 ? [...args, flag, value] : args.with(i + 1, value);
}

/** Rejects after `ms` (saying what was awaited); `clear` ends the wait. */
function deadline(ms: number, what: string): { expired: Promise<never>; clear: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} after ${ms} ms`)), ms);
  });
  expired.catch(() => {});
  return { expired, clear: () => clearTimeout(timer) };
}

/** Waits for `svc` to exit (within `ms`) and returns its code. */
async function exitWithin(svc: ServiceProcess, ms: number): Promise<number> {
  const d = deadline(ms, "still running");
  try {
    return await Promise.race([svc.wait(), d.expired]);
  } finally {
    d.clear();
  }
}

Deno.test(
  "a second instance with its own TRANSACTIONAL_ID on the same input groups exits 2 with one line; the first bills every visit",
  opts,
  async () => {
    const { kafka, fx } = await brokerFixture(3);
    const { traffic, expected } = await replayedTraffic(fx, { customers: 60, seed: 241 });
    const first = await startService(fx.args);
    let second: ServiceProcess | undefined;
    try {
      await readyBy(first.metricsPort, Date.now() + 90_000);
      const appId = fx.args[fx.args.indexOf("--transactional-id") + 1];
      // What Kafka's guidance on transactional ids teaches: one per instance.
      second = await startService(withFlag(fx.args, "--transactional-id", `${appId}-2`));
      const started = Date.now();
      assert.equal(await exitWithin(second, 60_000), 2);
      console.log(`refused after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const lines = await plainLines(second);
      assert.equal(lines.length, 1, `one line for the operator: ${lines.join(" | ")}`);
      assert.match(lines[0], /^pos-producer: the input group gf-\w+ \(GROUP_ID_FOOT\) is used by/);
      assert.match(lines[0], new RegExp(`set APPLICATION_ID=${appId}, or give this`));
      assert.match(lines[0], /TRANSACTIONAL_ID/);
      assert.ok(await isReady(first), "the first instance goes on");
      await produceTraffic(kafka, fx, traffic);
      await expectTransactions(kafka, fx, expected, "every visit, billed by the first instance");
      assert.equal(await stopService(first), 0);
    } finally {
      first.kill("SIGKILL");
      second?.kill("SIGKILL");
    }
  },
);

Deno.test(
  "two applications started together on the same input groups: no instance runs beside the other",
  opts,
  async () => {
    const { fx } = await brokerFixture(3);
    const svcs = await Promise.all([
      startService(withFlag(fx.args, "--application-id", "app-a")),
      startService(withFlag(fx.args, "--application-id", "app-b")),
    ]);
    try {
      // Whoever joins second is refused before it joins; if both joined at once, both are
      // refused at the join, before any task starts.
      const d = deadline(90_000, "neither refused");
      const exited = await Promise.race([
        ...svcs.map((s, i) => s.wait().then((code) => ({ i, code }))),
        d.expired,
      ]).finally(d.clear);
      assert.equal(exited.code, 2);
      const lines = await plainLines(svcs[exited.i]);
      assert.equal(lines.length, 1, lines.join(" | "));
      assert.match(lines[0], /is used by application app-[ab] .* set APPLICATION_ID=app-[ab],/);
      const other = svcs[1 - exited.i];
      const otherCode = await exitWithin(other, 5_000).catch(() => undefined);
      console.log(`refused: ${otherCode === undefined ? "one (the other runs alone)" : "both"}`);
      if (otherCode !== undefined) assert.equal(otherCode, 2, "refused too");
      else assert.equal(await stopService(other), 0, "the survivor runs alone");
    } finally {
      for (const s of svcs) s.kill("SIGKILL");
    }
  },
);

Deno.test(
  "one application's second instance with another REPARTITION_TOPIC exits 2 naming REPARTITION_TOPIC",
  opts,
  async () => {
    const { fx } = await brokerFixture(3);
    const first = await startService(fx.args);
    let second: ServiceProcess | undefined;
    try {
      await readyBy(first.metricsPort, Date.now() + 90_000);
      second = await startService([...fx.args, "--repartition-topic", `${fx.topics.foot}-rep2`]);
      assert.equal(await exitWithin(second, 60_000), 2);
      const lines = await plainLines(second);
      assert.equal(lines.length, 1, lines.join(" | "));
      assert.match(
        lines[0],
        /^pos-producer: instances of application \S+ disagree on REPARTITION_TOPIC: /,
      );
      assert.ok(await isReady(first), "the first instance goes on");
      assert.equal(await stopService(first), 0);
    } finally {
      first.kill("SIGKILL");
      second?.kill("SIGKILL");
    }
  },
);

Deno.test(
  "a running instance whose input group gains a member of another application at a rebalance exits 2 with one line",
  opts,
  async () => {
    const { kafka, fx } = await brokerFixture(3);
    const first = await startService(fx.args);
    const groupId = fx.args[fx.args.indexOf("--group-id-shelf") + 1];
    // A member that joined past the start check (two instances started at the same moment).
    const intruder = kafka.consumer({
      groupId,
      partitionAssigners: [roundRobinWithSettings({ ...X, app: "another-app" })],
    });
    try {
      await readyBy(first.metricsPort, Date.now() + 90_000);
      await intruder.connect();
      await intruder.subscribe({ topic: fx.topics.shelf });
      await intruder.run({ eachBatch: async () => {} });
      const joined = Date.now();
      assert.equal(await exitWithin(first, 60_000), 2);
      console.log(`refused ${((Date.now() - joined) / 1000).toFixed(1)} s after the join`);
      const lines = await plainLines(first);
      assert.equal(lines.length, 1, lines.join(" | "));
      assert.match(
        lines[0],
        /^pos-producer: the input group gs-\w+ \(GROUP_ID_SHELF\) is used by application another-app \(1 member: test at /,
      );
    } finally {
      first.kill("SIGKILL");
      await intruder.disconnect();
    }
  },
);
