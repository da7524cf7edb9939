/**
 * Byte-level fast path for the common shelf event (SPEC §1): a JSON object whose members are
 * `event_type` (`"pickup"`/`"putback"`), `customer_id`, `item_id`, `quantity`, `timestamp` and
 * any other keys with scalar values (`weight`, …), in any order, with any JSON whitespace.
 *
 * {@link ShelfScanner.scan} reads the record's bytes directly (no TextDecoder, no `JSON.parse`,
 * no strings) and accepts only what it can decide exactly: a **valid** pickup/putback whose
 * strings are printable ASCII without escapes, whose `quantity` is a plain integer literal in
 * 1..2^31−1, and whose `timestamp` (when present) parses. Anything else — escapes, non-ASCII,
 * a duplicated field, nested values, `null`, other event types, any invalid record — returns
 * false, and the caller takes the `JSON.parse` path ({@link parseValue} + {@link decodeShelf}),
 * so results, skip counts and DLQ reasons are exactly those of that path.
 *
 * Identifiers are left as byte ranges with a hash (FNV-1a) for {@link IdCache} and
 * `ItemTable.internBytes`, so a known customer or item costs no string allocation.
 * @module
 */
import { bytesFracEnd, bytesFracStart, bytesIsoEnd, parseIsoMicrosPrefix } from "./timestamps.ts";

/** Shelf event kinds (the same values as records.ts). */
const PICKUP = 0, PUTBACK = 1;
/** records.ts MAX_QUANTITY. */
const MAX_QUANTITY = 0x7fffffff;

const F_EVENT = 1, F_CUSTOMER = 2, F_ITEM = 4, F_QUANTITY = 8, F_TIME = 16;
const K_OTHER = 0;

/** Hash (FNV-1a, 32-bit) of the string scanned last by {@link scanString}. */
let strHash = 0;

/**
 * Scans a JSON string body starting at `i` (after the opening quote). Returns the index of the
 * closing quote, or -1 when the string has an escape, a control character or a non-ASCII byte
 * (or is unterminated). Sets {@link strHash} when `hash`.
 */
function scanString(b: Uint8Array, i: number, n: number, hash: boolean): number {
  if (hash) {
    let h = 0x811c9dc5;
    for (; i < n; i++) {
      const c = b[i];
      if (c === 34) {
        strHash = h;
        return i;
      }
      if (c < 32 || c === 92 || c > 127) return -1;
      h = Math.imul(h ^ c, 16777619);
    }
    return -1;
  }
  for (; i < n; i++) {
    const c = b[i];
    if (c === 34) return i;
    if (c < 32 || c === 92 || c > 127) return -1;
  }
  return -1;
}

/** JSON whitespace. */
function skipWs(b: Uint8Array, i: number, n: number): number {
  while (i < n) {
    const c = b[i];
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) break;
    i++;
  }
  return i;
}

/** A JSON number per RFC 8259 from `i`; returns its end, or -1. */
function skipNumber(b: Uint8Array, i: number, n: number): number {
  if (i < n && b[i] === 45) i++; // '-'
  if (i >= n) return -1;
  let c = b[i];
  if (c === 48) i++;
  else if (c >= 49 && c <= 57) {
    i++;
    while (i < n && (c = b[i]) >= 48 && c <= 57) i++;
  } else return -1;
  if (i < n && b[i] === 46) { // '.'
    i++;
    const s = i;
    while (i < n && (c = b[i]) >= 48 && c <= 57) i++;
    if (i === s) return -1;
  }
  if (i < n && (b[i] === 101 || b[i] === 69)) { // 'e' / 'E'
    i++;
    if (i < n && (b[i] === 43 || b[i] === 45)) i++;
    const s = i;
    while (i < n && (c = b[i]) >= 48 && c <= 57) i++;
    if (i === s) return -1;
  }
  return i;
}

/** `b[i, i+4)` (or 5) is `true` / `null` / `false`: returns the end, or -1. */
function skipLiteral(b: Uint8Array, i: number, n: number): number {
  const c = b[i];
  if (c === 116) { // true
    return i + 3 < n && b[i + 1] === 114 && b[i + 2] === 117 && b[i + 3] === 101 ? i + 4 : -1;
  }
  if (c === 110) { // null
    return i + 3 < n && b[i + 1] === 117 && b[i + 2] === 108 && b[i + 3] === 108 ? i + 4 : -1;
  }
  if (c === 102) { // false
    return i + 4 < n && b[i + 1] === 97 && b[i + 2] === 108 && b[i + 3] === 115 &&
        b[i + 4] === 101
      ? i + 5
      : -1;
  }
  return -1;
}

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

