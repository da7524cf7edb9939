import assert from "node:assert/strict";
import { type Engine, PROGRESS_KEY } from "../../lib/core/engine.ts";
import {
  at,
  footRec,
  newEngine,
  pick,
  progress,
  put,
  session,
  shelfRec,
  T0,
  testPricer,
  txs,
} from "../fixtures/engine_fixture.ts";

/** Moves event-time stream time (and the shelf watermark) to `sec` with a skipped event. */
function tick(e: Engine, sec: number) {
  e.apply(shelfRec({ event_type: "weight_change", timestamp: at(sec) }));
  e.apply(shelfRec(pick("__clock__", "Z", sec)));
  e.advance(progress(false));
}
function only(e: Engine, customer: string) {
  return txs(e).filter((t) => t.customer_id === customer);
}

Deno.test("§2 carts: pickup adds, putback removes, lines in order of first pickup", () => {
  const e = newEngine();
  e.apply(footRec(session("c1", 0, 600)));
  e.apply(shelfRec(pick("c1", "B", 10, 2)));
  e.apply(shelfRec(pick("c1", "A", 20, 3)));
  e.apply(shelfRec(put("c1", "B", 30, 1)));
  e.apply(shelfRec(pick("c1", "B", 40, 4)));
  e.apply(shelfRec(pick("c1", "C", 50)));
  e.apply(shelfRec(put("c1", "C", 60)));
  tick(e, 602);
  const [t] = only(e, "c1");
  assert.deepEqual(
    t.items.map((l: { item_id: string; quantity: number }) => [l.item_id, l.quantity]),
    [
      ["B", 5],
      ["A", 3],
    ],
    "C went back to 0 and is left out",
  );
});

Deno.test("§2 carts: putback never below 0; the excess is counted as an anomaly", () => {
  const e = newEngine();
  e.apply(footRec(session("c1", 0, 600)));
  e.apply(shelfRec(put("c1", "A", 5, 2))); // nothing to put back
  e.apply(shelfRec(pick("c1", "A", 10, 1)));
  e.apply(shelfRec(put("c1", "A", 20, 3))); // 1 - 3 → 0
  e.apply(shelfRec(pick("c1", "A", 30, 2)));
  tick(e, 602);
  const [t] = only(e, "c1");
  assert.equal(t.items[0].quantity, 2);
  assert.equal(e.metrics().anomalies, 2);
});

Deno.test("§2 carts: applied in event-time order, whatever the arrival order", () => {
  const e = newEngine();
  e.apply(footRec(session("c1", 0, 600)));
  e.apply(shelfRec(put("c1", "A", 20), { partition: 1 }));
  e.apply(shelfRec(pick("c1", "B", 15), { partition: 0 }));
  e.apply(shelfRec(pick("c1", "A", 10), { partition: 2 }));
  tick(e, 602);
  e.advance({
    partitions: [0, 1, 2].map((p) => ({ source: "shelf", partition: p, caughtUp: true })),
  });
  const [t] = only(e, "c1");
  assert.deepEqual(t.items.map((l: { item_id: string }) => l.item_id), ["B"]);
  assert.equal(e.metrics().anomalies, 0);
});

Deno.test("§3 checkout: due at stream time E + G, not before", () => {
  const e = newEngine({ graceSec: 2 });
  e.apply(footRec(session("c1", 0, 600)));
  e.apply(shelfRec(pick("c1", "A", 100)));
  tick(e, 601.999);
  assert.equal(only(e, "c1").length, 0);
  tick(e, 602);
  assert.equal(only(e, "c1").length, 1);
});

