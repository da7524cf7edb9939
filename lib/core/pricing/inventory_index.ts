/**
 * Inventory indexing (SPEC §4): `shelf_id` and `item_price` rows → an ordinal per shelf id and
 * its unit price in cents (the last accepted row wins), with the inventory's report. Pure.
 * @module
 */
import type { ColumnSource, TimeColumn } from "./column_source.ts";
import {
  CatalogError,
  countReason,
  type InventoryReport,
  missingColumnsError,
} from "./load_report.ts";
import { scaleDecimal } from "./money.ts";

/**
 * Shelf ids by ordinal and their unit prices in cents; NaN for an id known only from the
 * discounts. The discount index adds such ids after the inventory's.
 */
export interface ShelfIndex {
  /** Shelf id → ordinal (0, 1, … in order of first appearance). */
  readonly ordinal: Map<string, number>;
  /** Unit cents by ordinal (NaN: not in the inventory). */
  readonly cents: number[];
}

/** Options of {@link indexInventory}. */
export interface InventoryIndexOptions {
  /** The inventory's columns (`shelf_id`, `item_price`). */
  source: ColumnSource;
  /** Where the rows came from, for the report (default "table"). */
  sourceName?: string;
}

/** What {@link indexInventory} built. */
export interface InventoryIndex {
  /** The shelves with a price: ordinals `0 … report.uniqueShelfIds - 1`. */
  shelves: ShelfIndex;
  /** What the load found. */
  report: InventoryReport;
}

export type { ColumnSource, InventoryReport, TimeColumn };

const REQUIRED_COLUMNS = ["shelf_id", "item_price"];

/**
 * Indexes an inventory. Throws a {@link CatalogError} naming the missing columns, or when no
 * row is usable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { indexInventory } from "./inventory_index.ts";
 * import { rowSource } from "./column_source.ts";
 * const { shelves, report } = indexInventory({
 *   source: rowSource([{ shelf_id: "A1", item_price: 3.5 }, { shelf_id: null, item_price: 1 }]),
 * });
 * assert.ok(shelves.cents[shelves.ordinal.get("A1")!] === 350);
 * assert.ok(report.rejected["null shelf_id"] === 1);
 * ```
 */
export function indexInventory(options: InventoryIndexOptions): InventoryIndex {
  const { source } = options;
  const lack = REQUIRED_COLUMNS.filter((name) => !source.names.includes(name));
  if (lack.length > 0) throw missingColumnsError("inventory", lack, source.names);
  const rows = readPriceRows(source);
  const size = rows.shelves.cents.length;
  if (size === 0) throw noUsableRow(source.length, rows.rejected);
  const { duplicatedIds, overriddenRows } = countDuplicates(rows.rowsPerShelf);
  return {
    shelves: rows.shelves,
    report: {
      source: options.sourceName ?? "table",
      rows: source.length,
      acceptedRows: rows.accepted,
      uniqueShelfIds: size,
      duplicatedIds,
      overriddenRows,
      rejected: rows.rejected,
      priceColumn: "item_price",
    },
  };
}

/** The price rows read: shelves, accepted rows per ordinal, rejected rows by reason. */
interface PriceRows {
  shelves: ShelfIndex;
  rowsPerShelf: Map<number, number>;
  accepted: number;
  rejected: Record<string, number>;
}

function readPriceRows(source: ColumnSource): PriceRows {
  const ids = source.strings("shelf_id");
  const prices = source.numbers("item_price");
  const shelves: ShelfIndex = { ordinal: new Map(), cents: [] };
  const rowsPerShelf = new Map<number, number>();
  const rejected: Record<string, number> = {};
  let accepted = 0;
  for (let row = 0; row < source.length; row++) {
    const id = ids[row];
    const cents = id === null || id === "" ? "null shelf_id" : priceCents(prices[row]);
    if (typeof cents === "string") {
      countReason(rejected, cents);
      continue;
    }
    accepted++;
    let ordinal = shelves.ordinal.get(id!);
    if (ordinal === undefined) {
      ordinal = shelves.cents.length;
      shelves.ordinal.set(id!, ordinal);
      shelves.cents.push(cents);
    } else shelves.cents[ordinal] = cents; // the last row wins
    rowsPerShelf.set(ordinal, (rowsPerShelf.get(ordinal) ?? 0) + 1);
  }
  return { shelves, rowsPerShelf, accepted, rejected };
}

/** A row's price in cents, or why the row is rejected. */
function priceCents(price: number): number | string {
  if (Number.isNaN(price)) return "null or non-numeric item_price";
  if (price < 0) return "negative item_price";
  try {
    return scaleDecimal(price, 2);
  } catch {
    return "item_price out of range";
  }
}

function countDuplicates(
  rowsPerShelf: Map<number, number>,
): { duplicatedIds: number; overriddenRows: number } {
  let duplicatedIds = 0;
  let overriddenRows = 0;
  for (const rows of rowsPerShelf.values()) {
    if (rows > 1) {
      duplicatedIds++;
      overriddenRows += rows - 1;
    }
  }
  return { duplicatedIds, overriddenRows };
}

function noUsableRow(rows: number, rejected: Record<string, number>): CatalogError {
  if (rows === 0) return new CatalogError("inventory has no rows");
  const reasons = Object.entries(rejected).map(([reason, n]) => `${n} ${reason}`).join(", ");
  return new CatalogError(`inventory has no usable row (${rows} rows, all rejected: ${reasons})`);
}
