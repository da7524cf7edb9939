/**
 * The tasks' partition assigner (docs/service.md, "Tasks"): task *p* is partition *p* of every
 * subscribed topic (the foot, shelf and repartition topics) that has one, so the records a
 * producer keyed by customer are read where that customer's cart is. A topic with more
 * partitions than the others (a shelf topic with more than the foot topic) makes tasks past the
 * others' count, which only read and forward. Tasks are spread evenly over the
 * members (counts differ by at most one) and, where a member still exists, it keeps the tasks
 * it had (told in its subscription's userData), so a rebalance moves as few tasks as it can.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planTasks } from "./assigner.ts";
 * const plan = planTasks(4, [{ memberId: "a", owned: [3] }, { memberId: "b", owned: [] }]);
 * assert.deepEqual(plan.get("a"), [0, 3]);
 * assert.deepEqual(plan.get("b"), [1, 2]);
 * ```
 * @module
 */
import { Buffer } from "node:buffer";
import type { PartitionAssigner } from "kafkajs";
import { AssignerProtocol } from "../kafkajs.ts";
import { settingsUserData, type SharedSettings } from "../shared_settings.ts";

/** The assigner's protocol name (every member of the group must offer it). */
export const CO_PARTITIONED = "PosTasks";

/** A member of the group and the tasks it owned before this rebalance. */
export interface MemberTasks {
  memberId: string;
  owned: number[];
}

/**
 * Which tasks (0 … `taskCount` − 1) each member gets: every task exactly once, counts differing
 * by at most one, a member's previous tasks kept while within its share. Deterministic.
 */
export function planTasks(taskCount: number, members: MemberTasks[]): Map<string, number[]> {
  const plan = new Map<string, number[]>();
  if (members.length === 0) return plan;
  const byId = [...members].sort((a, b) => a.memberId < b.memberId ? -1 : 1);
  // Members that owned more get the larger shares first: fewer tasks move.
  const byOwned = [...byId].sort((a, b) => validOwned(b, taskCount) - validOwned(a, taskCount));
  const base = Math.floor(taskCount / members.length);
  const extra = taskCount % members.length;
  const quota = new Map(byOwned.map((m, i) => [m.memberId, base + (i < extra ? 1 : 0)]));
  const taken = new Set<number>();
  for (const m of byOwned) {
    const mine: number[] = [];
    for (const t of m.owned) {
      if (mine.length >= quota.get(m.memberId)!) break;
      if (Number.isInteger(t) && t >= 0 && t < taskCount && !taken.has(t)) {
        taken.add(t);
        mine.push(t);
      }
    }
    plan.set(m.memberId, mine);
  }
  let next = 0;
  for (const m of byId) {
    const mine = plan.get(m.memberId)!;
    while (mine.length < quota.get(m.memberId)!) {
      while (taken.has(next)) next++;
      taken.add(next);
      mine.push(next);
    }
    mine.sort((a, b) => a - b);
  }
  return plan;
}

function validOwned(m: MemberTasks, taskCount: number): number {
  return new Set(m.owned.filter((t) => Number.isInteger(t) && t >= 0 && t < taskCount)).size;
}

/**
 * A member's userData: the tasks it owns now (JSON), so the leader can keep them in place, and
 * the settings every instance must share (lib/kafka/shared_settings.ts).
 */
export function encodeOwned(owned: number[], settings?: SharedSettings): Buffer {
  return settingsUserData(settings, { tasks: owned });
}

/** Reads {@link encodeOwned}'s userData; anything else counts as owning nothing. */
export function decodeOwned(userData: Uint8Array | null | undefined): number[] {
  if (!userData || userData.length === 0) return [];
  try {
    const v = JSON.parse(new TextDecoder().decode(userData)) as { tasks?: unknown };
    return Array.isArray(v.tasks) ? v.tasks.filter((t): t is number => Number.isInteger(t)) : [];
  } catch {
    return [];
  }
}

/**
 * The assigner, sticky: `owned()` tells the tasks this member runs now (sent with every join,
 * with `settings`). The task count is the largest partition count of the subscribed topics;
 * each member gets, of each topic, the partitions of its tasks that the topic has.
 */
export function coPartitionedAssigner(
  owned: () => number[],
  settings?: SharedSettings,
): PartitionAssigner {
  return ({ cluster }) => ({
    name: CO_PARTITIONED,
    version: 0,
    // deno-lint-ignore require-await
    async assign({ members, topics }) {
      const counts = topics.map((t) => cluster.findTopicPartitionMetadata(t).length);
      const taskCount = Math.max(...counts);
      const plan = planTasks(
        taskCount,
        members.map((m) => ({
          memberId: m.memberId,
          owned: decodeOwned(AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.userData),
        })),
      );
      return [...plan].map(([memberId, tasks]) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 0,
          assignment: Object.fromEntries(
            topics.map((t, i) => [t, tasks.filter((p) => p < counts[i])]),
          ),
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: CO_PARTITIONED,
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: 0,
          topics,
          userData: encodeOwned(owned(), settings),
        }),
      };
    },
  });
}

/** The assigner without stickiness (every member says it owns nothing). */
export const coPartitioned: PartitionAssigner = coPartitionedAssigner(() => []);
