/**
 * The tables a `PriceBook` prices from, built from an inventory and an optional discount
 * table given as columns: the inventory index (lib/core/pricing/inventory_index.ts) and the discount
 * index (lib/core/pricing/discount_index.ts) over one set of shelf ordinals. Pure.
 * @module
 */
import type { ColumnSource, TimeColumn } from "./column_source.ts";
import { indexInventory } from "./inventory_index.ts";
import { type DiscountTables, indexDiscounts, type PartialDiscount } from "./discount_index.ts";
import { emptyDiscountReport, type LoadReport } from "./load_report.ts";

export type { ColumnSource, DiscountTables, LoadReport, PartialDiscount, TimeColumn };
export type { DiscountReport, InventoryReport, WeekCoverage } from "./load_report.ts";

/** The tables a PriceBook prices from; shared between books that differ only in policy. */
export interface PriceTables extends DiscountTables {
  /** Shelf id → ordinal. */
  ordinal: Map<string, number>;
  /** Unit cents by ordinal; NaN = not in the inventory (an id known only from discounts). */
  cents: Float64Array;
  /** Shelf ids with a price (ordinals `0 … inventorySize - 1`). */
  inventorySize: number;
}

/** Options of {@link buildPriceTables}. */
export interface PriceTablesOptions {
  /** The inventory's columns. */
  inventory: ColumnSource;
  /** The discount table's columns; undefined = no discount file. */
  discounts?: ColumnSource;
  /** Where the inventory came from, for the report (default "table"). */
  inventorySource?: string;
  /** Where the discounts came from, for the report. */
  discountSource?: string | null;
}

/**
 * Indexes an inventory and its discounts. Throws a `CatalogError` naming missing columns, or
 * when the inventory has no usable row.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildPriceTables } from "./price_tables.ts";
 * import { rowSource } from "./column_source.ts";
 * const { tables, report } = buildPriceTables({
 *   inventory: rowSource([{ shelf_id: "A1", item_price: 2 }]),
 * });
 * assert.ok(tables.inventorySize === 1 && tables.cents[0] === 200);
 * assert.ok(report.warnings[0] === "no discount file: no discounts apply");
 * ```
 */
export function buildPriceTables(
  options: PriceTablesOptions,
): { tables: PriceTables; report: LoadReport } {
  const inventory = indexInventory({
    source: options.inventory,
    sourceName: options.inventorySource,
  });
  const { shelves } = inventory;
  const inventorySize = shelves.cents.length;
  const discountSource = options.discountSource ?? null;
  const discounts = options.discounts === undefined
    ? {
      tables: { weeks: new Map(), partial: new Map() },
      report: emptyDiscountReport(discountSource, false),
      warnings: ["no discount file: no discounts apply"],
    }
    : indexDiscounts({ source: options.discounts, shelves, sourceName: discountSource });
  return {
    tables: {
      ordinal: shelves.ordinal,
      cents: Float64Array.from(shelves.cents),
      weeks: discounts.tables.weeks,
      partial: discounts.tables.partial,
      inventorySize,
    },
    report: {
      inventory: inventory.report,
      discounts: discounts.report,
      warnings: discounts.warnings,
    },
  };
}
