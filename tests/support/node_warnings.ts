/**
 * KafkaJS 2.2.4 arms a timer for `throttledUntil - Date.now()` in its request queue
 * (src/network/requestQueue, `scheduleCheckPendingRequests`); unthrottled, `throttledUntil` is
 * -1, so the delay is about minus the epoch, and Node compat prints a `TimeoutNegativeWarning`
 * (the timer fires at once, as KafkaJS intends). The service drops it in lib/kafka/client.ts;
 * test helpers that build KafkaJS clients drop it here. Every other warning still prints.
 * @module
 */
import process from "node:process";

let installed = false;

/** Drops KafkaJS's negative-timer warning; idempotent. */
export function dropKafkaTimerWarning(): void {
  if (installed) return;
  installed = true;
  process.removeAllListeners("warning");
  process.on("warning", (w: Error) => {
    if (w.name !== "TimeoutNegativeWarning") console.warn(`${w.name}: ${w.message}`);
  });
}
