/**
 * Restores open carts and sessions from the compacted changelog before processing resumes.
 * Reads every partition from its start to its end with read_committed; the last value of a key
 * wins and a tombstone removes it.
 * @module
 */
import type { Admin, Kafka } from "kafkajs";
import type { Engine } from "../core/engine.ts";
import type { ServiceConfig } from "../cli/config.ts";
import type { Logger } from "../observe/log.ts";
import { TopicProgress } from "./progress.ts";

/** Gives up when the changelog makes no progress for this long. */
const STALL_MS = 60_000;

/** Reads the whole changelog into `engine`; returns what it found. */
export async function restoreState(
  kafka: Kafka,
  admin: Admin,
  config: ServiceConfig,
  engine: Engine,
  log: Logger,
): Promise<{ customers: number; records: number; ms: number }> {
  const started = performance.now();
  const topic = config.stateTopic;
  const progress = new TopicProgress(topic);
  for (const e of await admin.fetchTopicOffsets(topic)) {
    progress.seed(e.partition, BigInt(e.low), BigInt(e.high));
  }
  const done = () => [...progress.partitions.keys()].every((p) => progress.caughtUp(p));
  const latest = new Map<string, string | null>();
  let records = 0;
  if (!done()) {
    const groupId = `${config.transactionalId}-restore-${crypto.randomUUID()}`;
    const consumer = kafka.consumer({
      groupId,
      readUncommitted: false,
      maxWaitTimeInMs: 100,
      maxBytesPerPartition: 4 * 1024 * 1024,
      retry: { retries: 5, restartOnFailure: () => Promise.resolve(false) },
    });
    let crashed: unknown;
    consumer.on(consumer.events.CRASH, (ev) => crashed = ev.payload.error);
    consumer.on(consumer.events.END_BATCH_PROCESS, (ev) => {
      const last = BigInt(ev.payload.lastOffset);
      if (last + 1n <= BigInt(ev.payload.highWatermark)) {
        progress.processed(ev.payload.partition, last);
      }
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      const decoder = new TextDecoder();
      await consumer.run({
        autoCommit: false,
        eachBatch: ({ batch }) => {
          for (const m of batch.messages) {
            if (m.key) latest.set(decoder.decode(m.key), m.value ? decoder.decode(m.value) : null);
            progress.processed(batch.partition, BigInt(m.offset));
            records++;
          }
          return Promise.resolve();
        },
      });
      let lastRecords = -1;
      let lastMove = Date.now();
      while (!done()) {
        if (crashed) throw crashed;
        if (records !== lastRecords) {
          lastRecords = records;
          lastMove = Date.now();
        } else if (Date.now() - lastMove > STALL_MS) {
          throw new Error(`restoring from ${topic} made no progress for ${STALL_MS / 1000} s`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await consumer.disconnect().catch(() => {});
      await admin.deleteGroups([groupId]).catch(() => {});
    }
  }
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
  return { customers, records, ms: Math.round(performance.now() - started) };
}
