/**
 * What loading a price book found (SPEC §4): the inventory and discount reports, and
 * {@link CatalogError}, the error for tables that cannot be used. Pure data.
 * @module
 */

/**
 * A catalog that cannot be used: names the file (when known) and the missing columns.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CatalogError } from "./load_report.ts";
 * const err = new CatalogError("inventory lacks column item_price", {
 *   missingColumns: ["item_price"],
 * });
 * assert.ok(err.file === undefined && err.missingColumns[0] === "item_price");
 * ```
 */
export class CatalogError extends Error {
  /** The file, when the error came from one. */
  file: string | undefined;
  /** Columns the file lacks (empty when the problem is something else). */
  readonly missingColumns: readonly string[];
  /** Makes the error; `options` names the file and the missing columns when known. */
  constructor(message: string, options: { file?: string; missingColumns?: string[] } = {}) {
    super(message);
    this.name = "CatalogError";
    this.file = options.file;
    this.missingColumns = options.missingColumns ?? [];
  }
}

/** The CatalogError for a table that lacks `missingColumns` among its column `names`. */
export function missingColumnsError(
  table: string,
  missingColumns: string[],
  names: readonly string[],
): CatalogError {
  return new CatalogError(
    `${table} lacks column${missingColumns.length > 1 ? "s" : ""} ${missingColumns.join(", ")} ` +
      `(has: ${names.join(", ") || "none"})`,
    { missingColumns },
  );
}

/** Adds one to `counts[reason]` (rejected rows by reason). */
export function countReason(counts: Record<string, number>, reason: string): void {
  counts[reason] = (counts[reason] ?? 0) + 1;
}

/** What the inventory load found. */
export interface InventoryReport {
  /** Where the rows came from (a path, or "rows"). */
  source: string;
  /** Rows read. */
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

/** ISO weeks with at least one discount, the first and last, and the weeks between without. */
export interface WeekCoverage {
  /** Weeks with a discount. */
  count: number;
  /** The first such week's label (`2025-W01`), or null. */
  first: string | null;
  /** The last such week's label, or null. */
  last: string | null;
  /** Labels of the weeks between the first and the last without any discount. */
  gaps: string[];
}

/** What the discount load found. */
export interface DiscountReport {
  /** Where the rows came from (a path, or "rows"); null without discounts. */
  source: string | null;
  /** False when there is no discount file (no discounts apply). */
  present: boolean;
  /** Rows read. */
  rows: number;
  /** Rows indexed. */
  acceptedRows: number;
  /** Rejected rows by reason. */
  rejected: Record<string, number>;
  /** The discount column(s) read, e.g. "discount" or "original_price/discounted_price". */
  discountColumn: string | null;
  /** The week column(s) read, e.g. "week" or "week_start/week_end". */
  weekColumn: string | null;
  /** ISO weeks with at least one discount, the first and last, and the weeks between without. */
  weeks: WeekCoverage;
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

/** The report of a load without discounts (`present`: whether a discount table was given). */
export function emptyDiscountReport(source: string | null, present: boolean): DiscountReport {
  return {
    source,
    present,
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
}

/** The load report: what was read, what was rejected and why. */
export interface LoadReport {
  /** The inventory's report. */
  inventory: InventoryReport;
  /** The discounts' report. */
  discounts: DiscountReport;
  /** Human-readable warnings (missing discount file, mismatches, …). */
  warnings: string[];
}
