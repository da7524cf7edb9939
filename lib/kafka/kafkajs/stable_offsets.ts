/**
 * A group's committed offsets without the ones a transaction still holds open (KIP-447's
 * `require_stable`): OffsetFetch v7, which KafkaJS 2.2.4 does not send (its consumer and admin
 * send v1–v4, left as they are). With `require_stable`, a partition whose offset an open
 * transaction has sent (TxnOffsetCommit, not yet committed or aborted) answers
 * UNSTABLE_OFFSET_COMMIT instead of the offset before it: a task that starts from the answer
 * then never re-reads what the previous owner's transaction is about to commit as consumed.
 * The look-up retries that code and the coordinator's loading / moved codes with a short
 * back-off until its deadline.
 *
 * KafkaJS exposes no way to send a request of one's own. The look-up makes a cluster of its own
 * with the `Kafka` object's private `createCluster` (an own property keyed by the symbol
 * `private:Kafka:createCluster` in KafkaJS 2.2.4; missing, the look-up throws at once), so it
 * has the client's brokers, TLS, SASL and timeouts; it finds the group coordinator with it and
 * sends through the coordinator's `connectionPool.send`, which is what KafkaJS's broker methods
 * call. The cluster is disconnected when the look-up ends.
 * @module
 */
import type { Kafka } from "kafkajs";
import { sleep } from "../../sleep.ts";
import { FlexReader, FlexWriter } from "./flexible.ts";
import { errorFromCode } from "./protocol_errors.ts";

/** A topic and the partitions whose offsets are asked for. */
export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

/** A decoded OffsetFetch v7 answer. */
export interface OffsetFetchAnswer {
  throttleTime: number;
  clientSideThrottleTime: number;
  errorCode: number;
  topics: {
    topic: string;
    partitions: {
      partition: number;
      offset: bigint;
      leaderEpoch: number;
      metadata: string | null;
      errorCode: number;
    }[];
  }[];
}

/** Offsets by topic and partition; -1n where the group has none. */
export type GroupOffsets = Map<string, Map<number, bigint>>;

/** Options of {@link fetchStableOffsets}. */
export interface StableOffsetsOptions {
  /** Stops the look-up (it rejects with the signal's reason). */
  signal?: AbortSignal;
  /** How long the look-up may take, retries included (default 30 s). */
  deadlineMs?: number;
}

const API_KEY = 9;
const VERSION = 7;
const UNSTABLE_OFFSET_COMMIT = 88;
/** Retried in place: the coordinator is loading, or an open transaction holds an offset. */
const RETRIED = new Set([14, UNSTABLE_OFFSET_COMMIT]);
/** Retried after looking the coordinator up again: it is not there or not this broker. */
const MOVED = new Set([15, 16]);
const FIRST_WAIT_MS = 50;
const MAX_WAIT_MS = 500;

/** The body of an OffsetFetch v7 request (header tags first; lib/kafka/kafkajs/flexible.ts). */
export function encodeOffsetFetchV7(
  groupId: string,
  topics: readonly TopicPartitions[],
  requireStable: boolean,
): FlexWriter {
  const w = new FlexWriter().tags().compactString(groupId);
  w.compactArray(topics, (w, t) => {
    w.compactString(t.topic);
    w.compactArray(t.partitions, (w, p) => w.int32(p));
    w.tags();
  });
  return w.int8(requireStable ? 1 : 0).tags();
}

/** Decodes an OffsetFetch v7 answer (what follows the correlation id). */
export function decodeOffsetFetchV7(raw: Uint8Array): OffsetFetchAnswer {
  const r = new FlexReader(raw);
  r.tags();
  const throttle = r.int32();
  const topics = r.compactArray((r) => {
    const topic = r.compactString() ?? "";
    const partitions = r.compactArray((r) => {
      const p = {
        partition: r.int32(),
        offset: r.int64(),
        leaderEpoch: r.int32(),
        metadata: r.compactString(),
        errorCode: r.int16(),
      };
      r.tags();
      return p;
    });
    r.tags();
    return { topic, partitions };
  });
  const errorCode = r.int16();
  r.tags();
  return { throttleTime: 0, clientSideThrottleTime: throttle, errorCode, topics };
}

