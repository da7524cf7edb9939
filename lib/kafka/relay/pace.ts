/**
 * Keeps the foot relay from running far ahead of the shelf relay in event time. A backlog's
 * sessions are few records next to its shelf events, so the foot relay read a whole day's
 * sessions in a second or two, and every one of them then waited in a checkout task until the
 * shelf input passed its exit: a 60,000-session backfill held 57,000 open sessions two seconds
 * in (against 11,000 open carts), and the service's memory grew with the backlog. Now a foot
 * relay task reads its next batch only while its event time is at most {@link FOOT_AHEAD_US}
 * past the earliest shelf relay task of this instance that is in a backlog (at least
 * {@link BACKLOG_RECORDS} to read). A shelf input that is near its end (a live store's always
 * is) or has no task here holds nothing back, and the shelf relay never waits for the foot
 * relay: the wait always ends, and a clock skew between upstream systems cannot stall a live
 * store's sessions. What is billed does not change (stream
 * time is event time); only when sessions enter memory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FOOT_AHEAD_US, RelayPace } from "./pace.ts";
 * const pace = new RelayPace();
 * let shelf = [{ watermarkUs: 1_000_000, behind: true }]; // in a backlog
 * pace.watchShelf(() => shelf);
 * assert.equal(pace.footMayRead(1_000_000 + FOOT_AHEAD_US), true);
 * assert.equal(pace.footMayRead(1_000_001 + FOOT_AHEAD_US), false);
 * shelf = [{ watermarkUs: 1_000_000, behind: false }]; // near its end: no hold
 * assert.equal(pace.footMayRead(Infinity), true);
 * ```
 * @module
 */

/** How far (µs of event time) the foot relay may read past a shelf relay task still behind. */
export const FOOT_AHEAD_US = 10 * 60 * 1_000_000;

/** A shelf relay task this far from its partition's end is in a backlog. */
export const BACKLOG_RECORDS = 10_000;

/** How often a held foot relay looks again. */
export const PACE_CHECK_MS = 20;

/** A shelf relay task as the pace sees it. */
export interface ShelfPosition {
  /** The highest event time it has read (µs; -Infinity before its first record). */
  watermarkUs: number;
  /** Whether it is in a backlog ({@link BACKLOG_RECORDS} or more to read). */
  behind: boolean;
}

/** The pace between one instance's relay stages (one per instance life). */
export class RelayPace {
  #shelf: () => Iterable<ShelfPosition> = () => [];

  /** The shelf relay stage tells where its running tasks are (asked at each look). */
  watchShelf(positions: () => Iterable<ShelfPosition>): void {
    this.#shelf = positions;
  }

  /** The earliest event time a shelf relay task in a backlog has reached; Infinity: none. */
  shelfBehindUs(): number {
    let min = Infinity;
    for (const p of this.#shelf()) if (p.behind && p.watermarkUs < min) min = p.watermarkUs;
    return min;
  }

  /** Whether a foot relay task that has read up to `footUs` may read on. */
  footMayRead(footUs: number): boolean {
    return footUs <= this.shelfBehindUs() + FOOT_AHEAD_US;
  }
}
