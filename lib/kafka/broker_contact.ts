/**
 * When this process last regained the broker after losing it. While the broker is unreachable
 * the store's producers cannot write either: they buffer and retry, and deliver what they held
 * once it is back. A look-up that finds an input caught up just after such a gap proves nothing
 * about those records, so for the idle time after contact comes back no input partition counts
 * as caught up (docs/service.md, "Broker outages"): stream time follows the records' event
 * times, and neither the wall clock nor the end of input is taken from the outage's silence.
 * @module
 */

/**
 * A look-up answered later than this after the previous answer (beyond the pause the asker
 * chose), or taking longer than this, means the broker was out of reach meanwhile. An instance
 * asks every 100 ms (every second while quiet, a pause it names), so a healthy broker never
 * comes near it; a gap falsely seen only postpones wall-clock checkouts.
 */
export const CONTACT_GAP_MS = 1000;

/**
 * `/readyz` is 503 when no look-up was answered for this long (issue 24: it said ready for 16 s
 * and more after the broker stopped): the look-ups come every 100 ms, busy or idle, so a few
 * seconds without one is a broker out of reach, not a slow answer.
 */
export const READY_CONTACT_MS = 3000;

/** The process's contact with the broker, from its end look-ups (outlives a stage's restart). */
export class BrokerContact {
  #lastAnsweredMs: number | undefined;
  /**
   * Wall clock (ms) of the first answer after the latest gap; -Infinity when the process has
   * had no gap (its start is not one: a restart at the end of input still sees the end).
   */
  regainedAtMs = -Infinity;

  /** Whether a look-up was answered within the `ms` before `nowMs`. */
  answeredWithin(ms: number, nowMs: number): boolean {
    const last = this.#lastAnsweredMs;
    return last !== undefined && nowMs - last <= ms;
  }

  /**
   * A look-up asked at `askedAtMs` was answered at `answeredAtMs`; `pausedMs`: how long the
   * asker chose to wait before asking (a quiet instance looks up once a second), which is no
   * gap of the broker's.
   */
  answered(askedAtMs: number, answeredAtMs: number, pausedMs = 0): void {
    const last = this.#lastAnsweredMs;
    const gap = answeredAtMs - askedAtMs > CONTACT_GAP_MS ||
      (last !== undefined && askedAtMs - last > CONTACT_GAP_MS + pausedMs);
    if (gap && answeredAtMs > this.regainedAtMs) this.regainedAtMs = answeredAtMs;
    if (last === undefined || answeredAtMs > last) this.#lastAnsweredMs = answeredAtMs;
  }
}
