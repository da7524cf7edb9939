/**
 * Discount indexing (SPEC §4): discount rows of any accepted shape (a fraction, a percentage,
 * or original and discounted prices; a week label or a date range) → for each ISO week one
 * byte of hundredths per shelf ordinal, plus the ranges of rows that cover only part of a
 * week. Rejected rows are counted by reason and never override a good row. Pure.
 * @module
 */
import type { ColumnSource, TimeColumn } from "./column_source.ts";
import type { ShelfIndex } from "./inventory_index.ts";
import {
  countReason,
  type DiscountReport,
  emptyDiscountReport,
  missingColumnsError,
  type WeekCoverage,
} from "./load_report.ts";
import { discountHundredthsFromPrices, scaleDecimal } from "./money.ts";
import { DAY_MS, isoWeekKey, isoWeekLabel, parseIsoWeekLabel } from "./iso_week.ts";

/** Largest discount applied, in hundredths (SPEC §4: clamped to [0, 0.95]). */
export const MAX_DISCOUNT_HUNDREDTHS = 95;

/** The byte of a week table that means "no discount" for a shelf. */
export const NO_DISCOUNT = 255;

export type { ColumnSource, DiscountReport, ShelfIndex, TimeColumn, WeekCoverage };

const WEEK_MS = 7 * DAY_MS;
const MAX_RANGE_WEEKS = 1060; // ~20 years: longer ranges are treated as unparseable

/** A discount that covers only part of a week (a date range not aligned to ISO weeks). */
export interface PartialDiscount {
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
  /** The discount in hundredths. */
  hundredths: number;
}

/** Discounts by ISO week key (see lib/core/iso_week.ts). */
export interface DiscountTables {
  /** Week key → hundredths by shelf ordinal ({@link NO_DISCOUNT}: none). */
  weeks: Map<number, Uint8Array>;
  /** Week key → shelf ordinal → partial-week ranges in row order (the last match wins). */
  partial: Map<number, Map<number, PartialDiscount[]>>;
}

/** Options of {@link indexDiscounts}. */
export interface DiscountIndexOptions {
  /** The discount table's columns. */
  source: ColumnSource;
  /** The inventory's shelves; ids only the discounts know are added (with NaN cents). */
  shelves: ShelfIndex;
  /** Where the rows came from, for the report. */
  sourceName: string | null;
}

/** What {@link indexDiscounts} built. */
export interface DiscountIndex {
  /** The discount tables, as wide as `shelves` after indexing. */
  tables: DiscountTables;
  /** What the load found. */
  report: DiscountReport;
  /** Human-readable warnings (mismatching labels, shelves not in the inventory, …). */
  warnings: string[];
}

/**
 * Indexes a discount table against the inventory's shelves (which it extends with the ids
 * only it knows). Throws a `CatalogError` naming the missing columns.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { indexDiscounts } from "./discount_index.ts";
 * import { rowSource } from "./column_source.ts";
 * import { parseIsoWeekLabel } from "./iso_week.ts";
 * const shelves = { ordinal: new Map([["A1", 0]]), cents: [350] };
 * const { tables, report } = indexDiscounts({
 *   source: rowSource([{ shelf_id: "A1", week: "2025-W45", discount: 0.1 }]),
 *   shelves,
 *   sourceName: "rows",
 * });
 * assert.ok(tables.weeks.get(parseIsoWeekLabel("2025-W45")!)![0] === 10);
 * assert.ok(report.acceptedRows === 1);
 * ```
 */
