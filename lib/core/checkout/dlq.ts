/**
 * What the engine produces between drains: transactions and dead-letter records, with the
 * builders of the DLQ records (an input record as it came, or one the engine re-encoded).
 *
 * @example
 * ```ts
 * import { OutputBuffer } from "./dlq.ts";
 * const out = new OutputBuffer();
 * const rec = { topic: "shelf", partition: 0, offset: "7", value: null };
 * out.rejected(rec, "empty_value", "null value (tombstone)");
 * out.drain().dlq[0].reason; // "empty_value"
 * ```
 * @module
 */
import type { DlqRecord, InputRecord, Output, TransactionOut } from "../engine_types.ts";
import type { LoggedEvent } from "../carts/cart.ts";
import type { CartLine } from "../pricing/pricing.ts";
import { formatUtc, fractionOf } from "../decode/timestamps.ts";

const ENCODER = new TextEncoder();

/** The parts of an input record a DLQ record copies. */
export type RecordRef = Pick<InputRecord, "topic" | "partition" | "offset" | "value" | "headers">;

/** The output accumulated since the last {@link OutputBuffer.drain}. */
export class OutputBuffer {
  /** The shelf topic (re-encoded shelf records name it); set by every shelf event. */
  shelfTopic = "";
  private out: Output = { transactions: [], dlq: [] };

  /** Emits a transaction. */
  transaction(t: TransactionOut): void {
    this.out.transactions.push(t);
  }

  /** Dead-letters input record `rec` as it came. */
  rejected(rec: RecordRef, reason: string, detail: string): void {
    const d: DlqRecord = {
      value: rec.value,
      reason,
      detail,
      topic: rec.topic,
      partition: rec.partition,
      offset: rec.offset,
    };
    if (rec.headers !== undefined) d.headers = rec.headers;
    this.out.dlq.push(d);
  }

  /** Dead-letters a logged event found late (re-encoded from the cart: bytes are not kept). */
  lateLogged(customerId: string, e: LoggedEvent): void {
    const value = ENCODER.encode(JSON.stringify({
      event_type: e.putback ? "putback" : "pickup",
      customer_id: customerId,
      item_id: e.itemId,
      quantity: e.quantity,
      timestamp: formatUtc(e.us, fractionOf(e.us)),
    }));
    this.out.dlq.push({
      value,
      reason: "late",
      detail:
        "event time after the cutoff, found after it was logged (value re-encoded from the cart)",
      topic: this.shelfTopic,
      partition: e.partition,
      offset: String(e.offset),
    });
  }

  /**
   * Dead-letters a line left out of transaction `txId` (UNKNOWN_ITEM_PRICE=skip), at the
   * partition/offset of its first pickup.
   */
  skippedLine(
    txId: string,
    customerId: string,
    timestamp: string,
    line: CartLine,
    at: { partition: number; offset: number },
  ): void {
    this.out.dlq.push({
      value: ENCODER.encode(JSON.stringify({
        event_type: "pos_line_skipped",
        transaction_id: txId,
        customer_id: customerId,
        timestamp,
        item_id: line.itemId,
        quantity: line.quantity,
      })),
      reason: "unknown_item",
      detail: "item not in the inventory; line left out (UNKNOWN_ITEM_PRICE=skip)",
      topic: this.shelfTopic,
      partition: at.partition,
      offset: String(at.offset),
    });
  }

  /** Takes and clears what was produced. */
  drain(): Output {
    const o = this.out;
    this.out = { transactions: [], dlq: [] };
    return o;
  }
}
