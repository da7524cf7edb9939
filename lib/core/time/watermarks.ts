/**
 * What each input partition has passed (stream time): its fronts (fronts.ts: one per producer
 * run, so a backfill of an earlier time is followed back) and what the edge last said about it.
 * Pure bookkeeping: no timers, no clock; the wall clock comes in through the engine's `advance`.
 *
 * @example
 * ```ts
 * import { Watermarks } from "./watermarks.ts";
 * const shelf = new Watermarks({ toleranceUs: 2e6, leapUs: 10800e6 }, 5e6);
 * shelf.observe(0, 5_000_000, 0);
 * shelf.low(5e6, false); // 5000000: partition 0 has passed its only front
 * ```
 * @module
 */
import { type Front, type FrontSettings, PartitionFronts } from "./fronts.ts";

/** A front as a partition's reader reports it: `[id, posUs, seenAtMs, leaptBack (0|1)]`. */
export type ReportedFront = [number, number, number, number];

/**
 * Per-source partition progress. What a partition has *passed*:
 *
 * - with fronts or holds: the lowest of them (fronts.ts); a front written in real time passes
 *   the wall clock of a look-up that found the partition caught up;
 * - no front (nothing read yet, or every producer silent for the idle time while caught up):
 *   - caught up and **idle** while the whole input is at rest (every partition of both inputs
 *     caught up, and idle or real time): the look-up's wall clock, the end of input (holds
 *     too: nobody writes);
 *   - not caught up, written to within the idle time, or held: the lowest of its holds, of
 *     where its last fronts ended (-Infinity when it never had one) and of every other
 *     partition's fronts (a producer writing elsewhere may reach it next);
 *   - caught up and idle while another partition of its input has fronts, at a look-up the idle
 *     time after those records began: it does not count (a partition nobody writes to must not
 *     hold the others). Before that it holds them: the producers of a burst that follows a
 *     quiet time reach the partitions one after the other;
 *   - otherwise the lowest of where its last fronts ended (-Infinity when it never had one) and
 *     of every other partition's fronts;
 * - complete (a file's end): every time.
 */
export class Watermarks {
  /** Each partition's fronts and holds. */
  readonly fronts: PartitionFronts[] = [];
  /**
   * Wall clock (µs) of the look-up that found the partition caught up; NaN while it is not.
   * +Infinity: the input is complete (replay's end).
   */
  readonly caughtUpAt: number[] = [];
  /** Whether nothing was produced to the partition for the idle time before that look-up. */
  readonly idle: boolean[] = [];
  /**
   * Wall clock (µs) from which the partition is known to hold records: at the first signal after
   * its first front, its end's last move, else that signal's wall clock (-Infinity: neither
   * known, a file's records); NaN while it has no front.
   */
  readonly writtenSince: number[] = [];
  /** Partitions known (listed by `advance`, seen in a record, or restored). */
  readonly known: number[] = [];
  /** Front ids a partition's reader already reported, per partition. */
  private readonly reported: Set<number>[] = [];
  private readonly isKnown: boolean[] = [];
  /** Whether a front moved since the last {@link Watermarks.takeChanged}. */
  private changed = false;

  /**
   * Partitions whose fronts are told apart with `settings` and retire after `idleUs` of silence
   * while caught up (IDLE_SEC).
   */
  constructor(readonly settings: FrontSettings, private readonly idleUs = 5e6) {}

  /** Whether `p` is known. */
  isKnownPartition(p: number): boolean {
    return this.isKnown[p] === true;
  }

  /** Makes `p` known. */
  touch(p: number): void {
    if (this.isKnown[p] !== true) {
      this.isKnown[p] = true;
      this.fronts[p] = new PartitionFronts(this.settings);
      this.caughtUpAt[p] = NaN;
      this.idle[p] = false;
      this.writtenSince[p] = NaN;
      this.reported[p] = new Set();
      this.known.push(p);
    }
  }

  /**
   * Records an event time on partition `p`, read at wall clock `wallUs`. Returns what
   * {@link PartitionFronts.observe} found (LEAPT_BACK: hold the other partitions).
   */
  observe(p: number, us: number, wallUs: number): number {
    if (this.isKnown[p] !== true) this.touch(p);
    this.changed = true;
    return this.fronts[p].observe(us, wallUs);
  }

  /**
   * Holds every known partition but `except` at `us`, or with `aheadOf` only those whose
   * fronts are all past it (or that have none: holds placed by other producers do not count).
   */
  holdAll(us: number, wallUs: number, except = -1, aheadOf = -Infinity): void {
    for (const p of this.known) {
      const f = this.fronts[p];
      if (p !== except && f.lowestFrontUs() > aheadOf) f.hold(us, wallUs);
    }
    this.changed = true;
  }

