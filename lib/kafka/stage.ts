/**
 * What an instance's tasks (lib/kafka/tasks/) get from the process (docs/service.md, "Tasks"):
 * the Kafka client, configuration, logs, metrics, the stop signal and the broker contact, and
 * the consumer settings.
 * @module
 */
import type { ConsumerConfig, Kafka } from "kafkajs";
import type { ServiceConfig } from "../cli/config.ts";
import type { Logger } from "../observe/log.ts";
import type { BrokerContact } from "./broker_contact.ts";
import type { ServiceMetrics } from "./service_metrics.ts";

/**
 * What a per-task figure is about, as a metric label: a foot or shelf partition read here
 * ("foot", "shelf") or a checkout task ("task").
 */
export type StageKind = "foot" | "shelf" | "task";

/** Per-task figures an operator watches (labels: stage, task number). */
export interface TaskMetrics {
  /** The task was assigned to (true) or taken from (false) this instance. */
  assigned(stage: StageKind, task: number, on: boolean): void;
  /** Records not yet read (end − position) of the input partition, or forwarded to the task. */
  lag(stage: StageKind, task: number, records: number): void;
  /** How long the task's changelog restore took. */
  restored(task: number, seconds: number): void;
  /** Open carts held by the task. */
  openCarts(task: number, carts: number): void;
}

/** What a stage needs. */
export interface StageDeps {
  /** The process's Kafka client. */
  kafka: Kafka;
  config: ServiceConfig;
  log: Logger;
  metrics: ServiceMetrics;
  tasks: TaskMetrics;
  /** Aborted on SIGINT/SIGTERM: the stage commits what it has and resolves. */
  stop: AbortSignal;
  /** P: the foot topic's partition count, which the repartition and changelog topics share. */
  taskCount: number;
}

/** What the tasks need besides: the end look-ups they make tell when contact was lost. */
export interface RelayDeps extends StageDeps {
  /** The process's contact with the broker (kept across the instance's restarts). */
  contact: BrokerContact;
}

/**
 * The consumer settings of the instance's consumer and of its members of the input groups
 * (lib/kafka/tasks/presence.ts): read_committed, a 10 s session (a killed instance's tasks move
 * that fast), bounded fetches (memory), and no restart behind the tasks' backs (it would
 * re-deliver what they hold). Never a topic made by the broker's
 * `auto.create.topics.enable` (its defaults: not compacted, one partition): a broker back
 * without its data would otherwise get the internal topics from a consumer's metadata request
 * before the service makes them right (lib/kafka/lost_state.ts).
 */
export function stageConsumerConfig(groupId: string): ConsumerConfig {
  return {
    groupId,
    allowAutoTopicCreation: false,
    readUncommitted: false,
    // A fetch answers as soon as records arrive; while none do, fewer empty fetches.
    maxWaitTimeInMs: 1000,
    sessionTimeout: 10_000,
    rebalanceTimeout: 20_000,
    heartbeatInterval: 1000,
    maxBytesPerPartition: 512 * 1024,
    maxBytes: 2 * 1024 * 1024,
    retry: { retries: 5, restartOnFailure: () => Promise.resolve(false) },
  };
}