/** KafkaJS's request object for OffsetFetch v7 with `require_stable`; its parse never throws. */
export function stableOffsetFetch(groupId: string, topics: readonly TopicPartitions[]) {
  return {
    request: {
      apiKey: API_KEY,
      apiVersion: VERSION,
      apiName: "OffsetFetch",
      encode: () => Promise.resolve(encodeOffsetFetchV7(groupId, topics, true).body()),
    },
    response: {
      decode: (raw: Uint8Array) => Promise.resolve(decodeOffsetFetchV7(raw)),
      parse: (answer: OffsetFetchAnswer) => Promise.resolve(answer),
    },
  };
}

/** What an answer means: the offsets, a retry (after finding the coordinator again?), or a failure. */
export type Verdict =
  | { kind: "offsets"; offsets: GroupOffsets }
  | { kind: "retry"; error: Error; refind: boolean }
  | { kind: "fail"; error: Error };

/** Judges `answer` to a request for `asked`: every partition asked is in the offsets. */
export function judge(answer: OffsetFetchAnswer, asked: readonly TopicPartitions[]): Verdict {
  const codes = [answer.errorCode];
  for (const t of answer.topics) for (const p of t.partitions) codes.push(p.errorCode);
  const failed = codes.filter((c) => c !== 0);
  const fatal = failed.find((c) => !RETRIED.has(c) && !MOVED.has(c));
  if (fatal !== undefined) return { kind: "fail", error: errorFromCode(fatal) };
  const moved = failed.find((c) => MOVED.has(c));
  if (moved !== undefined) return { kind: "retry", error: errorFromCode(moved), refind: true };
  if (failed.length > 0) return { kind: "retry", error: errorFromCode(failed[0]), refind: false };
  const offsets: GroupOffsets = new Map();
  for (const { topic, partitions } of asked) {
    const byPartition = offsets.get(topic) ?? new Map<number, bigint>();
    for (const p of partitions) byPartition.set(p, -1n);
    offsets.set(topic, byPartition);
  }
  for (const t of answer.topics) {
    const byPartition = offsets.get(t.topic);
    for (const p of t.partitions) {
      if (byPartition?.has(p.partition)) {
        byPartition.set(p.partition, p.offset < 0n ? -1n : p.offset);
      }
    }
  }
  return { kind: "offsets", offsets };
}

/** The parts of KafkaJS's cluster and broker the look-up uses. */
interface Coordinator {
  versions: Record<number, { maxVersion: number } | undefined> | null;
  connectionPool: { send(r: ReturnType<typeof stableOffsetFetch>): Promise<unknown> };
  disconnect(): Promise<void>;
}
interface Cluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number }[];
  findGroupCoordinator(p: { groupId: string }): Promise<Coordinator>;
}

/** A new KafkaJS cluster of `kafka`'s settings (module doc: the private `createCluster`). */
function clusterOf(kafka: Kafka): Cluster {
  const k = kafka as unknown as Record<symbol, unknown>;
  const sym = Object.getOwnPropertySymbols(k)
    .find((s) => s.description === "private:Kafka:createCluster");
  const create = sym && k[sym];
  if (typeof create !== "function") {
    throw new Error(
      "this KafkaJS has no private:Kafka:createCluster (fetchStableOffsets needs 2.2.x)",
    );
  }
  return create({ allowAutoTopicCreation: false }) as Cluster;
}

const CONNECTION_ERRORS = [
  "KafkaJSConnectionError",
  "KafkaJSConnectionClosedError",
  "KafkaJSRequestTimeoutError",
];

