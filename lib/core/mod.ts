/**
 * The pure core of pos-producer: everything that decides what a transaction is, with no I/O, no
 * clock, no timers and no module-level state. The edges (Kafka service, file replay, demo and
 * simulation) feed it records and progress signals and commit what it returns; they import the
 * core through this module only.
 *
 * - {@link Engine}: records in, checkouts out. A cart changes in `shelf_events.ts` (pickups and
 *   putbacks) and `sessions.ts` (foot sessions); a checkout is scheduled by stream time in
 *   `checkout_schedule.ts` and priced in `checkout.ts`.
 * - {@link PriceBook}: unit prices and weekly discounts, indexed once per load from
 *   {@link ColumnSource}s, pricing whole carts in integer cents.
 * - Time: {@link parseIsoMicros} and {@link formatUtc} (one ISO-8601 grammar for strings and
 *   bytes), ISO weeks ({@link isoWeekKey}).
 *
 * @example A shopper's visit, checked out once the shelf input has passed exit + grace
 * ```ts
 * import assert from "node:assert/strict";
 * import { Engine, type InputRecord, PriceBook } from "./mod.ts";
 *
 * const pricer = PriceBook.fromRows({ items: [{ shelf_id: "A", item_price: 2.5 }] });
 * const engine = new Engine({ graceSec: 2, maxSessionAgeSec: 10_800, forceCheckoutIfEmpty: false, pricer });
 * const record = (source: "foot" | "shelf", value: object): InputRecord => ({
 *   source, topic: source, partition: 0, offset: "0", timestampMs: 0,
 *   value: new TextEncoder().encode(JSON.stringify(value)),
 * });
 * engine.apply(record("shelf", {
 *   event_type: "pickup", customer_id: "c1", item_id: "A", quantity: 2,
 *   timestamp: "2025-11-07T10:00:00",
 * }));
 * engine.apply(record("foot", {
 *   event_type: "foot_traffic", customer_id: "c1",
 *   entry_time: "2025-11-07T09:55:00", exit_time: "2025-11-07T10:05:00",
 * }));
 * // Both inputs are complete (a file's end): every time has passed.
 * engine.advance({ partitions: [
 *   { source: "shelf", partition: 0, caughtUp: true },
 *   { source: "foot", partition: 0, caughtUp: true },
 * ] });
 * const [tx] = engine.drainOutput().transactions;
 * assert.equal(JSON.parse(tx.value).items[0].total_price, 5);
 * ```
 * @module
 */
export {
  type DlqRecord,
  Engine,
  type EngineConfig,
  type EngineMetrics,
  type InputRecord,
  type Output,
  type PartitionSignal,
  type Progress,
  PROGRESS_KEY,
  type Source,
  type TransactionOut,
} from "./engine.ts";
export {
  CatalogError,
  DEFAULT_UNKNOWN_ITEM,
  type DiscountReport,
  type DiscountRow,
  type DiscountTables,
  type IndexedBook,
  type InventoryReport,
  type ItemRow,
  type LoadReport,
  MAX_DISCOUNT_HUNDREDTHS,
  type PartialDiscount,
  PriceBook,
  type PriceBookOptions,
  type PriceTables,
  type WeekCoverage,
} from "./pricing/price_book.ts";
export type {
  CartLine,
  PricedCart,
  PricedLine,
  Pricer,
  UnknownItemPolicy,
} from "./pricing/pricing.ts";
export {
  type ColumnSource,
  ColumnTypeError,
  NUMERIC_TEXT,
  rowSource,
  type TimeColumn,
} from "./pricing/column_source.ts";
export {
  DAY_MS,
  isoWeekKey,
  isoWeekLabel,
  isoWeekLabelOf,
  parseDateTime,
  type ParsedTime,
  parseIsoWeekLabel,
} from "./pricing/iso_week.ts";
export {
  formatUtc,
  type Instant,
  IsoParser,
  parseIsoMicros,
  parseTimestamp,
} from "./decode/timestamps.ts";
export {
  eventTimeOf,
  type FootScratch,
  type FootSession,
  newParseScratch,
  type ParseScratch,
  parseValue,
  type Reason,
  REASONS,
} from "./decode/records.ts";
export { Decoder, type Outcome, ShelfEvent } from "./decode/decode.ts";
