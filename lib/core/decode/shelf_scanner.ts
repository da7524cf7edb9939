/**
 * Byte-level fast path for the common shelf event (SPEC §1): a JSON object whose members are
 * `event_type` (`"pickup"`/`"putback"`), `customer_id`, `item_id`, `quantity`, `timestamp` and
 * any other keys with scalar values (`weight`, …), in any order, with any JSON whitespace.
 *
 * {@link ShelfScanner.scan} reads the record's bytes directly (no TextDecoder, no `JSON.parse`,
 * no strings) and accepts only what it can decide exactly: a **valid** pickup/putback whose
 * strings are printable ASCII without escapes, whose `quantity` is a plain integer literal in
 * 1..2^31−1, and whose `timestamp` (when present) parses; and, of the same shape, a record of
 * another event type (`weight_change`, half of a real shelf topic), which is skipped: its kind
 * is `SKIPPED`, its type a range of the bytes, its time the `timestamp` (NaN when absent).
 * Anything else — escapes, non-ASCII, a duplicated field, nested values, `null`, any invalid
 * record — returns false, and the caller takes the `JSON.parse` path (`parseValue` +
 * `decodeShelf`, records.ts), so results, skip counts and DLQ reasons are exactly those of that
 * path.
 *
 * Identifiers are left as byte ranges with a hash (FNV-1a) for `IdCache` (id_cache.ts) and
 * `ItemTable.internBytes`, so a known customer or item costs no string allocation.
 * @module
 */
import { IsoParser } from "./timestamps.ts";
import { scanString, skipScalar, skipWs } from "./json_bytes.ts";
import type { ShelfEvent } from "./shelf_event.ts";

/** Shelf event kinds (the same values as records.ts). */
const PICKUP = 0, PUTBACK = 1, SKIPPED = 2;
/** records.ts MAX_QUANTITY. */
const MAX_QUANTITY = 0x7fffffff;

/** The known keys, as bit flags (a record must not repeat one). */
const F_EVENT = 1, F_CUSTOMER = 2, F_ITEM = 4, F_QUANTITY = 8, F_TIME = 16;
/** Any other key. */
const OTHER_KEY = 0;
const QUOTE = 34, BACKSLASH = 92, COLON = 58;

const KEYS: readonly (readonly [number, string])[] = [
  [F_EVENT, "event_type"],
  [F_CUSTOMER, "customer_id"],
  [F_ITEM, "item_id"],
  [F_QUANTITY, "quantity"],
  [F_TIME, "timestamp"],
];
const KEY_BYTES = KEYS.map(([f, k]) => [f, new TextEncoder().encode(k)] as const);
/** The known keys start with distinct bytes: first byte → key bytes, and → F_* flag. */
const KEY_BY_FIRST: (Uint8Array | undefined)[] = new Array(256).fill(undefined);
const KEY_FLAG = new Int32Array(256);
for (const [f, kb] of KEY_BYTES) {
  KEY_BY_FIRST[kb[0]] = kb;
  KEY_FLAG[kb[0]] = f;
}

/** Which known key `b[s, e)` is (F_*), or OTHER_KEY. */
function keyOf(b: Uint8Array, s: number, e: number): number {
  const len = e - s;
  // Distinct (length, first byte) per key: event_type 10/e, customer_id 11/c, item_id 7/i,
  // quantity 8/q, timestamp 9/t.
  for (let k = 0; k < KEY_BYTES.length; k++) {
    const kb = KEY_BYTES[k][1];
    if (kb.length !== len || kb[0] !== b[s]) continue;
    for (let j = 1; j < len; j++) if (b[s + j] !== kb[j]) return OTHER_KEY;
    return KEY_BYTES[k][0];
  }
  return OTHER_KEY;
}

/** Whether `b[s, s+7)` is `pickup"`/`putback` etc.: the event type, or -1. */
function eventKind(b: Uint8Array, s: number, e: number): number {
  const len = e - s;
  if (len === 6) {
    // pickup
    return b[s] === 112 && b[s + 1] === 105 && b[s + 2] === 99 && b[s + 3] === 107 &&
        b[s + 4] === 117 && b[s + 5] === 112
      ? PICKUP
      : -1;
  }
  if (len === 7) {
    // putback
    return b[s] === 112 && b[s + 1] === 117 && b[s + 2] === 116 && b[s + 3] === 98 &&
        b[s + 4] === 97 && b[s + 5] === 99 && b[s + 6] === 107
      ? PUTBACK
      : -1;
  }
  return -1;
}

/**
 * The fast-path decoder. One instance per engine; when {@link ShelfScanner.scan} returns true,
 * it has filled the event it was given (ids and fraction as ranges of the record's bytes).
 *
 * @example
 * ```ts
 * import { ShelfScanner } from "./shelf_scanner.ts";
 * import { ShelfEvent } from "./shelf_event.ts";
 * const scanner = new ShelfScanner();
 * const event = new ShelfEvent();
 * const b = new TextEncoder().encode(
 *   '{"event_type":"pickup","customer_id":"c-1","item_id":"A","quantity":2}',
 * );
 * scanner.scan(b, event); // true
 * [event.quantity, event.customerIdString()]; // [2, "c-1"]
 * ```
 */
export class ShelfScanner {
  /** Timestamps, parsed in place (its minute cache serves consecutive records). */
  private readonly times = new IsoParser();
  /** Hash of the last string scanned by {@link ShelfScanner.scanHashed}. */
  private strHash = 0;
  /** The event being filled by the running {@link ShelfScanner.scan}. */
  private out!: ShelfEvent;
  /** The known keys met so far in the record (F_* bits). */
  private seen = 0;