export function indexDiscounts(options: DiscountIndexOptions): DiscountIndex {
  const { source, shelves, sourceName } = options;
  const tables: DiscountTables = { weeks: new Map(), partial: new Map() };
  const report = emptyDiscountReport(sourceName, true);
  if (source.length === 0 && source.names.length === 0) {
    // plain rows: an empty list has no columns to check
    return { tables, report, warnings: ["discount table has no rows: no discounts apply"] };
  }
  const columns = discountColumns(source.names);
  const rows = readDiscounts(source, columns.discount);
  const weeks = readWeeks(source, columns, rows.rejectedWhy);
  const ordinals = assignOrdinals(source.strings("shelf_id"), rows.rejectedWhy, shelves);
  const filled = fillTables(tables, { ...rows, ...weeks, ...ordinals }, shelves.cents.length);
  const notInInventory = [...ordinals.notInInventory];
  Object.assign(
    report,
    {
      rows: source.length,
      discountColumn: columns.discount.join("/"),
      weekColumn: [columns.label ? "week" : null, columns.range?.join("/") ?? null]
        .filter((x) => x !== null).join(", then "),
      acceptedRows: filled.acceptedRows,
      rejected: ordinals.rejected,
      duplicatePairs: filled.duplicatePairs,
      clampedRows: rows.clamped,
      shelvesNotInInventory: {
        rows: ordinals.notInInventoryRows,
        ids: notInInventory.length,
        sample: notInInventory.slice(0, 5),
      },
      weekLabelMismatches: { rows: weeks.mismatches, example: weeks.mismatchExample },
      midnightRangesAsDates: weeks.midnightRangesAsDates,
      weeks: weekCoverage(filled.covered),
    } satisfies Partial<DiscountReport>,
  );
  return { tables, report, warnings: discountWarnings(report) };
}

/** The columns a discount table is read from. */
interface DiscountColumns {
  /** `["discount"]`, `["discount_pct"]` or `["original_price", "discounted_price"]`. */
  discount: string[];
  /** Whether a `week` label column is there. */
  label: boolean;
  /** The date range's start and end columns, if any. */
  range: string[] | undefined;
}

function firstPresent(names: readonly string[], choices: string[][]): string[] | undefined {
  return choices.find((columns) => columns.every((c) => names.includes(c)));
}

function discountColumns(names: readonly string[]): DiscountColumns {
  const discount = firstPresent(names, [
    ["discount"],
    ["discount_pct"],
    ["original_price", "discounted_price"],
  ]);
  const label = names.includes("week");
  const range = firstPresent(names, [["week_start", "week_end"], ["start_date", "end_date"]]);
  const lack: string[] = [];
  if (!names.includes("shelf_id")) lack.push("shelf_id");
  if (!discount) lack.push("discount (or discount_pct, or original_price+discounted_price)");
  if (!label && !range) lack.push("week (or week_start+week_end, or start_date+end_date)");
  if (lack.length > 0) throw missingColumnsError("discount table", lack, names);
  return { discount: discount!, label, range };
}

/** Each row's discount in hundredths (-1 when rejected) and why rows are rejected. */
interface RowDiscounts {
  hundredths: Int16Array;
  rejectedWhy: (string | undefined)[];
  clamped: number;
}

function readDiscounts(source: ColumnSource, columns: string[]): RowDiscounts {
  const rows: RowDiscounts = {
    hundredths: new Int16Array(source.length).fill(-1),
    rejectedWhy: new Array(source.length),
    clamped: 0,
  };
  if (columns.length === 1) readFractions(source.numbers(columns[0]), rows);
  else readPricePairs(source.numbers(columns[0]), source.numbers(columns[1]), rows);
  return rows;
}

/** Discounts given as a fraction in [0, 1]. */
function readFractions(values: Float64Array, rows: RowDiscounts): void {
  const max = MAX_DISCOUNT_HUNDREDTHS / 100;
  const cache = new Map<number, number>();
  for (let r = 0; r < values.length; r++) {
    const v = values[r];
    if (Number.isNaN(v)) rows.rejectedWhy[r] = "null or non-numeric discount";
    else if (v < 0 || v > 1) rows.rejectedWhy[r] = "discount outside [0,1]";
    else {
      let h = cache.get(v);
      if (h === undefined) {
        h = v > max ? MAX_DISCOUNT_HUNDREDTHS : scaleDecimal(v, 2);
        cache.set(v, h);
      }
      if (v > max) rows.clamped++;
      rows.hundredths[r] = h;
    }
  }
}