Deno.test("§3 checkout: foot far ahead of shelf waits for the shelf partitions to pass E + G", () => {
  const e = newEngine();
  // Foot topic consumed to far in the future; shelf partition 0 still at the beginning.
  e.apply(footRec(session("c1", 0, 600)));
  e.apply(footRec(session("c9", 90000, 90600)));
  e.apply(shelfRec(pick("c1", "A", 10), { partition: 0 }));
  e.advance({
    partitions: [
      { source: "foot", partition: 0, caughtUp: true },
      { source: "shelf", partition: 0, caughtUp: false },
      { source: "shelf", partition: 1, caughtUp: false },
    ],
  });
  assert.equal(txs(e).length, 0, "stream time is past E+G but the shelf partitions are not");
  e.apply(shelfRec(pick("c1", "B", 500), { partition: 1 }));
  e.apply(shelfRec(pick("c2", "C", 700), { partition: 0 }));
  e.advance({ partitions: [] });
  assert.equal(txs(e).length, 0, "partition 1 is at 500 < E+G");
  e.advance({ partitions: [{ source: "shelf", partition: 1, caughtUp: true }] });
  const [t] = only(e, "c1");
  assert.deepEqual(t.items.map((l: { item_id: string }) => l.item_id), ["A", "B"]);
});

/**
 * Shelf partition 0 (and foot 0) caught up at wall clock `wallSec` after T0, idle or not, their
 * ends last moved at `endMovedSec` (when their last records were produced).
 */
function caughtUpAt(wallSec: number, idle: boolean, endMovedSec = idle ? wallSec - 10 : wallSec) {
  const wallMs = T0 + wallSec * 1000;
  return {
    wallMs,
    partitions: (["foot", "shelf"] as const).map((source) => ({
      source,
      partition: 0,
      caughtUp: true,
      caughtUpAtMs: wallMs,
      idle,
      endMovedAtMs: T0 + endMovedSec * 1000,
    })),
  };
}

Deno.test("time: a caught-up real-time partition (produced at event time) passes the wall clock", () => {
  const e = newEngine({ graceSec: 2 });
  e.apply(footRec(session("c1", 0, 600)));
  e.apply(shelfRec(pick("c1", "A", 599)));
  e.advance(caughtUpAt(601.5, false, 599)); // its last record was produced at its event time
  assert.equal(txs(e).length, 0, "E + G not reached by the wall clock yet");
  e.advance(caughtUpAt(602, false, 599));
  const out = e.drainOutput().transactions;
  assert.equal(out.length, 1, "due at E + G by the wall clock, no later event needed");
  assert.equal(out[0].dueMicros, (T0 + 602_000) * 1000);
});

Deno.test("time: a burst of old events, momentarily caught up, is checked out by event time", () => {
  const e = newEngine({ graceSec: 2 });
  e.apply(footRec(session("c1", 0, 600)));
  e.apply(shelfRec(pick("c1", "A", 10)));
  // The wall clock is hours past E, but the partition is neither live nor idle: more of the
  // burst may be on its way, so it has passed only its own watermark (10 s).
  e.advance(caughtUpAt(50_000, false));
  assert.equal(txs(e).length, 0, "no checkout while a backlog may still be arriving");
  e.apply(shelfRec(pick("c1", "B", 20)));
  e.advance(caughtUpAt(50_001, true)); // idle: the end of input
  const [t] = only(e, "c1");
  assert.deepEqual(t.items.map((l: { item_id: string }) => l.item_id), ["A", "B"]);
});

Deno.test("time: a session waits for the shelf input only; foot progress does not hold it", () => {
  const e = newEngine({ graceSec: 2 });
  e.apply(footRec(session("c1", 0, 600)));
  e.apply(shelfRec(pick("c1", "A", 10)));
  e.apply(shelfRec(pick("__clock__", "Z", 602)));
  e.advance({ partitions: [{ source: "foot", partition: 0, caughtUp: false }] });
  assert.equal(only(e, "c1").length, 1);
});

Deno.test("§3 a different session for an open customer goes to the DLQ", () => {
  const e = newEngine();
  e.apply(footRec(session("c1", 0, 600)));
  e.apply(footRec(session("c1", 0, 900)));
  assert.equal(e.drainOutput().dlq[0].reason, "conflicting_session");
});

Deno.test("§3 no state left behind: the closed marker expires MAX after checkout", () => {
  const e = newEngine({ maxSessionAgeSec: 3600 });
  e.apply(footRec(session("c1", 0, 600)));
  e.apply(shelfRec(pick("c1", "A", 10)));
  tick(e, 602);
  assert.equal(e.stateOf("c1"), "closed");
  const ch = e.drainStateChanges();
  assert.equal(JSON.parse(ch.get("c1")!).st, "closed");
  e.apply(footRec(session("c2", 4300, 4400)));
  tick(e, 4201);
  assert.equal(e.stateOf("c1"), null);
  assert.equal(e.drainStateChanges().get("c1"), null, "tombstone");
  e.flush();
  e.advance(progress(true)); // the input is complete: every marker's time has come
  assert.equal(e.stateSize, 0, "every marker expired");
  assert.equal(e.metrics().closedMarkers, 0);
});

