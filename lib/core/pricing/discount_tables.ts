/**
 * Filling the discount tables (SPEC §4): the accepted rows' shelf ordinals (adding the shelves
 * only the discounts know), then for each ISO week one byte of hundredths per shelf ordinal,
 * plus the ranges of rows that cover only part of a week. A later row wins; rows that hit a
 * (shelf, week) already set are counted. Pure.
 * @module
 */
import type { ShelfIndex } from "./inventory_index.ts";
import { countReason } from "./load_report.ts";
import type { RejectedWhy, RowDiscounts } from "./discount_values.ts";
import type { RowWeeks } from "./discount_weeks.ts";
import { DAY_MS, isoWeekKey } from "./iso_week.ts";

export type { RejectedWhy, RowDiscounts, RowWeeks, ShelfIndex };

/** The byte of a week table that means "no discount" for a shelf. */
export const NO_DISCOUNT = 255;

/** A discount that covers only part of a week (a date range not aligned to ISO weeks). */
export interface PartialDiscount {
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
  /** The discount in hundredths. */
  hundredths: number;
}

/** Discounts by ISO week key (see lib/core/pricing/iso_week.ts). */
export interface DiscountTables {
  /** Week key → hundredths by shelf ordinal ({@link NO_DISCOUNT}: none). */
  weeks: Map<number, Uint8Array>;
  /** Week key → shelf ordinal → partial-week ranges in row order (the last match wins). */
  partial: Map<number, Map<number, PartialDiscount[]>>;
}

/** Each accepted row's shelf ordinal (-1: rejected) and the rejected rows by reason. */
export interface RowOrdinals {
  /** Shelf ordinal by row; -1 for a rejected row. */
  rowOrdinal: Int32Array;
  /** Rejected rows by reason, for the report. */
  rejected: Record<string, number>;
  /** Shelf ids of accepted rows that are not in the inventory, in order of first appearance. */
  notInInventory: Set<string>;
  /** How many accepted rows name such a shelf. */
  notInInventoryRows: number;
}

/**
 * Ordinals of the accepted rows' shelves, adding the shelves only the discounts know (their
 * discount still applies to an unknown item priced at the unknown-item price). The last step
 * that rejects rows (null shelf id), so it also counts the rejected rows by reason.
 */
export function assignOrdinals(
  ids: (string | null)[],
  rejectedWhy: RejectedWhy,
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
export type IndexedRows = RowDiscounts & RowWeeks & RowOrdinals;

/** What {@link fillTables} counted, for the report. */
export interface FilledTables {
  /** Rows put into the tables. */
  acceptedRows: number;
  /** Rows that hit a (shelf, week) an earlier row had set. */
  duplicatePairs: number;
  /** Week keys that have at least one discount. */
  covered: Set<number>;
}

/**
 * Puts every accepted row into `tables` (`width`: shelves), in row order so that a later row
 * wins over an earlier one for the same shelf and week.
 */
export function fillTables(tables: DiscountTables, rows: IndexedRows, width: number): FilledTables {
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
