/**
 * `pos-producer simulate` (issues 6 and 22) against a real broker: a backfill through the service
 * gives every simulated checkout once, priced as `replay` prices the same records; a live run
 * writes `--rate` records a second once its store is full, each record when its time comes and
 * stamped with that wall-clock time; its shoppers arrive for `--duration` and the run lasts until
 * the last has left, while a service checks each one out about its grace period after the exit;
 * SIGINT stops it cleanly with everything it counted sent.
 */
import assert from "node:assert/strict";
import { testBroker } from "../support/kafka.ts";
import { testKafka } from "../support/kafka_client.ts";
import {
  eventually,
  isReady,
  readAll,
  startService,
  watchTopic,
} from "../support/service_process.ts";
import { readMessages } from "../support/kafka_client.ts";
import {
  byId,
  makeFixture,
  outputTransactions,
  replayExpected,
  simulateCommand,
} from "../support/service_fixture.ts";
import type { TrafficRecord } from "../support/test_store.ts";
import { registerCodecs } from "../../lib/kafka/codecs.ts";
import { parseIsoMicros } from "../../lib/core/decode/timestamps.ts";

registerCodecs(); // the test reads zstd batches back

const opts = { sanitizeOps: false, sanitizeResources: false };
const MAIN = new URL("../../main.ts", import.meta.url).pathname;