  /**
   * Decodes `b` when it is a valid pickup/putback of the common shape (see the module doc).
   * Returns false for anything else; the caller then uses the JSON.parse path.
   */
  scan(b: Uint8Array, out: ShelfEvent): boolean {
    const n = b.length;
    this.out = out;
    let i = skipWs(b, 0, n);
    if (i >= n || b[i] !== 123) return false; // '{'
    i = skipWs(b, i + 1, n);
    this.seen = 0;
    out.quantity = 1;
    out.us = NaN;
    for (;;) {
      i = this.member(b, i, n);
      if (i < 0) return false;
      i = skipWs(b, i, n);
      if (i >= n) return false;
      const d = b[i];
      if (d === 44) { // ','
        i = skipWs(b, i + 1, n);
        continue;
      }
      if (d !== 125) return false; // '}'
      if (skipWs(b, i + 1, n) !== n) return false;
      break;
    }
    // Another event type needs nothing else (the JSON.parse path reads no other field of it).
    const required = out.kind === SKIPPED ? F_EVENT : F_EVENT | F_CUSTOMER | F_ITEM;
    if ((this.seen & required) !== required) return false;
    if ((this.seen & F_TIME) === 0) out.fracStart = out.fracEnd = 0;
    out.bytes = b;
    return true;
  }

  /** One `"key": value` member at `b[i]`; returns the index after the value, or -1. */
  private member(b: Uint8Array, i: number, n: number): number {
    if (i >= n || b[i] !== QUOTE) return -1; // also: `{}`, trailing comma
    const ks = i + 1;
    // The usual keys are recognised in one pass (bytes, then the closing quote); anything
    // else is scanned and classified in full.
    let key = OTHER_KEY;
    let ke = -1;
    const kb = KEY_BY_FIRST[ks < n ? b[ks] : 0];
    if (kb !== undefined) {
      const len = kb.length;
      if (ks + len < n && b[ks + len] === QUOTE) {
        let j = 1;
        while (j < len && b[ks + j] === kb[j]) j++;
        if (j === len) {
          key = KEY_FLAG[b[ks]];
          ke = ks + len;
        }
      }
    }
    if (ke < 0) {
      ke = scanString(b, ks, n);
      if (ke < 0) return -1;
      key = keyOf(b, ks, ke);
    }
    i = skipWs(b, ke + 1, n);
    if (i >= n || b[i] !== COLON) return -1;
    i = skipWs(b, i + 1, n);
    if (i >= n) return -1;
    if (key === OTHER_KEY) return skipScalar(b, i, n);
    if ((this.seen & key) !== 0) return -1; // duplicated field: JSON.parse keeps the last
    this.seen |= key;
    if (key === F_QUANTITY) return this.quantityAt(b, i, n);
    if (key === F_TIME) return this.timestampAt(b, i, n);
    return this.stringFieldAt(key, b, i, n);
  }

  /** A plain positive integer `quantity` at `b[i]`; returns its end, or -1. */
  private quantityAt(b: Uint8Array, i: number, n: number): number {
    const c = b[i];
    if (c < 49 || c > 57) return -1; // not a plain positive integer
    let q = c - 48;
    let j = i + 1;
    for (; j < n; j++) {
      const d = b[j] - 48;
      if (d < 0 || d > 9) break;
      q = q * 10 + d;
      if (q > MAX_QUANTITY) return -1;
    }
    if (j < n) {
      const d = b[j];
      if (d === 46 || d === 101 || d === 69) return -1; // 2.0, 1e3: JSON.parse path
    }
    this.out.quantity = q;
    return j;
  }

  /** A `timestamp` string at `b[i]`, parsed in place; returns the index after it, or -1. */
  private timestampAt(b: Uint8Array, i: number, n: number): number {
    if (b[i] !== QUOTE) return -1; // not a string (null included)
    // A valid timestamp that ends at the closing quote is the whole string (its grammar has
    // no quote, backslash, control or non-ASCII byte).
    const t = this.times;
    const us = t.parsePrefix(b, i + 1, n);
    if (Number.isNaN(us)) return -1;
    const e = t.end;
    if (e >= n || b[e] !== QUOTE) return -1;
    this.out.us = us;
    this.out.fracStart = t.fracStart;
    this.out.fracEnd = t.fracEnd;
    return e + 1;
  }

  /** The string value of `event_type`, `customer_id` or `item_id` at `b[i]`; its end, or -1. */
  private stringFieldAt(key: number, b: Uint8Array, i: number, n: number): number {
    if (b[i] !== QUOTE) return -1; // not a string
    const s = i + 1;
    if (key === F_EVENT) {
      const e = scanString(b, s, n);
      if (e < 0) return -1;
      const k = eventKind(b, s, e);
      this.out.kind = k < 0 ? SKIPPED : k;
      this.out.typeStart = s;
      this.out.typeEnd = e;
      return e + 1;
    }
    const e = this.scanHashed(b, s, n);
    if (e <= s) return -1; // not a plain string, or empty
    if (key === F_CUSTOMER) {
      this.out.custStart = s;
      this.out.custEnd = e;
      this.out.custHash = this.strHash;
    } else {
      this.out.itemStart = s;
      this.out.itemEnd = e;
      this.out.itemHash = this.strHash;
    }
    return e + 1;
  }

  /** {@link scanString}, hashing the string (FNV-1a) into {@link ShelfScanner.strHash}. */
  private scanHashed(b: Uint8Array, i: number, n: number): number {
    let h = 0x811c9dc5;
    for (; i < n; i++) {
      const c = b[i];
      if (c === QUOTE) {
        this.strHash = h;
        return i;
      }
      if (c < 32 || c === BACKSLASH || c > 127) return -1;
      h = Math.imul(h ^ c, 16777619);
    }
    return -1;
  }
}
