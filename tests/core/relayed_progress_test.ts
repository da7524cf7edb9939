/**
 * Scale-out: a task sees only the shelf records of its own customers, so the shelf partitions'
 * progress comes from upstream (the relay's report of the partition's fronts), not from the
 * records it applied.
 */
import assert from "node:assert/strict";
import { Engine, type InputRecord, PriceBook, type Progress } from "../../lib/core/mod.ts";

const pricer = PriceBook.fromRows({ items: [{ shelf_id: "A", item_price: 1 }] });
const record = (source: "foot" | "shelf", partition: number, value: object): InputRecord => ({
  source,
  topic: source,
  partition,
  offset: "0",
  timestampMs: 0,
  value: new TextEncoder().encode(JSON.stringify(value)),
});
const us = (iso: string) => Date.parse(iso) * 1000;

function visit(engine: Engine): void {
  engine.apply(record("shelf", 0, {
    event_type: "pickup",
    customer_id: "c1",
    item_id: "A",
    timestamp: "2025-11-07T10:00:00",
  }));
  engine.apply(record("foot", 0, {
    event_type: "foot_traffic",
    customer_id: "c1",
    entry_time: "2025-11-07T09:55:00",
    exit_time: "2025-11-07T10:05:00",
  }));
}

Deno.test("a relayed shelf partition passes its upstream fronts, not only what reached this task", () => {
  const engine = new Engine({
    graceSec: 2,
    maxSessionAgeSec: 10_800,
    forceCheckoutIfEmpty: false,
    pricer,
  });
  visit(engine);
  // Partition 1 sent this task nothing, and partition 0 only the pickup: without upstream
  // progress the shelf input has not passed exit + grace.
  const signals = (w0: number, w1: number): Progress => ({
    partitions: [
      { source: "shelf" as const, partition: 0, caughtUp: false, fronts: [[0, w0, 0, 0]] },
      { source: "shelf" as const, partition: 1, caughtUp: false, fronts: [[0, w1, 0, 0]] },
      { source: "foot" as const, partition: 0, caughtUp: false },
    ],
  });
  engine.advance(signals(us("2025-11-07T10:06:00Z"), us("2025-11-07T10:05:01Z")));
  assert.equal(engine.drainOutput().transactions.length, 0, "partition 1 is not past exit + G");
  engine.advance(signals(us("2025-11-07T10:06:00Z"), us("2025-11-07T10:05:02Z")));
  assert.equal(engine.drainOutput().transactions.length, 1, "both partitions past exit + G");
});

Deno.test("a relayed front that leapt back in time holds every other partition until it shows where it stands", () => {
  const engine = new Engine({
    graceSec: 2,
    maxSessionAgeSec: 10_800,
    forceCheckoutIfEmpty: false,
    pricer,
  });
  const day2 = us("2025-11-08T12:00:00Z");
  const report = (p: number, fronts: [number, number, number, number][]) => ({
    source: "shelf" as const,
    partition: p,
    caughtUp: false,
    fronts,
  });
  // Both shelf partitions are a day later; then partition 0's relay sees a backfill of the 7th.
  engine.advance({ partitions: [report(0, [[0, day2, 0, 0]]), report(1, [[0, day2, 0, 0]])] });
  visit(engine);
  engine.advance({
    partitions: [report(0, [[0, day2, 0, 0], [1, us("2025-11-07T10:06:00Z"), 0, 1]])],
  });
  assert.equal(engine.drainOutput().transactions.length, 0, "partition 1 is held at 10:06");
  engine.advance({
    partitions: [report(1, [[0, day2, 0, 0], [1, us("2025-11-07T10:05:02Z"), 0, 1]])],
  });
  assert.equal(engine.drainOutput().transactions.length, 1, "partition 1 showed the 7th too");
});
