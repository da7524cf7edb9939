/**
 * The producers behind one input partition, told apart by their event times: each **front** is
 * one run of records whose times move forward together (a producer writing a day in order, a
 * store writing in real time). A backfill of an earlier day, written while another producer is
 * still writing, is a second front; so is the same day written again. A partition has passed
 * only what every one of its fronts has passed: stream time follows producers back, and a record
 * is never behind "the most the partition ever delivered". Pure: the wall clock comes in as
 * arguments. docs/engine.md, "Time", gives the model and the alternatives rejected.
 *
 * @example
 * ```ts
 * import { PartitionFronts } from "./fronts.ts";
 * const HOUR = 3600e6;
 * const p = new PartitionFronts({ toleranceUs: 2e6, leapUs: 10800e6 });
 * p.observe(10 * HOUR, 0); // a backfill of a day, up to 10:00
 * p.observe(11 * HOUR, 1);
 * p.observe(8 * HOUR, 2); // the same day again: a second front, back at 08:00
 * p.lowUs(NaN, 5e6); // 28800000000: the partition has passed 08:00 only
 * ```
 * @module
 */

/** One front: a run of records whose event times move forward together. */
export interface Front {
  /** Born on this partition in this order (the reader's reports name fronts by it). */
  id: number;
  /** The highest event time (µs) of the run: what the front has passed. */
  posUs: number;
  /** Wall clock (µs) when a record last joined it (NaN: restored, before the first signal). */
  seenAtUs: number;
  /** Restored from the changelog, and no record has joined it since. */
  restored?: boolean;
}

/** A front whose last record was read within `idleUs` of its event time: a real-time producer. */
function isRealTime(f: Front, idleUs: number): boolean {
  return Number.isFinite(f.seenAtUs) && f.seenAtUs - f.posUs <= idleUs;
}

/**
 * A hold: a producer that went back in time on another partition (a backfill of an earlier
 * time) may write here too. Until this partition shows where it stands for that producer (it
 * starts a front of its own at or before the hold's time + the leap) or stays silent for the
 * idle time while caught up, it has passed no more than the hold's time.
 */
export interface Hold {
  /** The event time (µs) where that producer went back to (or started). */
  posUs: number;
  /** Wall clock (µs) when the hold was placed. */
  bornAtUs: number;
}

/** How fronts are told apart. */
export interface FrontSettings {
  /**
   * Disorder within one producer's run that is not a new front (µs): a record at most this far
   * behind a front's position still joins it. The grace period, at least 1 s.
   */
  toleranceUs: number;
  /**
   * A front born at most this long (µs) after a hold's time answers the hold: the partition
   * shows where it stands for the producer that went back (MAX_SESSION_AGE_SEC: a visit's
   * shelf events lie within it of its entry).
   */
  leapUs: number;
}

/** More fronts than this on one partition: the two closest merge at the lower position. */
export const MAX_FRONTS = 8;

/** What {@link PartitionFronts.observe} found. */
export const JOINED = 0, BORN = 1, LEAPT_BACK = 2;

/** The fronts and holds of one partition. */
export class PartitionFronts {
  /** Fronts, in birth order. */
  fronts: Front[] = [];
  /** Holds placed by other partitions' new fronts. */
  holds: Hold[] = [];
  /**
   * Where the partition's producers stood when the last of its fronts ended (-Infinity: none
   * yet): with no front left it has passed no more while the input is not at rest, so a
   * producer that goes on where the last one stopped is not behind a jump to the wall clock.
   */
  floorUs = -Infinity;
  #nextId: number;

  /**
   * `s`: how fronts are told apart; `firstId`: the first front's id (a partition's reader starts
   * each life at a new one, so that a task never takes a new life's fronts for ones it was told
   * of).
   */
  constructor(readonly s: FrontSettings, firstId = 0) {
    this.#nextId = firstId;
  }

