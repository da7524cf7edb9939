/**
 * Decoding an input record's bytes into a typed event: the byte fast path (shelf_scanner.ts)
 * when it accepts the record, else UTF-8 + `JSON.parse` + validation (records.ts). Both fill the
 * same {@link ShelfEvent}, so the engine never knows which path ran. The decoder owns its
 * scratch (one per engine): decoding allocates nothing on the fast path.
 *
 * @example
 * ```ts
 * import { Decoder } from "./decode.ts";
 * const d = new Decoder();
 * const bytes = new TextEncoder().encode(
 *   '{"event_type":"pickup","customer_id":"c-1","item_id":"A","timestamp":"2025-11-07T09:00:01.5Z"}',
 * );
 * d.decode("shelf", bytes); // "shelf"
 * [d.shelf.customerIdString(), d.shelf.fraction()]; // ["c-1", "5"]
 * d.decode("foot", new TextEncoder().encode("[]")); // "invalid" (d.reason: "not_object")
 * ```
 * @module
 */
import type { Source } from "./engine_types.ts";
import {
  decodeFoot,
  decodeShelf,
  type FootScratch,
  newFootScratch,
  newParseScratch,
  newShelfScratch,
  parseValue,
  type Reason,
  SKIPPED,
} from "./records.ts";
import { ShelfScanner } from "./shelf_scanner.ts";
import { asciiString } from "./id_cache.ts";
import { IsoParser } from "./timestamps.ts";

/** What a record decoded to. */
export type Outcome = "shelf" | "foot" | "skipped" | "invalid";

/**
 * A valid pickup/putback. From the fast path, ids and fraction are ranges of `bytes` (with
 * their FNV-1a hashes); from the JSON path, `bytes` is null and they are strings.
 */
export class ShelfEvent {
  /** PICKUP or PUTBACK (records.ts). */
  kind = 0;
  /** The quantity. */
  quantity = 1;
  /** Epoch µs, or NaN when the event has no `timestamp` (the record timestamp counts). */
  us: number = NaN;
  /** The record's bytes when the fast path decoded it, else null. */
  bytes: Uint8Array | null = null;
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

/** Bytes → typed event, with reusable scratch. */
export class Decoder {
  /** The last shelf event decoded. */
  readonly shelf = new ShelfEvent();
  /** The last foot record decoded. */
  readonly foot: FootScratch = newFootScratch();
  /** Outcome "invalid": why. */
  reason: Reason | null = null;
  /** Outcome "invalid": why, for humans. */
  detail = "";
  /** Outcome "skipped": the record's event type. */
  eventType = "";
  private readonly scanner = new ShelfScanner();
  private readonly parsed = newParseScratch();
  private readonly shelfFields = newShelfScratch();
  private readonly times = new IsoParser();

  /** Decodes one record's value from `source`. */
  decode(source: Source, value: Uint8Array | null): Outcome {
    if (source === "shelf" && value !== null && this.scanner.scan(value)) {
      this.fromScanner(value);
      return "shelf";
    }
    const ps = this.parsed;
    if (!parseValue(value, ps)) return this.invalid(ps.reason!, ps.detail);
    return source === "shelf" ? this.decodeShelf(ps.obj!) : this.decodeFoot(ps.obj!);
  }

  /** Fills {@link Decoder.shelf} from the scanner's fields. */
  private fromScanner(b: Uint8Array): void {
    const sc = this.scanner, ev = this.shelf;
    ev.bytes = b;
    ev.kind = sc.kind;
    ev.quantity = sc.quantity;
    ev.us = sc.us;
    ev.custStart = sc.custStart;
    ev.custEnd = sc.custEnd;
    ev.custHash = sc.custHash;
    ev.itemStart = sc.itemStart;
    ev.itemEnd = sc.itemEnd;
    ev.itemHash = sc.itemHash;
    ev.fracStart = sc.fracStart;
    ev.fracEnd = sc.fracEnd;
  }

  /** The JSON.parse path for a shelf object. */
  private decodeShelf(obj: Record<string, unknown>): Outcome {
    const s = this.shelfFields;
    const reason = decodeShelf(obj, s, this.times);
    if (reason !== null) return this.invalid(reason, s.detail);
    if (s.kind === SKIPPED) return this.skipped(s.eventType);
    const ev = this.shelf;
    ev.bytes = null;
    ev.kind = s.kind;
    ev.quantity = s.quantity;
    ev.us = s.us;
    ev.customerId = s.customerId;
    ev.itemId = s.itemId;
    ev.rawTime = s.rawTime;
    ev.fracStart = s.rawTime.length > 0 ? s.fracStart : 0;
    ev.fracEnd = s.rawTime.length > 0 ? s.fracEnd : 0;
    return "shelf";
  }

  /** The JSON.parse path for a foot object. */
  private decodeFoot(obj: Record<string, unknown>): Outcome {
    const f = this.foot;
    const reason = decodeFoot(obj, f, this.times);
    if (reason !== null) return this.invalid(reason, f.detail);
    return f.skipped ? this.skipped(f.eventType) : "foot";
  }

  /** Outcome "invalid", with why. */
  private invalid(reason: Reason, detail: string): Outcome {
    this.reason = reason;
    this.detail = detail;
    return "invalid";
  }

  /** Outcome "skipped", with the event type. */
  private skipped(eventType: string): Outcome {
    this.eventType = eventType;
    return "skipped";
  }
}
