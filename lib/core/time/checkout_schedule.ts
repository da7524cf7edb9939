/**
 * When checkouts and expiries are due (docs/engine.md, "Time"): the watermarks of both inputs,
 * the stream times they give, and the due-heaps (sessions, carts without a session, closed
 * visits by horizon and then by processing time), invalidated lazily.
 *
 * @example
 * ```ts
 * import { CheckoutSchedule } from "./checkout_schedule.ts";
 * import { Customer, IN_SESSION_HEAP } from "../carts/customer.ts";
 * const schedule = new CheckoutSchedule(5e6, 2, 10800e6); // idle 5 s, grace 2 µs, MAX 3 h
 * const c = new Customer("c-1");
 * c.cutoffUs = 8;
 * schedule.schedule(c, IN_SESSION_HEAP); // due at 10
 * schedule.observe("shelf", 0, 20);
 * schedule.progress({ partitions: [] });
 * schedule.nextDue(false) === c; // true
 * ```
 * @module
 */
import type { Progress, Source } from "../engine_types.ts";
import { usOfMs } from "../engine_types.ts";
import { BORN, LEAPT_BACK } from "./fronts.ts";
import { type Customer, IN_CART_HEAP, IN_SESSION_HEAP } from "../carts/customer.ts";
import { DueHeap } from "./due_heap.ts";
import { Watermarks } from "./watermarks.ts";
import type { ClosedVisits } from "../carts/closed_visits.ts";

/** Stream time, checkout and expiry due times. */
export class CheckoutSchedule {
  /** Shelf partitions' fronts. */
  readonly shelf: Watermarks;
  /** Foot partitions' fronts. */
  readonly foot: Watermarks;
  /** The time every shelf partition has passed (sessions are checked out up to it). */
  shelfLowUs: number = -Infinity;
  /** The time every partition of both inputs has passed (carts without a session, expiry). */
  allLowUs: number = -Infinity;
  /** The wall clock of the last progress signal (µs). */
  wallUs: number = -Infinity;
  private readonly sessionQ = new DueHeap<Customer>();
  private readonly cartQ = new DueHeap<Customer>();
  /** Closed visits (slots) by horizon (stream time). */
  private readonly expiryQ = new DueHeap<number>();
  /** Closed visits past their horizon, waiting for MAX of processing time. */
  private readonly expiryWallQ = new DueHeap<number>();

  /**
   * A schedule for inputs that are idle after `idleUs` (IDLE_SEC in µs), with checkouts due
   * `graceUs` after their cutoff; a producer stepping back more than `leapUs`
   * (MAX_SESSION_AGE_SEC) holds every partition (fronts.ts).
   */
  constructor(
    private readonly idleUs: number,
    private readonly graceUs: number,
    leapUs: number,
  ) {
    const settings = { toleranceUs: Math.max(graceUs, 1e6), leapUs };
    this.shelf = new Watermarks(settings, idleUs);
    this.foot = new Watermarks(settings, idleUs);
  }

  /**
   * A record of `source` partition `p` has event time `us`. A producer that went back in time
   * holds every other partition of both inputs there, until each shows where it stands; any
   * other new front holds those without fronts (a burst reaches the partitions one after the
   * other, and its sessions may come before its shelf events) and those more than the leap
   * past it (another producer's).
   */
  observe(source: Source, p: number, us: number): void {
    const w = source === "shelf" ? this.shelf : this.foot;
    const found = w.observe(p, us, this.wallUs);
    if (found === LEAPT_BACK) this.#holdAll(source, p, us, -Infinity);
    else if (found === BORN) this.#holdAll(source, p, us, us + this.shelf.settings.leapUs);
  }

