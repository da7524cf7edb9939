/**
 * What a checkout task gets from its stage: the deps, the Kafka calls it makes (behind
 * {@link TaskIo}, so the start order is testable with fakes), and the stage's hooks.
 * @module
 */
import type { Admin, Consumer, Kafka, Producer } from "kafkajs";
import { Partitioners } from "../kafkajs.ts";
import type { Engine, EngineMetrics, Pricer } from "../../core/mod.ts";
import type { RateLimiter } from "../../observe/log.ts";
import { TRANSACTION_TIMEOUT_MS } from "../fencing.ts";
import type { StageDeps } from "../stage.ts";
import { type PartitionRestore, restorePartition } from "./changelog_partition.ts";
import type { InputPartitions } from "./task_input.ts";
import type { TaskSeed } from "./task_positions.ts";

/**
 * The checkout tasks' consumer group: `<applicationId>-checkout`. It reads the repartition
 * topic only, and is where the tasks' offsets (and so their lag) live; the input groups
 * (GROUP_ID_FOOT, GROUP_ID_SHELF) belong to the relays.
 */
export function checkoutGroupId(applicationId: string): string {
  return `${applicationId}-checkout`;
}

/** What {@link runCheckoutTasks} needs: the stage's deps, the price book, readiness. */
export type CheckoutTasksDeps = StageDeps & {
  /** The price book of the moment (a hot reload swaps it). */
  pricer: () => Pricer;
  /** False while any task restores; true when every assigned task runs. */
  onReady: (ready: boolean) => void;
  /** Test hook: after each task's successful commit. */
  onCommit?: (info: { transactions: number }) => void;
  /** Test fault (at-least-once): exit after this many output writes, before the offsets. */
  exitBeforeOffsetCommitAfter?: number;
};

/** The Kafka calls of a task. */
export interface TaskIo {
  /** A new producer: transactional with `transactionalId`, else idempotent. */
  producer(transactionalId: string | undefined): Producer;
  admin: Pick<Admin, "fetchOffsets" | "fetchTopicOffsets">;
  consumer: Pick<Consumer, "pause" | "resume" | "seek" | "commitOffsets">;
  /** Restores changelog partition `task` into `engine`. */
  restore(task: number, engine: Engine, signal: AbortSignal): Promise<PartitionRestore>;
}

/** A task's view of its stage. */
export interface TaskContext {
  deps: CheckoutTasksDeps;
  io: TaskIo;
  /** The foot and shelf topics' partition counts (every one must report before time passes). */
  inputPartitions: InputPartitions;
  dlqLimiter: RateLimiter;
  /** Resolves once the stage's consumer has stopped (after `deps.stop`). */
  consumerStopped(): Promise<unknown>;
  /** The task runs (readiness). */
  onRunning(task: { task: number }): void;
  /** The task was fenced: it moved to another instance. */
  onFenced(task: { task: number }): void;
  /** A task's engine is dropped: keep its counts. */
  retire(m: EngineMetrics): void;
  /** A repartition record that is neither relayed data nor a control record. */
  unknownRelayed(task: number, offset: string): void;
}

/** The real {@link TaskIo} on `kafka`. */
export function kafkaTaskIo(
  kafka: Kafka,
  admin: Admin,
  consumer: Consumer,
  deps: CheckoutTasksDeps,
): TaskIo {
  const { config, log } = deps;
  return {
    producer: (transactionalId) =>
      kafka.producer({
        ...(transactionalId ? { transactionalId } : {}),
        idempotent: true,
        maxInFlightRequests: 1,
        // The changelog is made by the service only (compacted, P partitions), the outputs by
        // it or an operator: never by the broker's auto.create.topics.enable.
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 5000 },
        transactionTimeout: TRANSACTION_TIMEOUT_MS,
      }),
    admin,
    consumer,
    restore: (task, engine, signal) =>
      restorePartition(
        kafka,
        admin,
        { topic: config.stateTopic, partition: task, groupPrefix: config.applicationId },
        engine,
        log,
        signal,
      ),
  };
}

/**
 * Where task `task` starts: the checkout group's committed offset of repartition partition
 * `task` (read after the producer fenced the previous owner, so it is final) and the
 * partition's ends.
 */
export async function seedTask(ctx: TaskContext, task: number): Promise<TaskSeed> {
  const { admin } = ctx.io;
  const { config } = ctx.deps;
  const topic = config.repartitionTopic;
  const committed = await admin.fetchOffsets({
    groupId: checkoutGroupId(config.applicationId),
    topics: [topic],
  });
  const o = committed.find((t) => t.topic === topic)?.partitions.find((p) => p.partition === task);
  const e = (await admin.fetchTopicOffsets(topic)).find((p) => p.partition === task);
  return {
    committed: o && BigInt(o.offset) >= 0n ? BigInt(o.offset) : null,
    low: BigInt(e?.low ?? 0),
    high: BigInt(e?.high ?? 0),
  };
}
