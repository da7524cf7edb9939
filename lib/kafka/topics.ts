/**
 * Topic creation (`--create-topics`, as the original service made them: 3 partitions) and the
 * wait for input topics that do not exist yet.
 * @module
 */
import { sleep } from "../sleep.ts";
import type { Admin } from "kafkajs";
import type { ServiceConfig } from "../cli/config.ts";
import type { Logger } from "../observe/log.ts";

/**
 * Creates the missing topics: the four data topics (unless `stateOnly`) and always the state
 * changelog, which is compacted and must never lose the latest state of a customer.
 */
export async function ensureTopics(
  admin: Admin,
  config: ServiceConfig,
  log: Logger,
  opts: { stateOnly?: boolean } = {},
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const wanted: {
    topic: string;
    numPartitions: number;
    configEntries?: { name: string; value: string }[];
  }[] = [];
  if (!opts.stateOnly) {
    for (const topic of [config.footTopic, config.shelfTopic, config.posTopic, config.dlqTopic]) {
      if (topic && !existing.has(topic)) {
        wanted.push({ topic, numPartitions: config.topicPartitions });
      }
    }
  }
  if (!existing.has(config.stateTopic)) {
    wanted.push({
      topic: config.stateTopic,
      numPartitions: config.topicPartitions,
      configEntries: [
        { name: "cleanup.policy", value: "compact" },
        { name: "min.compaction.lag.ms", value: "0" },
        { name: "segment.ms", value: String(6 * 3600_000) },
      ],
    });
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
      log.warn("waiting for input topics to exist (or start with --create-topics)", { missing });
    }
    await sleep(1000, stop);
  }
}
