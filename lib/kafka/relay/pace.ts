/**
 * Keeps the foot relay from running far ahead of the shelf relay in event time. A backlog's
 * sessions are few records next to its shelf events, so the foot relay read a whole day's
 * sessions in a second or two, and every one of them then waited in a checkout task until the
 * shelf input passed its exit: a 60,000-session backfill held 57,000 open sessions two seconds
 * in (against 11,000 open carts), and the service's memory grew with the backlog.
 *
 * Now a foot relay task reads its next batch only while its event time is at most
 * {@link FOOT_AHEAD_US} past the latest event time the shelf relay has read, and only when this
 * instance relays every shelf partition and one of them is in a backlog (at least
 * {@link BACKLOG_RECORDS} to read). The latest, not the earliest: a session must arrive before
 * any shelf event later than its exit, or a returning customer's next visit, logged in the cart
 * while the first visit's session was still held back, is taken out as late when that session
 * comes (found in CI pacing by the slowest shelf partition: 24 visits billed short when the
 * partitions were read at different speeds). Every partition: another instance's could be
 * ahead. A shelf input near its end (a live store's always is) holds nothing back, and the shelf
 * relay never waits for the foot relay, so the wait always ends. What is billed does not change;
 * only when sessions enter memory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FOOT_AHEAD_US, RelayPace } from "./pace.ts";
 * const pace = new RelayPace();
 * let tasks = [{ watermarkUs: 1_000_000, behind: true }, { watermarkUs: 0, behind: true }];
 * pace.watchShelf(() => ({ complete: true, tasks }));
 * assert.equal(pace.footMayRead(1_000_000 + FOOT_AHEAD_US), true);
 * assert.equal(pace.footMayRead(1_000_001 + FOOT_AHEAD_US), false);
 * tasks = [{ watermarkUs: 1_000_000, behind: false }]; // near its end: no hold
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

/** What the shelf relay stage of this instance reads. */
export interface ShelfView {
  /** Whether it relays every partition of the shelf topic (with a running task each). */
  complete: boolean;
  /** Its running tasks. */
  tasks: Iterable<ShelfPosition>;
}

/** The pace between one instance's relay stages (one per instance life). */
export class RelayPace {
  #shelf: () => ShelfView = () => ({ complete: false, tasks: [] });

  /** The shelf relay stage tells what it reads (asked at each look). */
  watchShelf(view: () => ShelfView): void {
    this.#shelf = view;
  }

  /**
   * How far (µs) the foot relay may read: {@link FOOT_AHEAD_US} past the latest event time the
   * shelf relay has read, when it relays every shelf partition here and one is in a backlog;
   * Infinity otherwise.
   */
  footLimitUs(): number {
    const view = this.#shelf();
    if (!view.complete) return Infinity;
    let latest = -Infinity;
    let backlog = false;
    for (const p of view.tasks) {
      if (p.behind) backlog = true;
      if (p.watermarkUs > latest) latest = p.watermarkUs;
    }
    return backlog ? latest + FOOT_AHEAD_US : Infinity;
  }

  /** Whether a foot relay task that has read up to `footUs` may read on. */
  footMayRead(footUs: number): boolean {
    return footUs <= this.footLimitUs();
  }
}
