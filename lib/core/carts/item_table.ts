/**
 * Item ids interned to small integers: item ids repeat across carts, so a cart's log keeps an
 * index, and the fast path finds a recent item's index from its bytes without making a string.
 *
 * @example
 * ```ts
 * import { ItemTable } from "./item_table.ts";
 * const items = new ItemTable();
 * items.intern("BEVWAT1"); // 0
 * items.names[0]; // "BEVWAT1"
 * ```
 * @module
 */
import { IdCache } from "../decode/id_cache.ts";

/** Item ids interned to small integers (item ids repeat across carts). */
export class ItemTable {
  private readonly index = new Map<string, number>();
  /** Item ids by index. */
  readonly names: string[] = [];

  /** Item id bytes → index. */
  private readonly byBytes = new IdCache<number>(12);

  /**
   * The index of the ASCII item id `b[s, e)` whose FNV-1a hash is `hash`, adding it when new;
   * no string is made for an id met recently.
   */
  internBytes(b: Uint8Array, s: number, e: number, hash: number): number {
    const cache = this.byBytes;
    let slot = cache.find(hash, b, s, e);
    if (slot < 0) {
      slot = cache.insert(hash, b, s, e);
      cache.values[slot] = this.intern(cache.strings[slot]!);
    }
    return cache.values[slot]!;
  }

  /** The index of `item`, adding it when new. */
  intern(item: string): number {
    let i = this.index.get(item);
    if (i === undefined) {
      i = this.names.length;
      this.names.push(item);
      this.index.set(item, i);
    }
    return i;
  }
}
