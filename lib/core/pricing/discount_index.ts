/**
 * Discount indexing (SPEC §4): discount rows of any accepted shape (a fraction, a percentage,
 * or original and discounted prices; a week label or a date range) → for each ISO week one
 * byte of hundredths per shelf ordinal, plus the ranges of rows that cover only part of a
 * week. Rejected rows are counted by reason and never override a good row. Pure.
 *
 * The steps live beside it: the columns and each row's discount in discount_values.ts, each
 * row's week or range in discount_weeks.ts, the shelf ordinals and the tables in
 * discount_tables.ts; this module runs them in order and writes the report.
 * @module
 */
import type { ColumnSource, TimeColumn } from "./column_source.ts";
import type { ShelfIndex } from "./inventory_index.ts";
import { type DiscountReport, emptyDiscountReport, type WeekCoverage } from "./load_report.ts";
import { discountColumns, MAX_DISCOUNT_HUNDREDTHS, readDiscounts } from "./discount_values.ts";
import { readWeeks, weekCoverage } from "./discount_weeks.ts";
import {
  assignOrdinals,
  type DiscountTables,
  fillTables,
  NO_DISCOUNT,
  type PartialDiscount,
} from "./discount_tables.ts";

export { MAX_DISCOUNT_HUNDREDTHS, NO_DISCOUNT };
export type { ColumnSource, DiscountReport, DiscountTables, PartialDiscount, ShelfIndex };
export type { TimeColumn, WeekCoverage };

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

/** The report's warnings: no rows, week labels that disagree with dates, unknown shelves. */
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