  /** Holds the partitions (but `p` of `source`) whose fronts are all past `aheadOf`. */
  #holdAll(source: Source, p: number, us: number, aheadOf: number): void {
    this.shelf.holdAll(us, this.wallUs, source === "shelf" ? p : -1, aheadOf);
    this.foot.holdAll(us, this.wallUs, source === "foot" ? p : -1, aheadOf);
    // Partitions not known yet (no signal so far) get these holds when they appear.
    this.#births.push({ source, p, us, wallUs: this.wallUs });
  }

  /** New fronts of the last idle time, for partitions that become known after them. */
  #births: { source: Source; p: number; us: number; wallUs: number }[] = [];

  /** `w`'s partition `p` of `source` appears: the recent new fronts elsewhere hold it. */
  #inherit(source: Source, p: number): void {
    const until = this.wallUs - this.idleUs;
    // (A birth before any wall clock was known counts from the first one.)
    for (const b of this.#births) if (!Number.isFinite(b.wallUs)) b.wallUs = this.wallUs;
    this.#births = this.#births.filter((b) => !(b.wallUs <= until));
    const w = source === "shelf" ? this.shelf : this.foot;
    w.touch(p);
    for (const b of this.#births) {
      if (b.source !== source || b.p !== p) w.fronts[p].hold(b.us, b.wallUs);
    }
  }

  /** (Re)schedules `c`'s checkout in `heap` (IN_SESSION_HEAP or IN_CART_HEAP) at its cutoff + grace. */
  schedule(c: Customer, heap: number): void {
    c.queue = heap;
    (heap === IN_SESSION_HEAP ? this.sessionQ : this.cartQ).push(c.cutoffUs + this.graceUs, c);
  }

  /** Schedules the expiry of the closed visit in `slot` once stream time passes `horizonUs`. */
  scheduleExpiry(slot: number, horizonUs: number): void {
    this.expiryQ.push(horizonUs, slot);
  }

  /** Takes in the edge's progress signal and recomputes stream time. */
  progress(p: Progress): void {
    if (p.wallMs !== undefined) this.wallUs = usOfMs(p.wallMs);
    for (const x of p.partitions) {
      const w = x.source === "shelf" ? this.shelf : this.foot;
      if (!w.isKnownPartition(x.partition)) this.#inherit(x.source, x.partition);
      const complete = x.caughtUp && x.caughtUpAtMs === undefined;
      const leaps = w.signal(
        x.partition,
        !x.caughtUp ? NaN : complete ? Infinity : usOfMs(x.caughtUpAtMs!),
        x.idle ?? complete,
        x.endMovedAtMs === undefined ? NaN : usOfMs(x.endMovedAtMs),
        this.wallUs,
        x.fronts,
      );
      for (const [us, leapt] of leaps) {
        this.#holdAll(
          x.source,
          x.partition,
          us,
          leapt ? -Infinity : us + this.shelf.settings.leapUs,
        );
      }
    }
    const idle = this.idleUs;
    const atRest = this.shelf.atRest(idle) && this.foot.atRest(idle);
    const active = Math.min(this.shelf.lowestFrontUs(), this.foot.lowestFrontUs());
    const shelfLow = this.shelf.low(idle, atRest, active);
    const footLow = this.foot.low(idle, atRest, active);
    // Not monotonic: an input at rest passes the wall clock, and a burst of old events arriving
    // afterwards brings stream time back to their watermarks (what was checked out stays so).
    this.shelfLowUs = shelfLow;
    this.allLowUs = shelfLow < footLow ? shelfLow : footLow;
  }

  /**
   * The next customer whose checkout is due, removed from its heap; null when none. Sessions
   * first, up to the shelf input's stream time; then carts without a session, which wait for
   * the foot input too (their session may still be on the way). `all`: every one (the end).
   */
  nextDue(all: boolean): Customer | null {
    const g = this.graceUs;
    return takeDue(this.sessionQ, IN_SESSION_HEAP, all ? Infinity : this.shelfLowUs, g) ??
      takeDue(this.cartQ, IN_CART_HEAP, all ? Infinity : this.allLowUs, g);
  }

  /**
   * The next closed visit (slot) to forget, or -1: stream time has passed its horizon and the
   * wall clock its checkout's wall clock + `maxUs`, so a burst of old events arriving an hour
   * after a fast-forwarded checkout is still recognised as late.
   */
  nextExpired(closed: ClosedVisits, maxUs: number): number {
    const byStream = this.expiryQ, byWall = this.expiryWallQ;
    while (byStream.size > 0 && byStream.peekDue() <= this.allLowUs) {
      const due = byStream.peekDue(), slot = byStream.peekItem();
      byStream.pop();
      if (closed.idOf(slot) === "" || closed.horizonOf(slot) !== due) continue; // stale
      const until = closed.wallOf(slot) + maxUs;
      if (this.wallUs >= until) return slot;
      byWall.push(until, slot);
    }
    while (byWall.size > 0 && byWall.peekDue() <= this.wallUs) {
      const due = byWall.peekDue(), slot = byWall.peekItem();
      byWall.pop();
      if (closed.idOf(slot) === "" || closed.wallOf(slot) + maxUs !== due) continue; // stale
      return slot;
    }
    return -1;
  }
}

/**
 * Pops `h`'s earliest live entry due at or before `limit`; stale entries (the customer was
 * rescheduled or is gone) are dropped: a live entry is due at its customer's cutoff + grace.
 */
function takeDue(
  h: DueHeap<Customer>,
  heap: number,
  limit: number,
  graceUs: number,
): Customer | null {
  while (h.size > 0 && h.peekDue() <= limit) {
    const due = h.peekDue();
    const c = h.peekItem();
    h.pop();
    if (c.queue === heap && c.cutoffUs + graceUs === due) return c;
  }
  return null;
}
