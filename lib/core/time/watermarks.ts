/**
 * Per-partition watermarks: what each input partition has passed (stream time). Pure
 * bookkeeping: no timers, no clock; the wall clock comes in through the engine's `advance`.
 *
 * @example
 * ```ts
 * import { Watermarks } from "./watermarks.ts";
 * const shelf = new Watermarks();
 * shelf.observe(0, 5_000_000);
 * shelf.low(5e6, false); // 5000000: partition 0 has passed its watermark
 * ```
 * @module
 */

/**
 * Per-source partition progress: the event-time watermark of each partition (the highest event
 * time applied there) and what the edge last said about it. What a partition has *passed*:
 *
 * - not caught up: its watermark;
 * - caught up by a look-up that began at wall clock `v`, and **real time** (its last records were
 *   produced within the idle time of their event times: the next ones will carry times from
 *   now on): `max(watermark, v)`;
 * - caught up and **idle** (nothing produced for the idle time) while the whole input is at rest
 *   (every partition of both inputs caught up, and idle or real time): `max(watermark, v)`, the
 *   end of input;
 * - caught up, idle and never written to, while another partition of its input has records, and
 *   still so at a look-up the idle time after the input's records began: it does not count (a
 *   partition nobody writes to must not hold the others). Before that it holds them: the
 *   producers of a burst that follows a quiet time reach the partitions one after the other;
 * - complete (a file's end): every time;
 * - otherwise its watermark: a burst of old events, momentarily drained or paused, proves
 *   nothing about what its producer writes next, so it is checked out by event time.
 */
export class Watermarks {
  /** Highest event time (µs) applied per partition; -Infinity before the first event. */
  readonly wm: number[] = [];
  /**
   * Wall clock (µs) of the look-up that found the partition caught up; NaN while it is not.
   * +Infinity: the input is complete (replay's end).
   */
  readonly caughtUpAt: number[] = [];
  /** Whether nothing was produced to the partition for the idle time before that look-up. */
  readonly idle: boolean[] = [];
  /** Wall clock (µs) when the partition's end last moved; NaN when unknown. */
  readonly endMovedAt: number[] = [];
  /**
   * Wall clock (µs) from which the partition is known to hold records: at the first signal after
   * its first record, its end's last move, else that signal's wall clock (-Infinity: neither
   * known, a file's records); NaN while none.
   */
  readonly writtenSince: number[] = [];
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
      this.endMovedAt[p] = NaN;
      this.writtenSince[p] = NaN;
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

  /**
   * What the edge knows of `p` at wall clock `wallUs` (NaN: none): caught up since
   * `caughtUpAtUs` (NaN: not), idle or not, and when its end last moved (NaN: unknown).
   */
  signal(
    p: number,
    caughtUpAtUs: number,
    idle: boolean,
    endMovedAtUs: number,
    wallUs = NaN,
  ): void {
    this.touch(p);
    this.caughtUpAt[p] = caughtUpAtUs;
    this.idle[p] = idle;
    this.endMovedAt[p] = endMovedAtUs;
    if (this.wm[p] > -Infinity && Number.isNaN(this.writtenSince[p])) {
      const known = Number.isNaN(endMovedAtUs) ? wallUs : endMovedAtUs;
      this.writtenSince[p] = Number.isNaN(known) ? -Infinity : known;
    }
  }

  /** Caught up, and its producers write in real time (see the class comment). */
  private realTime(p: number, idleUs: number): boolean {
    return !Number.isNaN(this.caughtUpAt[p]) &&
      this.endMovedAt[p] - this.wm[p] <= idleUs;
  }

  /** Caught up, and nothing more is on its way: real time, or idle. */
  atRest(idleUs: number): boolean {
    for (const p of this.known) {
      if (Number.isNaN(this.caughtUpAt[p])) return false;
      if (!this.idle[p] && !this.realTime(p, idleUs)) return false;
    }
    return true;
  }

  /**
   * The time every known partition has passed, given whether the whole input (both sources) is
   * at rest. -Infinity when none is known or none has evidence.
   */
  low(idleUs: number, inputAtRest: boolean): number {
    const k = this.known;
    let low = Infinity;
    let counted = 0;
    // When the input's records began: a never-written partition idle since then is unused.
    let writtenSince = Infinity;
    for (const p of k) {
      // (NaN, records but no signal since: just written, it begins nothing yet.)
      if (this.wm[p] > -Infinity && this.writtenSince[p] < writtenSince) {
        writtenSince = this.writtenSince[p];
      }
    }
    for (let i = 0; i < k.length; i++) {
      const p = k[i];
      const w = this.wm[p], v = this.caughtUpAt[p];
      let t = w;
      if (v === Infinity) t = Infinity; // complete: nothing more will come
      else if (!Number.isNaN(v)) {
        if (this.realTime(p, idleUs) || (this.idle[p] && inputAtRest)) t = v > w ? v : w;
        else if (this.idle[p] && w === -Infinity && v - writtenSince >= idleUs) continue; // unused
      }
      counted++;
      if (t < low) low = t;
    }
    return counted === 0 ? -Infinity : low;
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