function simulate(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "simulate", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function finished(child: Deno.ChildProcess) {
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Event time (µs) of a record value; an unreadable one takes the time before it. */
function withTimes(values: (string | null)[], field: (o: Record<string, unknown>) => unknown) {
  const out: TrafficRecord[] = [];
  let last = 0;
  for (const v of values) {
    if (v === null) continue;
    let us = last;
    try {
      const t = Date.parse(String(field(JSON.parse(v))));
      if (Number.isFinite(t)) us = t * 1000;
    } catch { /* invalid on purpose */ }
    last = us;
    out.push({ key: null, value: v, us });
  }
  return out.sort((a, b) => a.us - b.us);
}

Deno.test(
  "simulate (backfill) → service: every simulated checkout once, priced like replay",
  opts,
  async () => {
    const { bootstrap } = await testBroker();
    const kafka = testKafka(bootstrap);
    const fx = await makeFixture(kafka, bootstrap, 3);
    const sim = await finished(
      simulateCommand(fx, [
        "--customers",
        "400",
        "--seed",
        "21",
        "--faults",
        "--compression",
        "gzip",
        "--as-fast-as-possible",
        "--json",
      ]).spawn(),
    );
    assert.equal(sim.code, 0, sim.stderr);
    const summary = JSON.parse(sim.stdout);
    assert.equal(summary.customers, 400);
    assert.equal(summary.ended, "done");

    const foot = await readAll(kafka, fx.topics.foot);
    const shelf = await readAll(kafka, fx.topics.shelf);
    assert.equal(foot.length, summary.records.foot);
    assert.equal(shelf.length, summary.records.shelf);
    // Shaped like the real producers: sessions keyed by customer, shelf events unkeyed.
    for (const m of foot) assert.equal(m.key, JSON.parse(m.value!).customer_id);
    assert.ok(shelf.every((m) => m.key === null));
    assert.ok(shelf.some((m) => m.value!.includes('"weight_change"')));

    const traffic = {
      foot: withTimes(foot.map((m) => m.value), (o) => o.entry_time),
      shelf: withTimes(shelf.map((m) => m.value), (o) => o.timestamp),
    };
    const expected = await replayExpected(fx, traffic);
    // Everyone who kept something in the cart checks out: most of the 400.
    assert.ok(expected.length > 300 && expected.length <= 400, `${expected.length} transactions`);

    const svc = await startService(fx.args);
    try {
      await eventually(
        "all transactions",
        async () => (await outputTransactions(kafka, fx)).length >= expected.length,
        90_000,
        500,
      );
      await new Promise((r) => setTimeout(r, 1000)); // nothing more may arrive
      const got = await outputTransactions(kafka, fx);
      assert.deepEqual(byId(got), byId(expected));
      assert.equal(new Set(got.map((t) => t.customer_id)).size, got.length);
      svc.kill("SIGTERM");
      assert.equal(await svc.wait(), 0);
    } finally {
      svc.kill("SIGKILL");
    }
  },
);

/** Every record of both topics with its Kafka timestamp (ms: when the producer wrote it). */
async function written(
  kafka: ReturnType<typeof testKafka>,
  fx: { topics: { foot: string; shelf: string } },
  counts: { foot: number; shelf: number },
) {
  const read = async (topic: string, count: number) =>
    (await readMessages(kafka, topic, { count, timeoutMs: 30_000 })).map((m) => {
      const v = JSON.parse(m.value!.toString());
      const eventMs = parseIsoMicros(v.entry_time ?? v.timestamp) / 1000;
      return { v, atMs: Number(m.timestamp), eventMs };
    });
  const foot = await read(fx.topics.foot, counts.foot);
  const shelf = await read(fx.topics.shelf, counts.shelf);
  assert.equal(foot.length, counts.foot);
  assert.equal(shelf.length, counts.shelf);
  return { foot, shelf, all: [...foot, ...shelf] };
}

/** The `q` quantile of `xs`. */
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

Deno.test(
  "simulate --rate R writes R records a second once the store is full, each at its event time",
  opts,
  async () => {
    const { bootstrap } = await testBroker();
    const kafka = testKafka(bootstrap);
    const fx = await makeFixture(kafka, bootstrap, 2);
    // 1200x: trips of 10–75 simulated minutes take 0.5–3.75 s, so the store is full from 4 s.
    const rate = 300, duration = 8;
    const r = await finished(
      simulateCommand(fx, [
        ...["--rate", String(rate), "--time-scale", "1200", "--duration", String(duration)],
        ...["--compression", "zstd", "--json"],
      ]).spawn(),
    );
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.ended, "done");
    assert.equal(s.mode, "rate");
    assert.equal(s.targetRate, rate);
    const startMs = Date.parse(s.startedAt);
    const { all } = await written(kafka, fx, s.records);

    // About R records for each second of arrivals in all, and R a second once the store is full,
    // counted by when the broker got them (loose bounds: a shared machine).
    const near = (x: number) => x > rate * 0.6 && x < rate * 1.4;
    assert.ok(near(s.records.total / duration), `${s.records.total} records in ${duration} s`);
    const inFull = all.filter((x) => x.atMs >= startMs + 4000 && x.atMs < startMs + 8000);
    console.log(
      `--rate ${rate}: ${
        inFull.length / 4
      } records/s written while full (the summary: ${s.full?.recordsPerSec}), ${
        (s.records.total / duration).toFixed(0)
      } per second of arrivals, ${s.recordsPerSec}/s over the ${s.seconds} s run`,
    );
    assert.ok(near(inFull.length / 4), `${inFull.length / 4} records/s while the store was full`);
    assert.ok(near(s.full.recordsPerSec), `the summary says ${s.full.recordsPerSec}/s`);

    // Real time: each record is written when its event time comes, never ahead of it.
    const lag = all.map((x) => x.atMs - x.eventMs);
    console.log(
      `written after its event time: median ${quantile(lag, 0.5)} ms, max ${quantile(lag, 1)} ms`,
    );
    assert.ok(quantile(lag, 0) > -1000, `a record written ${-quantile(lag, 0)} ms before its time`);
    assert.ok(quantile(lag, 0.95) < 1000, `95% written within ${quantile(lag, 0.95)} ms`);
    assert.ok(quantile(lag, 1) < 5000, `a record written ${quantile(lag, 1)} ms after its time`);
  },
);

Deno.test(
  "simulate: shoppers arrive for --duration, the run lasts until the last has left, and a service checks each out ~2 s after the exit",
  opts,
  async () => {
    const { bootstrap } = await testBroker();
    const kafka = testKafka(bootstrap);
    const fx = await makeFixture(kafka, bootstrap, 3);
    const svc = await startService(fx.args);
    const out = await watchTopic(kafka, fx.topics.pos);
    try {
      await eventually("service ready", () => isReady(svc), 60_000, 100);
      // 600x: trips take 1–7.5 s; shoppers arrive for 2 s.
      const r = await finished(
        simulateCommand(fx, [
          ...["--rate", "200", "--time-scale", "600", "--duration", "2", "--json"],
        ]).spawn(),
      );
      const endedMs = Date.now();
      assert.equal(r.code, 0, r.stderr);
      const s = JSON.parse(r.stdout);
      assert.equal(s.ended, "done");
      assert.equal(s.arrivalsSeconds, 2);
      assert.match(
        r.stderr,
        /arrivals done after 2 s \(\d+ shoppers\); \d+ still in the store, last leaves in ~\d+ s/,
      );
      const startMs = Date.parse(s.startedAt);
      const { foot, shelf } = await written(kafka, fx, s.records);
      const visits = new Map(
        foot.map((x) => [x.v.customer_id, { entry: x.eventMs, exit: Date.parse(x.v.exit_time) }]),
      );
      for (const { entry } of visits.values()) {
        assert.ok(entry >= startMs && entry <= startMs + 2000, "arrived during --duration");
      }
      // Every shopper's shelf events were written, inside the visit, and the run lasted until
      // the last exit: none lies in the future of the wall clock when simulate ends.
      for (const x of shelf) {
        if (x.v.event_type !== "pickup" && x.v.event_type !== "putback") continue;
        const visit = visits.get(x.v.customer_id)!;
        assert.ok(x.eventMs > visit.entry && x.eventMs < visit.exit);
      }
      const lastExit = Math.max(...[...visits.values()].map((v) => v.exit));
      assert.ok(lastExit - startMs > 4000, "somebody stayed on after the arrivals");
      assert.ok(lastExit <= endedMs, `the last exit is ${lastExit - endedMs} ms after the run`);
      assert.ok(s.seconds * 1000 >= lastExit - startMs - 50, `${s.seconds} s run`);

      // Checked out as the shoppers leave: the service reads a real-time store.
      const traffic = {
        foot: foot.map((x) => ({ key: null, value: JSON.stringify(x.v), us: x.eventMs * 1000 })),
        shelf: shelf.map((x) => ({ key: null, value: JSON.stringify(x.v), us: x.eventMs * 1000 })),
      };
      const expected = await replayExpected(fx, traffic);
      assert.ok(expected.length > 0);
      await eventually(
        "every transaction",
        () => Promise.resolve(out.records.length >= expected.length),
        30_000,
        100,
      );
      const lags = out.records.map((t) => t.atMs - Date.parse(JSON.parse(t.value).timestamp));
      console.log(
        `${expected.length} transactions, readable after the exit: median ${
          quantile(lags, 0.5)
        } ms, max ${quantile(lags, 1)} ms; ${
          out.records.filter((t) => t.atMs <= endedMs).length
        } of them before simulate ended`,
      );
      assert.ok(quantile(lags, 0.5) < 5000, `median ${quantile(lags, 0.5)} ms after the exit`);
      assert.ok(quantile(lags, 1) < 15_000, `one ${quantile(lags, 1)} ms after the exit`);
      assert.ok(out.records.some((t) => t.atMs <= endedMs), "no transaction during the run");
      assert.deepEqual(
        byId(out.records.map((t) => JSON.parse(t.value))),
        byId(expected),
      );
      svc.kill("SIGTERM");
      assert.equal(await svc.wait(), 0);
    } finally {
      await out.stop();
      svc.kill("SIGKILL");
    }
  },
);

Deno.test(
  "simulate: live records are never ahead of the wall clock; SIGINT stops it cleanly",
  opts,
  async () => {
    const { bootstrap } = await testBroker();
    const kafka = testKafka(bootstrap);
    const fx = await makeFixture(kafka, bootstrap, 2);
    const started = Date.now();
    const child = simulate([
      "--broker",
      bootstrap,
      "--foot-topic",
      fx.topics.foot,
      "--shelf-topic",
      fx.topics.shelf,
      "--rate",
      "400",
      "--time-scale",
      "60",
      "--json",
    ]);
    await new Promise((r) => setTimeout(r, 5000));
    child.kill("SIGINT");
    const r = await finished(child);
    const stopped = Date.now();
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.ended, "signal");
    assert.equal(s.mode, "rate");
    assert.equal(s.arrivalsSeconds, null, "no --duration: arrivals until stopped");
    assert.ok(s.records.total > 100, `${s.records.total} records`);
    // Timestamps are the wall clock's: from the start, and none in the future.
    assert.ok(Date.parse(s.firstEvent) >= started, `first event ${s.firstEvent}`);
    assert.ok(Date.parse(s.lastEvent) <= stopped, `last event ${s.lastEvent} after the stop`);
    // Everything it counted as sent is on the topics.
    assert.equal((await readAll(kafka, fx.topics.foot)).length, s.records.foot);
    assert.equal((await readAll(kafka, fx.topics.shelf)).length, s.records.shelf);
  },
);

