/**
 * Gives memory back while the input is quiet. V8 sizes its heap by how fast the process
 * allocates and keeps the pages it grew into; it starts a full collection by heap size, and an
 * idle service (end look-ups, empty fetches, heartbeat transactions: a few MB a second, nearly
 * all short-lived) reaches that size only after minutes, well past 150 MiB of RSS. A backfill
 * that ended leaves its pages behind too. So once no input record arrived for
 * {@link QUIET_MS}, one full collection runs, and then again each time the heap grew by
 * {@link REGROWTH_BYTES} since the last one. While records arrive it does nothing: a backfill
 * pays nothing for it (`HEAP_TARGET_MIB` is the knob that trades a backfill's CPU for memory).
 * @module
 */

/** What the collector reads and does (the process's, or fakes in tests). */
export interface IdleCollectorDeps {
  /** A count that moves whenever input arrives (input bytes read, records the tasks apply). */
  activity(): number;
  /** The heap's committed size, in bytes. */
  heapTotal(): number;
  /** A full garbage collection. */
  collect(): void;
  /** Called after each collection it ran (a counter). */
  collected?(): void;
}

/** How often the collector looks (a counter and the heap size: nothing to speak of). */
export const IDLE_CHECK_MS = 1000;
/** No input for this long is a quiet input. */
export const QUIET_MS = 5000;
/** While quiet, a collection again once the heap grew by this much since the last one. */
export const REGROWTH_BYTES = 16 * 2 ** 20;

/**
 * Decides at each look whether to collect. Pure state; the caller owns the timer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { IdleCollector } from "./idle_collector.ts";
 * let input = 0, collections = 0;
 * const c = new IdleCollector({
 *   activity: () => input,
 *   heapTotal: () => 64e6,
 *   collect: () => collections++,
 * }, 0);
 * input = 100; // records arrive
 * c.look(1000);
 * c.look(7000); // quiet for 6 s
 * assert.equal(collections, 1);
 * ```
 */
export class IdleCollector {
  #activity: number;
  #quietSinceMs: number;
  /** The heap's size after the last collection of this quiet time; undefined: none yet. */
  #heapAfter: number | undefined;

  /** The quiet time counts from `nowMs` (a start is quiet until input arrives). */
  constructor(private readonly deps: IdleCollectorDeps, nowMs: number) {
    this.#activity = deps.activity();
    this.#quietSinceMs = nowMs;
  }

  /** One look at wall clock `nowMs`: collects when due. */
  look(nowMs: number): void {
    const a = this.deps.activity();
    if (a !== this.#activity) {
      this.#activity = a;
      this.#quietSinceMs = nowMs;
      this.#heapAfter = undefined;
      return;
    }
    if (nowMs - this.#quietSinceMs < QUIET_MS) return;
    if (
      this.#heapAfter !== undefined && this.deps.heapTotal() < this.#heapAfter + REGROWTH_BYTES
    ) return;
    this.deps.collect();
    this.deps.collected?.();
    this.#heapAfter = this.deps.heapTotal();
  }
}
