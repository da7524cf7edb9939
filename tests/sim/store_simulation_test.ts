/**
 * The simulated store (lib/sim/store_simulation.ts) and the generated catalog (lib/sim/demo_catalog.ts):
 * record shapes as the real producers send them, event-time order, the day profile, the
 * pickup/putback mix, injected faults, determinism.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  CUSTOMERS_BY_WEEKDAY,
  dayStartUs,
  DEFAULT_FAULTS,
  defaultCustomers,
  pyIsoformat,
  type SimItem,
  type SimRecord,
  StoreSimulation,
  TIME_SLOTS,
  timeSlotOf,
} from "../../lib/sim/store_simulation.ts";
import { demoCatalog, demoDiscounts, demoItems } from "../../lib/sim/demo_catalog.ts";
import { PriceBook } from "../../lib/core/pricing/price_book.ts";
import { parseIsoMicros } from "../../lib/core/decode/timestamps.ts";

const ITEMS: SimItem[] = demoItems().map((r) => ({
  id: r.shelf_id,
  visibility: r.item_visibility,
  weightGrams: r.item_weight,
}));
const PY_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00$/;

function day(opts: { customers?: number; seed?: number; faults?: boolean; date?: string } = {}) {
  return [
    ...new StoreSimulation({
      items: ITEMS,
      seed: opts.seed ?? 1,
      arrivals: { kind: "day", date: opts.date ?? "2025-11-07", customers: opts.customers },
      faults: opts.faults ? DEFAULT_FAULTS : undefined,
    }).records(),
  ];
}

Deno.test("pyIsoformat writes Python's isoformat: 6 fraction digits, none when whole", () => {
  const us = Date.UTC(2025, 10, 7, 9, 32, 10) * 1000;
  assert.equal(pyIsoformat(us), "2025-11-07T09:32:10+00:00");
  assert.equal(pyIsoformat(us + 123456), "2025-11-07T09:32:10.123456+00:00");
  assert.equal(pyIsoformat(us + 500000), "2025-11-07T09:32:10.500000+00:00");
  assert.equal(parseIsoMicros(pyIsoformat(us + 7)), us + 7);
});

Deno.test("a day: the weekday's customers, in store hours, by slot share", () => {
  assert.equal(defaultCustomers("2025-11-07"), CUSTOMERS_BY_WEEKDAY[4]); // Friday
  assert.equal(defaultCustomers("2025-11-08"), CUSTOMERS_BY_WEEKDAY[5]); // Saturday
  const recs = day();
  const sessions = recs.filter((r) => r.kind === "session");
  assert.equal(sessions.length, 1200);
  const open = dayStartUs("2025-11-07") + 7 * 3600e6;
  const close = dayStartUs("2025-11-07") + 22 * 3600e6;
  const bySlot = new Map<string, number>();
  for (const s of sessions) {
    assert.ok(s.us >= open && s.us < close);
    const v = JSON.parse(s.value);
    assert.equal(v.weekday, "Friday");
    assert.equal(v.time_slot, timeSlotOf(s.us));
    bySlot.set(v.time_slot, (bySlot.get(v.time_slot) ?? 0) + 1);
  }
  // Friday: the after-work slot is the busiest.
  assert.equal([...bySlot].sort((a, b) => b[1] - a[1])[0][0], TIME_SLOTS[3].label);
});

Deno.test("records are in event-time order and shaped like the real producers'", () => {
  const recs = day({ customers: 300, faults: true });
  for (let i = 1; i < recs.length; i++) assert.ok(recs[i - 1].us <= recs[i].us);
  const sessions = new Map<string, { entry: number; exit: number }>();
  for (const r of recs) {
    if (r.kind === "invalid") continue;
    const v = JSON.parse(r.value);
    if (r.source === "foot") {
      assert.equal(r.key, v.customer_id);
      assert.equal(v.event_type, "foot_traffic");
      assert.match(v.entry_time, PY_ISO);
      assert.match(v.exit_time, PY_ISO);
      const entry = parseIsoMicros(v.entry_time), exit = parseIsoMicros(v.exit_time);
      assert.equal(r.us, r.kind === "session" ? entry : r.us); // sent at entry
      const minutes = (exit - entry) / 60e6;
      assert.ok(minutes >= 10 && minutes <= 75 + 1 / 60, `trip of ${minutes} min`);
      assert.equal(v.trip_duration_minutes, Math.round(minutes));
      sessions.set(v.customer_id, { entry, exit });
    } else {
      assert.equal(r.key, null);
      assert.match(v.timestamp, PY_ISO);
      assert.equal(parseIsoMicros(v.timestamp), r.us);
      if (r.kind === "weight_change") {
        assert.equal(v.event_type, "weight_change");
        assert.equal(typeof v.shelf_id, "string");
      } else {
        assert.ok(["pickup", "putback"].includes(v.event_type));
        assert.ok(Number.isInteger(v.quantity) && v.quantity > 0);
        const s = sessions.get(v.customer_id)!;
        assert.ok(s, "the session comes first");
        if (r.kind === "late") assert.ok(r.us > s.exit);
        else assert.ok(r.us > s.entry && r.us < s.exit);
      }
    }
  }
});

Deno.test("putbacks never exceed what the customer picked, except the injected stray ones", () => {
  for (const faults of [false, true]) {
    const held = new Map<string, number>();
    let stray = 0;
    for (const r of day({ customers: 1000, faults, seed: 9 })) {
      if (r.kind !== "pickup" && r.kind !== "putback") continue;
      const v = JSON.parse(r.value);
      const k = `${v.customer_id}/${v.item_id}`;
      const q = (held.get(k) ?? 0) + (r.kind === "pickup" ? v.quantity : -v.quantity);
      if (q < 0) stray++;
      held.set(k, Math.max(q, 0));
    }
    if (faults) assert.equal(stray, Math.ceil(1000 / DEFAULT_FAULTS.strayPutbackEvery));
    else assert.equal(stray, 0);
  }
});

Deno.test("faults: a few late, invalid and duplicate records, at least one each in a short day", () => {
  const count = (recs: SimRecord[], kind: string) => recs.filter((r) => r.kind === kind).length;
  const small = day({ customers: 10, faults: true });
  for (const k of ["late", "invalid", "duplicate_session"]) assert.equal(count(small, k), 1, k);
  const full = day({ faults: true });
  assert.equal(count(full, "late"), Math.ceil(1200 / DEFAULT_FAULTS.lateEvery));
  assert.equal(count(full, "invalid"), Math.ceil(1200 / DEFAULT_FAULTS.invalidEvery));
  const none = day({ faults: false });
  for (const k of ["late", "invalid", "duplicate_session"]) assert.equal(count(none, k), 0, k);
});

Deno.test("discounted items are picked more often", () => {
  const items: SimItem[] = [
    { id: "A", visibility: 0.1, weightGrams: 100 },
    { id: "B", visibility: 0.1, weightGrams: 100 },
  ];
  const sim = new StoreSimulation({
    items,
    discountOf: (id) => (id === "B" ? 0.4 : 0),
    seed: 3,
    arrivals: { kind: "day", date: "2025-11-07", customers: 2000 },
    noise: false,
  });
  const n = { A: 0, B: 0 };
  for (const r of sim.records()) {
    if (r.kind === "pickup") n[JSON.parse(r.value).item_id as "A" | "B"]++;
  }
  assert.ok(n.B > 2 * n.A, `A ${n.A}, B ${n.B}`);
});

Deno.test("rate arrivals: Poisson at the given rate from the start; a clock keeps the labels", () => {
  const start = Date.UTC(2026, 0, 1, 12) * 1000;
  const sim = new StoreSimulation({
    items: ITEMS,
    seed: 4,
    arrivals: { kind: "rate", startUs: start, perSecond: 2, customers: 4000 },
  });
  const sessions = [...sim.records()].filter((r) => r.kind === "session");
  assert.equal(sessions.length, 4000);
  const seconds = (sessions.at(-1)!.us - start) / 1e6;
  assert.ok(Math.abs(4000 / seconds - 2) < 0.15, `rate ${4000 / seconds}`);

  // A clock moves and speeds up the written times; the labels describe the modeled visit.
  const open = dayStartUs("2025-11-07") + 7 * 3600e6;
  const now = Date.UTC(2026, 0, 5, 15) * 1000;
  const fast = new StoreSimulation({
    items: ITEMS,
    seed: 1,
    clock: { modeledUs: open, writtenUs: now, timeScale: 60 },
    arrivals: { kind: "day", date: "2025-11-07", customers: 50 },
  });
  const plain = day({ customers: 50 });
  const moved = [...fast.records()];
  assert.equal(moved.length, plain.length);
  const a = JSON.parse(plain[0].value), b = JSON.parse(moved[0].value);
  const modeledTrip = parseIsoMicros(a.exit_time) - parseIsoMicros(a.entry_time);
  assert.equal(b.entry_time, pyIsoformat(now + Math.round((plain[0].us - open) / 60)));
  assert.equal(moved[0].us, parseIsoMicros(b.entry_time));
  assert.ok(
    Math.abs(parseIsoMicros(b.exit_time) - parseIsoMicros(b.entry_time) - modeledTrip / 60) <= 1,
  );
  assert.equal(b.weekday, a.weekday);
  assert.equal(b.time_slot, a.time_slot);
  assert.equal(b.trip_duration_minutes, a.trip_duration_minutes);
  assert.equal(b.customer_id, a.customer_id);
});

Deno.test("customer ids never repeat, in a run or across runs with other seeds", () => {
  const ids = (seed: number) =>
    day({ seed, customers: 300 }).filter((r) => r.kind === "session").map((r) => r.key!);
  // mulberry32's streams of two seeds are one stream shifted by k draws: seed + k × 0x6d2b79f5.
  const seen = new Set<string>();
  for (const seed of [1, 2, ...[1, 2, 3, 50].map((k) => (1 + k * 0x6d2b79f5) >>> 0)]) {
    for (const id of ids(seed)) {
      assert.ok(!seen.has(id), `customer ${id} again with seed ${seed}`);
      seen.add(id);
    }
  }
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      fc.integer({ min: 1, max: 400 }),
      (s, k) => {
        const a = new Set(ids(s));
        assert.equal(a.size, 300);
        for (const id of ids((s + k * 0x6d2b79f5) >>> 0)) assert.ok(!a.has(id));
      },
    ),
    { numRuns: 20 },
  );
});

Deno.test("property: the same seed gives the same records; another seed other ones", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 31 }),
      fc.integer({ min: 1, max: 60 }),
      (seed, n) => {
        const a = day({ seed, customers: n, faults: true });
        const b = day({ seed, customers: n, faults: true });
        assert.deepEqual(a, b);
        const c = day({ seed: seed + 1, customers: n, faults: true });
        assert.notDeepEqual(a.map((r) => r.value), c.map((r) => r.value));
      },
    ),
    { numRuns: 15 },
  );
});

Deno.test("generated catalog: unique ids, prices, weekly discounts 5–40% that PriceBook accepts", () => {
  const items = demoItems();
  assert.equal(items.length, 48);
  assert.equal(new Set(items.map((i) => i.shelf_id)).size, 48);
  for (const i of items) {
    assert.ok(i.item_price > 0 && /^\d+(\.\d{1,2})?$/.test(String(i.item_price)));
    assert.ok(i.item_visibility > 0 && i.item_weight > 0);
  }
  const at = Date.UTC(2025, 10, 7);
  const { discounts } = demoCatalog(at);
  const book = PriceBook.fromRows({ items, discounts });
  assert.equal(
    book.report.discounts.rejected && Object.keys(book.report.discounts.rejected).length,
    0,
  );
  const week = discounts.filter((d) => d.week === "2025-W45");
  assert.ok(week.length >= 3 && week.length <= 16, `${week.length} discounts in 2025-W45`);
  for (const d of discounts) {
    assert.ok((d.discount as number) >= 0.05 && (d.discount as number) <= 0.4);
  }
  // Deterministic, and different from week to week.
  assert.deepEqual(demoDiscounts(items, at, at), week);
  const next = discounts.filter((d) => d.week === "2025-W46").map((d) => d.shelf_id);
  assert.notDeepEqual(next, week.map((d) => d.shelf_id));
  const priced = book.priceCart([{ itemId: week[0].shelf_id!, quantity: 1 }], at + 12 * 3600e3);
  assert.equal(priced.lines[0].discount, week[0].discount);
});