Deno.test("simulate: --rate or --duration with --as-fast-as-possible is bad usage (exit 2); the help", async () => {
  const r = await finished(
    simulate(["--broker", "127.0.0.1:1", "--rate", "10", "--as-fast-as-possible"]),
  );
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--rate/);
  const bad = await finished(simulate(["--broker", "127.0.0.1:1", "--compression", "brotli"]));
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--compression/);
  const backfill = await finished(
    simulate(["--broker", "127.0.0.1:1", "--duration", "10", "--as-fast-as-possible"]),
  );
  assert.equal(backfill.code, 2);
  assert.match(backfill.stderr, /--duration/);
  // The help says what --rate and --duration are, and names no CLOCK (the service has none).
  const help = await finished(simulate(["--help"]));
  assert.equal(help.code, 0);
  assert.doesNotMatch(help.stdout, /CLOCK/);
  assert.match(
    help.stdout,
    /--rate <value>\n\s+records per second \(both topics\) once the store is full/,
  );
  assert.match(help.stdout, /--duration <value>\n\s+seconds during which shoppers arrive/);
});

Deno.test(
  "simulate run twice with the default seed: a new day, no customer of the first run",
  opts,
  async () => {
    const { bootstrap } = await testBroker();
    const kafka = testKafka(bootstrap);
    const id = crypto.randomUUID().slice(0, 8);
    const foot = `sim-again-foot-${id}`;
    const args = [
      ...["--broker", bootstrap, "--foot-topic", foot, "--shelf-topic", `sim-again-shelf-${id}`],
      ...[
        "--create-topics",
        "--topic-partitions",
        "1",
        "--customers",
        "30",
        "--as-fast-as-possible",
      ],
    ];
    const customers = async () =>
      new Set(
        (await readAll(kafka, foot)).map((m) => JSON.parse(m.value!.toString()).customer_id),
      );
    const first = await finished(simulate(args));
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /seed \d+ \(--seed \d+ sends the same shoppers again\)/);
    const before = await customers();
    const second = await finished(simulate(args));
    assert.equal(second.code, 0, second.stderr);
    const after = await customers();
    assert.equal(after.size, before.size * 2, "the second run reused customer ids");
  },
);