  /**
   * A record with event time `us` was read at wall clock `wallUs`. Returns JOINED (it joined
   * a front), LEAPT_BACK (a new front behind every front here: a producer went back in time)
   * or BORN (another new front: the partition's first, or a producer starting more than the
   * leap later than the run it follows). A new front holds every other partition at `us` until
   * it shows where it stands for that producer.
   */
  observe(us: number, wallUs: number): number {
    const only = this.fronts.length === 1 ? this.fronts[0] : undefined;
    if (only !== undefined && us <= only.posUs + this.s.leapUs) {
      // One producer (the usual case): its run goes on, or steps back within the tolerance.
      if (us > only.posUs) only.posUs = us;
      else if (us < only.posUs - this.s.toleranceUs) return this.#birth(us, wallUs, undefined);
      only.seenAtUs = wallUs;
      only.restored = false;
      return JOINED;
    }
    const f = this.#bestFit(us);
    // A step forward of more than the leap is another producer starting later (a live store
    // beside a backfill, the next day of a backfill), not the same run: it gets its own front,
    // and the run it stepped over keeps holding until it is over. Without a wall clock (a file) nothing could tell when
    // that is, and the step is the run's own.
    if (f !== undefined && (us - f.posUs <= this.s.leapUs || !Number.isFinite(wallUs))) {
      if (us > f.posUs) f.posUs = us;
      f.seenAtUs = wallUs;
      f.restored = false;
      this.#mergeNear(f);
      return JOINED;
    }
    return this.#birth(us, wallUs, f);
  }

  /** A new front at `us` (`f`: the front it stepped forward from, if any). */
  #birth(us: number, wallUs: number, f: Front | undefined): number {
    const low = this.#lowestPos();
    this.fronts.push({ id: this.#nextId++, posUs: us, seenAtUs: wallUs });
    if (this.fronts.length > MAX_FRONTS) this.#mergeClosest();
    this.release(us);
    return f === undefined && low !== Infinity && us < low ? LEAPT_BACK : BORN;
  }

  /**
   * The front a record at `us` joins: the one with the highest position at or below
   * `us` + tolerance (patience sorting: each producer's run stays on its own front).
   */
  #bestFit(us: number): Front | undefined {
    let best: Front | undefined;
    const limit = us + this.s.toleranceUs;
    for (const f of this.fronts) {
      if (f.posUs <= limit && (best === undefined || f.posUs > best.posUs)) best = f;
    }
    return best;
  }

