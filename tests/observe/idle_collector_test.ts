/**
 * Memory goes back while the input is quiet: one full collection once no input arrived for
 * QUIET_MS, again only after the heap regrew by REGROWTH_BYTES, never while records arrive; and
 * a default service collects when its input goes quiet (what its relays read and what its
 * checkout tasks apply, not control records) and bills what comes after as `replay`.
 */
import assert from "node:assert/strict";
import {
  IDLE_CHECK_MS,
  IdleCollector,
  QUIET_MS,
  REGROWTH_BYTES,
} from "../../lib/observe/idle_collector.ts";
import {
  eventually,
  isReady,
  metricsText,
  metricValue,
  withService,
} from "../support/service_process.ts";
import {
  brokerFixture,
  expectTransactions,
  replayExpected,
  simulateInto,
  topicsAsTraffic,
} from "../support/service_fixture.ts";

/** Input and heap the test moves by hand; a collection shrinks the heap to `live`. */
function fakeProcess(live: number) {
  const p = { input: 0, heap: live, collections: 0 };
  const collector = new IdleCollector({
    activity: () => p.input,
    heapTotal: () => p.heap,
    collect: () => {
      p.collections++;
      p.heap = live;
    },
  }, 0);
  return { p, collector };
}

Deno.test("idle collector: never while input arrives, however large the heap", () => {
  const { p, collector } = fakeProcess(20e6);
  for (let ms = 0; ms < 60_000; ms += IDLE_CHECK_MS) {
    p.input += 1000;
    p.heap += 50e6;
    collector.look(ms);
  }
  assert.equal(p.collections, 0);
});

Deno.test("idle collector: one collection once the input was quiet for QUIET_MS", () => {
  const { p, collector } = fakeProcess(20e6);
  p.input = 5;
  collector.look(1000); // the last input
  collector.look(1000 + QUIET_MS - 1);
  assert.equal(p.collections, 0, "not quiet long enough");
  collector.look(1000 + QUIET_MS);
  assert.equal(p.collections, 1);
  for (let ms = 1000 + QUIET_MS; ms < 60_000; ms += IDLE_CHECK_MS) collector.look(ms);
  assert.equal(p.collections, 1, "the heap did not grow: nothing more");
});

Deno.test("idle collector: while quiet, again each time the heap regrew by REGROWTH_BYTES", () => {
  const { p, collector } = fakeProcess(20e6);
  collector.look(QUIET_MS);
  assert.equal(p.collections, 1);
  p.heap = 20e6 + REGROWTH_BYTES - 1;
  collector.look(QUIET_MS + IDLE_CHECK_MS);
  assert.equal(p.collections, 1);
  p.heap = 20e6 + REGROWTH_BYTES;
  collector.look(QUIET_MS + 2 * IDLE_CHECK_MS);
  assert.equal(p.collections, 2);
});

Deno.test("idle collector: input again starts a new quiet time, with its own first collection", () => {
  const { p, collector } = fakeProcess(20e6);
  collector.look(QUIET_MS);
  assert.equal(p.collections, 1);
  p.input++;
  collector.look(10_000);
  collector.look(10_000 + QUIET_MS - 1);
  assert.equal(p.collections, 1);
  collector.look(10_000 + QUIET_MS);
  assert.equal(p.collections, 2, "a backfill that ended leaves its pages: collected");
});

Deno.test(
  "a default service collects once its input went quiet, and bills what comes after as replay",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    const { kafka, fx } = await brokerFixture(3);
    await withService(fx.args, async (svc) => {
      await eventually("service ready", () => isReady(svc), 60_000, 100);
      await simulateInto(fx, ["--as-fast-as-possible", "--customers", "300", "--seed", "21"]);
      const traffic = await topicsAsTraffic(kafka, fx);
      let expected = await replayExpected(fx, traffic);
      await expectTransactions(kafka, fx, expected, "the first visits", 120_000);
      // The checkout tasks' input counts as input too (an instance may hold no relay partition):
      // every relayed record, none of the relays' control records.
      const text = await metricsText(svc);
      const skipped = text.split("\n").filter((l) =>
        l.startsWith("pos_records_total{") && l.includes('outcome="skipped"')
      ).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
      assert.equal(
        metricValue(text, "pos_records_applied_total"),
        traffic.foot.length + traffic.shelf.length - skipped,
      );
      const collected = async () =>
        metricValue(await metricsText(svc), "pos_idle_collections_total");
      const before = await collected();
      await eventually(
        "a collection while quiet",
        async () => (await collected()) > before,
        30_000,
      );
      // The next day: a second copy of the same day would be behind stream time (late).
      await simulateInto(fx, [
        "--as-fast-as-possible",
        "--customers",
        "300",
        "--seed",
        "22",
        "--date",
        "2025-11-08",
      ]);
      expected = await replayExpected(fx, await topicsAsTraffic(kafka, fx));
      await expectTransactions(
        kafka,
        fx,
        expected,
        "every visit once, after a collection",
        120_000,
      );
    });
  },
);
