/**
 * Reading in event-time step (docs/service.md, "Tasks"), as Kafka Streams reads the head record
 * with the lowest timestamp first. Of the input partitions read here, one with records left
 * whose latest record is ahead of the slowest partition with records left is paused until that
 * one catches up:
 *
 * - a shelf partition, more than {@link STEP_SKEW_US} ahead of the slowest shelf partition, or
 *   at all ahead of the slowest foot partition. A customer's next visit must not reach the cart
 *   before the session of the visit before it (whose exit would take those events out as late),
 *   and sessions are stamped with their entry time: a shelf event at time _t_ waits for every
 *   session entered before _t_.
 * - a foot partition, more than {@link STEP_SKEW_US} ahead of the slowest shelf partition, only
 *   when every task runs on this instance (`paceFoot`). Sessions otherwise wait in memory for
 *   their shelf events: a backfill's foot topic (a few sessions per thousand shelf records) is
 *   read in seconds. With tasks elsewhere, shelf partitions read there cannot see the foot
 *   partitions read here, so the foot partitions are never held back (the order above).
 *
 * A backfill then holds about the skew's worth of store time in memory, not the whole day's
 * sessions. The slowest partition is never paused, so reading always goes on. Pure: the caller
 * pauses and resumes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { aheadOfStep } from "./event_time_steps.ts";
 * const MIN = 60e6;
 * const ahead = aheadOfStep([
 *   { key: "foot/0", source: "foot", headUs: 30 * MIN, lag: 10n },
 *   { key: "shelf/0", source: "shelf", headUs: 5 * MIN, lag: 900n },
 * ], { paceFoot: true });
 * assert.deepEqual([...ahead], ["foot/0"]); // 25 minutes ahead of the shelf partition
 * ```
 * @module
 */

/** How far (µs of event time) a partition may read ahead of the slowest one with records left. */
export const STEP_SKEW_US = 60e6;

/** Where one input partition stands. */
export interface PartitionHead {
  key: string;
  source: "foot" | "shelf";
  /** Event time of its latest record (-Infinity: none read yet). */
  headUs: number;
  /** Records left to read. */
  lag: bigint;
}

/** How partitions step. */
export interface StepRules {
  /** Whether foot partitions are held back too (every task runs here). */
  paceFoot: boolean;
  skewUs?: number;
  /**
   * The wall clock (µs; absent: none). Only a partition more than the skew behind it holds
   * others back: producers writing in real time deliver in time order anyway, and a pause costs
   * a fetch turn of latency.
   */
  nowUs?: number;
}

/** The partitions to pause (their keys). */
export function aheadOfStep(heads: PartitionHead[], rules: StepRules): Set<string> {
  const skew = rules.skewUs ?? STEP_SKEW_US;
  const behind = (rules.nowUs ?? Infinity) - skew;
  const low = { foot: Infinity, shelf: Infinity };
  for (const h of heads) {
    if (h.lag > 0n && h.headUs < low[h.source] && h.headUs < behind) low[h.source] = h.headUs;
  }
  const out = new Set<string>();
  for (const h of heads) {
    const ahead = h.source === "shelf"
      ? h.headUs > low.shelf + skew || h.headUs > low.foot
      : rules.paceFoot && h.headUs > low.shelf + skew;
    if (ahead) out.add(h.key);
  }
  return out;
}
