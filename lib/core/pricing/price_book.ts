/**
 * The price book (SPEC §4): unit prices by `shelf_id` and weekly discounts by (`shelf_id`, ISO
 * week), indexed once per load, pricing whole carts with exact integer money. Pure: built from
 * columns ({@link ColumnSource}) or plain rows, no file, clock or timer. The indexing lives in
 * lib/core/pricing/price_tables.ts (inventory_index.ts, discount_index.ts); Arrow tables are adapted in
 * lib/catalog/arrow_columns.ts, files loaded by lib/catalog/loader.ts, hot reload in
 * lib/catalog/watcher.ts.
 * @module
 */
import type { CartLine, PricedCart, PricedLine, Pricer, UnknownItemPolicy } from "./pricing.ts";
import { type ColumnSource, rowSource } from "./column_source.ts";
import { buildPriceTables, type PriceTables } from "./price_tables.ts";
import type { DiscountRow, ItemRow } from "./catalog_rows.ts";
import { NO_DISCOUNT } from "./discount_index.ts";
import { lineTotalCents, scaleDecimal } from "./money.ts";
import { isoWeekKey } from "./iso_week.ts";
import type { LoadReport } from "./load_report.ts";

export type { CartLine, PricedCart, PricedLine, Pricer, UnknownItemPolicy } from "./pricing.ts";
export type { ColumnSource, TimeColumn } from "./column_source.ts";
export type { PriceTables } from "./price_tables.ts";
export type { DiscountRow, ItemRow } from "./catalog_rows.ts";
export type { DiscountTables, PartialDiscount } from "./discount_index.ts";
export { MAX_DISCOUNT_HUNDREDTHS } from "./discount_index.ts";
export {
  CatalogError,
  type DiscountReport,
  type InventoryReport,
  type LoadReport,
  type WeekCoverage,
} from "./load_report.ts";

/** The unknown-item policy the original pipeline used: price 5.0. */
export const DEFAULT_UNKNOWN_ITEM: UnknownItemPolicy = { kind: "price", price: 5.0 };

/** Options of every PriceBook constructor. */
export interface PriceBookOptions {
  /** `UNKNOWN_ITEM_PRICE`; default {@link DEFAULT_UNKNOWN_ITEM} (price 5.0). */
  unknownItem?: UnknownItemPolicy;
  /** Where the inventory came from, for the report (a path). */
  inventorySource?: string;
  /** Where the discounts came from, for the report (a path). */
  discountSource?: string | null;
}

/** A {@link PriceBook} as plain data (see {@link PriceBook.toIndexed}). */
export interface IndexedBook {
  /** The indexed tables. */
  readonly tables: PriceTables;
  /** What the load found. */
  readonly report: LoadReport;
  /** The unknown-item policy. */
  readonly unknownItem: UnknownItemPolicy;
}

function unknownCents(policy: UnknownItemPolicy): number | undefined {
  if (policy.kind === "skip") return undefined;
  if (!Number.isFinite(policy.price) || policy.price < 0) {
    throw new RangeError(`unknown-item price must be a number >= 0, got ${policy.price}`);
  }
  return scaleDecimal(policy.price, 2);
}

/**
 * Prices whole carts from an indexed inventory and discount table. Immutable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PriceBook } from "./price_book.ts";
 * const book = PriceBook.fromRows({
 *   items: [{ shelf_id: "A12", item_price: 3.5 }],
 *   discounts: [{ shelf_id: "A12", week: "2025-W45", discount: 0.1 }],
 * });
 * const { lines } = book.priceCart([{ itemId: "A12", quantity: 2 }], Date.parse("2025-11-07T10:00:00Z"));
 * assert.ok(lines[0].total_price === 6.3 && lines[0].discount === 0.1);
 * ```
 */
export class PriceBook implements Pricer {
  readonly #tables: PriceTables;
  readonly #unknownCents: number | undefined;
  /** The unknown-item policy in force. */
  readonly unknownItem: UnknownItemPolicy;
  /** What the load found. */
  readonly report: LoadReport;

  private constructor(
    tables: PriceTables,
    report: LoadReport,
    unknownItem: UnknownItemPolicy,
  ) {
    this.#tables = tables;
    this.report = report;
    this.unknownItem = unknownItem;
    this.#unknownCents = unknownCents(unknownItem);
  }

  /**
   * Indexes an inventory and an optional discount table given as columns (Arrow tables through
   * `arrowSource` of lib/catalog/arrow_columns.ts; plain rows through {@link fromRows}). Throws
   * a `CatalogError` naming missing columns, or when the inventory has no usable row.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { PriceBook } from "./price_book.ts";
   * import { rowSource } from "./column_source.ts";
   * const book = PriceBook.fromColumns(rowSource([{ shelf_id: "A1", item_price: "2.405" }]));
   * assert.ok(book.unitCents("A1") === 241);
   * ```
   */
  static fromColumns(
    inventory: ColumnSource,
    discounts?: ColumnSource,
    options: PriceBookOptions = {},
  ): PriceBook {
    const policy = options.unknownItem ?? DEFAULT_UNKNOWN_ITEM;
    unknownCents(policy); // validate before the work
    const { tables, report } = buildPriceTables({
      inventory,
      discounts,
      inventorySource: options.inventorySource,
      discountSource: options.discountSource,
    });
    return new PriceBook(tables, report, policy);
  }