/** Which known key `b[s, e)` is (F_*), or K_OTHER. */
function keyOf(b: Uint8Array, s: number, e: number): number {
  const len = e - s;
  // Distinct (length, first byte) per key: event_type 10/e, customer_id 11/c, item_id 7/i,
  // quantity 8/q, timestamp 9/t.
  for (let k = 0; k < KEY_BYTES.length; k++) {
    const kb = KEY_BYTES[k][1];
    if (kb.length !== len || kb[0] !== b[s]) continue;
    for (let j = 1; j < len; j++) if (b[s + j] !== kb[j]) return K_OTHER;
    return KEY_BYTES[k][0];
  }
  return K_OTHER;
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

/** The fast-path decoder. One instance per engine; fields describe the last accepted record. */
export class ShelfScanner {
  /** PICKUP or PUTBACK. */
  kind = 0;
  quantity = 1;
  /** Epoch µs, or NaN when the event has no `timestamp`. */
  us = NaN;
  /** Fraction digits of the timestamp: `buf[fracStart, fracEnd)` (empty when none). */
  fracStart = 0;
  fracEnd = 0;
  custStart = 0;
  custEnd = 0;
  custHash = 0;
  itemStart = 0;
  itemEnd = 0;
  itemHash = 0;

  /**
   * Decodes `b` when it is a valid pickup/putback of the common shape (see the module doc).
   * Returns false for anything else; the caller then uses the JSON.parse path.
   */
  scan(b: Uint8Array): boolean {
    const n = b.length;
    let i = skipWs(b, 0, n);
    if (i >= n || b[i] !== 123) return false; // '{'
    i = skipWs(b, i + 1, n);
    let seen = 0;
    this.quantity = 1;
    this.us = NaN;
    for (;;) {
      if (i >= n || b[i] !== 34) return false; // '"' (also: `{}`, trailing comma)
      const ks = i + 1;
      // The usual keys are recognised in one pass (bytes, then the closing quote); anything
      // else is scanned and classified in full.
      let key = K_OTHER;
      let ke = -1;
      const kb = KEY_BY_FIRST[ks < n ? b[ks] : 0];
      if (kb !== undefined) {
        const len = kb.length;
        if (ks + len < n && b[ks + len] === 34) {
          let j = 1;
          while (j < len && b[ks + j] === kb[j]) j++;
          if (j === len) {
            key = KEY_FLAG[b[ks]];
            ke = ks + len;
          }
        }
      }
      if (ke < 0) {
        ke = scanString(b, ks, n, false);
        if (ke < 0) return false;
        key = keyOf(b, ks, ke);
      }
      i = skipWs(b, ke + 1, n);
      if (i >= n || b[i] !== 58) return false; // ':'
      i = skipWs(b, i + 1, n);
      if (i >= n) return false;
      const c = b[i];
      if (key !== K_OTHER) {
        if ((seen & key) !== 0) return false; // duplicated field: JSON.parse keeps the last
        seen |= key;
        if (key === F_QUANTITY) {
          if (c < 49 || c > 57) return false; // not a plain positive integer
          let q = c - 48;
          let j = i + 1;
          for (; j < n; j++) {
            const d = b[j] - 48;
            if (d < 0 || d > 9) break;
            q = q * 10 + d;
            if (q > MAX_QUANTITY) return false;
          }
          if (j < n) {
            const d = b[j];
            if (d === 46 || d === 101 || d === 69) return false; // 2.0, 1e3: JSON.parse path
          }
          this.quantity = q;
          i = j;
        } else if (key === F_TIME) {
          if (c !== 34) return false; // not a string (null included)
          // Parsed in place: a valid timestamp that ends at the closing quote is the whole
          // string (its grammar has no quote, backslash, control or non-ASCII byte).
          const us = parseIsoMicrosPrefix(b, i + 1, n);
          if (us !== us) return false;
          const e = bytesIsoEnd();
          if (e >= n || b[e] !== 34) return false;
          this.us = us;
          this.fracStart = bytesFracStart();
          this.fracEnd = bytesFracEnd();
          i = e + 1;
        } else {
          if (c !== 34) return false; // not a string
          const s = i + 1;
          const e = scanString(b, s, n, key === F_CUSTOMER || key === F_ITEM);
          if (e < 0) return false;
          if (key === F_EVENT) {
            const k = eventKind(b, s, e);
            if (k < 0) return false;
            this.kind = k;
          } else if (key === F_CUSTOMER) {
            if (e === s) return false;
            this.custStart = s;
            this.custEnd = e;
            this.custHash = strHash;
          } else {
            if (e === s) return false;
            this.itemStart = s;
            this.itemEnd = e;
            this.itemHash = strHash;
          }
          i = e + 1;
        }
      } else if (c === 34) {
        const e = scanString(b, i + 1, n, false);
        if (e < 0) return false;
        i = e + 1;
      } else if (c === 45 || (c >= 48 && c <= 57)) {
        i = skipNumber(b, i, n);
        if (i < 0) return false;
      } else {
        i = skipLiteral(b, i, n);
        if (i < 0) return false;
      }
      i = skipWs(b, i, n);
      if (i >= n) return false;
      const d = b[i];
      if (d === 44) { // ','
        i = skipWs(b, i + 1, n);
        continue;
      }
      if (d !== 125) return false; // '}'
      i = skipWs(b, i + 1, n);
      if (i !== n) return false;
      break;
    }
    if ((seen & (F_EVENT | F_CUSTOMER | F_ITEM)) !== (F_EVENT | F_CUSTOMER | F_ITEM)) {
      return false;
    }
    if ((seen & F_TIME) === 0) this.fracStart = this.fracEnd = 0;
    return true;
  }
}

/** `b[s, e)` (ASCII) as a string. */
export function asciiString(b: Uint8Array, s: number, e: number): string {
  return String.fromCharCode.apply(null, b.subarray(s, e) as unknown as number[]);
}

/** Whether the ASCII string `str` has exactly the bytes `b[s, e)`. */
export function sameAscii(str: string, b: Uint8Array, s: number, e: number): boolean {
  const len = e - s;
  if (str.length !== len) return false;
  for (let j = len - 1; j >= 0; j--) if (str.charCodeAt(j) !== b[s + j]) return false;
  return true;
}

/** Bytes kept per cache slot; longer ids are compared against their string instead. */
const STRIDE = 48;

/**
 * A cache from identifier bytes to (string, value): a known customer id costs no string and no
 * Map lookup. Two-way set associative (a slot pair per hash), fixed size, so it never holds more
 * than `2^bits` entries; on a miss the older entry of the pair is dropped. The id's bytes are kept
 * next to it for the comparison. Values are hints: the caller checks they are still live.
 */
export class IdCache<V> {
  readonly strings: (string | undefined)[];
  readonly values: (V | undefined)[];
  private readonly lens: Int32Array;
  private readonly pool: Uint8Array;
  private readonly mask: number;

  constructor(bits = 14) {
    const size = 1 << bits;
    this.mask = (size - 1) & ~1;
    this.strings = new Array(size).fill(undefined);
    this.values = new Array(size).fill(undefined);
    this.lens = new Int32Array(size).fill(-1);
    this.pool = new Uint8Array(size * STRIDE);
  }

  private same(slot: number, b: Uint8Array, s: number, e: number): boolean {
    const len = e - s;
    if (this.lens[slot] !== len) return false;
    if (len > STRIDE) return sameAscii(this.strings[slot]!, b, s, e);
    const pool = this.pool;
    const off = slot * STRIDE - s;
    for (let j = e - 1; j >= s; j--) if (pool[off + j] !== b[j]) return false;
    return true;
  }

  /** The slot holding the id `b[s, e)` (FNV-1a `hash`), or -1. */
  find(hash: number, b: Uint8Array, s: number, e: number): number {
    const slot = (hash ^ (hash >>> 15)) & this.mask;
    if (this.same(slot, b, s, e)) return slot;
    if (this.same(slot + 1, b, s, e)) return slot + 1;
    return -1;
  }

  /**
   * Adds the id `b[s, e)` (not present: {@link find} returned -1) with a new string and no
   * value; returns its slot.
   */
  insert(hash: number, b: Uint8Array, s: number, e: number): number {
    const slot = (hash ^ (hash >>> 15)) & this.mask;
    // the pair's first entry becomes the second (the older second is dropped)
    this.strings[slot + 1] = this.strings[slot];
    this.values[slot + 1] = this.values[slot];
    this.lens[slot + 1] = this.lens[slot];
    const off = slot * STRIDE;
    this.pool.copyWithin(off + STRIDE, off, off + STRIDE);
    const len = e - s;
    this.strings[slot] = asciiString(b, s, e);
    this.values[slot] = undefined;
    this.lens[slot] = len;
    if (len <= STRIDE) this.pool.set(b.subarray(s, e), off);
    return slot;
  }
}
