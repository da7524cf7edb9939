/**
 * What a commit writes, as producer messages: the transactions, the DLQ records (original bytes,
 * headers naming where they came from), the changelog; split into producer calls below the
 * broker's batch limit. Pure: no client here.
 * @module
 */
import { Buffer } from "node:buffer";
import type { DlqRecord } from "../core/mod.ts";
import type { Commit } from "../drive/committer.ts";

/** Records bigger than this go to the DLQ truncated (the original stays in its topic). */
const DLQ_MAX_VALUE = 512 * 1024;
/** Bytes per producer call, below the broker's default 1 MiB batch limit. */
const SEND_CHUNK_BYTES = 512 * 1024;

/** One message for a producer call. */
export interface OutMessage {
  key: string | null;
  value: string | Buffer | null;
  headers?: Record<string, string>;
  /** An explicit partition (absent: the producer's partitioner places the key). */
  partition?: number;
}

/** Messages for one topic. */
export interface TopicBatch {
  topic: string;
  messages: OutMessage[];
}

/** The output topics; an empty `dlq` turns the DLQ off. */
export interface OutputTopics {
  pos: string;
  dlq: string;
  state: string;
  /**
   * The changelog partition every state record goes to (absent: by key). A checkout task owns
   * one changelog partition, whatever its keys hash to (the progress record's key is "").
   */
  statePartition?: number;
}

/** A commit's messages: transactions, DLQ records (when on), the changelog. */
export function outputBatches<O>(c: Commit<O>, topics: OutputTopics): TopicBatch[] {
  const batches: TopicBatch[] = [{
    topic: topics.pos,
    messages: c.transactions.map((t) => ({ key: t.key, value: t.value })),
  }];
  if (topics.dlq) batches.push({ topic: topics.dlq, messages: c.dlq.map((d) => dlqMessage(d)) });
  batches.push({
    topic: topics.state,
    messages: topics.statePartition === undefined
      ? [...c.state].map(([key, value]) => ({ key, value }))
      : [...c.state].map(([key, value]) => ({ key, value, partition: topics.statePartition })),
  });
  return batches;
}

/** A DLQ record: the original bytes and headers naming where it came from and why. */
export function dlqMessage(d: DlqRecord): OutMessage {
  const headers: Record<string, string> = {
    ...d.headers,
    "dlq.reason": d.reason,
    "dlq.source.topic": d.topic,
    "dlq.source.partition": String(d.partition),
    "dlq.source.offset": d.offset,
  };
  if (d.detail) headers["dlq.detail"] = d.detail.slice(0, 1000);
  let value = d.value ? Buffer.from(d.value.buffer, d.value.byteOffset, d.value.byteLength) : null;
  if (value && value.length > DLQ_MAX_VALUE) {
    headers["dlq.truncated.original.bytes"] = String(value.length);
    value = value.subarray(0, DLQ_MAX_VALUE);
  }
  return { key: null, value, headers };
}

/** Splits the batches so that no producer call carries more than SEND_CHUNK_BYTES. */
export function* chunked(batches: TopicBatch[]): Generator<TopicBatch[]> {
  let chunk: TopicBatch[] = [];
  let bytes = 0;
  for (const b of batches) {
    let cur: OutMessage[] = [];
    for (const m of b.messages) {
      const size = (m.key?.length ?? 0) + (m.value?.length ?? 0) + 64;
      if (bytes + size > SEND_CHUNK_BYTES && (cur.length > 0 || chunk.length > 0)) {
        if (cur.length > 0) chunk.push({ topic: b.topic, messages: cur });
        yield chunk;
        chunk = [];
        cur = [];
        bytes = 0;
      }
      cur.push(m);
      bytes += size;
    }
    if (cur.length > 0) chunk.push({ topic: b.topic, messages: cur });
  }
  if (chunk.length > 0) yield chunk;
}
