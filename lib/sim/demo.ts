/**
 * The embedded demo: one simulated store day (lib/sim/store_simulation.ts) through the same engine
 * as the service, in event time (`CLOCK=event`, records in event-time order, both inputs caught
 * up, `flush()` at the end), summarised for a person. No Kafka, no network.
 *
 * `runDemo` is synchronous and deterministic (same options, same transactions and summary);
 * `loadDemoCatalog` reads the optional parquet files (the only I/O here).
 * @module
 */
import { Engine, type InputRecord } from "../core/engine.ts";
import { CatalogError, PriceBook } from "../core/price_book.ts";
import type { Pricer } from "../core/pricing.ts";
import { demoCatalog } from "./demo_catalog.ts";
import {
  dayStartUs,
  DEFAULT_FAULTS,
  type SimItem,
  StoreSimulation,
  TIME_SLOTS,
  timeSlotOf,
  weekdayIndex,
  WEEKDAYS,
} from "./store_simulation.ts";
import { DAY_MS, isoWeekLabelOf } from "../core/iso_week.ts";
import { parseIsoMicros } from "../core/timestamps.ts";

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
  const { initParquet, loadPriceBook, parquetColumns, priceBookFromParquet, readParquetTable } =
    await import("../catalog/loader.ts");
  await initParquet();
  const book = discountPath !== undefined
    ? (await loadPriceBook({ storePath, discountPath })).book
    : priceBookFromParquet(await readStore(storePath), undefined, { storeName: storePath });
  const bytes = await readStore(storePath);
  const have = new Set(parquetColumns(bytes));
  const cols = ["shelf_id", "item_visibility", "item_weight", "item_subcategory"].filter((c) =>
    have.has(c)
  );
  const t = readParquetTable(bytes, cols);
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
export interface TopItem {
  itemId: string;
  name: string | null;
  quantity: number;
  revenue: number;
}

/** What the demo day came to. Every money figure is the exact sum over the transactions. */
export interface DemoSummary {
  date: string;
  weekday: string;
  isoWeek: string;
  seed: number;
  catalog: {
    source: string;
    discounts: string | null;
    items: number;
    /** Items with a discount on that day. */
    discountedItems: number;
  };
  customers: number;
  /** Customers who left without buying (empty cart at checkout). */
  leftWithoutBuying: number;
  transactions: number;
  lines: number;
  itemsSold: number;
  /** Sum of `total_price`. */
  revenue: number;
  /** Sum of `quantity × unit_price` (before discounts). */
  listPrice: number;
  /** listPrice − revenue. */
  discountGiven: number;
  /** Lines with a discount. */
  discountedLines: number;
  averageBasket: number;
  bySlot: { slot: string; customers: number; transactions: number; revenue: number }[];
  topItems: TopItem[];
  records: { foot: number; shelf: number };
  quality: {
    late: number;
    invalid: number;
    invalidByReason: Record<string, number>;
    duplicateSessions: number;
    excessPutbacks: number;
    skippedEvents: Record<string, number>;
    unknownItems: number;
  };
}

/** What {@link runDemo} gives back. */
export interface DemoResult {
  /** Transaction values (JSON), ordered by timestamp, then customer_id. */
  transactions: string[];
  summary: DemoSummary;
}

const ENCODER = new TextEncoder();

function cents(x: number): number {
  return Math.round(x * 100);
}

