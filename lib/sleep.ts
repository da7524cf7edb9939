/**
 * One sleep for the edges (back-off, pacing): resolves after `ms`, or at once when `signal` is
 * aborted — also when it already was, which a plain "abort" listener would miss.
 *
 * @example
 * ```ts
 * import { sleep } from "./sleep.ts";
 * const stop = new AbortController();
 * stop.abort();
 * await sleep(30_000, stop.signal); // returns at once
 * ```
 * @module
 */

/** Waits `ms`, or until `signal` aborts (at once if it has). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
