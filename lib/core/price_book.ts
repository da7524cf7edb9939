/**
 * The price book (SPEC §4): unit prices by `shelf_id` and weekly discounts by (`shelf_id`, ISO
 * week), indexed once per load, pricing whole carts with exact integer money. Pure: built from
 * Arrow tables or plain rows, no file, clock or timer (loading lives in lib/catalog/loader.ts,
 * hot reload in lib/catalog/watcher.ts).
 * @module
 */
import type { CartLine, PricedCart, PricedLine, Pricer, UnknownItemPolicy } from "./pricing.ts";
import { arrowSource, type ColumnSource, rowSource } from "../catalog/arrow_columns.ts";
import { discountHundredthsFromPrices, lineTotalCents, scaleDecimal } from "./money.ts";
import { DAY_MS, isoWeekKey, isoWeekLabel, parseIsoWeekLabel } from "./iso_week.ts";

/** The unknown-item policy the original pipeline used: price 5.0. */
export const DEFAULT_UNKNOWN_ITEM: UnknownItemPolicy = { kind: "price", price: 5.0 };

/** Largest discount applied (SPEC §4: clamped to [0, 0.95]). */
export const MAX_DISCOUNT_HUNDREDTHS = 95;

/** A catalog that cannot be used: names the file (when known) and the missing columns. */
export class CatalogError extends Error {
  /** The file, when the error came from one. */
  file: string | undefined;
  /** Columns the file lacks (empty when the problem is something else). */
  readonly missingColumns: readonly string[];
  constructor(message: string, options: { file?: string; missingColumns?: string[] } = {}) {
    super(message);
    this.name = "CatalogError";
    this.file = options.file;
    this.missingColumns = options.missingColumns ?? [];
  }
}

/** What the inventory load found. */
export interface InventoryReport {
  /** Where the rows came from (a path, or "rows"). */
  source: string;
  rows: number;
  /** Rows that gave a price (every row but the rejected ones). */
  acceptedRows: number;
  /** Distinct shelf ids with a price. */
  uniqueShelfIds: number;
  /** Shelf ids on more than one accepted row (the last row wins). */
  duplicatedIds: number;
  /** Accepted rows overridden by a later row of the same id. */
  overriddenRows: number;
  /** Rejected rows by reason. */
  rejected: Record<string, number>;
  /** The price column read. */
  priceColumn: string;
}

/** What the discount load found. */
export interface DiscountReport {
  /** Where the rows came from (a path, or "rows"); null without discounts. */
  source: string | null;
  /** False when there is no discount file (no discounts apply). */
  present: boolean;
  rows: number;
  acceptedRows: number;
  rejected: Record<string, number>;
  /** The discount column(s) read, e.g. "discount" or "original_price/discounted_price". */
  discountColumn: string | null;
  /** The week column(s) read, e.g. "week" or "week_start/week_end". */
  weekColumn: string | null;
  /** ISO weeks with at least one discount, the first and last, and the weeks between without. */
  weeks: { count: number; first: string | null; last: string | null; gaps: string[] };
  /** Accepted rows whose shelf id is not in the inventory, and how many such ids. */
  shelvesNotInInventory: { rows: number; ids: number; sample: string[] };
  /** Rows whose (shelf_id, week) an earlier row already had (the last row wins). */
  duplicatePairs: number;
  /** Rows whose discount was above 0.95 and was clamped. */
  clampedRows: number;
  /**
   * Rows that carry both a week label and a date pair that name different ISO weeks (the label
   * is used), with one example.
   */
  weekLabelMismatches: { rows: number; example: string | null };
  /**
   * Rows whose week range came from timestamp columns that are all at midnight, read as dates
   * (the end date covers its whole day), or 0.
   */
  midnightRangesAsDates: number;
}

/** The load report: what was read, what was rejected and why. */
export interface LoadReport {
  inventory: InventoryReport;
  discounts: DiscountReport;
  /** Human-readable warnings (missing discount file, mismatches, …). */
  warnings: string[];
}