/** Discounts derived from original and discounted prices: `1 − discounted / original`. */
function readPricePairs(
  originalPrices: Float64Array,
  discountedPrices: Float64Array,
  rows: RowDiscounts,
): void {
  for (let r = 0; r < originalPrices.length; r++) {
    const original = originalPrices[r];
    const discounted = discountedPrices[r];
    if (Number.isNaN(original) || Number.isNaN(discounted)) {
      rows.rejectedWhy[r] = "null or non-numeric original_price/discounted_price";
      continue;
    }
    const h = discountHundredthsFromPrices(original, discounted, MAX_DISCOUNT_HUNDREDTHS);
    if (h === undefined) rows.rejectedWhy[r] = "discount outside [0,1]";
    else {
      if (original > 0 && 1 - discounted / original > MAX_DISCOUNT_HUNDREDTHS / 100) {
        rows.clamped++;
      }
      rows.hundredths[r] = h;
    }
  }
}

/** The week of each row: a whole ISO week (`weekKey`) or a range `[from, to)`. */
interface RowWeeks {
  /** Week key of whole-week rows, NaN for the others. */
  weekKey: Float64Array;
  /** Range of each row, epoch ms (NaN when it has none); used where `weekKey` is NaN. */
  from: Float64Array;
  to: Float64Array;
  mismatches: number;
  mismatchExample: string | null;
  midnightRangesAsDates: number;
}

/** Reads each row's week; a row with neither a label nor a range is "unparseable week". */
function readWeeks(
  source: ColumnSource,
  columns: DiscountColumns,
  rejectedWhy: (string | undefined)[],
): RowWeeks {
  const n = source.length;
  const labels = columns.label ? source.strings("week") : undefined;
  const labelKeys = labels ? weekLabelKeys(labels, rejectedWhy) : undefined;
  const ranges = columns.range
    ? readRanges(source.times(columns.range[0]), source.times(columns.range[1]), rejectedWhy)
    : { from: new Float64Array(n).fill(NaN), to: new Float64Array(n).fill(NaN), midnight: 0 };
  const weeks: RowWeeks = {
    weekKey: new Float64Array(n).fill(NaN),
    from: ranges.from,
    to: ranges.to,
    mismatches: 0,
    mismatchExample: null,
    midnightRangesAsDates: ranges.midnight,
  };
  for (let r = 0; r < n; r++) {
    if (rejectedWhy[r] !== undefined) continue;
    const labelKey = labelKeys ? labelKeys[r] : NaN;
    const from = ranges.from[r];
    const to = ranges.to[r];
    const rangeKey = wholeWeekKey(from, to);
    if (!Number.isNaN(labelKey)) {
      weeks.weekKey[r] = labelKey;
      if (!Number.isNaN(from) && rangeKey !== labelKey) {
        weeks.mismatches++;
        weeks.mismatchExample ??= mismatchText(labels![r]!, columns.range!, from, to, rangeKey);
      }
    } else if (rangeKey !== undefined) weeks.weekKey[r] = rangeKey;
    else if (Number.isNaN(from)) rejectedWhy[r] = "unparseable week";
  }
  return weeks;
}

/** Week keys of the labels of rows not yet rejected (NaN: none or unparseable). */
function weekLabelKeys(
  labels: (string | null)[],
  rejectedWhy: (string | undefined)[],
): Float64Array {
  const keys = new Float64Array(labels.length).fill(NaN);
  const cache = new Map<string, number>();
  for (let r = 0; r < labels.length; r++) {
    const label = labels[r];
    if (label === null || rejectedWhy[r] !== undefined) continue;
    let key = cache.get(label);
    if (key === undefined) {
      key = parseIsoWeekLabel(label) ?? NaN;
      cache.set(label, key);
    }
    keys[r] = key;
  }
  return keys;
}

