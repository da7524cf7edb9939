/**
 * One sleep and one back-off for the edges (retries, pacing, polling): `sleep` resolves after
 * `ms`, or at once when `signal` is aborted — also when it already was, which a plain "abort"
 * listener would miss; `Backoff` is the capped exponential delay between retries.
 *
 * @example
 * ```ts
 * import { Backoff, sleep } from "./sleep.ts";
 * const stop = new AbortController();
 * stop.abort();
 * await sleep(30_000, stop.signal); // returns at once
 * const backoff = new Backoff();
 * backoff.next(Date.now()); // 500, then 1000, 2000, … up to 30000
 * ```
 * @module
 */

/**
 * Waits `ms`, or until one of `signals` aborts (at once if one has). No listener and no timer
 * outlives the wait: a loop that waits on long-lived signals every interval, for days, must not
 * leave anything behind on them (`AbortSignal.any` over one does in Deno: about 1.5 KB a call).
 */
export function sleep(ms: number, ...signals: (AbortSignal | undefined)[]): Promise<void> {
  return new Promise((resolve) => {
    if (signals.some((s) => s?.aborted)) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      for (const s of signals) s?.removeEventListener("abort", done);
      resolve();
    }
    for (const s of signals) s?.addEventListener("abort", done, { once: true });
  });
}

/** Resolves when `signal` aborts (at once if it has). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((r) => signal.addEventListener("abort", () => r(), { once: true }));
}

/** Waits for `work`, but at most `ms` (it goes on; the caller stops waiting). */
export async function atMost(ms: number, work: Promise<unknown>): Promise<void> {
  const bound = new AbortController();
  await Promise.race([work.catch(() => {}), sleep(ms, bound.signal)]);
  bound.abort(); // no timer outlives the wait
}

/** `work`, or an error naming `what` once `ms` have passed (a hang becomes a retry). */
export async function withDeadline<T>(ms: number, work: Promise<T>, what: string): Promise<T> {
  const bound = new AbortController();
  const late = sleep(ms, bound.signal).then(() => {
    if (!bound.signal.aborted) throw new Error(`${what}: no answer in ${ms / 1000} s`);
  });
  try {
    return await Promise.race([work, late as Promise<never>]);
  } finally {
    bound.abort(); // no timer outlives the wait
  }
}

/**
 * Capped exponential back-off: each retry waits twice as long as the one before, up to `maxMs`;
 * a try that ran well for `resetAfterMs` starts again from `firstMs` (a fault long after a good
 * start is not the same fault again).
 */
export class Backoff {
  #ms: number;

  constructor(
    readonly firstMs = 500,
    readonly maxMs = 30_000,
    readonly resetAfterMs = 60_000,
  ) {
    this.#ms = firstMs;
  }

  /** The delay before the next try, after a try that started at `startedMs` failed. */
  next(startedMs: number, nowMs = Date.now()): number {
    if (nowMs - startedMs > this.resetAfterMs) this.#ms = this.firstMs;
    const ms = this.#ms;
    this.#ms = Math.min(ms * 2, this.maxMs);
    return ms;
  }
}
