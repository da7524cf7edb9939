/**
 * Leaving a consumer group without leaving a consumer behind in it.
 *
 * KafkaJS 2.2.4's `disconnect()` (and `stop()`) while `run()`'s first join is still pending (a
 * killed member's session, a coordinator still loading, a broker outage) stops nothing: its
 * runner is not "running" until that join completes, so the stop returns at once and the
 * consumer forgets the runner. The join then completes, and that runner fetches for ever,
 * holding its partitions, which no other member reads: after a broker restart, a stage of the
 * next life got one shelf partition of three and nothing was checked out any more (seen in CI,
 * and reproduced under CPU contention). So a consumer is disconnected only once its `run()` has
 * settled: at once when it has; otherwise the caller waits a bounded time and the disconnect
 * follows in the background, when the join completes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { leaveGroup } from "./group_exit.ts";
 * let disconnected = false;
 * const consumer = { disconnect: () => (disconnected = true, Promise.resolve()) };
 * const join = Promise.withResolvers<void>(); // its run(), waiting for the first join
 * await leaveGroup(consumer, join.promise, 10);
 * assert.equal(disconnected, false); // the join is pending: not yet
 * join.resolve();
 * await join.promise;
 * await Promise.resolve();
 * assert.equal(disconnected, true);
 * ```
 * @module
 */
import { atMost } from "../sleep.ts";

/** What leaving needs of a KafkaJS consumer. */
export interface GroupMember {
  disconnect(): Promise<void>;
}

/**
 * Disconnects `consumer` once `running` (its `run()`, undefined when never called) has settled,
 * waiting for that and the disconnect at most `boundMs`; past it both go on in the background.
 */
export async function leaveGroup(
  consumer: GroupMember,
  running: Promise<unknown> | undefined,
  boundMs: number,
): Promise<void> {
  const leave = (running ?? Promise.resolve()).then(
    () => consumer.disconnect(),
    () => consumer.disconnect(),
  );
  leave.catch(() => {}); // a failed disconnect after the bound has nobody to tell
  await atMost(boundMs, leave);
}
