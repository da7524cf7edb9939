/**
 * The embedded demo: one simulated store day (lib/sim/store_simulation.ts) through the same engine
 * as the service, in event time (`CLOCK=event`, records in event-time order, both inputs caught
 * up, `flush()` at the end), summarised for a person. No Kafka, no network.
 *
 * `runDemo` is synchronous and deterministic (same options, same transactions and summary);
 * `loadDemoCatalog` reads the optional parquet files (the only I/O here).
 * @module
 */
import {
  CatalogError,
  Engine,
  type InputRecord,
  PriceBook,
  type Pricer,
  type Progress,
} from "../core/mod.ts";
import { driveRecords, EngineDriver } from "../drive/driver.ts";
import { MemoryCommitter } from "../drive/memory_committer.ts";
import { demoCatalog } from "./demo_catalog.ts";
import {
  dayStartUs,
  DEFAULT_FAULTS,
  type SimItem,
  StoreSimulation,
  timeSlotOf,
} from "./store_simulation.ts";
import { type Arrivals, type DemoResult, summarize } from "./demo_summary.ts";

/** The default day: a Friday in ISO week 2025-W45 (inside the real discount file's weeks). */
export const DEFAULT_DATE = "2025-11-07";

/** The catalog the demo prices with and picks from. */
export interface DemoCatalog {
  pricer: PriceBook;
  items: SimItem[];
  /** Display names by shelf id (when known). */
  names: Map<string, string>;
  /** "generated" or the inventory path. */
  source: string;
  /** The discount path, "generated", or null (no discounts). */
  discountSource: string | null;
}

/** The generated catalog (48 items, weekly discounts around `date`). */
export function generatedCatalog(date: string): DemoCatalog {
  const { items, discounts } = demoCatalog(dayStartUs(date) / 1000);
  return {
    pricer: PriceBook.fromRows({ items, discounts }),
    items: items.map((r) => ({
      id: r.shelf_id,
      visibility: r.item_visibility,
      weightGrams: r.item_weight,
    })),
    names: new Map(items.map((r) => [r.shelf_id, r.name])),
    source: "generated",
    discountSource: "generated",
  };
}

/**
 * The catalog from the service's parquet files: prices and discounts exactly as the service
 * loads them, plus visibility, unit weight and a name (subcategory) when the inventory has them.
 */
export async function loadDemoCatalog(
  storePath: string,
  discountPath: string | undefined,
): Promise<DemoCatalog> {
  const { initParquet, loadPriceBook } = await import("../catalog/loader.ts");
  const parquet = await initParquet();
  const book = discountPath !== undefined
    ? (await loadPriceBook({ storePath, discountPath })).book
    : parquet.priceBook(await readStore(storePath), undefined, { storeName: storePath });
  const bytes = await readStore(storePath);
  const have = new Set(parquet.columnNames(bytes));
  const cols = ["shelf_id", "item_visibility", "item_weight", "item_subcategory"].filter((c) =>
    have.has(c)
  );
  const t = parquet.readTable(bytes, cols);
  const col = (name: string) => (have.has(name) ? t.getChild(name) : null);
  const ids = col("shelf_id")!;
  const vis = col("item_visibility");
  const w = col("item_weight");
  const sub = col("item_subcategory");
  const byId = new Map<string, SimItem>();
  const names = new Map<string, string>();
  for (let i = 0; i < t.numRows; i++) {
    const id = ids.get(i);
    if (typeof id !== "string" || !book.has(id)) continue;
    const v = Number(vis?.get(i));
    const g = Number(w?.get(i));
    byId.delete(id); // the last row wins, as for prices
    byId.set(id, {
      id,
      visibility: Number.isFinite(v) && v > 0 ? v : 0.1,
      weightGrams: Number.isFinite(g) && g > 0 ? Math.round(g) : 500,
    });
    const s = sub?.get(i);
    if (typeof s === "string" && s !== "") names.set(id, s);
  }
  return {
    pricer: book,
    items: [...byId.values()],
    names,
    source: storePath,
    discountSource: book.report.discounts.present ? discountPath ?? null : null,
  };
}

