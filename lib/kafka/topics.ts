/**
 * Topic creation (`--create-topics`, as the original service made them: 3 partitions), the wait
 * for input topics that do not exist yet, and the topology check at start (docs/service.md,
 * "Tasks"): the internal topics (repartition topic, changelog) have as many
 * partitions as the foot topic, and the right cleanup policy.
 * @module
 */
import { sleep } from "../sleep.ts";
import type { Admin } from "kafkajs";
import { ConfigResourceTypes } from "./kafkajs.ts";
import type { ServiceConfig } from "../cli/config.ts";
import type { Logger } from "../observe/log.ts";
import { checkoutGroupId } from "./tasks/task_context.ts";

/**
 * Creates the missing data topics (inputs and outputs) with `topicPartitions`. The internal
 * topics are {@link checkTopology}'s: it makes them with the foot topic's count.
 */
export async function ensureTopics(
  admin: Admin,
  config: ServiceConfig,
  log: Logger,
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const wanted: {
    topic: string;
    numPartitions: number;
  }[] = [];
  for (const topic of [config.footTopic, config.shelfTopic, config.posTopic, config.dlqTopic]) {
    if (topic && !existing.has(topic)) {
      wanted.push({ topic, numPartitions: config.topicPartitions });
    }
  }
  if (wanted.length === 0) return;
  try {
    await admin.createTopics({ topics: wanted, waitForLeaders: true });
  } catch (e) {
    // Another instance may have made them meanwhile; a real failure shows up when used.
    if (!/already exists/i.test(String((e as Error).message))) throw e;
  }
  log.info("created topics", { topics: wanted.map((w) => w.topic) });
}

/** Waits (logging every 10 s) until every topic in `topics` exists. */
export async function waitForTopics(
  admin: Admin,
  topics: string[],
  log: Logger,
  stop: AbortSignal,
): Promise<void> {
  let lastLog = 0;
  while (!stop.aborted) {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      log.warn("waiting for topics to exist (or start with --create-topics)", { missing });
    }
    await sleep(1000, stop);
  }
}

/**
 * The topics do not fit together (wrong partition count or cleanup policy, or two roles with one
 * name): the message is one line that says what is wrong and what to change. `pos-producer run`
 * exits 2 on it (a restart does not help).
 */
export class TopologyError extends Error {
  override name = "TopologyError";
}

/** What the topology check found: P (the tasks) and the shelf topic's partition count. */
export interface Topology {
  /** P: the foot topic's partition count = checkout tasks = repartition and changelog partitions. */
  taskCount: number;
  /** The shelf topic's partition count (any count: tasks past P only read and forward). */
  shelfPartitions: number;
  /** The internal topics that were missing and were made now. */
  created: string[];
}

/** The changelog's settings (created compacted; its latest record per customer is the state). */
const CHANGELOG_CONFIG = [
  { name: "cleanup.policy", value: "compact" },
  { name: "min.compaction.lag.ms", value: "0" },
  { name: "segment.ms", value: String(6 * 3600_000) },
];

/** The repartition topic's settings: deleted by retention, never compacted. */
const REPARTITION_CONFIG = [{ name: "cleanup.policy", value: "delete" }];

/**
 * Checks at start that the topics fit the topology, creating what is missing:
 *
 * 1. with `createTopics`, the missing input and output topics (`topicPartitions` each, as
 *    before);
 * 2. waits (logging every 10 s) until the foot, shelf and output topics exist (the service's
 *    clients never let the broker make a topic with its defaults); `P` is the foot topic's
 *    partition count;
 * 3. creates the missing internal topics, whatever `createTopics` says (they are the service's
 *    own, as the changelog always was): the repartition topic (`config.repartitionTopic`, `P`
 *    partitions, `cleanup.policy=delete`) and the changelog (`config.stateTopic`, `P` partitions,
 *    compacted); several instances may race to create them: the loser finds them made;
 * 4. checks both: exactly `P` partitions; the changelog `cleanup.policy=compact`, the repartition
 *    topic not compacted.
 *
 * Throws {@link TopologyError} (one line, every problem found) when they do not fit. When `stop`
 * aborts while waiting for the input topics it resolves `{ taskCount: 0, shelfPartitions: 0, …}`:
 * the caller checks `stop.aborted`.
 */
export async function checkTopology(
  admin: Admin,
  config: ServiceConfig,
  log: Logger,
  stop: AbortSignal = new AbortController().signal,
): Promise<Topology> {
  checkNames(config);
  if (config.createTopics) await ensureTopics(admin, config, log);
  const outputs = [config.posTopic, config.dlqTopic].filter((t) => t);
  await waitForTopics(admin, [config.footTopic, config.shelfTopic, ...outputs], log, stop);
  if (stop.aborted) return { taskCount: 0, shelfPartitions: 0, created: [] };
  const counts = await partitionCounts(admin, [config.footTopic, config.shelfTopic]);
  const taskCount = counts.get(config.footTopic)!;
  const shelfPartitions = counts.get(config.shelfTopic)!;
  const created = await createInternalTopics(admin, config, taskCount, log);
  const internal = [config.repartitionTopic, config.stateTopic];
  const have = await partitionCounts(admin, internal);
  const policies = await cleanupPolicies(admin, internal);
  const problems = topologyProblems(config, taskCount, have, policies);
  if (problems.length > 0) throw new TopologyError(problems.join("; "));
  log.info("topology checked", {
    tasks: taskCount,
    shelfPartitions,
    repartitionTopic: config.repartitionTopic,
    stateTopic: config.stateTopic,
  });
  return { taskCount, shelfPartitions, created };
}

