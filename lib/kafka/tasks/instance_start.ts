/**
 * Starting an instance's share of the tasks after an assignment (docs/service.md, "Tasks"): in
 * this order, after the producer fenced the previous holders of the gained tasks' ids, the
 * committed offsets are read stable (a pending transactional commit of another member is waited
 * for), then the ends of the topics, then each task's changelog partition is restored into a
 * new engine (read_committed to its end: an open transaction of a previous owner is waited for).
 * The caller seeks and resumes.
 * @module
 */
import type { Admin, Kafka } from "kafkajs";
import { Engine, type Pricer } from "../../core/mod.ts";
import type { ServiceConfig } from "../../cli/config.ts";
import type { Logger } from "../../observe/log.ts";
import type { TaskMetrics } from "../stage.ts";
import type { RelaySource } from "../relay_records.ts";
import { restorePartition } from "./changelog_partition.ts";
import { CheckoutTask } from "./checkout_task.ts";
import { InputPartition } from "./input_partition.ts";
import { fetchStableOffsets } from "./kip447.ts";
import type { InputPartitions } from "./task_input.ts";

/** What an assignment gives this instance, by topic. */
export interface TaskPlan {
  /** Tasks with a repartition and changelog partition (p < P). */
  tasks: number[];
  foot: number[];
  shelf: number[];
}

/** The running parts of an instance. */
export interface InstanceParts {
  tasks: Map<number, CheckoutTask>;
  inputs: Record<RelaySource, Map<number, InputPartition>>;
}

/** What a start needs. */
export interface StartDeps {
  kafka: Kafka;
  admin: Admin;
  config: ServiceConfig;
  log: Logger;
  tasks: TaskMetrics;
  pricer: () => Pricer;
  /** The inputs' partition counts. */
  inputCounts: InputPartitions;
  /** The tasks' group (repartition offsets). */
  taskGroupId: string;
}

/** Starts the parts of `plan`; undefined when `signal` aborted meanwhile. */
export async function startParts(
  d: StartDeps,
  plan: TaskPlan,
  signal: AbortSignal,
): Promise<InstanceParts | undefined> {
  const { config } = d;
  const [rep, foot, shelf] = await Promise.all([
    committedOf(d, d.taskGroupId, config.repartitionTopic, signal),
    committedOf(d, config.groupIdFoot, config.footTopic, signal),
    committedOf(d, config.groupIdShelf, config.shelfTopic, signal),
  ]);
  if (signal.aborted) return undefined;
  const [repEnds, footEnds, shelfEnds] = await Promise.all([
    endsOf(d.admin, config.repartitionTopic),
    endsOf(d.admin, config.footTopic),
    endsOf(d.admin, config.shelfTopic),
  ]);
  const topics = { foot: config.footTopic, shelf: config.shelfTopic };
  const started = await Promise.all(plan.tasks.map(async (p) => {
    const engine = newEngine(config, d.pricer);
    d.tasks.assigned("task", p, true); // restoring, until restored
    const restored = await restorePartition(
      d.kafka,
      d.admin,
      { topic: config.stateTopic, partition: p, groupPrefix: config.applicationId },
      engine,
      d.log,
      signal,
    );
    d.tasks.restored(p, restored.ms / 1000);
    d.log.info("checkout task restored", { task: p, ...restored });
    const seed = seedOf(rep.get(p), repEnds.get(p));
    return new CheckoutTask(p, engine, topics, config.repartitionTopic, d.inputCounts, seed);
  }));
  if (signal.aborted) return undefined;
  const settings = (source: RelaySource) => ({
    source,
    topic: topics[source],
    idleMs: config.idleSec * 1000,
    toleranceUs: Math.max(config.checkoutGraceSec, 1) * 1e6,
    leapUs: config.maxSessionAgeSec * 1e6,
  });
  const inputs = (
    source: RelaySource,
    owned: number[],
    committed: Map<number, bigint>,
    ends: Ends,
  ) =>
    new Map(owned.map((s) => {
      const seed = seedOf(committed.get(s), ends.get(s));
      return [s, new InputPartition(s, settings(source), seed.next, seed.high)];
    }));
  return {
    tasks: new Map(started.map((t) => [t.task, t])),
    inputs: {
      foot: inputs("foot", plan.foot, foot, footEnds),
      shelf: inputs("shelf", plan.shelf, shelf, shelfEnds),
    },
  };
}

type Ends = Map<number, { low: bigint; high: bigint }>;

/**
 * How long a start waits for another member's pending offset commit: its transaction ends by
 * its commit or abort, at the latest by the broker's transaction timeout. Failing the life
 * sooner (after a broker outage, transactions of lives that ended stay open until then) made
 * every instance leave and rejoin, and the next starts met the same wait.
 */
const STABLE_OFFSETS_WAIT_MS = 300_000;

async function committedOf(d: StartDeps, groupId: string, topic: string, signal: AbortSignal) {
  try {
    const all = await fetchStableOffsets(d.kafka, groupId, [topic], {
      signal,
      deadlineMs: STABLE_OFFSETS_WAIT_MS,
    });
    return all.get(topic) ?? new Map<number, bigint>();
  } catch (e) {
    if (signal.aborted) return new Map<number, bigint>(); // a newer assignment: the caller stops
    throw e;
  }
}

async function endsOf(admin: Admin, topic: string): Promise<Ends> {
  const ends = await admin.fetchTopicOffsets(topic);
  return new Map(ends.map((e) => [e.partition, { low: BigInt(e.low), high: BigInt(e.high) }]));
}

/** Where a partition starts: its committed offset, never below the log start. */
function seedOf(
  committed: bigint | undefined,
  end: { low: bigint; high: bigint } | undefined,
): { next: bigint; high: bigint } {
  const low = end?.low ?? 0n;
  const c = committed ?? -1n;
  return { next: c >= low ? c : low, high: end?.high ?? 0n };
}

/** A task's engine, pricing with the book of the moment (a hot reload swaps it). */
function newEngine(config: ServiceConfig, pricer: () => Pricer): Engine {
  return new Engine({
    graceSec: config.checkoutGraceSec,
    maxSessionAgeSec: config.maxSessionAgeSec,
    forceCheckoutIfEmpty: config.forceCheckoutIfEmpty,
    idleSec: config.idleSec,
    pricer: { priceCart: (lines, atMs) => pricer().priceCart(lines, atMs) },
  });
}
