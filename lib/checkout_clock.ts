/**
 * Checkout scheduling (SPEC §3): per-partition watermarks, stream time, and min-heaps of due
 * times. Pure bookkeeping: no timers, no clock; time comes in through the engine's `advance`.
 * @module
 */

/** Per-source partition progress: highest event time seen, and whether it is caught up. */
export class Watermarks {
  /** Highest event time (µs) seen per partition; -Infinity before the first event. */
  readonly wm: number[] = [];
  /** Whether the consumer of that partition is at its high watermark. */
  readonly caughtUp: boolean[] = [];
  /** Partitions known (listed by `advance` or seen in a record). */
  readonly known: number[] = [];
  private readonly isKnown: boolean[] = [];

  /** Makes `p` known. */
  touch(p: number): void {
    if (this.isKnown[p] !== true) {
      this.isKnown[p] = true;
      this.wm[p] = -Infinity;
      this.caughtUp[p] = false;
      this.known.push(p);
    }
  }

  /** Records an event time on partition `p`. */
  observe(p: number, us: number): void {
    if (this.isKnown[p] !== true) this.touch(p);
    if (us > this.wm[p]) this.wm[p] = us;
  }

  /**
   * The time every known partition has passed: the lowest watermark among partitions that are
   * not caught up (+Infinity when all are caught up or none is known).
   */
  low(): number {
    let low = Infinity;
    const k = this.known;
    for (let i = 0; i < k.length; i++) {
      const p = k[i];
      if (!this.caughtUp[p]) {
        const w = this.wm[p];
        if (w < low) low = w;
      }
    }
    return low;
  }
}

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
