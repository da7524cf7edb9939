/**
 * What an instance's tasks get from the service: the stage's deps, the price book, readiness
 * and the test hooks; and the name of the tasks' consumer group.
 * @module
 */
import type { Pricer } from "../../core/mod.ts";
import type { RelayDeps } from "../stage.ts";

/**
 * The tasks' consumer group: `<applicationId>-checkout`. Its members are the instances reading
 * their tasks' partitions; it holds the repartition offsets, and its generation fences a
 * zombie's commits (KIP-447). The input offsets stay in GROUP_ID_FOOT and GROUP_ID_SHELF, where
 * every instance is a member that reads nothing (presence.ts).
 */
export function checkoutGroupId(applicationId: string): string {
  return `${applicationId}-checkout`;
}

/** What {@link runTasks} needs: the stage's deps, the price book, readiness. */
export type TasksDeps = RelayDeps & {
  /** The price book of the moment (a hot reload swaps it). */
  pricer: () => Pricer;
  /** False while the instance starts its share of the tasks; true once they run. */
  onReady: (ready: boolean) => void;
  /** Test hook: after each successful commit. */
  onCommit?: (info: { transactions: number }) => void;
  /** Test fault (at-least-once): exit after this many output writes, before the offsets. */
  exitBeforeOffsetCommitAfter?: number;
};