/** Runs one simulated store day through the engine. Synchronous and deterministic. */
export function runDemo(opts: DemoOptions): DemoResult {
  const { catalog } = opts;
  const dayMs = dayStartUs(opts.date) / 1000;
  const pricer: Pricer = catalog.pricer;
  const noonMs = dayMs + DAY_MS / 2;
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
    pricer,
  });
  // Records come in event-time order: stream time follows them, and the end of the day is the
  // end of the input (both partitions complete).
  const running = {
    partitions: [
      { source: "foot" as const, partition: 0, caughtUp: false },
      { source: "shelf" as const, partition: 0, caughtUp: false },
    ],
  };
  const complete = {
    partitions: running.partitions.map((p) => ({ ...p, caughtUp: true })),
  };
  const offsets = { foot: 0, shelf: 0 };
  const slotCustomers = new Map<string, number>();
  const slotOf = new Map<string, string>(); // customer id → entry slot
  const out: { us: number; customerId: string; value: string }[] = [];
  const drain = () => {
    for (const t of engine.drainOutput().transactions) {
      out.push({ us: parseIsoMicros(t.timestamp), customerId: t.customerId, value: t.value });
    }
  };
  let n = 0;
  let customersSeen = 0;
  for (const r of sim.records()) {
    if (r.kind === "session") {
      customersSeen++;
      const slot = timeSlotOf(r.us);
      slotOf.set(r.key!, slot);
      slotCustomers.set(slot, (slotCustomers.get(slot) ?? 0) + 1);
    }
    const rec: InputRecord = {
      source: r.source,
      topic: r.source === "foot" ? "foot_traffic" : "shelf_events",
      partition: 0,
      offset: String(offsets[r.source]++),
      value: ENCODER.encode(r.value),
      timestampMs: Math.floor(r.us / 1000),
    };
    engine.apply(rec);
    // Advancing every record or every 64 gives the same output: an event applied after its
    // customer's cutoff is late either way; only the moment of the checkout moves.
    if (++n % 64 === 0) engine.advance(running);
    if (n % 4096 === 0) {
      drain();
      opts.onProgress?.(customersSeen, sim.customers);
    }
  }
  engine.advance(complete);
  engine.flush();
  drain();
  opts.onProgress?.(customersSeen, sim.customers);
  out.sort((a, b) =>
    a.us - b.us || (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0)
  );

  // The summary, from the transactions themselves.
  let lines = 0, itemsSold = 0, revenueC = 0, listC = 0, discountedLines = 0;
  const perItem = new Map<string, { quantity: number; cents: number }>();
  const perSlot = new Map<string, { transactions: number; cents: number }>();
  for (const t of out) {
    const tx = JSON.parse(t.value) as {
      items: {
        item_id: string;
        quantity: number;
        unit_price: number;
        discount: number;
        total_price: number;
      }[];
    };
    let txC = 0;
    for (const l of tx.items) {
      lines++;
      itemsSold += l.quantity;
      const c = cents(l.total_price);
      txC += c;
      listC += l.quantity * cents(l.unit_price);
      if (l.discount > 0) discountedLines++;
      const p = perItem.get(l.item_id) ?? { quantity: 0, cents: 0 };
      p.quantity += l.quantity;
      p.cents += c;
      perItem.set(l.item_id, p);
    }
    revenueC += txC;
    const slot = slotOf.get(t.customerId) ?? timeSlotOf(t.us);
    const s = perSlot.get(slot) ?? { transactions: 0, cents: 0 };
    s.transactions++;
    s.cents += txC;
    perSlot.set(slot, s);
  }
  const m = engine.metrics();
  if (m.revenueCents !== revenueC) {
    throw new Error(`revenue mismatch: engine ${m.revenueCents} cents, lines ${revenueC} cents`);
  }
  const topItems = [...perItem].sort((a, b) =>
    b[1].quantity - a[1].quantity || b[1].cents - a[1].cents || (a[0] < b[0] ? -1 : 1)
  ).slice(0, 5).map(([itemId, p]) => ({
    itemId,
    name: catalog.names.get(itemId) ?? null,
    quantity: p.quantity,
    revenue: p.cents / 100,
  }));
  const slots = [
    ...new Set([...TIME_SLOTS.map((s) => s.label), ...slotCustomers.keys(), ...perSlot.keys()]),
  ]
    .sort();
  const invalidByReason = Object.fromEntries(Object.entries(m.invalid).filter(([, v]) => v > 0));
  return {
    transactions: out.map((t) => t.value),
    summary: {
      date: opts.date,
      weekday: WEEKDAYS[weekdayIndex(dayMs * 1000)],
      isoWeek: isoWeekLabelOf(dayMs),
      seed: opts.seed,
      catalog: {
        source: catalog.source,
        discounts: catalog.discountSource,
        items: catalog.items.length,
        discountedItems:
          catalog.items.filter((it) => catalog.pricer.discountHundredths(it.id, noonMs) > 0).length,
      },
      customers: customersSeen,
      leftWithoutBuying: customersSeen - out.length,
      transactions: out.length,
      lines,
      itemsSold,
      revenue: revenueC / 100,
      listPrice: listC / 100,
      discountGiven: (listC - revenueC) / 100,
      discountedLines,
      averageBasket: out.length === 0 ? 0 : Math.round(revenueC / out.length) / 100,
      bySlot: slots.map((slot) => ({
        slot,
        customers: slotCustomers.get(slot) ?? 0,
        transactions: perSlot.get(slot)?.transactions ?? 0,
        revenue: (perSlot.get(slot)?.cents ?? 0) / 100,
      })).filter((s) => s.customers > 0 || s.transactions > 0),
      topItems,
      records: { foot: offsets.foot, shelf: offsets.shelf },
      quality: {
        late: m.late,
        invalid: Object.values(m.invalid).reduce((x, y) => x + y, 0),
        invalidByReason,
        duplicateSessions: m.duplicateSessions,
        excessPutbacks: m.anomalies,
        skippedEvents: m.skipped,
        unknownItems: m.unknownItems,
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// text

const MONEY = new Intl.NumberFormat("en-US", {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});
const INT = new Intl.NumberFormat("en-US");

function money(x: number): string {
  return MONEY.format(x);
}

function int(x: number): string {
  return INT.format(x);
}

function pct(part: number, whole: number): string {
  return whole === 0 ? "0%" : `${(100 * part / whole).toFixed(1)}%`;
}

/** The summary as text; `color` adds ANSI bold/dim (only for a terminal). */
export function formatSummary(s: DemoSummary, color = false): string {
  const b = (t: string) => (color ? `\x1b[1m${t}\x1b[22m` : t);
  const dim = (t: string) => (color ? `\x1b[2m${t}\x1b[22m` : t);
  const lines: string[] = [];
  lines.push(
    b(`pos-producer demo: ${s.weekday} ${s.date} (ISO week ${s.isoWeek}), seed ${s.seed}`),
  );
  const disc = s.catalog.discounts === null
    ? "no discount file"
    : s.catalog.discountedItems === 0
    ? `no discounts this week (${s.catalog.discounts})`
    : `${int(s.catalog.discountedItems)} on discount this week`;
  lines.push(dim(`catalog: ${s.catalog.source}, ${int(s.catalog.items)} items, ${disc}`));
  lines.push("");
  const rows: [string, string, string][] = [
    ["customers", int(s.customers), `${int(s.leftWithoutBuying)} left without buying`],
    ["transactions", int(s.transactions), `${int(s.lines)} lines`],
    ["items sold", int(s.itemsSold), ""],
    ["revenue", money(s.revenue), `list price ${money(s.listPrice)}`],
    [
      "discount given",
      money(s.discountGiven),
      `${pct(s.discountGiven, s.listPrice)} of list, on ${int(s.discountedLines)} lines`,
    ],
    ["average basket", money(s.averageBasket), ""],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  for (const [k, v, note] of rows) {
    lines.push(`  ${k.padEnd(w0)}  ${v.padStart(w1)}${note ? "  " + dim(note) : ""}`);
  }
  lines.push("", b("by time slot"));
  const sw = Math.max(...s.bySlot.map((x) => money(x.revenue).length), 7);
  lines.push(
    dim(
      `  ${"slot".padEnd(11)}  ${"customers".padStart(9)}  ${"sales".padStart(6)}  ${
        "revenue".padStart(sw)
      }`,
    ),
  );
  for (const x of s.bySlot) {
    lines.push(
      `  ${x.slot.padEnd(11)}  ${int(x.customers).padStart(9)}  ${
        int(x.transactions).padStart(6)
      }  ${money(x.revenue).padStart(sw)}`,
    );
  }
  lines.push("", b("top items"));
  const iw = Math.max(...s.topItems.map((t) => t.itemId.length), 4);
  const nw = Math.max(...s.topItems.map((t) => (t.name ?? "").length), 0);
  s.topItems.forEach((t, k) => {
    lines.push(
      `  ${k + 1}. ${t.itemId.padEnd(iw)}  ${(t.name ?? "").padEnd(nw)}  ${
        int(t.quantity).padStart(5)
      } sold  ${money(t.revenue).padStart(9)}`,
    );
  });
  const q = s.quality;
  const reasons = Object.entries(q.invalidByReason).map(([r, n]) => `${r} ${n}`).join(", ");
  const skipped = Object.entries(q.skippedEvents).map(([k, n]) =>
    `${k.replace(/^\w+:/, "")} ${int(n)}`
  )
    .join(", ");
  lines.push("", b("data quality"));
  const qrows: [string, string, string][] = [
    ["late shelf events", int(q.late), "after the customer's exit: to the DLQ, not billed"],
    ["invalid records", int(q.invalid), reasons ? `to the DLQ: ${reasons}` : ""],
    ["duplicate sessions", int(q.duplicateSessions), "sent twice by the producer; ignored"],
    ["excess putbacks", int(q.excessPutbacks), "put back more than picked; clamped at 0"],
    ["unknown items", int(q.unknownItems), "not in the inventory"],
    [
      "other shelf events",
      int(Object.values(q.skippedEvents).reduce((x, y) => x + y, 0)),
      skipped ? `skipped: ${skipped}` : "",
    ],
  ];
  const qw0 = Math.max(...qrows.map((r) => r[0].length));
  const qw1 = Math.max(...qrows.map((r) => r[1].length));
  for (const [k, v, note] of qrows) {
    lines.push(`  ${k.padEnd(qw0)}  ${v.padStart(qw1)}${note ? "  " + dim(note) : ""}`);
  }
  lines.push(
    "",
    dim(`records: ${int(s.records.foot)} foot sessions, ${int(s.records.shelf)} shelf events`),
  );
  return lines.join("\n");
}