async function readStore(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new CatalogError(`inventory file not found: ${path}`, { file: path });
    }
    throw e;
  }
}

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** The day, YYYY-MM-DD (UTC). */
  date: string;
  /** Customers; default the weekday's usual count. */
  customers?: number;
  seed: number;
  catalog: DemoCatalog;
  /** Inject realistic faults (late, invalid, duplicate, stray putback); default true. */
  faults?: boolean;
  graceSec?: number;
  maxSessionAgeSec?: number;
  /** Called now and then with customers done and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** One top item. */
const ENCODER = new TextEncoder();

/** Records between commits (and progress reports). */
const COMMIT_EVERY = 4096;
/**
 * Advancing every record or every 64 gives the same output: an event applied after its
 * customer's cutoff is late either way; only the moment of the checkout moves.
 */
const ADVANCE_EVERY = 64;

/** The simulation's records as input records, in event-time order; counts arrivals. */
function* simRecords(sim: StoreSimulation, arrivals: Arrivals): Generator<InputRecord> {
  for (const r of sim.records()) {
    if (r.kind === "session") {
      arrivals.customers++;
      const slot = timeSlotOf(r.us);
      arrivals.slotOf.set(r.key!, slot);
      arrivals.slotCustomers.set(slot, (arrivals.slotCustomers.get(slot) ?? 0) + 1);
    }
    yield {
      source: r.source,
      topic: r.source === "foot" ? "foot_traffic" : "shelf_events",
      partition: 0,
      offset: String(arrivals.records[r.source]++),
      value: ENCODER.encode(r.value),
      timestampMs: Math.floor(r.us / 1000),
    };
  }
}

/** One partition per input, complete at the end of the day. */
function dayProgress(caughtUp: boolean): Progress {
  return {
    partitions: [
      { source: "foot", partition: 0, caughtUp },
      { source: "shelf", partition: 0, caughtUp },
    ],
  };
}

/** Runs one simulated store day through the engine. Synchronous and deterministic. */
export function runDemo(opts: DemoOptions): DemoResult {
  const { catalog } = opts;
  const sim = new StoreSimulation({
    items: catalog.items,
    discountOf: (id, atMs) => catalog.pricer.discountHundredths(id, atMs) / 100,
    seed: opts.seed,
    arrivals: { kind: "day", date: opts.date, customers: opts.customers },
    faults: opts.faults === false ? undefined : DEFAULT_FAULTS,
  });
  const engine = new Engine({
    graceSec: opts.graceSec ?? 2,
    maxSessionAgeSec: opts.maxSessionAgeSec ?? 10800,
    forceCheckoutIfEmpty: false,
    pricer: catalog.pricer satisfies Pricer,
  });
  const committer = new MemoryCommitter();
  const driver = new EngineDriver<void, MemoryCommitter>(engine, committer);
  const arrivals: Arrivals = {
    customers: 0,
    slotCustomers: new Map(),
    slotOf: new Map(),
    records: { foot: 0, shelf: 0 },
  };
  // Records come in event-time order: stream time follows them, and the end of the day is the
  // end of the input (both partitions complete).
  const running = dayProgress(false), complete = dayProgress(true);
  const cadence = { advanceEvery: ADVANCE_EVERY, commitEvery: COMMIT_EVERY };
  for (
    const _ of driveRecords(
      driver,
      simRecords(sim, arrivals),
      () => running,
      () => complete,
      cadence,
    )
  ) {
    opts.onProgress?.(arrivals.customers, sim.customers);
  }
  opts.onProgress?.(arrivals.customers, sim.customers); // the final commit
  const out = committer.sortedTransactions();
  return {
    transactions: out.map((t) => t.value),
    summary: summarize(opts, out, arrivals, engine.metrics()),
  };
}

/** Sums over the transactions' lines, in cents. */