/** The topic names that must differ (internal topics reused as inputs would corrupt both). */
function checkNames(config: ServiceConfig): void {
  const roles: [string, string, string][] = [
    ["FOOT_TOPIC", "--foot-topic", config.footTopic],
    ["SHELF_TOPIC", "--shelf-topic", config.shelfTopic],
    ["POS_TOPIC", "--pos-topic", config.posTopic],
    ["DLQ_TOPIC", "--dlq-topic", config.dlqTopic],
    ["STATE_TOPIC", "--state-topic", config.stateTopic],
    ["REPARTITION_TOPIC", "--repartition-topic", config.repartitionTopic],
  ];
  const seen = new Map<string, string>();
  for (const [env, flag, topic] of roles) {
    if (!topic) continue;
    const other = seen.get(topic);
    if (other) {
      throw new TopologyError(
        `${env} (${flag}) and ${other} are both "${topic}"; every topic needs its own name`,
      );
    }
    seen.set(topic, env);
  }
}

/**
 * What is wrong with the internal topics, one clause each (empty: they fit). `have`: partition
 * counts; `policies`: `cleanup.policy` values; `taskCount`: the foot topic's partition count.
 */
export function topologyProblems(
  config: Pick<ServiceConfig, "footTopic" | "stateTopic" | "repartitionTopic" | "applicationId">,
  taskCount: number,
  have: Map<string, number>,
  policies: Map<string, string>,
): string[] {
  const { footTopic, stateTopic, repartitionTopic, applicationId } = config;
  const problems: string[] = [];
  const rep = have.get(repartitionTopic);
  if (rep !== undefined && rep !== taskCount) {
    problems.push(
      `${repartitionTopic} (REPARTITION_TOPIC) has ${partitionsText(rep)}; it must have ` +
        `${taskCount}, as ${footTopic}: stop every instance, delete it and start again ` +
        `(pos-producer recreates it with ${taskCount}; records forwarded to it and not yet ` +
        `applied are lost, so first let the lag of ${checkoutGroupId(applicationId)} on it ` +
        `reach 0)`,
    );
  }
  const state = have.get(stateTopic);
  if (state !== undefined && state !== taskCount) {
    problems.push(
      `${stateTopic} (STATE_TOPIC) has ${partitionsText(state)}; it must have ${taskCount}, as ` +
        `${footTopic}: stop every instance, delete it and start again (pos-producer recreates ` +
        `it with ${taskCount}, compacted; the open carts and sessions it holds are lost)`,
    );
  }
  const statePolicy = policies.get(stateTopic);
  if (statePolicy !== undefined && normalPolicy(statePolicy) !== "compact") {
    problems.push(
      `${stateTopic} (STATE_TOPIC) has cleanup.policy=${statePolicy}; it must be compact ` +
        `(it is the changelog of open carts: deleting old segments loses carts): ` +
        `kafka-configs.sh --alter --entity-type topics --entity-name ${stateTopic} ` +
        `--add-config cleanup.policy=compact`,
    );
  }
  const repPolicy = policies.get(repartitionTopic);
  if (repPolicy !== undefined && normalPolicy(repPolicy).includes("compact")) {
    problems.push(
      `${repartitionTopic} (REPARTITION_TOPIC) has cleanup.policy=${repPolicy}; it must be ` +
        `delete (compaction keeps only each customer's last shelf event): kafka-configs.sh ` +
        `--alter --entity-type topics --entity-name ${repartitionTopic} ` +
        `--add-config cleanup.policy=delete`,
    );
  }
  return problems;
}

/** "1 partition", "6 partitions". */
function partitionsText(n: number): string {
  return n === 1 ? "1 partition" : `${n} partitions`;
}

function normalPolicy(policy: string): string {
  return policy.split(",").map((p) => p.trim().toLowerCase()).filter(Boolean).sort().join(",");
}

/** Partition counts of existing topics (a topic that does not exist is left out). */
async function partitionCounts(admin: Admin, topics: string[]): Promise<Map<string, number>> {
  const existing = new Set(await admin.listTopics());
  const wanted = topics.filter((t) => existing.has(t));
  const out = new Map<string, number>();
  if (wanted.length === 0) return out;
  const meta = await admin.fetchTopicMetadata({ topics: wanted });
  for (const t of meta.topics) out.set(t.name, t.partitions.length);
  return out;
}

/** `cleanup.policy` of each topic. */
async function cleanupPolicies(admin: Admin, topics: string[]): Promise<Map<string, string>> {
  const res = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({
      type: ConfigResourceTypes.TOPIC,
      name,
      configNames: ["cleanup.policy"],
    })),
  });
  const out = new Map<string, string>();
  for (const r of res.resources) {
    const entry = r.configEntries.find((e) => e.configName === "cleanup.policy");
    if (entry) out.set(r.resourceName, entry.configValue);
  }
  return out;
}

/** Creates the missing internal topics with `partitions` partitions each; returns their names. */
async function createInternalTopics(
  admin: Admin,
  config: ServiceConfig,
  partitions: number,
  log: Logger,
): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const wanted = [
    {
      topic: config.repartitionTopic,
      numPartitions: partitions,
      configEntries: REPARTITION_CONFIG,
    },
    { topic: config.stateTopic, numPartitions: partitions, configEntries: CHANGELOG_CONFIG },
  ].filter((t) => !existing.has(t.topic));
  if (wanted.length === 0) return [];
  try {
    await admin.createTopics({ topics: wanted, waitForLeaders: true });
  } catch (e) {
    // Another instance made them meanwhile: checked like any existing topic.
    if (!/already exists/i.test(String((e as Error).message))) throw e;
  }
  log.info("created internal topics", { topics: wanted.map((w) => w.topic), partitions });
  return wanted.map((w) => w.topic);
}