  #lowestPos(): number {
    let low = Infinity;
    for (const f of this.fronts) if (f.posUs < low) low = f.posUs;
    return low;
  }

  /** A front that caught up with another (within the tolerance) is one producer again. */
  #mergeNear(f: Front): void {
    for (let i = 0; i < this.fronts.length; i++) {
      const g = this.fronts[i];
      if (g === f || Math.abs(g.posUs - f.posUs) > this.s.toleranceUs) continue;
      f.posUs = Math.max(f.posUs, g.posUs);
      f.seenAtUs = Math.max(f.seenAtUs, g.seenAtUs);
      this.fronts.splice(i, 1);
      return;
    }
  }

  /** Bounds the fronts: the two closest merge, keeping the lower position (never passes more). */
  #mergeClosest(): void {
    const byPos = [...this.fronts].sort((a, b) => a.posUs - b.posUs);
    let k = 0;
    for (let i = 1; i < byPos.length - 1; i++) {
      if (byPos[i + 1].posUs - byPos[i].posUs < byPos[k + 1].posUs - byPos[k].posUs) k = i;
    }
    const lo = byPos[k], hi = byPos[k + 1];
    lo.seenAtUs = Math.max(lo.seenAtUs, hi.seenAtUs);
    this.fronts.splice(this.fronts.indexOf(hi), 1);
  }

  /** Places a hold at `us` (another partition's new front) at wall clock `wallUs`. */
  hold(us: number, wallUs: number): void {
    this.holds.push({ posUs: us, bornAtUs: wallUs });
  }

  /** This partition started a front at `us`: holds it answers (at or before `us` + leap) go. */
  release(us: number): void {
    if (this.holds.length === 0) return;
    const leap = this.s.leapUs;
    this.holds = this.holds.filter((h) => us > h.posUs + leap);
  }

  /**
   * The partition was caught up by a look-up that began at wall clock `caughtUpAtUs` (NaN: it
   * is not), and `idle` (nothing produced to it for `idleUs` before that look-up): fronts and
   * holds placed `idleUs` before it are over (their producer stopped; a hold's producer never
   * came here), and all fronts when the partition is idle. Only a caught-up partition
   * proves a producer silent: a reader that is behind, paused or cut off from the broker proves
   * nothing. Fronts read before any wall clock was known, or restored, count as seen at
   * `seenUs` (the partition's end's last move, else the signal's wall clock).
   */
  retire(
    caughtUpAtUs: number,
    idle: boolean,
    idleUs: number,
    seenUs: number,
  ): void {
    for (const f of this.fronts) if (!Number.isFinite(f.seenAtUs)) f.seenAtUs = seenUs;
    for (const h of this.holds) if (!Number.isFinite(h.bornAtUs)) h.bornAtUs = seenUs;
    this.#retireOvertaken(idleUs);
    if (Number.isNaN(caughtUpAtUs)) return;
    const until = idle ? Infinity : caughtUpAtUs - idleUs;
    if (this.fronts.some((f) => f.seenAtUs <= until)) {
      const kept = this.fronts.filter((f) => f.seenAtUs > until);
      if (kept.length === 0) this.floorUs = Math.max(...this.fronts.map((f) => f.posUs));
      this.fronts = kept;
    }
    // A hold lasts its idle time whatever the partition did before it: its producer has just
    // gone back in time elsewhere and may reach this partition in a moment.
    const holdsUntil = caughtUpAtUs - idleUs;
    if (this.holds.some((h) => h.bornAtUs <= holdsUntil)) {
      this.holds = this.holds.filter((h) => h.bornAtUs > holdsUntil);
    }
  }

  /**
   * A front that got no record while a later one got records for `idleUs` after its last is
   * over, caught up or not: the reader was reading (the later front moved), and its producer
   * wrote nothing meanwhile (a pause longer than the idle time ends a run, as at the end of
   * input).
   */
  #retireOvertaken(idleUs: number): void {
    if (this.fronts.length < 2) return;
    let latest = -Infinity;
    for (const f of this.fronts) if (f.seenAtUs > latest) latest = f.seenAtUs;
    if (!Number.isFinite(latest)) return;
    const until = latest - idleUs;
    if (this.fronts.some((f) => f.seenAtUs <= until)) {
      this.fronts = this.fronts.filter((f) => f.seenAtUs > until);
    }
  }

  /** The lowest position of its fronts; +Infinity with none. */
  lowestFrontUs(): number {
    return this.#lowestPos();
  }

  /** Without fronts: the lowest of the floor and the holds (see `floorUs`). */
  restingUs(): number {
    let low = this.floorUs;
    for (const h of this.holds) if (h.posUs < low) low = h.posUs;
    return low;
  }

  /** Whether any front or hold is left. */
  get empty(): boolean {
    return this.fronts.length === 0 && this.holds.length === 0;
  }

  /**
   * What the partition has passed: the lowest of its fronts and holds. A front whose producer
   * writes in real time (its last record was read within `idleUs` of its event time) has passed
   * the wall clock `caughtUpAtUs` of a look-up that found the partition caught up (NaN: not).
   * +Infinity when there is no front or hold.
   */
  lowUs(caughtUpAtUs: number, idleUs: number): number {
    let low = Infinity;
    for (const f of this.fronts) {
      let t = f.posUs;
      if (!Number.isNaN(caughtUpAtUs) && isRealTime(f, idleUs)) {
        t = caughtUpAtUs > f.posUs ? caughtUpAtUs : f.posUs;
      }
      if (t < low) low = t;
    }
    for (const h of this.holds) if (h.posUs < low) low = h.posUs;
    return low;
  }

  /** Whether every front writes in real time (see {@link PartitionFronts.lowUs}). */
  realTime(idleUs: number): boolean {
    if (this.fronts.length === 0 || this.holds.length > 0) return false;
    return this.fronts.every((f) => isRealTime(f, idleUs));
  }

  /**
   * Replaces the fronts with the report of the instance reading the partition (it sees the whole
   * partition). Fronts restored from the changelog and not yet seen stay until they retire: a
   * reader that started afresh has not met every producer yet.
   */
  replace(fronts: Front[]): void {
    const restored = this.fronts.filter((f) => f.restored);
    this.fronts = fronts.map((f) => ({ ...f })).concat(restored);
  }

  /** The positions of the fronts (for the changelog). */
  positions(): number[] {
    return this.fronts.map((f) => f.posUs);
  }

  /** Restores fronts at `positions` (seen at the first signal after the restart). */
  restore(positions: number[], holds: number[] = []): void {
    for (const us of positions) {
      if (!Number.isFinite(us)) continue;
      this.fronts.push({ id: this.#nextId++, posUs: us, seenAtUs: NaN, restored: true });
    }
    for (const us of holds) {
      if (Number.isFinite(us)) this.holds.push({ posUs: us, bornAtUs: NaN });
    }
  }
}
