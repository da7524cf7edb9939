/**
 * Engine hot-path benchmarks.
 *
 *   deno bench -A bench/engine_bench.ts                         (deno bench cases)
 *   deno run -A --v8-flags=--expose-gc bench/engine_bench.ts    (report: events/s vs the
 *                                                                 JSON.parse baseline, bytes/cart)
 */
import { Engine, type InputRecord } from "../lib/core/engine.ts";
import type { CartLine, PricedCart, Pricer } from "../lib/core/pricing/pricing.ts";

const pricer: Pricer = {
  priceCart(lines: readonly CartLine[]): PricedCart {
    return {
      lines: lines.map((l) => ({
        item_id: l.itemId,
        quantity: l.quantity,
        unit_price: 1.5,
        discount: 0,
        total_price: (150 * l.quantity) / 100,
      })),
      unknownItems: [],
      skipped: [],
    };
  },
};
const newEngine = () =>
  new Engine({
    graceSec: 2,
    maxSessionAgeSec: 10800,
    forceCheckoutIfEmpty: false,
    pricer,
  });

/** Python isoformat, microseconds. */
function iso(ms: number, us: number): string {
  return new Date(ms).toISOString().slice(0, 23) + String(us).padStart(3, "0") + "+00:00";
}

/**
 * `n` shelf events shaped like real traffic: `active` customers in the store at any time, each
 * doing `perCustomer` events (10% putbacks) over 200 items, 3 partitions, 2 ms apart.
 */
export function makeShelfRecords(
  n: number,
  active = 2000,
  perCustomer = 20,
  python = false,
): InputRecord[] {
  const enc = new TextEncoder();
  const t0 = Date.parse("2025-11-07T09:00:00Z");
  const slots: { id: string; left: number }[] = [];
  let next = 0;
  const newCustomer = () => ({
    id: `7f1c0e52-${String(next++).padStart(4, "0").slice(-4)}-4a1b-9c1d-${
      String(next).padStart(12, "0")
    }`,
    left: perCustomer,
  });
  for (let i = 0; i < active; i++) slots.push(newCustomer());
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const recs: InputRecord[] = [];
  for (let i = 0; i < n; i++) {
    const k = Math.floor(rnd() * active);
    const c = slots[k];
    if (--c.left === 0) slots[k] = newCustomer();
    const json = JSON.stringify({
      event_type: rnd() < 0.1 ? "putback" : "pickup",
      customer_id: c.id,
      item_id: `ITEM${Math.floor(rnd() * 200)}`,
      quantity: 1 + Math.floor(rnd() * 3),
      weight: 1500,
      timestamp: iso(t0 + i * 2, i % 1000),
    });
    // Python's json.dumps separators: ", " and ": " (no string here holds a comma or colon
    // followed by a quote, so the replacement only touches separators)
    const value = enc.encode(
      python
        ? json.replaceAll('","', '", "').replaceAll('":', '": ')
          .replaceAll(',"', ', "')
        : json,
    );
    recs.push({
      source: "shelf",
      topic: "shelf_events",
      partition: i % 3,
      offset: String(Math.floor(i / 3)),
      value,
      timestampMs: t0 + i * 2,
    });
  }
  return recs;
}

const PARTS = {
  partitions: [0, 1, 2].map((p) => ({ source: "shelf" as const, partition: p, caughtUp: false })),
};

/** decode + JSON.parse only: the baseline. */
export function baseline(recs: InputRecord[]): number {
  const dec = new TextDecoder();
  let x = 0;
  for (let i = 0; i < recs.length; i++) x += JSON.parse(dec.decode(recs[i].value!)).quantity;
  return x;
}

/** decode + validate + apply, with an advance() every 1000 records. */
export function engineRun(recs: InputRecord[]): Engine {
  const e = newEngine();
  for (let i = 0; i < recs.length; i++) {
    e.apply(recs[i]);
    if (i % 1000 === 999) e.advance(PARTS);
  }
  return e;
}

const small = makeShelfRecords(100_000);
Deno.bench("baseline: TextDecoder + JSON.parse (100k shelf events)", {
  group: "hot",
  baseline: true,
}, () => {
  baseline(small);
});
Deno.bench("engine: decode + validate + apply (100k shelf events)", { group: "hot" }, () => {
  engineRun(small);
});

// ---------------------------------------------------------------------------------------------
// Report mode (deno run --v8-flags=--expose-gc).

const gc = (globalThis as { gc?: () => void }).gc;

