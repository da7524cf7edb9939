/**
 * Checkout scheduling: per-partition watermarks (stream time) and min-heaps of due times. Pure
 * bookkeeping: no timers, no clock; the wall clock comes in through the engine's `advance`.
 * @module
 */

/**
 * Per-source partition progress: the event-time watermark of each partition (the highest event
 * time applied there) and what the edge last said about it (caught up since when, idle or not).
 *
 * A partition has *passed* its watermark. A caught-up partition has passed more: the wall clock
 * of the look-up that found it caught up, when it is **live** (its watermark within `idleUs` of
 * that wall clock: real-time producers, whose next records carry times from now on) or **idle**
 * (no records for `idleUs`: the end of input, or a partition nobody writes to). A caught-up
 * partition that is neither (a backlog written in a burst, momentarily drained) has passed only
 * its watermark, so a burst of old events racing the service is checked out by event time.
 */
export class Watermarks {
  /** Highest event time (µs) applied per partition; -Infinity before the first event. */
  readonly wm: number[] = [];
  /**
   * Wall clock (µs) of the look-up that found the partition caught up; NaN while it is not.
   * +Infinity: the input is complete (replay's end).
   */
  readonly caughtUpAt: number[] = [];
  /** Whether the partition had no records for the idle time when last found caught up. */
  readonly idle: boolean[] = [];
  /** Partitions known (listed by `advance`, seen in a record, or restored). */
  readonly known: number[] = [];
  private readonly isKnown: boolean[] = [];
  /** Whether a watermark moved since the last {@link Watermarks.takeChanged}. */
  private changed = false;

  /** Makes `p` known. */
  touch(p: number): void {
    if (this.isKnown[p] !== true) {
      this.isKnown[p] = true;
      this.wm[p] = -Infinity;
      this.caughtUpAt[p] = NaN;
      this.idle[p] = false;
      this.known.push(p);
    }
  }

  /** Records an event time on partition `p`. */
  observe(p: number, us: number): void {
    if (this.isKnown[p] !== true) this.touch(p);
    if (us > this.wm[p]) {
      this.wm[p] = us;
      this.changed = true;
    }
  }

  /** What the edge knows of `p`: caught up since `caughtUpAtUs` (NaN: not), and idle or not. */
  signal(p: number, caughtUpAtUs: number, idle: boolean): void {
    this.touch(p);
    this.caughtUpAt[p] = caughtUpAtUs;
    this.idle[p] = idle;
  }

  /** The time partition `p` has passed (see the class comment). */
  passed(p: number, idleUs: number): number {
    const w = this.wm[p];
    const v = this.caughtUpAt[p];
    if (v === v && (this.idle[p] || v - w <= idleUs)) return v > w ? v : w;
    return w;
  }

  /**
   * The time every known partition has passed (-Infinity when none is known: nothing is known
   * to be complete).
   */
  low(idleUs: number): number {
    const k = this.known;
    if (k.length === 0) return -Infinity;
    let low = Infinity;
    for (let i = 0; i < k.length; i++) {
      const t = this.passed(k[i], idleUs);
      if (t < low) low = t;
    }
    return low;
  }

  /** The watermarks, as `[partition, µs]` pairs (for the changelog), if any moved. */
  takeChanged(): [number, number][] | null {
    if (!this.changed) return null;
    this.changed = false;
    return this.snapshot();
  }

  /** Every known partition's watermark as `[partition, µs]` pairs (finite ones only). */
  snapshot(): [number, number][] {
    const out: [number, number][] = [];
    for (const p of this.known) if (Number.isFinite(this.wm[p])) out.push([p, this.wm[p]]);
    return out;
  }

  /** Restores watermarks saved by {@link Watermarks.snapshot} (never moves one backwards). */
  restore(pairs: [number, number][]): void {
    for (const [p, us] of pairs) {
      if (Number.isInteger(p) && p >= 0 && Number.isFinite(us)) this.observe(p, us);
    }
    this.changed = false;
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
