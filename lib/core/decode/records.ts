/**
 * Decoding and validation of input records (SPEC §1). Every rejection has a reason (a short
 * stable code, used as the DLQ `reason` and the metrics label) and a detail for humans.
 *
 * Hot path: the decoders write into a caller-owned scratch object and return a constant reason
 * string (or `null` when the record is valid), so decoding allocates nothing beyond the
 * UTF-8 → string step and `JSON.parse`.
 * @module
 */
import { IsoParser } from "./timestamps.ts";

/** Why a record was rejected. Stable: used as DLQ reason and metric label. */
export type Reason =
  | "empty_value"
  | "not_utf8"
  | "not_json"
  | "not_object"
  | "missing_field"
  | "wrong_type"
  | "invalid_quantity"
  | "invalid_time"
  | "exit_before_entry"
  | "late"
  | "conflicting_session"
  | "unknown_item";

/** All reasons, for metrics (zero-valued series). */
export const REASONS: readonly Reason[] = [
  "empty_value",
  "not_utf8",
  "not_json",
  "not_object",
  "missing_field",
  "wrong_type",
  "invalid_quantity",
  "invalid_time",
  "exit_before_entry",
  "late",
  "conflicting_session",
  "unknown_item",
];

/** The largest accepted `quantity` (so quantities and money stay exact integers). */
export const MAX_QUANTITY = 0x7fffffff;

const LENIENT = new TextDecoder("utf-8");
const STRICT = new TextDecoder("utf-8", { fatal: true });

/** Result of {@link parseValue}: the parsed object, or a rejection in `reason`/`detail`. */
export interface ParseScratch {
  /** The parsed object, or null. */
  obj: Record<string, unknown> | null;
  /** Why not (null when parsed). */
  reason: Reason | null;
  /** Why not, for humans. */
  detail: string;
}

/** A fresh scratch for {@link parseValue}. */
export function newParseScratch(): ParseScratch {
  return { obj: null, reason: null, detail: "" };
}

/**
 * Bytes → JSON object. UTF-8 is decoded leniently (fast) and only re-checked strictly when the
 * result contains U+FFFD, so invalid UTF-8 is still rejected (`not_utf8`).
 */
export function parseValue(value: Uint8Array | null, out: ParseScratch): boolean {
  out.obj = null;
  if (value === null || value.length === 0) {
    out.reason = "empty_value";
    out.detail = value === null ? "null value (tombstone)" : "empty value";
    return false;
  }
  const text = LENIENT.decode(value);
  if (text.indexOf("\uFFFD") >= 0) {
    try {
      STRICT.decode(value);
    } catch {
      out.reason = "not_utf8";
      out.detail = "value is not valid UTF-8";
      return false;
    }
  }
  return parseText(text, out);
}

/** String → JSON object (see {@link parseValue}). */
export function parseText(text: string, out: ParseScratch): boolean {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    out.obj = null;
    out.reason = "not_json";
    out.detail = e instanceof Error ? e.message : String(e);
    return false;
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
    out.obj = null;
    out.reason = "not_object";
    out.detail = `JSON ${obj === null ? "null" : Array.isArray(obj) ? "array" : typeof obj}`;
    return false;
  }
  out.obj = obj as Record<string, unknown>;
  out.reason = null;
  return true;
}

/** Shelf event kinds. */
export const PICKUP = 0, PUTBACK = 1, SKIPPED = 2;

/** A decoded shelf event (scratch, reused). */
export interface ShelfScratch {
  /** {@link PICKUP}, {@link PUTBACK} or {@link SKIPPED} (another event_type). */
  kind: number;
  /** The record's `event_type`. */
  eventType: string;
  /** The customer id. */
  customerId: string;
  /** The item id. */
  itemId: string;
  /** The quantity (1 when absent). */
  quantity: number;
  /** Epoch µs, or NaN when the event has no `timestamp` (use the record timestamp). */
  us: number;
  /** The raw timestamp string (for its fraction digits), "" when absent. */
  rawTime: string;
  /** The fraction digits of `rawTime`: `rawTime.slice(fracStart, fracEnd)`. */
  fracStart: number;
  /** End (exclusive) of the fraction digits. */
  fracEnd: number;
  /** Why the record was rejected (when it was). */
  detail: string;
}

/** A fresh scratch for {@link decodeShelf}. */
export function newShelfScratch(): ShelfScratch {
  return {
    kind: 0,
    eventType: "",
    customerId: "",
    itemId: "",
    quantity: 0,
    us: NaN,
    rawTime: "",
    fracStart: 0,
    fracEnd: 0,
    detail: "",
  };
}

/**
 * Validates a shelf event object (SPEC §1). Returns null when valid (or a skipped type, see
 * `kind`), else the rejection reason with `out.detail` set.
 */
