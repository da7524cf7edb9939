/**
 * The plain-row shapes of an inventory and a discount table (SPEC §4), as `PriceBook.fromRows`
 * (lib/core/pricing/price_book.ts) and the demo catalog take them.
 * @module
 */

/** One inventory row for `PriceBook.fromRows`. */
export interface ItemRow {
  /** The item's id (null rows are rejected). */
  shelf_id: string | null;
  /** The unit price (a number or numeric text; null rows are rejected). */
  item_price: number | string | null;
  /** Other columns are ignored. */
  [column: string]: unknown;
}

/** One discount row for `PriceBook.fromRows`: any of the shapes of SPEC §4. */
export interface DiscountRow {
  /** The item's id. */
  shelf_id: string | null;
  /** The discount as a fraction in [0, 1]. */
  discount?: number | string | null;
  /** The discount as a fraction, under its other name. */
  discount_pct?: number | string | null;
  /** With `discounted_price`: the discount is `1 − discounted / original`. */
  original_price?: number | string | null;
  /** See `original_price`. */
  discounted_price?: number | string | null;
  /** An ISO week label, `2025-W45` (it wins over dates). */
  week?: string | null;
  /** First day (or instant) of the discount, inclusive. */
  week_start?: string | number | Date | null;
  /** Last day (or instant) of the discount, inclusive. */
  week_end?: string | number | Date | null;
  /** As `week_start`. */
  start_date?: string | number | Date | null;
  /** As `week_end`. */
  end_date?: string | number | Date | null;
  /** Other columns are ignored. */
  [column: string]: unknown;
}
