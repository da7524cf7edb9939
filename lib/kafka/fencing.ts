/**
 * Telling a takeover from a timeout: both make the broker answer PRODUCER_FENCED /
 * INVALID_PRODUCER_EPOCH, but only a takeover by another instance is fatal (docs/service.md,
 * "Restart safety").
 * @module
 */
import { sleep } from "../sleep.ts";

/** The producer's transaction timeout; an older transaction that fails was aborted by it. */
export const TRANSACTION_TIMEOUT_MS = 60_000;

/** Thrown when another instance with the same transactional id took over. */
export class FencedError extends Error {
  override name = "FencedError";
}

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

/**
 * Whether a failed transaction means another instance took over our transactional id. The
 * broker answers PRODUCER_FENCED / INVALID_PRODUCER_EPOCH both when a newer producer
 * initialised the id and when it aborted our own transaction for running past its timeout
 * (it bumps the epoch then too). Only the first is fatal; a transaction open longer than the
 * timeout (a long pause, a stalled broker) rebuilds the pipeline like any other failure.
 */
export function isFencedByAnotherInstance(
  e: unknown,
  transactionOpenMs: number,
  timeoutMs = TRANSACTION_TIMEOUT_MS,
): boolean {
  return isFencingError(e) && transactionOpenMs < timeoutMs;
}

/** `e` as a {@link FencedError} when it means a takeover, else `e` itself. */
export function asFenced(e: unknown, openedAtMs: number, transactionalId: string): unknown {
  return isFencedByAnotherInstance(e, Date.now() - openedAtMs)
    ? new FencedError(`another instance with transactional id "${transactionalId}" took over`)
    : e;
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
