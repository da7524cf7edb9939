/**
 * Restores one checkout task's state: changelog partition *p* only, from its beginning to the end
 * it had when the restore began (read_committed; the last value of a key wins, a tombstone
 * removes it; customer records and the progress record under key ""). KafkaJS cannot assign a
 * partition by hand, so a throw-away consumer group with an assigner that hands out partition
 * *p* alone does it.
 * @module
 */
import { Buffer } from "node:buffer";
import type { Admin, Kafka, PartitionAssigner } from "kafkajs";
import { AssignerProtocol } from "../kafkajs.ts";
import type { Engine } from "../../core/mod.ts";
import type { Logger } from "../../observe/log.ts";
import { sleep } from "../../sleep.ts";

/** Gives up when the partition makes no progress for this long. */
const STALL_MS = 60_000;
/** How often the read's progress is checked. */
const CHECK_MS = 20;

/** What a partition restore found. */
export interface PartitionRestore {
  customers: number;
  records: number;
  ms: number;
}

/** Reads changelog partition `partition` of `topic` into `engine`; stops early on `signal`. */
export async function restorePartition(
  kafka: Kafka,
  admin: Admin,
  target: { topic: string; partition: number; groupPrefix: string },
  engine: Engine,
  log: Logger,
  signal: AbortSignal,
): Promise<PartitionRestore> {
  const started = performance.now();
  const { topic, partition } = target;
  const ends = await admin.fetchTopicOffsets(topic);
  const end = ends.find((e) => e.partition === partition);
  const latest = new Map<string, string | null>();
  let records = 0;
  if (end && BigInt(end.high) > BigInt(end.low)) {
    records = await readPartition(kafka, admin, target, BigInt(end.high), latest, signal);
  }
  const customers = signal.aborted ? 0 : restoreInto(engine, latest, log);
  return { customers, records, ms: Math.round(performance.now() - started) };
}

/** An assigner that gives `partition` of every topic to the (one) member. */
function onlyPartition(partition: number): PartitionAssigner {
  return () => ({
    name: "PosOnePartition",
    version: 0,
    // deno-lint-ignore require-await
    async assign({ members, topics }) {
      return members.map((m, i) => ({
        memberId: m.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 0,
          assignment: i === 0 ? Object.fromEntries(topics.map((t) => [t, [partition]])) : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: "PosOnePartition",
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: 0,
          topics,
          userData: Buffer.alloc(0),
        }),
      };
    },
  });
}

/** Consumes the partition until `high`; returns the records read. */
async function readPartition(
  kafka: Kafka,
  admin: Admin,
  target: { topic: string; partition: number; groupPrefix: string },
  high: bigint,
  latest: Map<string, string | null>,
  signal: AbortSignal,
): Promise<number> {
  const groupId = `${target.groupPrefix}-restore-${target.partition}-${crypto.randomUUID()}`;
  const consumer = kafka.consumer({
    groupId,
    readUncommitted: false,
    allowAutoTopicCreation: false, // the changelog is made by the service only (compacted)
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: 4 * 1024 * 1024,
    partitionAssigners: [onlyPartition(target.partition)],
    retry: { retries: 5, restartOnFailure: () => Promise.resolve(false) },
  });
  const read = { next: 0n, records: 0, crashed: undefined as unknown };
  consumer.on(consumer.events.CRASH, (ev) => read.crashed = ev.payload.error);
  // Batches of only transaction markers or aborted records move the position too.
  consumer.on(consumer.events.END_BATCH_PROCESS, (ev) => {
    const last = BigInt(ev.payload.lastOffset);
    if (last + 1n > read.next) read.next = last + 1n;
  });
  const decoder = new TextDecoder();
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: target.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: ({ batch }) => {
        for (const m of batch.messages) {
          if (m.key) latest.set(decoder.decode(m.key), m.value ? decoder.decode(m.value) : null);
          read.records++;
        }
        const last = batch.messages.at(-1);
        if (last) read.next = BigInt(last.offset) + 1n;
        return Promise.resolve();
      },
    });
    await untilRead(read, high, target.topic, signal);
  } finally {
    await consumer.disconnect().catch(() => {});
    await admin.deleteGroups([groupId]).catch(() => {});
  }
  return read.records;
}

async function untilRead(
  read: { next: bigint; records: number; crashed: unknown },
  high: bigint,
  topic: string,
  signal: AbortSignal,
): Promise<void> {
  let lastNext = -1n;
  let lastMove = Date.now();
  while (read.next < high && !signal.aborted) {
    if (read.crashed) throw read.crashed;
    if (read.next !== lastNext) {
      lastNext = read.next;
      lastMove = Date.now();
    } else if (Date.now() - lastMove > STALL_MS) {
      throw new Error(`restoring from ${topic} made no progress for ${STALL_MS / 1000} s`);
    }
    await sleep(CHECK_MS, signal);
  }
}

/** Restores every live key into `engine`; an unreadable one is logged and skipped. */
function restoreInto(
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
