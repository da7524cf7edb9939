/**
 * Small KafkaJS helpers for tests: a client for the test broker and a bounded reader.
 * @module
 */
import { Kafka, type KafkaMessage, logLevel } from "kafkajs";
import { dropKafkaTimerWarning } from "./node_warnings.ts";

dropKafkaTimerWarning();

/** A KafkaJS client for `bootstrap` that stays quiet unless something is wrong. */
export function testKafka(
  bootstrap: string,
  clientId = "test",
  sasl?: { username: string; password: string },
  caFile?: string,
): Kafka {
  return new Kafka({
    brokers: [bootstrap],
    clientId,
    ...(sasl ? { sasl: { mechanism: "plain" as const, ...sasl } } : {}),
    ...(caFile ? { ssl: { ca: [Deno.readTextFileSync(caFile)] } } : {}),
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 },
  });
}

/** Options for `readMessages`. */
export interface ReadOptions {
  groupId?: string;
  /** Stop after this many messages. */
  count: number;
  /** Give up (returning what was read) after this long. */
  timeoutMs?: number;
  /** `read_committed` unless false. */
  readCommitted?: boolean;
  /** Commit offsets of what was read (default false). */
  commit?: boolean;
  /** Read from the beginning when the group has no offset (default true). */
  fromBeginning?: boolean;
}

/** Reads up to `count` messages from `topic` with a consumer group and returns them. */
export async function readMessages(
  kafka: Kafka,
  topic: string,
  opts: ReadOptions,
): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({
    groupId: opts.groupId ?? `reader-${crypto.randomUUID()}`,
    readUncommitted: opts.readCommitted === false,
    maxWaitTimeInMs: 200,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: opts.fromBeginning ?? true });
  const got: KafkaMessage[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => done = r);
  const timer = setTimeout(done, opts.timeoutMs ?? 15_000);
  await consumer.run({
    autoCommit: opts.commit ?? false,
    eachMessage: async ({ message, topic, partition }) => {
      if (got.length >= opts.count) return;
      got.push(message);
      if (opts.commit) {
        await consumer.commitOffsets([{
          topic,
          partition,
          offset: (BigInt(message.offset) + 1n).toString(),
        }]);
      }
      if (got.length >= opts.count) done();
    },
  });
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  return got;
}

/** Creates topics (idempotent) with the given partition count. */
export async function createTopics(
  kafka: Kafka,
  topics: string[],
  numPartitions = 1,
  configEntries: { name: string; value: string }[] = [],
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: topics.map((topic) => ({ topic, numPartitions, configEntries })),
  });
  await admin.disconnect();
}