/** One OffsetFetch to `coordinator`, judged; a lost connection is a retry elsewhere. */
async function attempt(
  coordinator: Coordinator,
  groupId: string,
  asked: readonly TopicPartitions[],
): Promise<Verdict> {
  const max = coordinator.versions?.[API_KEY]?.maxVersion ?? -1;
  if (max < VERSION) {
    const error = new Error(
      `the coordinator of group ${groupId} serves OffsetFetch up to v${max}; ` +
        `require_stable needs v${VERSION} (Kafka 2.5 or later)`,
    );
    return { kind: "fail", error };
  }
  try {
    const answer = await coordinator.connectionPool.send(stableOffsetFetch(groupId, asked));
    return judge(answer as OffsetFetchAnswer, asked);
  } catch (e) {
    const name = (e as { name?: string }).name ?? "";
    if (!CONNECTION_ERRORS.includes(name)) throw e;
    if (name === "KafkaJSConnectionClosedError") await coordinator.disconnect().catch(() => {});
    return { kind: "retry", error: e as Error, refind: true };
  }
}

/** The last retried error, read by the deadline when it ends the look-up. */
interface Progress {
  last?: Error;
}

/** Asks until the offsets are stable, `end` has passed (throws) or `signal` aborted. */
async function untilStable(
  cluster: Cluster,
  groupId: string,
  topics: string[],
  end: number,
  progress: Progress,
  signal?: AbortSignal,
): Promise<GroupOffsets> {
  await cluster.connect();
  await cluster.addMultipleTargetTopics(topics);
  const asked = topics.map((topic) => ({
    topic,
    partitions: cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId)
      .sort((a, b) => a - b),
  }));
  let coordinator: Coordinator | undefined;
  for (let wait = FIRST_WAIT_MS;; wait = Math.min(2 * wait, MAX_WAIT_MS)) {
    signal?.throwIfAborted();
    coordinator ??= await cluster.findGroupCoordinator({ groupId });
    const verdict = await attempt(coordinator, groupId, asked);
    if (verdict.kind === "offsets") return verdict.offsets;
    if (verdict.kind === "fail") throw verdict.error;
    progress.last = verdict.error;
    if (verdict.refind) coordinator = undefined;
    if (Date.now() >= end) throw notStable(groupId, progress);
    await sleep(Math.min(wait, end - Date.now()), signal);
  }
}

function notStable(groupId: string, progress: Progress): Error {
  const what = (progress.last as { type?: string } | undefined)?.type ?? progress.last?.message;
  return new Error(
    `the offsets of group ${groupId} were not stable before the deadline` +
      (what ? ` (last answer: ${what})` : ""),
    { cause: progress.last },
  );
}

/**
 * The committed offsets of `groupId` for every partition of `topics` (-1n where it has none),
 * asked with `require_stable` from its coordinator (module doc): retried while a transaction
 * holds one open (UNSTABLE_OFFSET_COMMIT) or the coordinator is loading or moved, until
 * `deadlineMs` (default 30 s) has passed; then it throws, with the last answer as `cause`.
 */
export async function fetchStableOffsets(
  kafka: Kafka,
  groupId: string,
  topics: string[],
  opts: StableOffsetsOptions = {},
): Promise<GroupOffsets> {
  const { signal, deadlineMs = 30_000 } = opts;
  signal?.throwIfAborted();
  const end = Date.now() + deadlineMs;
  const cluster = clusterOf(kafka);
  const progress: Progress = {};
  // A step still hanging when the race below ends is cut by the disconnect there; one that
  // connects again after it (KafkaJS's retries) is closed when the loop ends at its deadline.
  const work = untilStable(cluster, groupId, topics, end, progress, signal)
    .finally(() => cluster.disconnect().catch(() => {}));
  work.catch(() => {}); // what it throws is the race's
  const stop = new AbortController();
  const late = sleep(deadlineMs + MAX_WAIT_MS, signal, stop.signal).then(() => {
    signal?.throwIfAborted();
    if (!stop.signal.aborted) throw notStable(groupId, progress);
  });
  try {
    return await Promise.race([work, late as Promise<never>]);
  } finally {
    stop.abort();
    await cluster.disconnect().catch(() => {});
  }
}
