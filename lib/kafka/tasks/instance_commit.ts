/**
 * What one commit of an instance writes (docs/service.md, "One commit"): for every input
 * partition read here, the records forwarded to tasks elsewhere and its control records; for
 * every task here, its transactions, DLQ records and changelog (to its own changelog partition);
 * and the offsets of all of them, by consumer group. Built at one synchronous moment, so the
 * records and the offsets agree. Pure: no client here.
 * @module
 */
import type { Commit } from "../../drive/committer.ts";
import type { PartitionOffset } from "../input_offsets.ts";
import { outputBatches, type TopicBatch } from "../output_messages.ts";
import type { RelaySource } from "../relay_records.ts";
import type { TaskTake } from "./checkout_task.ts";
import type { PartitionTake } from "./input_partition.ts";

/** The topics and groups a commit writes to. */
export interface CommitTopics {
  pos: string;
  dlq: string;
  state: string;
  repartition: string;
  inputs: Record<RelaySource, { topic: string; groupId: string }>;
  /** The tasks' group: its members run the tasks, and it holds the repartition offsets. */
  taskGroupId: string;
}

/** Offsets for one consumer group. */
export interface GroupOffsets {
  groupId: string;
  topic: string;
  partitions: PartitionOffset[];
  /** The offsets as they already are, sent for the generation check alone. */
  unchanged?: boolean;
}

/** One commit: messages in write order, offsets by group, and what it took. */
export interface InstanceCommit {
  batches: TopicBatch[];
  /**
   * Offsets by group. The tasks' group comes last and is always there while the instance runs a
   * task: its commit carries the group's generation, which fences a zombie (KIP-447).
   */
  offsets: GroupOffsets[];
  partitions: { source: RelaySource; s: number; take: PartitionTake }[];
  tasks: TaskTake[];
  /** Transactions written (for the caller's counters). */
  transactionCount: number;
}

/** Whether a commit has nothing to write. */
export function isEmptyCommit(c: InstanceCommit): boolean {
  return c.batches.every((b) => b.messages.length === 0) &&
    c.offsets.every((o) => o.unchanged === true || o.partitions.length === 0);
}

/**
 * The commit of `partitions` and `tasks` taken at one moment. `taskPositions`: the next offset
 * of every task's repartition partition (sent unchanged when none moved, for the fencing).
 */
export function instanceCommit(
  topics: CommitTopics,
  partitions: InstanceCommit["partitions"],
  tasks: TaskTake[],
  taskPositions: PartitionOffset[],
): InstanceCommit {
  const forwarded: TopicBatch = { topic: topics.repartition, messages: [] };
  for (const { take } of partitions) {
    for (const r of take.records) {
      forwarded.messages.push({
        key: r.key,
        value: r.value,
        headers: r.headers as Record<string, string>,
        partition: r.partition,
        ...(r.timestamp !== undefined ? { timestamp: r.timestamp } : {}),
      });
    }
  }
  const batches: TopicBatch[] = [forwarded];
  let transactionCount = 0;
  for (const t of tasks) {
    transactionCount += t.transactions.length;
    const c: Commit<void> = {
      transactions: t.transactions,
      dlq: t.dlq,
      state: t.state,
      offsets: undefined,
    };
    const out = outputBatches(c, { ...topics, statePartition: t.task });
    for (const b of out) if (b.messages.length > 0) batches.push(b);
  }
  const offsets: GroupOffsets[] = [];
  for (const source of ["foot", "shelf"] as const) {
    const moved = partitions.filter((p) => p.source === source && p.take.offset !== undefined)
      .map((p) => ({ partition: p.s, offset: p.take.offset! }));
    const { topic, groupId } = topics.inputs[source];
    if (moved.length > 0) offsets.push({ groupId, topic, partitions: moved });
  }
  const moved = tasks.filter((t) => t.offset !== undefined)
    .map((t) => ({ partition: t.task, offset: t.offset! }));
  const group = { groupId: topics.taskGroupId, topic: topics.repartition };
  if (moved.length > 0) offsets.push({ ...group, partitions: moved });
  else if (taskPositions.length > 0) {
    offsets.push({ ...group, partitions: taskPositions, unchanged: true });
  }
  return { batches, offsets, partitions, tasks, transactionCount };
}