  /**
   * The book as structured-cloneable data, so it can be indexed in a worker (whose memory goes
   * when it ends) and handed to the main thread; {@link fromIndexed} rebuilds it.
   */
  toIndexed(): IndexedBook {
    return { tables: this.#tables, report: this.report, unknownItem: this.unknownItem };
  }

  /**
   * The book {@link toIndexed} described.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { PriceBook } from "./price_book.ts";
   * const book = PriceBook.fromRows({ items: [{ shelf_id: "A1", item_price: 1 }] });
   * const copy = PriceBook.fromIndexed(structuredClone(book.toIndexed()));
   * assert.ok(copy.unitCents("A1") === 100);
   * ```
   */
  static fromIndexed(data: IndexedBook): PriceBook {
    return new PriceBook(data.tables, data.report, data.unknownItem);
  }

  /**
   * Builds a book from plain rows. Same rules as the files: the last row wins, rejected rows
   * are counted in `report`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { PriceBook } from "./price_book.ts";
   * const book = PriceBook.fromRows({
   *   items: [{ shelf_id: "A1", item_price: 3.5 }, { shelf_id: "A2", item_price: -1 }],
   *   discounts: [{ shelf_id: "A1", week: "2025-W45", discount: 0.1 }],
   *   unknownItem: { kind: "skip" },
   * });
   * assert.ok(book.size === 1 && book.report.inventory.rejected["negative item_price"] === 1);
   * ```
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

  /**
   * The same tables with another unknown-item policy (no re-indexing).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { PriceBook } from "./price_book.ts";
   * const book = PriceBook.fromRows({ items: [{ shelf_id: "A1", item_price: 1 }] });
   * const strict = book.withUnknownItem({ kind: "skip" });
   * assert.ok(strict.priceCart([{ itemId: "B", quantity: 1 }], 0).skipped.length === 1);
   * ```
   */
  withUnknownItem(policy: UnknownItemPolicy): PriceBook {
    return new PriceBook(this.#tables, this.report, policy);
  }

  /** Number of shelf ids with a price. */
  get size(): number {
    return this.#tables.inventorySize;
  }

  /** True when `itemId` is in the inventory. */
  has(itemId: string): boolean {
    const ordinal = this.#tables.ordinal.get(itemId);
    return ordinal !== undefined && !Number.isNaN(this.#tables.cents[ordinal]);
  }

  /** Unit price in cents of `itemId`, or undefined when it is not in the inventory. */
  unitCents(itemId: string): number | undefined {
    const ordinal = this.#tables.ordinal.get(itemId);
    if (ordinal === undefined) return undefined;
    const cents = this.#tables.cents[ordinal];
    return Number.isNaN(cents) ? undefined : cents;
  }

  /** Discount of `itemId` at `atEpochMs` in hundredths (0 when none). */
  discountHundredths(itemId: string, atEpochMs: number): number {
    const ordinal = this.#tables.ordinal.get(itemId);
    if (ordinal === undefined) return 0;
    const key = isoWeekKey(atEpochMs);
    return this.#discountAt(ordinal, key, this.#tables.weeks.get(key), atEpochMs);
  }

  #discountAt(
    ordinal: number,
    key: number,
    week: Uint8Array | undefined,
    atEpochMs: number,
  ): number {
    if (this.#tables.partial.size > 0) {
      const ranges = this.#tables.partial.get(key)?.get(ordinal);
      if (ranges) {
        for (let i = ranges.length - 1; i >= 0; i--) {
          const range = ranges[i];
          if (range.from <= atEpochMs && atEpochMs < range.to) return range.hundredths;
        }
      }
    }
    if (week === undefined) return 0;
    const hundredths = week[ordinal];
    return hundredths === NO_DISCOUNT ? 0 : hundredths;
  }

  /**
   * Prices `lines` for a transaction at `atEpochMs` (UTC): unit price rounded to cents, the
   * discount of the ISO week holding `atEpochMs`, the line total exact in cents. Unknown items
   * take the unknown-item price, or go to `skipped` under the skip policy.
   */
  priceCart(lines: readonly CartLine[], atEpochMs: number): PricedCart {
    if (!Number.isFinite(atEpochMs)) throw new RangeError(`atEpochMs must be finite: ${atEpochMs}`);
    const tables = this.#tables;
    const key = isoWeekKey(atEpochMs);
    const week = tables.weeks.get(key);
    const out: PricedLine[] = [];
    const unknownItems: string[] = [];
    const skipped: CartLine[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      const ordinal = tables.ordinal.get(line.itemId);
      let cents = NaN;
      let hundredths = 0;
      if (ordinal !== undefined) {
        cents = tables.cents[ordinal];
        hundredths = this.#discountAt(ordinal, key, week, atEpochMs);
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
        discount: hundredths / 100,
        total_price: lineTotalCents(line.quantity, cents, hundredths) / 100,
      });
    }
    return { lines: out, unknownItems, skipped };
  }
}
