/**
 * One bill per visit, whatever the clock, the arrival order or the restart: the six ways the
 * default service once billed wrongly, each against the real broker with the default
 * configuration, compared with `replay` of the records the topics really hold.
 */
import assert from "node:assert/strict";
import type { testKafka } from "../support/kafka_client.ts";
import { sleep } from "../../lib/sleep.ts";
import {
  eventually,
  isReady,
  metricsText,
  metricValue,
  produce,
  readAll,
  startService,
  stopService,
  watchTopic,
  withService,
} from "../support/service_process.ts";
import {
  billedTwice,
  brokerFixture,
  expectTransactions,
  outputTransactions,
  pickupValue,
  produceTraffic,
  replayedTraffic,
  replayExpected,
  sessionValue,
  simulateCommand,
  simulateInto,
  topicsAsTraffic,
} from "../support/service_fixture.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
/** The defaults a user runs with. */
const GRACE_SEC = 2;
const IDLE_SEC = 5;

Deno.test(
  "a backfill written in a burst into a running service bills every visit once, as replay",
  opts,
  async () => {
    const { kafka, fx } = await brokerFixture(3);
    await withService(fx.args, async (svc) => {
      await eventually("service ready", () => isReady(svc), 60_000, 100);
      // Hours of a store day released at once, racing the service that consumes it.
      await simulateInto(fx, ["--as-fast-as-possible", "--customers", "3000", "--seed", "42"]);
      const expected = await replayExpected(fx, await topicsAsTraffic(kafka, fx));
      assert.ok(expected.length > 2500, `replay gave ${expected.length}`);
      // About 8 s alone. (Its bound was once raised to 300 s for CI: the waits that ran out were
      // visits billed short, a partition taken for unused, not a slow suite.)
      await expectTransactions(kafka, fx, expected, "one transaction per visit", 120_000);
      const got = await outputTransactions(kafka, fx);
      assert.deepEqual(billedTwice(got), []);
      assert.equal(metricValue(await metricsText(svc), "pos_late_events_total"), 0);
    });
  },
);

Deno.test(
  "the README's simulate example (--time-scale 60) into a default service bills within a minute",
  opts,
  async () => {
    const { kafka, fx } = await brokerFixture(3);
    const svc = await startService(fx.args);
    // The README's line (with the fixture's topics and catalog).
    const sim = simulateCommand(fx, ["--rate", "500", "--time-scale", "60", "--duration", "120"])
      .spawn();
    try {
      await eventually("service ready", () => isReady(svc), 60_000, 100);
      const t0 = Date.now();
      await eventually(
        "a first transaction",
        async () => (await outputTransactions(kafka, fx)).length > 0,
        60_000,
        500,
      );
      console.log(`first transaction ${((Date.now() - t0) / 1000).toFixed(1)} s after start`);
      assert.deepEqual(billedTwice(await outputTransactions(kafka, fx)), []);
      assert.equal(await stopService(svc), 0);
    } finally {
      try {
        sim.kill("SIGKILL");
      } catch { /* ended */ }
      await sim.output();
      svc.kill("SIGKILL");
    }
  },
);

Deno.test(
  "SIGKILL near the end of a backfill, restart with no new input: every cart out within idle + G + 1 s",
  opts,
  async () => {
    const { kafka, fx } = await brokerFixture(3);
    const { traffic, expected } = await replayedTraffic(fx, { customers: 400, seed: 31 });
    await produceTraffic(kafka, fx, traffic);
    let svc = await startService(fx.args);
    try {
      // Killed once the input is read, while the last carts wait for the end of input.
      await eventually(
        "the whole input applied",
        async () => {
          const m = await metricsText(svc).catch(() => "");
          return metricValue(m, "pos_commits_total") > 0 &&
            (await outputTransactions(kafka, fx)).length > 0;
        },
        60_000,
        50,
      );
      svc.kill("SIGKILL");
      await svc.wait();
      const before = (await outputTransactions(kafka, fx)).length;
      assert.ok(before < expected.length, `killed with ${before} of ${expected.length} out`);
      svc = await startService(fx.args);
      const out = await watchTopic(kafka, fx.topics.pos);
      try {
        await eventually("restarted service ready", () => isReady(svc), 60_000, 50);
        const readyAt = Date.now();
        await expectTransactions(kafka, fx, expected, "every cart after the restart", 60_000);
        const last = Math.max(...out.records.map((r) => r.atMs));
        const waited = (last - readyAt) / 1000;
        console.log(
          `last transaction ${waited.toFixed(2)} s after the restarted service was ready`,
        );
        assert.ok(
          waited <= IDLE_SEC + GRACE_SEC + 1,
          `the last carts came ${waited} s after ready (idle ${IDLE_SEC} + grace ${GRACE_SEC} + 1)`,
        );
      } finally {
        await out.stop();
      }
      assert.equal(await stopService(svc), 0);
    } finally {
      svc.kill("SIGKILL");
    }
  },
);

