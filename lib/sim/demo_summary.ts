/**
 * The demo day's summary, computed from the transactions themselves (every money figure is an
 * exact sum in cents) and checked against the engine's own revenue counter.
 * @module
 */
import { DAY_MS, type EngineMetrics, isoWeekLabelOf } from "../core/mod.ts";
import { dayStartUs, TIME_SLOTS, timeSlotOf, weekdayIndex, WEEKDAYS } from "./store_simulation.ts";
import type { DemoCatalog } from "./demo.ts";

/** The day, seed and catalog a summary is about. */
export interface SummaryContext {
  date: string;
  seed: number;
  catalog: DemoCatalog;
}

/** Who came when: customers by entry slot, counted as the simulation's sessions go by. */
export interface Arrivals {
  customers: number;
  slotCustomers: Map<string, number>;
  /** customer id → entry slot */
  slotOf: Map<string, string>;
  records: { foot: number; shelf: number };
}

/** A committed transaction, with what the summary orders and groups it by. */
export interface SortedTx {
  us: number;
  customerId: string;
  value: string;
}

/** One of the best-selling items of the day. */
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

function cents(x: number): number {
  return Math.round(x * 100);
}

interface Tally {
  lines: number;
  itemsSold: number;
  revenueC: number;
  listC: number;
  discountedLines: number;
  perItem: Map<string, { quantity: number; cents: number }>;
  perSlot: Map<string, { transactions: number; cents: number }>;
}

interface TxLine {
  item_id: string;
  quantity: number;
  unit_price: number;
  discount: number;
  total_price: number;
}

/** Adds up the transactions: lines, items, money, per item and per entry slot. */
function tally(
  out: SortedTx[],
  arrivals: Arrivals,
): Tally {
  const t: Tally = {
    lines: 0,
    itemsSold: 0,
    revenueC: 0,
    listC: 0,
    discountedLines: 0,
    perItem: new Map(),
    perSlot: new Map(),
  };
  for (const tx of out) {
    let txC = 0;
    for (const l of (JSON.parse(tx.value) as { items: TxLine[] }).items) {
      t.lines++;
      t.itemsSold += l.quantity;
      const c = cents(l.total_price);
      txC += c;
      t.listC += l.quantity * cents(l.unit_price);
      if (l.discount > 0) t.discountedLines++;
      const p = t.perItem.get(l.item_id) ?? { quantity: 0, cents: 0 };
      p.quantity += l.quantity;
      p.cents += c;
      t.perItem.set(l.item_id, p);
    }
    t.revenueC += txC;
    const slot = arrivals.slotOf.get(tx.customerId) ?? timeSlotOf(tx.us);
    const s = t.perSlot.get(slot) ?? { transactions: 0, cents: 0 };
    s.transactions++;
    s.cents += txC;
    t.perSlot.set(slot, s);
  }
  return t;
}

/** The five best-selling items by quantity, then revenue, then id. */
function topItemsOf(t: Tally, names: Map<string, string>): TopItem[] {
  return [...t.perItem].sort((a, b) =>
    b[1].quantity - a[1].quantity || b[1].cents - a[1].cents || (a[0] < b[0] ? -1 : 1)
  ).slice(0, 5).map(([itemId, p]) => ({
    itemId,
    name: names.get(itemId) ?? null,
    quantity: p.quantity,
    revenue: p.cents / 100,
  }));
}

/** Customers, sales and revenue per time slot that had any. */
function bySlotOf(t: Tally, arrivals: Arrivals): DemoSummary["bySlot"] {
  const slots = [
    ...new Set([
      ...TIME_SLOTS.map((s) => s.label),
      ...arrivals.slotCustomers.keys(),
      ...t.perSlot.keys(),
    ]),
  ].sort();
  return slots.map((slot) => ({
    slot,
    customers: arrivals.slotCustomers.get(slot) ?? 0,
    transactions: t.perSlot.get(slot)?.transactions ?? 0,
    revenue: (t.perSlot.get(slot)?.cents ?? 0) / 100,
  })).filter((s) => s.customers > 0 || s.transactions > 0);
}

/** What the engine counted about the input's quality. */
function qualityOf(m: EngineMetrics): DemoSummary["quality"] {
  return {
    late: m.late,
    invalid: Object.values(m.invalid).reduce((x, y) => x + y, 0),
    invalidByReason: Object.fromEntries(Object.entries(m.invalid).filter(([, v]) => v > 0)),
    duplicateSessions: m.duplicateSessions,
    excessPutbacks: m.anomalies,
    skippedEvents: m.skipped,
    unknownItems: m.unknownItems,
  };
}

/** The summary, from the transactions themselves (checked against the engine's revenue). */
export function summarize(
  opts: SummaryContext,
  out: SortedTx[],
  arrivals: Arrivals,
  m: EngineMetrics,
): DemoSummary {
  const { catalog } = opts;
  const dayMs = dayStartUs(opts.date) / 1000;
  const noonMs = dayMs + DAY_MS / 2;
  const t = tally(out, arrivals);
  if (m.revenueCents !== t.revenueC) {
    throw new Error(`revenue mismatch: engine ${m.revenueCents} cents, lines ${t.revenueC} cents`);
  }
  return {
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
    customers: arrivals.customers,
    leftWithoutBuying: arrivals.customers - out.length,
    transactions: out.length,
    lines: t.lines,
    itemsSold: t.itemsSold,
    revenue: t.revenueC / 100,
    listPrice: t.listC / 100,
    discountGiven: (t.listC - t.revenueC) / 100,
    discountedLines: t.discountedLines,
    averageBasket: out.length === 0 ? 0 : Math.round(t.revenueC / out.length) / 100,
    bySlot: bySlotOf(t, arrivals),
    topItems: topItemsOf(t, catalog.names),
    records: { foot: arrivals.records.foot, shelf: arrivals.records.shelf },
    quality: qualityOf(m),
  };
}