/**
 * Inclusive start/end columns as ranges `[from, to)` (NaN when unusable). A date-only end
 * covers its whole day; so does every end of timestamp columns that are all at midnight (dates
 * written as timestamps, Monday 00:00 … Sunday 00:00), counted in `midnight`.
 */
function readRanges(
  starts: TimeColumn,
  ends: TimeColumn,
  rejectedWhy: (string | undefined)[],
): { from: Float64Array; to: Float64Array; midnight: number } {
  const n = starts.ms.length;
  const from = new Float64Array(n).fill(NaN);
  const to = new Float64Array(n).fill(NaN);
  const endsAreDates = allAtMidnight(ends.ms);
  let midnight = 0;
  for (let r = 0; r < n; r++) {
    if (rejectedWhy[r] !== undefined) continue;
    const end = ends.ms[r];
    if (endsAreDates && ends.dateOnly[r] !== 1 && !Number.isNaN(end)) midnight++;
    const start = starts.ms[r];
    const stop = ends.dateOnly[r] === 1 || endsAreDates ? end + DAY_MS : end + 1;
    if (stop > start && (stop - start) / WEEK_MS <= MAX_RANGE_WEEKS) {
      from[r] = start;
      to[r] = stop;
    }
  }
  return { from, to, midnight };
}

/** The week key when `[from, to)` is exactly one ISO week, else undefined. */
function wholeWeekKey(from: number, to: number): number | undefined {
  if (Number.isNaN(from) || to - from !== WEEK_MS || from % DAY_MS !== 0) return undefined;
  const day = Math.floor(from / DAY_MS);
  return isoWeekKey(from) === day ? day : undefined;
}