/** One inventory row for {@link PriceBook.fromRows}. */
export interface ItemRow {
  shelf_id: string | null;
  item_price: number | string | null;
  [column: string]: unknown;
}

/** One discount row for {@link PriceBook.fromRows}: any of the shapes of SPEC §4. */
export interface DiscountRow {
  shelf_id: string | null;
  discount?: number | string | null;
  discount_pct?: number | string | null;
  original_price?: number | string | null;
  discounted_price?: number | string | null;
  week?: string | null;
  week_start?: string | number | Date | null;
  week_end?: string | number | Date | null;
  start_date?: string | number | Date | null;
  end_date?: string | number | Date | null;
  [column: string]: unknown;
}

/** Options of every PriceBook constructor. */
export interface PriceBookOptions {
  /** `UNKNOWN_ITEM_PRICE`; default {@link DEFAULT_UNKNOWN_ITEM} (price 5.0). */
  unknownItem?: UnknownItemPolicy;
  /** Source names for the report (paths). */
  inventorySource?: string;
  discountSource?: string | null;
}

/** A discount that covers only part of a week (a date range not aligned to ISO weeks). */
interface PartialDiscount {
  from: number; // epoch ms, inclusive
  to: number; // epoch ms, exclusive
  hundredths: number;
}

const NONE = 255;
const MAX_RANGE_WEEKS = 1060; // ~20 years: longer ranges are treated as unparseable

/** The tables a PriceBook prices from; shared between books that differ only in policy. */
interface Tables {
  ordinal: Map<string, number>;
  cents: Float64Array; // NaN = not in the inventory (an id known only from discounts)
  weeks: Map<number, Uint8Array>; // week key → hundredths by ordinal, NONE = no discount
  partial: Map<number, Map<number, PartialDiscount[]>>; // week key → ordinal → ranges in order
  inventorySize: number;
}

function unknownCents(policy: UnknownItemPolicy): number | undefined {
  if (policy.kind === "skip") return undefined;
  if (!Number.isFinite(policy.price) || policy.price < 0) {
    throw new RangeError(`unknown-item price must be a number >= 0, got ${policy.price}`);
  }
  return scaleDecimal(policy.price, 2);
}

function bump(counts: Record<string, number>, reason: string): void {
  counts[reason] = (counts[reason] ?? 0) + 1;
}

/** A {@link PriceBook} as plain data (see {@link PriceBook.toIndexed}). */
export interface IndexedBook {
  readonly tables: Tables;
  readonly report: LoadReport;
  readonly unknownItem: UnknownItemPolicy;
}

/** Prices whole carts from an indexed inventory and discount table. Immutable. */
export class PriceBook implements Pricer {
  readonly #t: Tables;
  readonly #unknownCents: number | undefined;
  /** The unknown-item policy in force. */
  readonly unknownItem: UnknownItemPolicy;
  /** What the load found. */
  readonly report: LoadReport;

  private constructor(tables: Tables, report: LoadReport, unknownItem: UnknownItemPolicy) {
    this.#t = tables;
    this.report = report;
    this.unknownItem = unknownItem;
    this.#unknownCents = unknownCents(unknownItem);
  }

  /**
   * Indexes an inventory and an optional discount table given as columns (see
   * {@link fromTables} and {@link fromRows} for the usual entry points). Throws a
   * {@link CatalogError} naming missing columns, or when the inventory has no usable row.
   */
  static fromColumns(
    inventory: ColumnSource,
    discounts: ColumnSource | undefined,
    options: PriceBookOptions = {},
  ): PriceBook {
    const policy = options.unknownItem ?? DEFAULT_UNKNOWN_ITEM;
    unknownCents(policy); // validate before the work
    const { tables, report } = buildTables(inventory, discounts, options);
    return new PriceBook(tables, report, policy);
  }

