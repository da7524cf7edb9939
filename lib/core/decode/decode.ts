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
import type { Source } from "../engine_types.ts";
import {
  decodeFoot,
  decodeShelf,
  eventTimeOf,
  type FootScratch,
  newFootScratch,
  newParseScratch,
  newShelfScratch,
  parseValue,
  type Reason,
  SKIPPED,
} from "./records.ts";
import { ShelfScanner } from "./shelf_scanner.ts";
import { asciiString, sameAscii } from "./id_cache.ts";
import { ShelfEvent } from "./shelf_event.ts";
import { IsoParser } from "./timestamps.ts";

export { ShelfEvent };

/** What a record decoded to. */
export type Outcome = "shelf" | "foot" | "skipped" | "invalid";

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
  /** Whether the last "skipped" came from the fast path (then its time is the event's `us`). */
  private skipScanned = false;

  /** Decodes one record's value from `source`. */
  decode(source: Source, value: Uint8Array | null): Outcome {
    if (source === "shelf" && value !== null && this.scanner.scan(value, this.shelf)) {
      const ev = this.shelf;
      if (ev.kind !== SKIPPED) return "shelf";
      this.skipScanned = true;
      // The same type as the last one (a topic's noise is one type): no new string.
      const same = sameAscii(this.eventType, value, ev.typeStart, ev.typeEnd);
      return this.skipped(same ? this.eventType : asciiString(value, ev.typeStart, ev.typeEnd));
    }
    this.skipScanned = false;
    const ps = this.parsed;
    if (!parseValue(value, ps)) return this.invalid(ps.reason!, ps.detail);
    return source === "shelf" ? this.decodeShelf(ps.obj!) : this.decodeFoot(ps.obj!);
  }

  /**
   * The event time (µs, `eventTimeOf`'s definition) of the last record decoded (call it after
   * `decode` returned "skipped") without parsing it again; NaN when none.
   */
  lastEventTimeUs(source: Source): number {
    if (this.skipScanned) return this.shelf.us;
    const o = this.parsed.obj;
    return o ? eventTimeOf(source, o, this.times) : NaN;
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
