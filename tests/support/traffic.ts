/**
 * Traffic shaped like the real upstream producers, for service tests: foot sessions sent at
 * entry and keyed by customer, shelf events unkeyed with `weight_change` and `restock` noise,
 * Python `isoformat()` timestamps with microseconds. Deterministic for a seed.
 * @module
 */
import { tableFromArrays } from "apache-arrow";
import { initParquet, writeParquetBytes } from "../../lib/catalog/loader.ts";

// The simulator's PRNG and Python isoformat, so test traffic and `simulate` agree.
export { mulberry32 as rng, pyIsoformat as pyIso } from "../../lib/sim/store_simulation.ts";
import { mulberry32 as rng, pyIsoformat as pyIso } from "../../lib/sim/store_simulation.ts";

/** One record as a producer would send it. */
export interface TrafficRecord {
  key: string | null;
  value: string;
  /** Event time, epoch µs (used for ordering only). */
  us: number;
}

/** Generated traffic for both topics, in production order (by event time). */
export interface Traffic {
  foot: TrafficRecord[];
  shelf: TrafficRecord[];
  customers: string[];
  items: string[];
}

/** Item ids of the test catalog; the last few are not in it (unknown items). */
export const TEST_ITEMS = Array.from({ length: 40 }, (_, i) => `ITEM${String(i).padStart(3, "0")}`);

/** Generates `customers` shoppers starting at `startUs`, one every `spacingUs`. */
export function generateTraffic(opts: {
  customers: number;
  seed?: number;
  startUs?: number;
  spacingUs?: number;
  unknownItems?: boolean;
}): Traffic {
  const rand = rng(opts.seed ?? 1);
  const start = opts.startUs ?? Date.UTC(2025, 10, 7, 9, 0, 0) * 1000;
  const spacing = opts.spacingUs ?? 7_000_000;
  const foot: TrafficRecord[] = [];
  const shelf: TrafficRecord[] = [];
  const customers: string[] = [];
  const items = opts.unknownItems === false ? TEST_ITEMS.slice(0, 36) : TEST_ITEMS;
  for (let c = 0; c < opts.customers; c++) {
    const id = uuidFrom(rand);
    customers.push(id);
    const entry = start + c * spacing + Math.floor(rand() * 1_000_000);
    const tripUs = (10 + Math.floor(rand() * 65)) * 60_000_000 + Math.floor(rand() * 1e6);
    const exit = entry + tripUs;
    foot.push({
      key: id,
      us: entry,
      value: JSON.stringify({
        event_type: "foot_traffic",
        customer_id: id,
        entry_time: pyIso(entry),
        exit_time: pyIso(exit),
        trip_duration_minutes: Math.round(tripUs / 60e6),
        weekday: "Friday",
        time_slot: "07:00–09:59",
      }),
    });
    const n = 1 + Math.floor(rand() * 8);
    const picked: string[] = [];
    for (let e = 0; e < n; e++) {
      const t = entry + Math.floor(((e + 1) / (n + 1)) * tripUs);
      let type = "pickup";
      let item = items[Math.floor(rand() * items.length)];
      if (picked.length > 0 && rand() < 0.2) {
        type = "putback";
        item = picked[Math.floor(rand() * picked.length)];
      } else picked.push(item);
      shelf.push({
        key: null,
        us: t,
        value: JSON.stringify({
          event_type: type,
          customer_id: id,
          item_id: item,
          quantity: 1 + Math.floor(rand() * 3),
          weight: Math.floor(rand() * 2000),
          timestamp: pyIso(t),
        }),
      });
      if (rand() < 0.3) {
        shelf.push({
          key: null,
          us: t + 1,
          value: JSON.stringify({
            event_type: rand() < 0.5 ? "weight_change" : "restock",
            shelf_id: item,
            weight: Math.floor(rand() * 5000),
            timestamp: pyIso(t + 1),
          }),
        });
      }
    }
  }
  foot.sort((a, b) => a.us - b.us);
  shelf.sort((a, b) => a.us - b.us);
  return { foot, shelf, customers, items };
}

function uuidFrom(rand: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16)).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${
    hex.slice(20)
  }`;
}

/** Writes the test inventory (the first 36 test items) and a weekly discount file. */
export async function writeTestCatalog(dir: string): Promise<{ store: string; discounts: string }> {
  await initParquet();
  const known = TEST_ITEMS.slice(0, 36);
  const store = `${dir}/store.parquet`;
  const discounts = `${dir}/discounts.parquet`;
  await Deno.writeFile(
    store,
    writeParquetBytes(tableFromArrays({
      shelf_id: known,
      item_price: Float64Array.from(known, (_, i) => 0.5 + i * 1.15),
    })),
  );
  const weeks = ["2025-W44", "2025-W45", "2025-W46"];
  const ids: string[] = [];
  const wk: string[] = [];
  const disc: number[] = [];
  for (const w of weeks) {
    known.forEach((id, i) => {
      if (i % 3 === 0) {
        ids.push(id);
        wk.push(w);
        disc.push(((i % 7) * 5) / 100);
      }
    });
  }
  await Deno.writeFile(
    discounts,
    writeParquetBytes(
      tableFromArrays({ shelf_id: ids, week: wk, discount: Float64Array.from(disc) }),
    ),
  );
  return { store, discounts };
}

/**
 * Both topics' records merged by event time and cut into `slices` consecutive time windows, as
 * real-time producers would have sent them (foot sessions at entry, shelf events as they
 * happen). Every record of a window is earlier than every record of the next.
 */
export function timeSlices(
  traffic: { foot: TrafficRecord[]; shelf: TrafficRecord[] },
  slices: number,
): { foot: TrafficRecord[]; shelf: TrafficRecord[] }[] {
  const times = [...traffic.foot, ...traffic.shelf].map((r) => r.us).sort((a, b) => a - b);
  const bounds = Array.from(
    { length: slices - 1 },
    (_, i) => times[Math.floor(((i + 1) * times.length) / slices)],
  );
  const sliceOf = (us: number) => {
    let i = 0;
    while (i < bounds.length && us >= bounds[i]) i++;
    return i;
  };
  const out = Array.from({ length: slices }, () => ({
    foot: [] as TrafficRecord[],
    shelf: [] as TrafficRecord[],
  }));
  for (const r of traffic.foot) out[sliceOf(r.us)].foot.push(r);
  for (const r of traffic.shelf) out[sliceOf(r.us)].shelf.push(r);
  return out;
}

/**
 * A session far after the traffic that moves event-time stream time (`CLOCK=event`) past every
 * checkout, as the next real shopper would. It has no cart, so it emits nothing.
 */
export function clockTick(
  traffic: { foot: TrafficRecord[]; shelf: TrafficRecord[] },
): TrafficRecord {
  const last = Math.max(...traffic.foot.map((r) => r.us), ...traffic.shelf.map((r) => r.us));
  const entry = last + 6 * 3600_000_000; // beyond MAX_SESSION_AGE_SEC too
  return {
    key: "clock-tick",
    us: entry,
    value: JSON.stringify({
      event_type: "foot_traffic",
      customer_id: "clock-tick",
      entry_time: pyIso(entry),
      exit_time: pyIso(entry + 1_000_000),
    }),
  };
}
