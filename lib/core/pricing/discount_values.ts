/**
 * Discount columns and values (SPEC §4): which columns a discount table is read from (a
 * fraction, a percentage or original and discounted prices; a week label and/or a date range),
 * and each row's discount in hundredths, clamped to {@link MAX_DISCOUNT_HUNDREDTHS}. Rows with
 * an unusable discount are marked rejected with the reason. Pure.
 * @module
 */
import type { ColumnSource, TimeColumn } from "./column_source.ts";
import { missingColumnsError } from "./load_report.ts";
import { discountHundredthsFromPrices, scaleDecimal } from "./money.ts";

export type { ColumnSource, TimeColumn };

/** Largest discount applied, in hundredths (SPEC §4: clamped to [0, 0.95]). */
export const MAX_DISCOUNT_HUNDREDTHS = 95;

/**
 * Why each row is rejected (undefined: not rejected), by row; every step of the indexing
 * reads it and adds its own reasons, so a row is counted once, under its first reason.
 */
export type RejectedWhy = (string | undefined)[];

/** The columns a discount table is read from, so that the report can name them. */
export interface DiscountColumns {
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

/**
 * Chooses the discount and week columns among `names` (the first accepted shape wins), so that
 * a file of any accepted shape is read the same way. Throws a `CatalogError` naming every
 * missing column.
 */
export function discountColumns(names: readonly string[]): DiscountColumns {
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
export interface RowDiscounts {
  /** Hundredths by row; -1 for a rejected row. */
  hundredths: Int16Array;
  /** Why each row is rejected, so far. */
  rejectedWhy: RejectedWhy;
  /** How many rows were clamped to {@link MAX_DISCOUNT_HUNDREDTHS}, for the report. */
  clamped: number;
}

/**
 * Reads every row's discount from `columns` (as chosen by {@link discountColumns}), once and
 * exactly, so that the rest of the indexing works on integer hundredths.
 */
export function readDiscounts(source: ColumnSource, columns: string[]): RowDiscounts {
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