Deno.test("§1 a shelf event without timestamp uses the Kafka record timestamp", () => {
  const e = newEngine();
  e.apply(footRec(session("c1", 0, 600)));
  const { timestamp: _, ...noTs } = pick("c1", "A", 0);
  e.apply(shelfRec(noTs, { timestampMs: T0 + 700_000 })); // after E: late
  e.apply(shelfRec({ ...noTs, item_id: "B" }, { timestampMs: T0 + 100_000 }));
  tick(e, 602);
  assert.deepEqual(only(e, "c1")[0].items.map((l: { item_id: string }) => l.item_id), ["B"]);
  assert.equal(e.metrics().late, 1);
});

Deno.test("§1 invalid records go to the DLQ with the original bytes and a reason; skipped types are counted", () => {
  const e = newEngine();
  const bad = shelfRec("{oops", { partition: 3, offset: 42 });
  bad.headers = { "x-trace": "1" };
  e.apply(bad);
  e.apply(shelfRec({ event_type: "restock", shelf_id: "A" }));
  e.apply(footRec({ event_type: "heartbeat" }));
  e.apply(footRec({ ...session("c1", 0, 10), exit_time: "never" }));
  const out = e.drainOutput();
  assert.deepEqual(out.dlq.map((d) => d.reason), ["not_json", "invalid_time"]);
  assert.equal(out.dlq[0].value, bad.value);
  assert.deepEqual(
    [out.dlq[0].topic, out.dlq[0].partition, out.dlq[0].offset],
    ["shelf_events", 3, "42"],
  );
  assert.deepEqual(out.dlq[0].headers, { "x-trace": "1" });
  const m = e.metrics();
  assert.deepEqual(m.skipped, { "shelf:restock": 1, "foot:heartbeat": 1 });
  assert.equal(m.invalid.not_json, 1);
  assert.equal(m.invalid.invalid_time, 1);
});