  /**
   * The book as structured-cloneable data, so it can be indexed in a worker (whose memory goes
   * when it ends) and handed to the main thread; {@link fromIndexed} rebuilds it.
   */
  toIndexed(): IndexedBook {
    return { tables: this.#t, report: this.report, unknownItem: this.unknownItem };
  }

  /** The book {@link toIndexed} described. */
  static fromIndexed(data: IndexedBook): PriceBook {
    return new PriceBook(data.tables, data.report, data.unknownItem);
  }

  /** Indexes Arrow tables (as read from parquet). `discounts` undefined = no discounts. */
  static fromTables(
    inventory: Parameters<typeof arrowSource>[0],
    discounts: Parameters<typeof arrowSource>[0] | undefined,
    options: PriceBookOptions = {},
  ): PriceBook {
    return PriceBook.fromColumns(
      arrowSource(inventory),
      discounts ? arrowSource(discounts) : undefined,
      options,
    );
  }

  /**
   * Builds a book from plain rows, e.g.
   * `PriceBook.fromRows({items: [{shelf_id: "A1", item_price: 3.5}],
   *   discounts: [{shelf_id: "A1", week: "2025-W45", discount: 0.1}]})`.
   * Same rules as the files: last row wins, rejected rows are counted in `report`.
   */
  static fromRows(
    input: {
      items: readonly ItemRow[];
      discounts?: readonly DiscountRow[];
      unknownItem?: UnknownItemPolicy;
    },
  ): PriceBook {
    return PriceBook.fromColumns(
      rowSource(input.items),
      input.discounts ? rowSource(input.discounts) : undefined,
      {
        unknownItem: input.unknownItem,
        inventorySource: "rows",
        discountSource: input.discounts ? "rows" : null,
      },
    );
  }

  /** The same tables with another unknown-item policy (no re-indexing). */
  withUnknownItem(policy: UnknownItemPolicy): PriceBook {
    return new PriceBook(this.#t, this.report, policy);
  }

  /** Number of shelf ids with a price. */
  get size(): number {
    return this.#t.inventorySize;
  }

  /** True when `itemId` is in the inventory. */
  has(itemId: string): boolean {
    const o = this.#t.ordinal.get(itemId);
    return o !== undefined && !Number.isNaN(this.#t.cents[o]);
  }

  /** Unit price in cents of `itemId`, or undefined when it is not in the inventory. */
  unitCents(itemId: string): number | undefined {
    const o = this.#t.ordinal.get(itemId);
    if (o === undefined) return undefined;
    const c = this.#t.cents[o];
    return Number.isNaN(c) ? undefined : c;
  }

  /** Discount of `itemId` at `atEpochMs` in hundredths (0 when none). */
  discountHundredths(itemId: string, atEpochMs: number): number {
    const o = this.#t.ordinal.get(itemId);
    if (o === undefined) return 0;
    const key = isoWeekKey(atEpochMs);
    return this.#discountAt(o, key, this.#t.weeks.get(key), atEpochMs);
  }

  #discountAt(
    ordinal: number,
    key: number,
    week: Uint8Array | undefined,
    atEpochMs: number,
  ): number {
    if (this.#t.partial.size > 0) {
      const ranges = this.#t.partial.get(key)?.get(ordinal);
      if (ranges) {
        for (let i = ranges.length - 1; i >= 0; i--) {
          const r = ranges[i];
          if (r.from <= atEpochMs && atEpochMs < r.to) return r.hundredths;
        }
      }
    }
    if (week === undefined) return 0;
    const h = week[ordinal];
    return h === NONE ? 0 : h;
  }

  /**
   * Prices `lines` for a transaction at `atEpochMs` (UTC): unit price rounded to cents, the
   * discount of the ISO week holding `atEpochMs`, the line total exact in cents. Unknown items
   * take the unknown-item price, or go to `skipped` under the skip policy.
   */
  priceCart(lines: readonly CartLine[], atEpochMs: number): PricedCart {
    if (!Number.isFinite(atEpochMs)) throw new RangeError(`atEpochMs must be finite: ${atEpochMs}`);
    const t = this.#t;
    const key = isoWeekKey(atEpochMs);
    const week = t.weeks.get(key);
    const out: PricedLine[] = [];
    const unknownItems: string[] = [];
    const skipped: CartLine[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      const ordinal = t.ordinal.get(line.itemId);
      let cents = NaN;
      let h = 0;
      if (ordinal !== undefined) {
        cents = t.cents[ordinal];
        h = this.#discountAt(ordinal, key, week, atEpochMs);
      }
      if (Number.isNaN(cents)) {
        unknownItems.push(line.itemId);
        if (this.#unknownCents === undefined) {
          skipped.push(line);
          continue;
        }
        cents = this.#unknownCents;
      }
      out.push({
        item_id: line.itemId,
        quantity: line.quantity,
        unit_price: cents / 100,
        discount: h / 100,
        total_price: lineTotalCents(line.quantity, cents, h) / 100,
      });
    }
    return { lines: out, unknownItems, skipped };
  }
}

function missing(
  names: readonly string[],
  needed: string[],
  kind: string,
): CatalogError | undefined {
  const lack = needed.filter((n) => !names.includes(n));
  if (lack.length === 0) return undefined;
  return new CatalogError(
    `${kind} lacks column${lack.length > 1 ? "s" : ""} ${lack.join(", ")} ` +
      `(has: ${names.join(", ") || "none"})`,
    { missingColumns: lack },
  );
}

function buildTables(
  inv: ColumnSource,
  disc: ColumnSource | undefined,
  options: PriceBookOptions,
): { tables: Tables; report: LoadReport } {
  const warnings: string[] = [];
  // ---- inventory ----
  const err = missing(inv.names, ["shelf_id", "item_price"], "inventory");
  if (err) throw err;
  const ids = inv.strings("shelf_id");
  const prices = inv.numbers("item_price");
  const ordinal = new Map<string, number>();
  const rowCount = new Map<number, number>();
  const centsList: number[] = [];
  const invRejected: Record<string, number> = {};
  let accepted = 0;
  for (let r = 0; r < inv.length; r++) {
    const id = ids[r];
    const price = prices[r];
    if (id === null || id === "") {
      bump(invRejected, "null shelf_id");
      continue;
    }
    if (Number.isNaN(price)) {
      bump(invRejected, "null or non-numeric item_price");
      continue;
    }
    if (price < 0) {
      bump(invRejected, "negative item_price");
      continue;
    }
    let cents: number;
    try {
      cents = scaleDecimal(price, 2);
    } catch {
      bump(invRejected, "item_price out of range");
      continue;
    }
    accepted++;
    let o = ordinal.get(id);
    if (o === undefined) {
      o = centsList.length;
      ordinal.set(id, o);
      centsList.push(cents);
    } else centsList[o] = cents; // the last row wins
    rowCount.set(o, (rowCount.get(o) ?? 0) + 1);
  }
  const inventorySize = centsList.length;
  let duplicatedIds = 0;
  let overriddenRows = 0;
  for (const n of rowCount.values()) {
    if (n > 1) {
      duplicatedIds++;
      overriddenRows += n - 1;
    }
  }
  if (inventorySize === 0) {
    throw new CatalogError(
      inv.length === 0
        ? "inventory has no rows"
        : `inventory has no usable row (${inv.length} rows, all rejected: ${
          Object.entries(invRejected).map(([k, v]) => `${v} ${k}`).join(", ")
        })`,
    );
  }
  const inventory: InventoryReport = {
    source: options.inventorySource ?? "table",
    rows: inv.length,
    acceptedRows: accepted,
    uniqueShelfIds: inventorySize,
    duplicatedIds,
    overriddenRows,
    rejected: invRejected,
    priceColumn: "item_price",
  };
  const discountsReport: DiscountReport = {
    source: options.discountSource ?? null,
    present: disc !== undefined,
    rows: 0,
    acceptedRows: 0,
    rejected: {},
    discountColumn: null,
    weekColumn: null,
    weeks: { count: 0, first: null, last: null, gaps: [] },
    shelvesNotInInventory: { rows: 0, ids: 0, sample: [] },
    duplicatePairs: 0,
    clampedRows: 0,
    weekLabelMismatches: { rows: 0, example: null },
    midnightRangesAsDates: 0,
  };
  const weeks = new Map<number, Uint8Array>();
  const partial = new Map<number, Map<number, PartialDiscount[]>>();
  if (disc === undefined) {
    warnings.push("no discount file: no discounts apply");
  } else {
    indexDiscounts(
      disc,
      ordinal,
      centsList,
      inventorySize,
      discountsReport,
      weeks,
      partial,
      warnings,
    );
  }
  const cents = Float64Array.from(centsList);
  return {
    tables: { ordinal, cents, weeks, partial, inventorySize },
    report: { inventory, discounts: discountsReport, warnings },
  };
}

function pick(names: readonly string[], options: string[][]): string[] | undefined {
  return options.find((cols) => cols.every((c) => names.includes(c)));
}

function indexDiscounts(
  disc: ColumnSource,
  ordinal: Map<string, number>,
  centsList: number[],
  inventorySize: number,
  rep: DiscountReport,
  weeks: Map<number, Uint8Array>,
  partial: Map<number, Map<number, PartialDiscount[]>>,
  warnings: string[],
): void {
  const names = disc.names;
  if (disc.length === 0 && names.length === 0) {
    warnings.push("discount table has no rows: no discounts apply");
    return; // plain rows: an empty list has no columns to check
  }
  const discountCols = pick(names, [["discount"], ["discount_pct"], [
    "original_price",
    "discounted_price",
  ]]);
  const hasLabel = names.includes("week");
  const range = pick(names, [["week_start", "week_end"], ["start_date", "end_date"]]);
  const lack: string[] = [];
  if (!names.includes("shelf_id")) lack.push("shelf_id");
  if (!discountCols) lack.push("discount (or discount_pct, or original_price+discounted_price)");
  if (!hasLabel && !range) lack.push("week (or week_start+week_end, or start_date+end_date)");
  if (lack.length > 0) {
    throw new CatalogError(
      `discount table lacks column${lack.length > 1 ? "s" : ""} ${lack.join(", ")} ` +
        `(has: ${names.join(", ") || "none"})`,
      { missingColumns: lack },
    );
  }
  rep.rows = disc.length;
  rep.discountColumn = discountCols!.join("/");
  rep.weekColumn = [hasLabel ? "week" : null, range ? range.join("/") : null]
    .filter((x) => x !== null).join(", then ");

  const n = disc.length;
  const ids = disc.strings("shelf_id");
  // Discount of each row in hundredths (clamped, rounded), or a rejection reason.
  const hundredths = new Int16Array(n).fill(-1);
  const rejectedWhy: (string | undefined)[] = new Array(n);
  let clamped = 0;
  if (discountCols!.length === 1) {
    const values = disc.numbers(discountCols![0]);
    const cache = new Map<number, number>();
    for (let r = 0; r < n; r++) {
      const v = values[r];
      if (Number.isNaN(v)) rejectedWhy[r] = "null or non-numeric discount";
      else if (v < 0 || v > 1) rejectedWhy[r] = "discount outside [0,1]";
      else {
        let h = cache.get(v);
        if (h === undefined) {
          h = v > MAX_DISCOUNT_HUNDREDTHS / 100 ? MAX_DISCOUNT_HUNDREDTHS : scaleDecimal(v, 2);
          cache.set(v, h);
        }
        if (v > MAX_DISCOUNT_HUNDREDTHS / 100) clamped++;
        hundredths[r] = h;
      }
    }
  } else {
    const orig = disc.numbers("original_price");
    const disco = disc.numbers("discounted_price");
    for (let r = 0; r < n; r++) {
      const o = orig[r];
      const d = disco[r];
      if (Number.isNaN(o) || Number.isNaN(d)) {
        rejectedWhy[r] = "null or non-numeric original_price/discounted_price";
        continue;
      }
      const h = discountHundredthsFromPrices(o, d, MAX_DISCOUNT_HUNDREDTHS);
      if (h === undefined) rejectedWhy[r] = "discount outside [0,1]";
      else {
        if (o > 0 && 1 - d / o > MAX_DISCOUNT_HUNDREDTHS / 100) clamped++;
        hundredths[r] = h;
      }
    }
  }

  // Week of each row: a whole ISO week (key) or a range [from, to).
  const labels = hasLabel ? disc.strings("week") : undefined;
  const starts = range ? disc.times(range[0]) : undefined;
  const ends = range ? disc.times(range[1]) : undefined;
  // Timestamp columns whose every value is at midnight hold dates written as timestamps
  // (Monday 00:00 … Sunday 00:00): the end then means the whole Sunday, not its first instant.
  const endsAreDates = ends !== undefined && allAtMidnight(ends.ms);
  const labelCache = new Map<string, number | undefined>();
  const weekKey = new Float64Array(n).fill(NaN); // whole-week rows
  const from = new Float64Array(n).fill(NaN); // partial rows
  const to = new Float64Array(n).fill(NaN);
  let mismatches = 0;
  let mismatchExample: string | null = null;
  for (let r = 0; r < n; r++) {
    if (rejectedWhy[r] !== undefined) continue;
    let labelKey: number | undefined;
    if (labels) {
      const s = labels[r];
      if (s !== null) {
        labelKey = labelCache.get(s);
        if (labelKey === undefined && !labelCache.has(s)) {
          labelKey = parseIsoWeekLabel(s);
          labelCache.set(s, labelKey);
        }
      }
    }
    let rf = NaN;
    let rt = NaN;
    if (starts && ends) {
      rf = starts.ms[r];
      const e = ends.ms[r];
      const wholeDay = ends.dateOnly[r] === 1 || endsAreDates;
      if (endsAreDates && ends.dateOnly[r] !== 1 && !Number.isNaN(e)) rep.midnightRangesAsDates++;
      rt = wholeDay ? e + DAY_MS : e + 1; // inclusive end
      if (!(rt > rf) || (rt - rf) / (7 * DAY_MS) > MAX_RANGE_WEEKS) rf = rt = NaN;
    }
    const rangeOk = !Number.isNaN(rf);
    const rangeKey = rangeOk && rt - rf === 7 * DAY_MS && rf % DAY_MS === 0 &&
        isoWeekKey(rf) === dayOf(rf)
      ? dayOf(rf)
      : undefined;
    if (labelKey !== undefined) {
      weekKey[r] = labelKey;
      if (rangeOk && rangeKey !== labelKey) {
        mismatches++;
        mismatchExample ??= `week ${labels![r]} but ${range![0]}..${range![1]} ` +
          `${fmtDay(rf)}..${fmtDay(rt - 1)} (${
            rangeKey === undefined ? "not one ISO week" : isoWeekLabel(rangeKey)
          })`;
      }
    } else if (rangeKey !== undefined) weekKey[r] = rangeKey;
    else if (rangeOk) {
      from[r] = rf;
      to[r] = rt;
    } else rejectedWhy[r] = "unparseable week";
  }

  // Ordinals for shelves that only the discount file knows (their discount still applies to
  // an unknown item priced at the unknown-item price).
  const notInInventory = new Set<string>();
  let notInInventoryRows = 0;
  const rowOrdinal = new Int32Array(n).fill(-1);
  for (let r = 0; r < n; r++) {
    if (rejectedWhy[r] === undefined && (ids[r] === null || ids[r] === "")) {
      rejectedWhy[r] = "null shelf_id";
    }
    const why = rejectedWhy[r];
    if (why !== undefined) {
      bump(rep.rejected, why);
      continue;
    }
    const id = ids[r]!;
    let o = ordinal.get(id);
    if (o === undefined) {
      o = centsList.length;
      ordinal.set(id, o);
      centsList.push(NaN);
    }
    if (o >= inventorySize) {
      notInInventoryRows++;
      notInInventory.add(id);
    }
    rowOrdinal[r] = o;
  }
  const width = centsList.length;
  const weekOf = (key: number): Uint8Array => {
    let w = weeks.get(key);
    if (!w) {
      w = new Uint8Array(width).fill(NONE);
      weeks.set(key, w);
    }
    return w;
  };
  const covered = new Set<number>();
  let duplicates = 0;
  let acceptedRows = 0;
  for (let r = 0; r < n; r++) {
    const o = rowOrdinal[r];
    if (o < 0) continue;
    acceptedRows++;
    const h = hundredths[r];
    if (!Number.isNaN(weekKey[r])) {
      const key = weekKey[r];
      const w = weekOf(key);
      const ranges = partial.get(key);
      if (w[o] !== NONE || ranges?.has(o)) duplicates++;
      w[o] = h;
      ranges?.delete(o); // a whole-week row overrides earlier partial ones
      covered.add(key);
    } else {
      let dup = false;
      for (let key = isoWeekKey(from[r]); key * DAY_MS < to[r]; key += 7) {
        let byOrdinal = partial.get(key);
        if (!byOrdinal) partial.set(key, byOrdinal = new Map());
        let list = byOrdinal.get(o);
        if (!list) byOrdinal.set(o, list = []);
        if (list.length > 0 || weeks.get(key)?.[o] !== undefined && weeks.get(key)![o] !== NONE) {
          dup = true;
        }
        list.push({ from: from[r], to: to[r], hundredths: h });
        covered.add(key);
      }
      if (dup) duplicates++;
    }
  }
  rep.acceptedRows = acceptedRows;
  rep.duplicatePairs = duplicates;
  rep.clampedRows = clamped;
  rep.shelvesNotInInventory = {
    rows: notInInventoryRows,
    ids: notInInventory.size,
    sample: [...notInInventory].slice(0, 5),
  };
  rep.weekLabelMismatches = { rows: mismatches, example: mismatchExample };
  const keys = [...covered].sort((a, b) => a - b);
  const gaps: string[] = [];
  for (let i = 1; i < keys.length; i++) {
    for (let k = keys[i - 1] + 7; k < keys[i]; k += 7) gaps.push(isoWeekLabel(k));
  }
  rep.weeks = {
    count: keys.length,
    first: keys.length ? isoWeekLabel(keys[0]) : null,
    last: keys.length ? isoWeekLabel(keys[keys.length - 1]) : null,
    gaps,
  };
  if (n === 0) warnings.push("discount table has no rows: no discounts apply");
  if (mismatches > 0) {
    warnings.push(
      `${mismatches} discount rows name a different ISO week in "week" than in their dates ` +
        `(the week label is used), e.g. ${mismatchExample}`,
    );
  }
  if (notInInventory.size > 0) {
    warnings.push(
      `${notInInventoryRows} discount rows for ${notInInventory.size} shelf ids not in the inventory`,
    );
  }
}

function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

function fmtDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Whether every known value of a time column is at midnight UTC (and there is at least one). */
function allAtMidnight(ms: Float64Array): boolean {
  let any = false;
  for (let i = 0; i < ms.length; i++) {
    const v = ms[i];
    if (Number.isNaN(v)) continue;
    if (v % DAY_MS !== 0) return false;
    any = true;
  }
  return any;
}