Deno.test(
  "two pickups at one instant on different partitions: lines by item id, the bytes of replay",
  opts,
  async () => {
    const { kafka, fx } = await brokerFixture(3);
    const t = Date.UTC(2025, 10, 7, 9, 40, 1) * 1000;
    const foot = ["c-1", "c-2"].map((c) => ({
      key: c,
      us: t,
      value: sessionValue(c, t - 60_000_000, t + 60_000_000),
    }));
    const pickup = (c: string, item: string) => pickupValue(c, item, t);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: fx.topics.foot, messages: foot });
    // c-1: ITEM002 on partition 0 first, ITEM001 on partition 2; c-2 the other way round.
    for (
      const [c, first, second] of [["c-1", "ITEM002", "ITEM001"], ["c-2", "ITEM001", "ITEM002"]]
    ) {
      await producer.send({
        topic: fx.topics.shelf,
        messages: [{ value: pickup(c, first), partition: 0 }],
      });
      await producer.send({
        topic: fx.topics.shelf,
        messages: [{ value: pickup(c, second), partition: 2 }],
      });
    }
    await producer.disconnect();
    const shelf = await readAll(kafka, fx.topics.shelf);
    const expected = await replayExpected(fx, {
      foot,
      shelf: shelf.map((m) => ({ key: null, value: m.value!, us: t })),
    });
    await withService(fx.args, async () => {
      await expectTransactions(kafka, fx, expected, "both transactions");
      const got = await readAll(kafka, fx.topics.pos);
      for (const m of got) {
        const items = JSON.parse(m.value!).items.map((l: { item_id: string }) => l.item_id);
        assert.deepEqual(items, ["ITEM001", "ITEM002"]);
        const same = expected.find((e) => e.customer_id === JSON.parse(m.value!).customer_id);
        assert.equal(m.value, JSON.stringify(same), "byte for byte the transaction replay writes");
      }
    });
  },
);

Deno.test(
  "at-least-once: records re-delivered after a crash between output and offset commit count once",
  opts,
  async () => {
    const { kafka, fx } = await brokerFixture(3, ["--delivery", "at-least-once"]);
    const { traffic, expected } = await replayedTraffic(fx, { customers: 150, seed: 33 });
    // The shelf events first (a foot producer behind its store's shelves): the crashed write
    // then holds carts, whatever the relays' order. With both topics written, it could hold
    // only sessions (they are re-delivered as the same session again) and prove nothing here.
    await produce(kafka, fx.topics.shelf, traffic.shelf);
    // The first write of outputs and state goes out, then the process dies before the offsets.
    const crashing = await startService(fx.args, { POS_TEST_EXIT_BEFORE_OFFSET_COMMIT: "1" });
    assert.equal(await crashing.wait(), 137);
    assert.match(await crashing.log(), /before committing offsets/);
    await produce(kafka, fx.topics.foot, traffic.foot);
    await withService(fx.args, async (svc) => {
      await expectTransactions(kafka, fx, expected, "all transactions, each pickup once");
      const m = await metricsText(svc);
      assert.ok(
        metricValue(m, "pos_redelivered_records_total") > 0,
        "the restored carts already held re-delivered records",
      );
    });
  },
);

interface TimedEvent {
  atMs: number;
  topic: string;
  key: string | null;
  value: string;
}

/** `n` shoppers from `startMs`, with their exits; each event is due at its own timestamp. */
function realTimeShoppers(
  topics: { foot: string; shelf: string },
  n: number,
  startMs: number,
): { events: TimedEvent[]; exits: Map<string, number> } {
  const exits = new Map<string, number>();
  const events: TimedEvent[] = [];
  for (let i = 0; i < n; i++) {
    const c = `rt-${i}`;
    const entry = startMs + 200 + i * 100;
    const exit = entry + 2000 + (i % 7) * 300;
    exits.set(c, exit);
    events.push({
      atMs: entry,
      topic: topics.foot,
      key: c,
      value: sessionValue(c, entry * 1000, exit * 1000),
    });
    for (let k = 0; k < 4; k++) {
      const at = entry + 300 + k * 400;
      events.push({
        atMs: at,
        topic: topics.shelf,
        key: null,
        value: pickupValue(c, `ITEM00${k}`, at * 1000),
      });
    }
  }
  return { events: events.sort((a, b) => a.atMs - b.atMs), exits };
}

/** Produces each event at its due time (a real-time producer). */
async function produceOnTime(kafka: ReturnType<typeof testKafka>, events: TimedEvent[]) {
  const producer = kafka.producer();
  await producer.connect();
  for (const e of events) {
    const wait = e.atMs - Date.now();
    if (wait > 0) await sleep(wait);
    await producer.send({ topic: e.topic, messages: [{ key: e.key, value: e.value }] });
  }
  await producer.disconnect();
}

Deno.test(
  "real time at the defaults: every transaction readable within G + 1 s of its exit",
  opts,
  async () => {
    const { kafka, fx } = await brokerFixture(3);
    const svc = await startService(fx.args);
    const out = await watchTopic(kafka, fx.topics.pos);
    try {
      await eventually("service ready", () => isReady(svc), 60_000, 100);
      // Shoppers whose events are produced at their own timestamps: now.
      const shoppers = 60;
      const { events, exits } = realTimeShoppers(fx.topics, shoppers, Date.now());
      await produceOnTime(kafka, events);
      await eventually("every shopper billed", () => out.records.length >= shoppers, 30_000, 100);
      const delays = out.records.map((r) => {
        const t = JSON.parse(r.value);
        return (r.atMs - exits.get(t.customer_id)!) / 1000;
      }).sort((a, b) => a - b);
      const p = (q: number) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))];
      console.log(
        `exit → readable: p50 ${p(0.5).toFixed(3)} s, p99 ${p(0.99).toFixed(3)} s, max ${
          delays[delays.length - 1].toFixed(3)
        } s (G = ${GRACE_SEC} s)`,
      );
      assert.equal(out.records.length, shoppers);
      assert.ok(delays[delays.length - 1] <= GRACE_SEC + 1, `max delay ${delays.at(-1)} s`);
      assert.equal(await stopService(svc), 0);
    } finally {
      await out.stop();
      svc.kill("SIGKILL");
    }
  },
);
