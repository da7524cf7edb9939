/**
 * What a checkout task reports of each commit: its DLQ records in the log (rate-limited per
 * topic and reason) and its real-time checkout delays in the metrics.
 * @module
 */
import type { Commit } from "../../drive/committer.ts";
import type { Logger, RateLimiter } from "../../observe/log.ts";
import type { ServiceMetrics } from "../service_metrics.ts";

/** Checkout delays above this are a backfill's, not a real-time delay: not observed. */
const CHECKOUT_DELAY_MAX_SEC = 3600;

/** DLQ records are logged, rate-limited per topic and reason. */
export function logDlq<O>(c: Commit<O>, limiter: RateLimiter, log: Logger): void {
  for (const d of c.dlq) {
    const { ok, suppressed } = limiter.allow(`${d.topic}:${d.reason}`, Date.now());
    if (!ok) continue;
    log.warn("record rejected to the DLQ", {
      reason: d.reason,
      detail: d.detail,
      topic: d.topic,
      partition: d.partition,
      offset: d.offset,
      ...(suppressed ? { suppressedSinceLast: suppressed } : {}),
    });
  }
}

/** Real-time checkouts only: a backfill's are due months ago, a fast simulation's ahead. */
export function observeCheckoutDelays<O>(c: Commit<O>, metrics: ServiceMetrics): void {
  const nowUs = Date.now() * 1000;
  for (const t of c.transactions) {
    const delaySec = (nowUs - t.dueMicros) / 1e6;
    if (delaySec >= -1 && delaySec <= CHECKOUT_DELAY_MAX_SEC) {
      metrics.checkoutDelay.observe(Math.max(0, delaySec));
    }
  }
}
