/**
 * The pricing interface the cart engine depends on. `PriceBook` (lib/core/pricing/price_book.ts) implements
 * it; the engine never sees parquet or Arrow, so both can be tested alone.
 * @module
 */

/** A cart line before pricing, in first-pickup order. */
export interface CartLine {
  /** The item (a shelf id). */
  readonly itemId: string;
  /** Units in the cart (> 0). */
  readonly quantity: number;
}

/** One priced line exactly as it appears in a transaction (SPEC §5). */
export interface PricedLine {
  /** The item (a shelf id). */
  item_id: string;
  /** Units bought. */
  quantity: number;
  /** Unit price in currency units, exact to the cent. */
  unit_price: number;
  /** Discount as a fraction, exact to the hundredth (0.1 = 10%). */
  discount: number;
  /** `quantity × unit_price × (1 − discount)`, rounded half away to the cent. */
  total_price: number;
}

/** The result of pricing one cart. */
export interface PricedCart {
  /** Lines in the cart's order; lines skipped by `UNKNOWN_ITEM_PRICE=skip` are left out. */
  lines: PricedLine[];
  /** Item ids not in the inventory (priced at the unknown-item price, or skipped). */
  unknownItems: string[];
  /** Lines left out because `UNKNOWN_ITEM_PRICE=skip` (they go to the DLQ). */
  skipped: CartLine[];
}

/** Prices whole carts. Pure: same input, same output. */
export interface Pricer {
  /**
   * Prices `lines` for a transaction at `atEpochMs` (UTC); the discount week is the ISO week
   * of that instant.
   */
  priceCart(lines: readonly CartLine[], atEpochMs: number): PricedCart;
}

/** What to do with an item that is not in the inventory (`UNKNOWN_ITEM_PRICE`). */
export type UnknownItemPolicy = { kind: "price"; price: number } | { kind: "skip" };
