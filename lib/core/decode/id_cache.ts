/**
 * Identifier bytes → (string, value) caches for the shelf fast path: a known customer or item id
 * costs no string allocation and no `Map` lookup.
 *
 * @example
 * ```ts
 * import { fnv1a, IdCache } from "./id_cache.ts";
 * const b = new TextEncoder().encode("c-1");
 * const cache = new IdCache<number>(4);
 * const h = fnv1a(b, 0, b.length);
 * const slot = cache.insert(h, b, 0, b.length);
 * cache.values[slot] = 7;
 * cache.find(h, b, 0, b.length) === slot; // true
 * ```
 * @module
 */

/** FNV-1a (32-bit) of `b[s, e)`: the hash {@link IdCache} slots ids by. */
export function fnv1a(b: Uint8Array, s: number, e: number): number {
  let h = 0x811c9dc5;
  for (let i = s; i < e; i++) h = Math.imul(h ^ b[i], 16777619);
  return h;
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
  /** The id string of each slot. */
  readonly strings: (string | undefined)[];
  /** The value of each slot (a hint: check it is still live). */
  readonly values: (V | undefined)[];
  private readonly lens: Int32Array;
  private readonly pool: Uint8Array;
  private readonly mask: number;

  /** A cache of `2^bits` slots. */
  constructor(bits = 14) {
    const size = 1 << bits;
    this.mask = (size - 1) & ~1;
    this.strings = new Array(size).fill(undefined);
    this.values = new Array(size).fill(undefined);
    this.lens = new Int32Array(size).fill(-1);
    this.pool = new Uint8Array(size * STRIDE);
  }

  /** Whether `slot` holds the id `b[s, e)`. */
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