function mismatchText(
  label: string,
  range: string[],
  from: number,
  to: number,
  rangeKey: number | undefined,
): string {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const named = rangeKey === undefined ? "not one ISO week" : isoWeekLabel(rangeKey);
  return `week ${label} but ${range[0]}..${range[1]} ${day(from)}..${day(to - 1)} (${named})`;
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

/** Each accepted row's shelf ordinal (-1: rejected) and the rejected rows by reason. */
interface RowOrdinals {
  rowOrdinal: Int32Array;
  rejected: Record<string, number>;
  /** Shelf ids of accepted rows that are not in the inventory, in order of first appearance. */
  notInInventory: Set<string>;
  notInInventoryRows: number;
}

/**
 * Ordinals of the accepted rows' shelves, adding the shelves only the discounts know (their
 * discount still applies to an unknown item priced at the unknown-item price).
 */
function assignOrdinals(
  ids: (string | null)[],
  rejectedWhy: (string | undefined)[],
  shelves: ShelfIndex,
): RowOrdinals {
  const inventorySize = shelves.cents.length;
  const out: RowOrdinals = {
    rowOrdinal: new Int32Array(ids.length).fill(-1),
    rejected: {},
    notInInventory: new Set(),
    notInInventoryRows: 0,
  };
  for (let r = 0; r < ids.length; r++) {
    const id = ids[r];
    const why = rejectedWhy[r] ?? (id === null || id === "" ? "null shelf_id" : undefined);
    if (why !== undefined) {
      countReason(out.rejected, why);
      continue;
    }
    let ordinal = shelves.ordinal.get(id!);
    if (ordinal === undefined) {
      ordinal = shelves.cents.length;
      shelves.ordinal.set(id!, ordinal);
      shelves.cents.push(NaN);
    }
    if (ordinal >= inventorySize) {
      out.notInInventoryRows++;
      out.notInInventory.add(id!);
    }
    out.rowOrdinal[r] = ordinal;
  }
  return out;
}

/** Everything known of the rows, to fill the tables with. */
type IndexedRows = RowDiscounts & RowWeeks & RowOrdinals;

/** Puts every accepted row into `tables` (`width`: shelves); a later row wins. */
function fillTables(
  tables: DiscountTables,
  rows: IndexedRows,
  width: number,
): { acceptedRows: number; duplicatePairs: number; covered: Set<number> } {
  const covered = new Set<number>();
  let acceptedRows = 0;
  let duplicatePairs = 0;
  for (let r = 0; r < rows.rowOrdinal.length; r++) {
    const ordinal = rows.rowOrdinal[r];
    if (ordinal < 0) continue;
    acceptedRows++;
    const h = rows.hundredths[r];
    const key = rows.weekKey[r];
    const duplicate = Number.isNaN(key)
      ? addPartialWeeks(
        tables,
        ordinal,
        { from: rows.from[r], to: rows.to[r], hundredths: h },
        covered,
      )
      : addWholeWeek(tables, ordinal, key, h, width, covered);
    if (duplicate) duplicatePairs++;
  }
  return { acceptedRows, duplicatePairs, covered };
}

/** Sets a whole week's discount; true when the (shelf, week) already had one. */
function addWholeWeek(
  tables: DiscountTables,
  ordinal: number,
  key: number,
  hundredths: number,
  width: number,
  covered: Set<number>,
): boolean {
  let week = tables.weeks.get(key);
  if (!week) {
    week = new Uint8Array(width).fill(NO_DISCOUNT);
    tables.weeks.set(key, week);
  }
  const ranges = tables.partial.get(key);
  const duplicate = week[ordinal] !== NO_DISCOUNT || (ranges?.has(ordinal) ?? false);
  week[ordinal] = hundredths;
  ranges?.delete(ordinal); // a whole-week row overrides earlier partial ones
  covered.add(key);
  return duplicate;
}

/** Adds a partial discount to every week it touches; true when one of them already had one. */
function addPartialWeeks(
  tables: DiscountTables,
  ordinal: number,
  range: PartialDiscount,
  covered: Set<number>,
): boolean {
  let duplicate = false;
  for (let key = isoWeekKey(range.from); key * DAY_MS < range.to; key += 7) {
    let byOrdinal = tables.partial.get(key);
    if (!byOrdinal) tables.partial.set(key, byOrdinal = new Map());
    let list = byOrdinal.get(ordinal);
    if (!list) byOrdinal.set(ordinal, list = []);
    const whole = tables.weeks.get(key)?.[ordinal];
    if (list.length > 0 || (whole !== undefined && whole !== NO_DISCOUNT)) duplicate = true;
    list.push(range);
    covered.add(key);
  }
  return duplicate;
}

/** The weeks covered: how many, the first and last, and the gaps between. */
function weekCoverage(covered: Set<number>): WeekCoverage {
  const keys = [...covered].sort((a, b) => a - b);
  const gaps: string[] = [];
  for (let i = 1; i < keys.length; i++) {
    for (let k = keys[i - 1] + 7; k < keys[i]; k += 7) gaps.push(isoWeekLabel(k));
  }
  return {
    count: keys.length,
    first: keys.length ? isoWeekLabel(keys[0]) : null,
    last: keys.length ? isoWeekLabel(keys[keys.length - 1]) : null,
    gaps,
  };
}

function discountWarnings(report: DiscountReport): string[] {
  const warnings: string[] = [];
  const { weekLabelMismatches: mismatches, shelvesNotInInventory: notInInventory } = report;
  if (report.rows === 0) warnings.push("discount table has no rows: no discounts apply");
  if (mismatches.rows > 0) {
    warnings.push(
      `${mismatches.rows} discount rows name a different ISO week in "week" than in their ` +
        `dates (the week label is used), e.g. ${mismatches.example}`,
    );
  }
  if (notInInventory.ids > 0) {
    warnings.push(
      `${notInInventory.rows} discount rows for ${notInInventory.ids} shelf ids not in the ` +
        "inventory",
    );
  }
  return warnings;
}
