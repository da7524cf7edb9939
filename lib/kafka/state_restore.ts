/**
 * Restores open carts and sessions from the compacted changelog before processing resumes.
 * Reads every partition from its start to its end with read_committed; the last value of a key
 * wins and a tombstone removes it.
 * @module
 */
import type { Admin, Consumer, Kafka } from "kafkajs";
import type { Engine } from "../core/mod.ts";
import type { ServiceConfig } from "../cli/config.ts";
import type { Logger } from "../observe/log.ts";
import { sleep } from "../sleep.ts";
import { TopicProgress } from "./progress.ts";

/** Gives up when the changelog makes no progress for this long. */
const STALL_MS = 60_000;
/** How often the read's progress is checked. */
const CHECK_MS = 20;

/** The changelog as read so far: last value per key, and where each partition stands. */
interface ChangelogRead {
  topic: string;
  progress: TopicProgress;
  latest: Map<string, string | null>;
  records: number;
  crashed?: unknown;
}

/** Reads the whole changelog into `engine`; returns what it found. */
export async function restoreState(
  kafka: Kafka,
  admin: Admin,
  config: ServiceConfig,
  engine: Engine,
  log: Logger,
): Promise<{ customers: number; records: number; ms: number }> {
  const started = performance.now();
  const read: ChangelogRead = {
    topic: config.stateTopic,
    progress: new TopicProgress(config.stateTopic),
    latest: new Map(),
    records: 0,
  };
  for (const e of await admin.fetchTopicOffsets(read.topic)) {
    read.progress.seed(e.partition, BigInt(e.low), BigInt(e.high));
  }
  if (!readComplete(read)) {
    const groupId = `${config.transactionalId}-restore-${crypto.randomUUID()}`;
    const consumer = changelogConsumer(kafka, groupId, read);
    try {
      await readToEnd(consumer, read);
    } finally {
      await consumer.disconnect().catch(() => {});
      await admin.deleteGroups([groupId]).catch(() => {});
    }
  }
  const customers = restoreInto(engine, read.latest, log);
  return { customers, records: read.records, ms: Math.round(performance.now() - started) };
}

function readComplete(read: ChangelogRead): boolean {
  return [...read.progress.partitions.keys()].every((p) => read.progress.caughtUp(p));
}

/** A throw-away consumer of the changelog that records what it reads into `read`. */
function changelogConsumer(kafka: Kafka, groupId: string, read: ChangelogRead): Consumer {
  const consumer = kafka.consumer({
    groupId,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: 4 * 1024 * 1024,
    retry: { retries: 5, restartOnFailure: () => Promise.resolve(false) },
  });
  consumer.on(consumer.events.CRASH, (ev) => read.crashed = ev.payload.error);
  consumer.on(consumer.events.END_BATCH_PROCESS, (ev) => {
    const last = BigInt(ev.payload.lastOffset);
    if (last + 1n <= BigInt(ev.payload.highWatermark)) {
      read.progress.processed(ev.payload.partition, last);
    }
  });
  return consumer;
}

/** Consumes until every partition is read to the end it had; fails on a crash or a stall. */
async function readToEnd(consumer: Consumer, read: ChangelogRead): Promise<void> {
  await consumer.connect();
  await consumer.subscribe({ topic: read.topic, fromBeginning: true });
  const decoder = new TextDecoder();
  await consumer.run({
    autoCommit: false,
    eachBatch: ({ batch }) => {
      for (const m of batch.messages) {
        if (m.key) read.latest.set(decoder.decode(m.key), m.value ? decoder.decode(m.value) : null);
        read.progress.processed(batch.partition, BigInt(m.offset));
        read.records++;
      }
      return Promise.resolve();
    },
  });
  let lastRecords = -1;
  let lastMove = Date.now();
  while (!readComplete(read)) {
    if (read.crashed) throw read.crashed;
    if (read.records !== lastRecords) {
      lastRecords = read.records;
      lastMove = Date.now();
    } else if (Date.now() - lastMove > STALL_MS) {
      throw new Error(`restoring from ${read.topic} made no progress for ${STALL_MS / 1000} s`);
    }
    await sleep(CHECK_MS);
  }
}

/** Restores every live key into `engine`; an unreadable one is logged and skipped. */
export function restoreInto(
  engine: Engine,
  latest: Map<string, string | null>,
  log: Logger,
): number {
  let customers = 0;
  for (const [key, value] of latest) {
    if (value === null) continue;
    try {
      engine.restore(key, value);
      customers++;
    } catch (e) {
      log.error("unreadable state record skipped", { key, error: e });
    }
  }
  return customers;
}
