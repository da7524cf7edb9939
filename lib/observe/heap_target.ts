/**
 * A soft cap on the JavaScript heap (`HEAP_TARGET_MIB`). V8 lets the heap grow to a multiple of
 * what is live before it collects, and keeps the pages it grew into: during a backfill that is
 * most of the service's peak memory. V8's own cap (`--max-old-space-size`) aborts the process
 * when the live data outgrows it. This one runs a full collection whenever the heap has grown
 * past the target, which keeps it near the target at a cost in CPU; when the live data itself is
 * above the target, collections back off (each interval doubles, up to 8 s) instead of running
 * back to back, and the service goes on.
 * @module
 */

/** What the governor reads and does (the process's, or fakes in tests). */
export interface HeapTargetDeps {
  /** The heap's size (committed) and how much of it is used, in bytes. */
  heap(): { heapTotal: number; heapUsed: number };
  /** A full garbage collection. */
  collect(): void;
  /** Called after each collection it ran (a counter). */
  collected?(): void;
}

/** How often the heap is looked at. */
export const HEAP_CHECK_MS = 200;
const MAX_BACKOFF_MS = 8000;

/**
 * Decides, at each look, whether to collect: when the heap is past `targetBytes` and no
 * back-off holds. Pure state; the caller owns the timer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HeapTarget } from "./heap_target.ts";
 * let heap = { heapTotal: 300e6, heapUsed: 40e6 };
 * let collections = 0;
 * const t = new HeapTarget(200e6, { heap: () => heap, collect: () => { collections++; heap = { heapTotal: 90e6, heapUsed: 40e6 }; } });
 * t.look(0);
 * assert.equal(collections, 1);
 * t.look(200); // below the target now
 * assert.equal(collections, 1);
 * ```
 */
export class HeapTarget {
  #notBeforeMs = -Infinity;
  #backoffMs = HEAP_CHECK_MS;

  constructor(readonly targetBytes: number, private readonly deps: HeapTargetDeps) {}

  /** One look at wall clock `nowMs`: collects when due. */
  look(nowMs: number): void {
    if (nowMs < this.#notBeforeMs) return;
    if (this.deps.heap().heapTotal <= this.targetBytes) return;
    this.deps.collect();
    this.deps.collected?.();
    // Live data near the target: collecting again soon would not bring the heap down.
    if (this.deps.heap().heapUsed > 0.75 * this.targetBytes) {
      this.#notBeforeMs = nowMs + this.#backoffMs;
      this.#backoffMs = Math.min(MAX_BACKOFF_MS, this.#backoffMs * 2);
    } else {
      this.#backoffMs = HEAP_CHECK_MS;
    }
  }
}
