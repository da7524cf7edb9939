/**
 * HEAP_TARGET_MIB: a full collection whenever the heap grew past the target, backing off while
 * the live data itself is near it; and a service run with a tiny target still bills every visit
 * as `replay` does (it trades CPU for memory, never correctness).
 */
import assert from "node:assert/strict";
import { HEAP_CHECK_MS, HeapTarget } from "../../lib/observe/heap_target.ts";
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

const MB = 1e6;

/** A heap that a collection shrinks to what is live. */
function fakeHeap(live: number, total: number) {
  const heap = { heapTotal: total, heapUsed: total };
  let collections = 0;
  const target = (bytes: number) =>
    new HeapTarget(bytes, {
      heap: () => heap,
      collect: () => {
        collections++;
        heap.heapTotal = heap.heapUsed = live;
      },
    });
  return { heap, target, collections: () => collections };
}

Deno.test("heap target: a collection when the heap grew past it, none below it", () => {
  const h = fakeHeap(40 * MB, 300 * MB);
  const t = h.target(200 * MB);
  t.look(0);
  assert.equal(h.collections(), 1);
  for (let ms = HEAP_CHECK_MS; ms < 2000; ms += HEAP_CHECK_MS) t.look(ms);
  assert.equal(h.collections(), 1, "below the target: nothing");
  h.heap.heapTotal = 201 * MB;
  t.look(2000);
  assert.equal(h.collections(), 2, "past it again: at the next look");
});

Deno.test("heap target: live data near the target backs off, doubling up to 8 s, and goes on", () => {
  const h = fakeHeap(190 * MB, 300 * MB);
  const t = h.target(200 * MB);
  const at: number[] = [];
  for (let ms = 0; ms <= 40_000; ms += HEAP_CHECK_MS) {
    h.heap.heapTotal = 250 * MB; // the heap grows back past the target between looks
    const before = h.collections();
    t.look(ms);
    if (h.collections() > before) at.push(ms);
  }
  const gaps = at.slice(1).map((ms, i) => ms - at[i]);
  assert.deepEqual(gaps.slice(0, 7), [200, 400, 800, 1600, 3200, 6400, 8000]);
  assert.ok(gaps.slice(6).every((g) => g === 8000), "at most every 8 s");
});

Deno.test(
  "a service with a heap target far below its live data bills every visit as replay",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    const { kafka, fx } = await brokerFixture(3);
    await withService(fx.args, async (svc) => {
      await eventually("service ready", () => isReady(svc), 60_000, 100);
      await simulateInto(fx, ["--as-fast-as-possible", "--customers", "500", "--seed", "14"]);
      const expected = await replayExpected(fx, await topicsAsTraffic(kafka, fx));
      await expectTransactions(kafka, fx, expected, "one transaction per visit", 120_000);
      const collections = metricValue(
        await metricsText(svc),
        "pos_heap_target_collections_total",
      );
      assert.ok(collections >= 1, `collections: ${collections}`);
    }, { HEAP_TARGET_MIB: "1" });
  },
);
