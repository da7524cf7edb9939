/**
 * A decoded pickup/putback, as both decoding paths fill it: the byte fast path
 * (shelf_scanner.ts) leaves ids and the fraction as ranges of the record's bytes with their
 * hashes; the JSON.parse path (records.ts) as strings. The fast path also fills it for a record
 * of another event type (kind SKIPPED: its type and time only).
 * @module
 */
import { asciiString } from "./id_cache.ts";

/**
 * A valid pickup/putback. From the fast path, ids and fraction are ranges of `bytes` (with
 * their FNV-1a hashes); from the JSON path, `bytes` is null and they are strings.
 */
export class ShelfEvent {
  /** PICKUP or PUTBACK (records.ts); SKIPPED from the fast path for another event type. */
  kind = 0;
  /** The quantity. */
  quantity = 1;
  /** Epoch µs, or NaN when the event has no `timestamp` (the record timestamp counts). */
  us: number = NaN;
  /** The record's bytes when the fast path decoded it, else null. */
  bytes: Uint8Array | null = null;
  /** Fast path: `bytes[typeStart, typeEnd)` is the event type. */
  typeStart = 0;
  /** Fast path: end of the event type. */
  typeEnd = 0;
  /** Fast path: `bytes[custStart, custEnd)` is the customer id. */
  custStart = 0;
  /** Fast path: end of the customer id. */
  custEnd = 0;
  /** Fast path: FNV-1a of the customer id. */
  custHash = 0;
  /** Fast path: `bytes[itemStart, itemEnd)` is the item id. */
  itemStart = 0;
  /** Fast path: end of the item id. */
  itemEnd = 0;
  /** Fast path: FNV-1a of the item id. */
  itemHash = 0;
  /** JSON path: the customer id. */
  customerId = "";
  /** JSON path: the item id. */
  itemId = "";
  /** JSON path: the timestamp as written ("" when absent). */
  rawTime = "";
  /** The fraction digits: a range of `bytes`, or of `rawTime`. */
  fracStart = 0;
  /** End of the fraction digits. */
  fracEnd = 0;

  /** The customer id as a string (the fast path makes one only when asked). */
  customerIdString(): string {
    const b = this.bytes;
    return b === null ? this.customerId : asciiString(b, this.custStart, this.custEnd);
  }

  /** The timestamp's fraction digits as written ("" when none, or no timestamp). */
  fraction(): string {
    if (this.fracEnd <= this.fracStart) return "";
    const b = this.bytes;
    return b === null
      ? this.rawTime.slice(this.fracStart, this.fracEnd)
      : asciiString(b, this.fracStart, this.fracEnd);
  }
}
