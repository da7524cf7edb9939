/**
 * KafkaJS 2.2.4 asks the broker for a group's or a transaction's coordinator every time it needs
 * one (`Cluster.findGroupCoordinator`: one FindCoordinator request each): a transaction that
 * sends records and offsets asks four times or more (AddPartitionsToTxn per send, AddOffsetsToTxn,
 * TxnOffsetCommit, EndTxn), each a round trip ahead of the step itself, and every task commits
 * every 50 ms. The Java client keeps the coordinator until a request says it moved. Here the
 * answer is kept for {@link COORDINATOR_TTL_MS} while its broker stays connected: a coordinator
 * that moved meanwhile answers NOT_COORDINATOR, which KafkaJS retries (with back-off, past that
 * time) and which, at worst, fails the transaction: the pipeline then restarts from its last
 * commit, as for any failed transaction.
 *
 * The class is patched in place (its prototype), in this module's body, which
 * `lib/kafka/kafkajs.ts` imports before KafkaJS.
 * @module
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** How long a coordinator found is used without asking again (ms). */
export const COORDINATOR_TTL_MS = 1000;

/** A broker as the cache looks at it. */
export interface CoordinatorBroker {
  isConnected(): boolean;
}

/** KafkaJS's lookup: `{ groupId, coordinatorType }` → the coordinator's broker. */
export type FindCoordinator<B> = (
  query: { groupId: string; coordinatorType?: number },
) => Promise<B>;

/**
 * `find`, remembering each answer for `ttlMs` (by `now()`) while its broker is connected.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cachedCoordinators } from "./coordinator_cache.ts";
 * let asked = 0, now = 0;
 * const broker = { isConnected: () => true };
 * const find = cachedCoordinators(() => (asked++, Promise.resolve(broker)), 1000, () => now);
 * await find({ groupId: "g" });
 * await find({ groupId: "g" });
 * assert.equal(asked, 1);
 * now = 1000;
 * await find({ groupId: "g" });
 * assert.equal(asked, 2);
 * ```
 */
export function cachedCoordinators<B extends CoordinatorBroker>(
  find: FindCoordinator<B>,
  ttlMs: number,
  now: () => number,
): FindCoordinator<B> {
  const known = new Map<string, { broker: B; until: number }>();
  return async (query) => {
    const key = `${query.coordinatorType ?? 0}\n${query.groupId}`;
    const hit = known.get(key);
    if (hit !== undefined && now() < hit.until && hit.broker.isConnected()) return hit.broker;
    known.delete(key);
    const broker = await find(query);
    known.set(key, { broker, until: now() + ttlMs });
    return broker;
  };
}

const PATH = "kafkajs/src/cluster/index.js";
type ClusterFind = (this: object, q: { groupId: string; coordinatorType?: number }) => Promise<
  CoordinatorBroker
>;
const Cluster = require(PATH) as { prototype: { findGroupCoordinator: ClusterFind } };
/** KafkaJS's own lookup. */
const kafkajsFind = Cluster.prototype.findGroupCoordinator;
/** Each cluster (one per client: producer, consumer, admin) keeps its own answers. */
const perCluster = new WeakMap<object, FindCoordinator<CoordinatorBroker>>();

function findGroupCoordinator(
  this: object,
  query: { groupId: string; coordinatorType?: number },
): Promise<CoordinatorBroker> {
  let find = perCluster.get(this);
  if (find === undefined) {
    find = cachedCoordinators((q) => kafkajsFind.call(this, q), COORDINATOR_TTL_MS, Date.now);
    perCluster.set(this, find);
  }
  return find(query);
}
Cluster.prototype.findGroupCoordinator = findGroupCoordinator;

/** Whether KafkaJS's clusters remember their coordinators in this process. */
export function coordinatorCacheInstalled(): boolean {
  return Cluster.prototype.findGroupCoordinator === findGroupCoordinator;
}
