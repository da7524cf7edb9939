/**
 * Reading in event-time step (docs/service.md, "Tasks"): an input partition read here whose
 * latest record is more than {@link STEP_SKEW_US} of event time ahead of the slowest partition
 * that still has records to read is paused until that one catches up, as Kafka Streams reads the
 * head record with the lowest timestamp first. A backfill then holds the carts and sessions of
 * about the skew's worth of store time, not of as much of the day as the faster topic (the foot
 * sessions, a few per thousand shelf records) got ahead. Pure: the caller pauses and resumes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { aheadOfStep } from "./event_time_steps.ts";
 * const MIN = 60e6;
 * const ahead = aheadOfStep([
 *   { key: "foot/0", headUs: 30 * MIN, lag: 10n },
 *   { key: "shelf/0", headUs: 5 * MIN, lag: 900n },
 * ]);
 * assert.deepEqual([...ahead], ["foot/0"]); // 25 minutes ahead of the shelf partition
 * ```
 * @module
 */

/** How far (µs of event time) a partition may read ahead of the slowest one with records left. */
export const STEP_SKEW_US = 60e6;

/** Where one input partition stands. */
export interface PartitionHead {
  key: string;
  /** Event time of its latest record (-Infinity: none read yet). */
  headUs: number;
  /** Records left to read. */
  lag: bigint;
}

/**
 * The partitions to pause: those ahead of the slowest partition with records left by more than
 * `skewUs`. The slowest is never paused, so reading always goes on somewhere.
 */
export function aheadOfStep(heads: PartitionHead[], skewUs = STEP_SKEW_US): Set<string> {
  let low = Infinity;
  let lagging = 0;
  for (const h of heads) {
    if (h.lag <= 0n) continue;
    lagging++;
    if (h.headUs < low) low = h.headUs;
  }
  const out = new Set<string>();
  if (lagging === 0) return out;
  for (const h of heads) if (h.headUs > low + skewUs) out.add(h.key);
  return out;
}