function rate(f: () => void, n: number): number {
  const t = performance.now();
  f();
  return n / ((performance.now() - t) / 1000);
}

function bytesPerCart(carts: number, lines: number): number {
  const enc = new TextEncoder();
  const recs: InputRecord[] = [];
  for (let c = 0; c < carts; c++) {
    const id = crypto.randomUUID();
    for (let l = 0; l < lines; l++) {
      recs.push({
        source: "shelf",
        topic: "s",
        partition: 0,
        offset: String(recs.length),
        value: enc.encode(JSON.stringify({
          event_type: "pickup",
          customer_id: id,
          item_id: `ITEM${(c * 7 + l * 13) % 500}`,
          quantity: 1 + (l % 3),
          timestamp: iso(Date.parse("2025-11-07T09:00:00Z") + c, l),
        })),
        timestampMs: 0,
      });
    }
  }
  const { bytes, engine } = heapGrowthApplying(recs);
  if (engine.metrics().openCarts !== carts) throw new Error("carts");
  return bytes / carts;
}

/**
 * Heap bytes a new engine holds after applying `recs` (after full collections; `recs` stay
 * alive through the reading, so only the engine's state is counted).
 */
function heapGrowthApplying(recs: InputRecord[]): { bytes: number; engine: Engine } {
  gc!();
  gc!();
  const before = Deno.memoryUsage().heapUsed;
  const engine = newEngine();
  for (const r of recs) engine.apply(r);
  engine.drainStateChanges(); // the dirty list is a per-commit buffer, not per-customer state
  gc!();
  gc!();
  const after = Deno.memoryUsage().heapUsed;
  if (recs.length === 0) throw new Error("no records");
  return { bytes: after - before, engine };
}

/** Heap bytes per open session without shelf events yet (a backlog's sessions come first). */
function bytesPerSession(sessions: number): number {
  const enc = new TextEncoder();
  const t0 = Date.parse("2025-11-07T09:00:00Z");
  const recs: InputRecord[] = [];
  for (let c = 0; c < sessions; c++) {
    recs.push({
      source: "foot",
      topic: "f",
      partition: 0,
      offset: String(c),
      value: enc.encode(JSON.stringify({
        event_type: "foot_traffic",
        customer_id: crypto.randomUUID(),
        entry_time: iso(t0 + c, 0),
        exit_time: iso(t0 + c + 1_200_000, 1),
      })),
      timestampMs: 0,
    });
  }
  const { bytes, engine } = heapGrowthApplying(recs);
  if (engine.metrics().openSessions !== sessions) throw new Error("sessions");
  return bytes / sessions;
}

if (gc !== undefined) {
  const N = 1_000_000;
  const recs = makeShelfRecords(N);
  // Alternating runs; the machine is shared, so the ratio of neighbouring runs is what counts.
  const ratios: number[] = [];
  const engines: number[] = [];
  const baselines: number[] = [];
  for (let rep = 0; rep < 7; rep++) {
    gc();
    const b = rate(() => baseline(recs), N);
    gc();
    const e = rate(() => engineRun(recs), N);
    ratios.push(e / b);
    engines.push(e);
    baselines.push(b);
    console.log(
      `1M shelf events, 2000 active customers, 3 partitions: baseline ${
        (b / 1e6).toFixed(2)
      } M/s, ` +
        `engine ${(e / 1e6).toFixed(2)} M/s, ratio ${(e / b).toFixed(2)}`,
    );
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  console.log(
    `median of 7: baseline ${(median(baselines) / 1e6).toFixed(2)} M/s, engine ${
      (median(engines) / 1e6).toFixed(2)
    } M/s, ratio ${median(ratios).toFixed(2)} (first run includes warm-up)`,
  );
  const py = makeShelfRecords(N, 2000, 20, true);
  const pyRatios: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    gc();
    const b = rate(() => baseline(py), N);
    gc();
    const e = rate(() => engineRun(py), N);
    pyRatios.push(e / b);
  }
  console.log(
    `same events with Python json.dumps separators (", ", ": "): median ratio ${
      median(pyRatios).toFixed(2)
    } of 3`,
  );
  console.log(
    `memory: ${bytesPerCart(100_000, 10).toFixed(0)} bytes per open cart (100k carts × 10 lines)`,
  );
  console.log(
    `memory: ${bytesPerSession(200_000).toFixed(0)} bytes per open session without events ` +
      `(200k sessions)`,
  );
}
