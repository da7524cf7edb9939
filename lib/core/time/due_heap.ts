/**
 * A min-heap of due times, for checkouts and expiries: `advance` costs O(due · log n).
 *
 * @example
 * ```ts
 * import { DueHeap } from "./due_heap.ts";
 * const h = new DueHeap<string>();
 * h.push(20, "b");
 * h.push(10, "a");
 * h.peekItem(); // "a"
 * ```
 * @module
 */

/** A min-heap of (due time, item). Stale entries are filtered by the caller on pop. */
export class DueHeap<T> {
  private readonly dues: number[] = [];
  private readonly items: T[] = [];

  /** Entries, stale ones included. */
  get size(): number {
    return this.dues.length;
  }

  /** Adds `item` due at `due` (µs). */
  push(due: number, item: T): void {
    const d = this.dues, it = this.items;
    let i = d.length;
    d.push(due);
    it.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (d[parent] <= due) break;
      d[i] = d[parent];
      it[i] = it[parent];
      i = parent;
    }
    d[i] = due;
    it[i] = item;
  }

  /** The earliest due time, or +Infinity when empty. */
  peekDue(): number {
    return this.dues.length > 0 ? this.dues[0] : Infinity;
  }

  /** The item with the earliest due time (check `peekDue` first). */
  peekItem(): T {
    return this.items[0];
  }

  /** Removes the earliest entry. */
  pop(): void {
    const d = this.dues, it = this.items;
    const lastDue = d.pop()!;
    const lastItem = it.pop()!;
    const n = d.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && d[r] < d[l] ? r : l;
      if (d[c] >= lastDue) break;
      d[i] = d[c];
      it[i] = it[c];
      i = c;
    }
    d[i] = lastDue;
    it[i] = lastItem;
  }

  /** Removes every entry. */
  clear(): void {
    this.dues.length = 0;
    this.items.length = 0;
  }
}