Deno.test("§5 transaction: format, deterministic id, timestamp E in UTC with its digits", () => {
  const mk = () => {
    const e = newEngine();
    e.apply(footRec({ ...session("c1", 0, 0), exit_time: "2025-11-07T10:02:10.5+01:00" }));
    e.apply(shelfRec(pick("c1", "A", 10, 2)));
    e.apply(shelfRec(pick("c1", "B", 11, 3)));
    tick(e, 3700);
    return e.drainOutput().transactions.filter((t) => t.customerId === "c1");
  };
  const [a] = mk(), [b] = mk();
  assert.equal(a.value, b.value, "same input, same id");
  assert.equal(a.key, "c1");
  const t = JSON.parse(a.value);
  assert.deepEqual(Object.keys(t), [
    "event_type",
    "transaction_id",
    "customer_id",
    "timestamp",
    "items",
  ]);
  assert.equal(t.event_type, "pos_transaction");
  assert.match(
    t.transaction_id,
    /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
  assert.equal(t.timestamp, "2025-11-07T09:02:10.5+00:00");
  assert.equal(a.timestamp, t.timestamp);
  assert.deepEqual(t.items, [
    { item_id: "A", quantity: 2, unit_price: 3.5, discount: 0, total_price: 7 },
    { item_id: "B", quantity: 3, unit_price: 1.15, discount: 0, total_price: 3.45 },
  ]);
  assert.equal(a.dueMicros, (Date.parse("2025-11-07T09:02:12.5Z")) * 1000);
});

Deno.test("§4 unknown items: priced by the pricer and counted; skipped lines go to the DLQ", () => {
  const e = newEngine({ pricer: testPricer({ A: 100 }, true) });
  e.apply(footRec(session("c1", 0, 600)));
  e.apply(shelfRec(pick("c1", "NOPE", 10), { offset: 99 }));
  e.apply(shelfRec(pick("c1", "A", 11), { offset: 100 })); // offsets grow within a partition
  tick(e, 602);
  const out = e.drainOutput();
  const t = JSON.parse(out.transactions.find((x) => x.customerId === "c1")!.value);
  assert.deepEqual(t.items.map((l: { item_id: string }) => l.item_id), ["A"]);
  const d = out.dlq.filter((x) => x.reason === "unknown_item");
  assert.equal(d.length, 1);
  assert.equal(d[0].offset, "99");
  assert.equal(e.metrics().unknownItems, 1);
});

Deno.test("restart: state restored from drainStateChanges continues exactly", () => {
  const a = newEngine();
  a.apply(footRec(session("c1", 0, 600)));
  a.apply(shelfRec(pick("c1", "A", 10)));
  a.apply(shelfRec(pick("c2", "B", 20)));
  a.apply(footRec(session("c3", 0, 30)));
  a.apply(shelfRec(pick("c3", "C", 25)));
  tick(a, 40);
  assert.equal(only(a, "c3").length, 1);
  const state = a.drainStateChanges();
  const b = newEngine();
  for (const [k, v] of state) if (v !== null) b.restore(k, v);
  for (const e of [a, b]) {
    e.apply(footRec(session("c3", 0, 30))); // duplicate after restart: nothing
    e.apply(shelfRec(pick("c3", "C", 29))); // late after restart
    e.apply(shelfRec(pick("c1", "A", 50)));
    e.flush();
  }
  const norm = (e: Engine) => {
    const o = e.drainOutput();
    return { t: o.transactions.map((t) => t.value).sort(), late: o.dlq.length };
  };
  assert.deepEqual(norm(b), norm(a));
  assert.deepEqual(b.metrics().openCarts, a.metrics().openCarts);
});

Deno.test("restart: stream time survives in the changelog; a restored engine needs no new record", () => {
  const a = newEngine();
  a.apply(footRec(session("c1", 0, 600)));
  a.apply(shelfRec(pick("c1", "A", 10), { partition: 0 }));
  a.apply(shelfRec(pick("c2", "B", 700), { partition: 0 })); // the shelf input reached 700 s
  const state = a.drainStateChanges();
  assert.ok(state.has(PROGRESS_KEY), "the watermarks are written with the carts");
  const b = newEngine();
  for (const [k, v] of state) if (v !== null) b.restore(k, v);
  // Nothing new arrives after the restart; the partition is not even caught up yet.
  b.advance({ partitions: [{ source: "shelf", partition: 0, caughtUp: false }] });
  assert.equal(only(b, "c1").length, 1, "c1 was due at 602 s of stream time, restored at 700 s");
});

Deno.test("idempotent apply: a re-delivered record (same partition and offset) counts once", () => {
  const e = newEngine();
  e.apply(footRec(session("c1", 0, 600)));
  const r1 = shelfRec(pick("c1", "A", 10), { partition: 1, offset: 5 });
  const r2 = shelfRec(pick("c1", "A", 20), { partition: 1, offset: 6 });
  e.apply(r1);
  e.apply(r2);
  e.apply(r1); // after a crash, from the last committed offset
  e.apply(r2);
  tick(e, 602);
  e.advance({ partitions: [{ source: "shelf", partition: 1, caughtUp: true }] });
  const [t] = only(e, "c1");
  assert.equal(t.items[0].quantity, 2);
  e.apply(r2); // and after the checkout: still nothing, not even a late DLQ record
  assert.equal(e.drainOutput().dlq.length, 0);
  assert.equal(e.metrics().redelivered, 3);
});

Deno.test("a visit is billed once: events of a checked-out visit are late while it is remembered", () => {
  const e = newEngine({ maxSessionAgeSec: 3600 });
  e.apply(footRec(session("c1", 0, 600)));
  e.apply(shelfRec(pick("c1", "A", 10)));
  // A fast-forward: the input is idle, so it passes the wall clock, hours past the horizon.
  e.advance(caughtUpAt(100_000, true));
  assert.equal(only(e, "c1").length, 1);
  // A burst of that visit's old events released later: late, never a second cart or bill.
  e.apply(shelfRec(pick("c1", "B", 20)));
  e.advance(caughtUpAt(100_010, true));
  assert.equal(only(e, "c1").length, 0);
  assert.equal(e.drainOutput().dlq.filter((d) => d.reason === "late").length, 0, "drained above");
  assert.equal(e.metrics().late, 1);
  assert.equal(e.stateOf("c1"), "closed", "remembered MAX of processing time after checkout");
  e.advance(caughtUpAt(100_000 + 3600 + 1, true));
  assert.equal(e.stateOf("c1"), null, "forgotten after MAX of stream and processing time");
});

Deno.test("lines by first pickup time, ties by item id whatever the partitions and arrival order", () => {
  const lines = (order: [string, number][]) => {
    const e = newEngine();
    e.apply(footRec(session("c1", 0, 600)));
    for (const [item, partition] of order) e.apply(shelfRec(pick("c1", item, 10), { partition }));
    e.apply(shelfRec(pick("c1", "A", 5), { partition: 2 })); // earlier: first
    tick(e, 602);
    e.advance({
      partitions: [0, 1, 2].map((p) => ({
        source: "shelf" as const,
        partition: p,
        caughtUp: true,
      })),
    });
    return only(e, "c1")[0].items.map((l: { item_id: string }) => l.item_id);
  };
  assert.deepEqual(lines([["Z", 0], ["B", 1]]), ["A", "B", "Z"]);
  assert.deepEqual(lines([["B", 1], ["Z", 0]]), ["A", "B", "Z"]);
});

Deno.test("time: an idle shelf input does not pass the wall clock while foot records still come", () => {
  // A burst of an old day begins: sessions arrive first; the shelf partitions are caught up and
  // idle from before the burst. Checking out now would bill empty carts.
  const e = newEngine({ graceSec: 2 });
  e.apply(footRec(session("c1", 0, 600)));
  e.apply(footRec(session("c2", 5000, 5600)));
  const wallMs = T0 + 90_000_000;
  e.advance({
    wallMs,
    partitions: [
      { source: "foot", partition: 0, caughtUp: false },
      {
        source: "shelf",
        partition: 0,
        caughtUp: true,
        caughtUpAtMs: wallMs,
        idle: true,
        endMovedAtMs: wallMs - 60_000,
      },
    ],
  });
  assert.equal(txs(e).length, 0, "no checkout before the shelf events of the burst");
  e.apply(shelfRec(pick("c1", "A", 10)));
  e.apply(shelfRec(pick("c2", "B", 5100)));
  e.advance({
    wallMs: wallMs + 10_000,
    partitions: (["foot", "shelf"] as const).map((source) => ({
      source,
      partition: 0,
      caughtUp: true,
      caughtUpAtMs: wallMs + 10_000,
      idle: true,
      endMovedAtMs: wallMs,
    })),
  });
  assert.deepEqual(txs(e).map((t) => [t.customer_id, t.items.length]), [["c1", 1], ["c2", 1]]);
});

Deno.test("time: a shelf partition nobody writes to holds the others for the idle time after their records began, then no more", () => {
  const e = newEngine({ graceSec: 2 }); // IDLE_SEC 5
  e.apply(footRec(session("c1", 0, 600)));
  e.apply(shelfRec(pick("c1", "A", 10), { partition: 0 }));
  e.apply(shelfRec(pick("c9", "B", 700), { partition: 0 }));
  const wallMs = T0 + 90_000_000;
  const at = (ms: number) =>
    e.advance({
      wallMs: ms,
      partitions: [
        { source: "foot", partition: 0, caughtUp: false },
        { source: "shelf", partition: 0, caughtUp: false },
        {
          source: "shelf",
          partition: 1,
          caughtUp: true,
          caughtUpAtMs: ms,
          idle: true,
          endMovedAtMs: wallMs - 60_000,
        },
      ],
    });
  // A burst after a quiet time reaches the partitions one after the other: partition 1 may get
  // c1's next pickup in a moment.
  at(wallMs);
  at(wallMs + 4_900);
  assert.equal(only(e, "c1").length, 0, "partition 1, empty so far, holds partition 0's 602 s");
  at(wallMs + 5_000);
  assert.equal(
    only(e, "c1").length,
    1,
    "still empty the idle time after partition 0's records began: it does not count",
  );
});