  /**
   * What the edge knows of `p` at wall clock `wallUs`: caught up since `caughtUpAtUs` (NaN:
   * not; +Infinity: complete) and idle or not; `reported`: the fronts its reader saw.
   * Returns newly reported fronts' positions, and whether each went back in time (to hold the
   * other partitions at: all of them, or those past it).
   */
  signal(
    p: number,
    caughtUpAtUs: number,
    idle: boolean,
    endMovedAtUs: number,
    wallUs = NaN,
    reported?: ReportedFront[],
  ): [number, boolean][] {
    this.touch(p);
    this.caughtUpAt[p] = caughtUpAtUs;
    this.idle[p] = idle;
    const f = this.fronts[p];
    // Only what the changelog keeps (positions and holds) counts as a change: a report that says
    // the same again (a partition read here reports at every commit) writes nothing.
    const before = kept(f);
    const leaps: [number, boolean][] = [];
    if (reported !== undefined) {
      const seen = this.reported[p];
      const fronts: Front[] = [];
      const born: number[] = [];
      for (const [id, posUs, seenAtMs, leapt] of reported) {
        fronts.push({ id, posUs, seenAtUs: seenAtMs * 1000 });
        if (!seen.has(id)) {
          seen.add(id);
          born.push(posUs);
          leaps.push([posUs, leapt === 1]);
        }
      }
      f.replace(fronts);
      for (const us of born) f.release(us); // the reader met a producer here: holds it answers go
    }
    if (caughtUpAtUs !== Infinity) {
      const seenUs = Number.isFinite(endMovedAtUs) ? endMovedAtUs : wallUs;
      f.retire(caughtUpAtUs, idle, this.idleUs, seenUs);
    }
    if (kept(f) !== before) this.changed = true;
    if (f.fronts.length === 0) this.writtenSince[p] = NaN; // holds are not records
    else if (Number.isNaN(this.writtenSince[p])) {
      const known = Number.isNaN(endMovedAtUs) ? wallUs : endMovedAtUs;
      this.writtenSince[p] = Number.isNaN(known) ? -Infinity : known;
    }
    return leaps;
  }

  /** Caught up, and nothing more is on its way: real time, or idle. */
  atRest(idleUs: number): boolean {
    for (const p of this.known) {
      if (Number.isNaN(this.caughtUpAt[p])) return false;
      if (!this.idle[p] && !this.fronts[p].realTime(idleUs)) return false;
    }
    return true;
  }

  /** The lowest position of any partition's fronts; +Infinity with none. */
  lowestFrontUs(): number {
    let low = Infinity;
    for (const p of this.known) {
      const us = this.fronts[p].lowestFrontUs();
      if (us < low) low = us;
    }
    return low;
  }

  /**
   * The time every known partition has passed, given whether the whole input (both sources) is
   * at rest, and `activeUs`, the lowest front of either input: a partition whose fronts are
   * over has passed no more while another producer writes (it may reach this partition next).
   * -Infinity when none is known or none has evidence.
   */
  low(idleUs: number, inputAtRest: boolean, activeUs = Infinity): number {
    const k = this.known;
    let low = Infinity;
    let counted = 0;
    // When the input's records began: a partition without fronts, idle since then, is unused.
    let writtenSince = Infinity;
    for (const p of k) {
      if (this.writtenSince[p] < writtenSince) writtenSince = this.writtenSince[p];
    }
    for (const p of k) {
      const v = this.caughtUpAt[p], f = this.fronts[p];
      let t: number;
      if (v === Infinity) t = Infinity; // complete: nothing more will come
      else if (f.fronts.length > 0) t = f.lowUs(v, idleUs);
      else if (!Number.isNaN(v) && this.idle[p] && inputAtRest) t = v; // nobody writes at all
      else if (Number.isNaN(v) || !this.idle[p] || f.holds.length > 0) {
        t = Math.min(f.restingUs(), activeUs); // records on the way, or held
      } else if (v - writtenSince >= idleUs) continue; // unused
      else t = Math.min(f.floorUs, activeUs);
      counted++;
      if (t < low) low = t;
    }
    return counted === 0 ? -Infinity : low;
  }

  /** The fronts, as `[partition, µs, …]` rows (for the changelog), if any moved. */
  takeChanged(): number[][] | null {
    if (!this.changed) return null;
    this.changed = false;
    return this.snapshot();
  }

  /** Every known partition's front positions as `[partition, µs, …]` rows (with fronts only). */
  snapshot(): number[][] {
    const out: number[][] = [];
    for (const p of this.known) {
      const at = this.fronts[p].positions();
      if (at.length > 0) out.push([p, ...at]);
    }
    return out;
  }

  /** Every known partition's holds as `[partition, µs, …]` rows (with holds only). */
  holdsSnapshot(): number[][] {
    const out: number[][] = [];
    for (const p of this.known) {
      const at = this.fronts[p].holds.map((h) => h.posUs);
      if (at.length > 0) out.push([p, ...at]);
    }
    return out;
  }

  /** Restores fronts and holds saved by {@link Watermarks.snapshot} / `holdsSnapshot`. */
  restore(rows: number[][], holds: number[][] = []): void {
    for (const [p, ...at] of rows) {
      if (Number.isInteger(p) && p >= 0) {
        this.touch(p);
        this.fronts[p].restore(at);
      }
    }
    for (const [p, ...at] of holds) {
      if (Number.isInteger(p) && p >= 0) {
        this.touch(p);
        this.fronts[p].restore([], at);
      }
    }
    this.changed = false;
  }
}

/** What the changelog keeps of a partition's fronts and holds, as one comparable string. */
function kept(f: PartitionFronts): string {
  let out = "";
  for (const x of f.fronts) out += `${x.posUs},`;
  out += "|";
  for (const h of f.holds) out += `${h.posUs},`;
  return out;
}