export function decodeShelf(
  o: Record<string, unknown>,
  out: ShelfScratch,
  times: IsoParser = new IsoParser(),
): Reason | null {
  const et = o.event_type;
  if (typeof et !== "string") return fieldError(o, "event_type", out);
  out.eventType = et;
  if (et === "pickup") out.kind = PICKUP;
  else if (et === "putback") out.kind = PUTBACK;
  else {
    out.kind = SKIPPED;
    return null;
  }
  const cid = o.customer_id;
  if (typeof cid !== "string" || cid.length === 0) return fieldError(o, "customer_id", out);
  out.customerId = cid;
  const item = o.item_id;
  if (typeof item !== "string" || item.length === 0) return fieldError(o, "item_id", out);
  out.itemId = item;
  const q = o.quantity;
  if (q === undefined) out.quantity = 1;
  else if (typeof q !== "number") return fieldError(o, "quantity", out);
  else if (!Number.isInteger(q) || q <= 0 || q > MAX_QUANTITY) {
    out.detail = `quantity must be a positive integer, got ${q}`;
    return "invalid_quantity";
  } else out.quantity = q;
  const ts = o.timestamp;
  if (ts === undefined || ts === null) {
    out.us = NaN;
    out.rawTime = "";
  } else if (typeof ts !== "string") return fieldError(o, "timestamp", out);
  else {
    const us = times.parse(ts);
    if (Number.isNaN(us)) {
      out.detail = `unparseable timestamp ${JSON.stringify(ts)}`;
      return "invalid_time";
    }
    out.us = us;
    out.rawTime = ts;
    out.fracStart = times.fracStart;
    out.fracEnd = times.fracEnd;
  }
  return null;
}

/** A decoded foot-traffic session. */
export interface FootSession {
  /** The customer id. */
  customerId: string;
  /** Entry (µs). */
  entryUs: number;
  /** Entry's fraction digits as written. */
  entryFrac: string;
  /** Exit (µs). */
  exitUs: number;
  /** Exit's fraction digits as written. */
  exitFrac: string;
}

/** A decoded foot-traffic record (scratch, reused): a session, or why not. */
export interface FootScratch extends FootSession {
  /** Another event type (counted, not applied). */
  skipped: boolean;
  /** The record's `event_type`. */
  eventType: string;
  /** Why the record was rejected (when it was). */
  detail: string;
}

/** A fresh scratch for {@link decodeFoot}. */
export function newFootScratch(): FootScratch {
  return {
    customerId: "",
    entryUs: 0,
    entryFrac: "",
    exitUs: 0,
    exitFrac: "",
    skipped: false,
    eventType: "",
    detail: "",
  };
}

/**
 * Validates a foot-traffic session object (SPEC §1). Returns null when valid (or skipped, see
 * `out.skipped`), else the rejection reason with `out.detail` set.
 */
export function decodeFoot(
  o: Record<string, unknown>,
  out: FootScratch,
  times: IsoParser = new IsoParser(),
): Reason | null {
  const et = o.event_type;
  if (typeof et !== "string") return fieldError(o, "event_type", out);
  out.eventType = et;
  if (et !== "foot_traffic") {
    out.skipped = true;
    return null;
  }
  out.skipped = false;
  const cid = o.customer_id;
  if (typeof cid !== "string" || cid.length === 0) return fieldError(o, "customer_id", out);
  out.customerId = cid;
  const en = o.entry_time, ex = o.exit_time;
  if (typeof en !== "string") return fieldError(o, "entry_time", out);
  if (typeof ex !== "string") return fieldError(o, "exit_time", out);
  const enUs = times.parse(en);
  if (Number.isNaN(enUs)) {
    out.detail = `unparseable entry_time ${JSON.stringify(en)}`;
    return "invalid_time";
  }
  out.entryUs = enUs;
  out.entryFrac = times.fraction(en);
  const exUs = times.parse(ex);
  if (Number.isNaN(exUs)) {
    out.detail = `unparseable exit_time ${JSON.stringify(ex)}`;
    return "invalid_time";
  }
  out.exitUs = exUs;
  out.exitFrac = times.fraction(ex);
  if (exUs < enUs) {
    out.detail = `exit_time ${ex} is before entry_time ${en}`;
    return "exit_before_entry";
  }
  return null;
}

function fieldError(o: Record<string, unknown>, field: string, out: { detail: string }): Reason {
  const v = o[field];
  if (v === "") {
    out.detail = `field ${field} is empty`;
    return "missing_field";
  }
  if (v === undefined) {
    out.detail = `missing field ${field}`;
    return "missing_field";
  }
  out.detail = `field ${field} has the wrong type (${v === null ? "null" : typeof v})`;
  return "wrong_type";
}

/**
 * The event time a JSONL line is merged by in `replay` (SPEC §8): a foot session's entry_time, a
 * shelf event's timestamp. NaN when the line has none (it inherits the previous line's time).
 */
export function eventTimeOf(
  source: "foot" | "shelf",
  o: Record<string, unknown>,
  times: IsoParser = new IsoParser(),
): number {
  const v = source === "foot" ? o.entry_time : o.timestamp;
  return typeof v === "string" ? times.parse(v) : NaN;
}
