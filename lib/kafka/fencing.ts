/**
 * Transaction answers the commit path tells apart: a fenced producer (PRODUCER_FENCED /
 * INVALID_PRODUCER_EPOCH: another holder took its transactional id, or the broker aborted a
 * transaction past its timeout; either way the instance waits for its new assignment,
 * docs/service.md "One commit"), and CONCURRENT_TRANSACTIONS, retried in place.
 * @module
 */
import { sleep } from "../sleep.ts";

/** Whether `e` (or its cause) says the producer's epoch is over: another holder took its id. */
export function isFencingError(e: unknown): boolean {
  const err = e as { type?: string; name?: string; message?: string; cause?: unknown };
  if (!err) return false;
  if (
    err.type === "INVALID_PRODUCER_EPOCH" || err.type === "PRODUCER_FENCED" ||
    err.name === "KafkaJSProducerFenced" || /fenced/i.test(err.message ?? "")
  ) return true;
  return err.cause ? isFencingError(err.cause) : false;
}

/** Waits before retrying a transaction step the coordinator is still busy with. */
const CONCURRENT_RETRY_MS = [50, 100, 200, 400, 800, 1600, 3200];

/**
 * Runs a transaction step (AddOffsetsToTxn and the like), retrying while the broker answers
 * CONCURRENT_TRANSACTIONS: the coordinator is still writing the markers of this producer's
 * previous transaction. KafkaJS retries sends but not this step, and under load a task's next
 * transaction often starts before those markers are done; failing there restarted the instance.
 */
export async function retryingConcurrent<T>(step: () => Promise<T>): Promise<T> {
  for (let i = 0;; i++) {
    try {
      return await step();
    } catch (e) {
      const type = (e as { type?: string }).type;
      if (type !== "CONCURRENT_TRANSACTIONS" || i >= CONCURRENT_RETRY_MS.length) throw e;
      await sleep(CONCURRENT_RETRY_MS[i]);
    }
  }
}
