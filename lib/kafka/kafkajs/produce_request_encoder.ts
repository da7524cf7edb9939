/**
 * A faster produce request (v3–v7) for KafkaJS 2.2.4, plugged in without forking it. KafkaJS
 * assembles a request from an encoder per record batch, per partition and per topic (each a
 * zero-filled buffer grown by copying), sorts every batch's timestamps and copies every message
 * into a new object first: a tenth of the CPU of an instance that forwards its input. Here the
 * whole request is written once into one array. The bytes are KafkaJS's own (property test); a
 * request with a message outside the plain shape is encoded by KafkaJS's own code.
 * @module
 */
import { Buffer } from "node:buffer";
import {
  type BatchCodecs,
  headerPairs,
  isBytes,
  isDelta,
  type LongValue,
  Writer,
  writeRecordBatch,
} from "./record_writer.ts";

/** A message as the producer hands it to the request. */
interface ProduceMessage {
  key?: unknown;
  value?: unknown;
  headers?: unknown;
  timestamp?: unknown;
}

/** What KafkaJS passes to a produce request (v3–v7). */
export interface ProduceArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  compression?: number;
  topicData: {
    topic: string;
    partitions: { partition: number; firstSequence?: number; messages: ProduceMessage[] }[];
  }[];
}

/** KafkaJS's encoder as the request framing reads it. */
interface KafkaEncoder {
  buf: Buffer;
  offset: number;
}

/** A produce request as KafkaJS's protocol layer uses it. */
export interface ProduceRequest {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  expectResponse(): boolean;
  encode(): Promise<KafkaEncoder>;
}

/** The produce request module's export (`produce/v3/request.js`). */
export type ProduceRequestFn = (args: ProduceArgs) => ProduceRequest;

/** The parts of KafkaJS the request is written with. */
export interface ProduceInternals extends BatchCodecs {
  Encoder: new (initialSize?: number) => KafkaEncoder;
  Long: { fromValue(v: unknown): LongValue; fromInt(v: number): LongValue };
}

/** The batch-wide fields of one request. */
interface BatchContext {
  compression: number;
  transactional: boolean;
  producerId: unknown;
  producerEpoch: number;
}

/** KafkaJS's produce request with the fast `encode`; KafkaJS's own for unusual messages. */
export function makeProduceRequest(
  k: ProduceInternals,
  original: ProduceRequestFn,
): ProduceRequestFn {
  return (args) => {
    const request = original(args);
    const kafkaEncode = request.encode;
    return {
      ...request,
      encode: async () => (await encodeProduce(k, args)) ?? kafkaEncode(),
    };
  };
}

/** The request's bytes; undefined when a message needs KafkaJS's own encoding. */
async function encodeProduce(
  k: ProduceInternals,
  args: ProduceArgs,
): Promise<KafkaEncoder | undefined> {
  const transactionalId = args.transactionalId ?? null;
  const ctx: BatchContext = {
    compression: args.compression ?? 0,
    transactional: !!transactionalId,
    producerId: args.producerId ?? k.Long.fromInt(-1),
    producerEpoch: args.producerEpoch ?? 0,
  };
  const w = new Writer(estimatedSize(args));
  w.string(transactionalId);
  w.int16(args.acks);
  w.int32(args.timeout);
  w.int32(args.topicData.length);
  for (const { topic, partitions } of args.topicData) {
    w.string(topic);
    w.int32(partitions.length);
    for (const p of partitions) {
      w.int32(p.partition);
      const sizeAt = w.pos;
      w.int32(0);
      if (!await writeBatch(w, k, ctx, p.messages, p.firstSequence ?? 0)) return undefined;
      w.view.setInt32(sizeAt, w.pos - sizeAt - 4);
    }
  }
  const e = new k.Encoder(0);
  e.buf = Buffer.from(w.bytes.buffer, 0, w.pos);
  e.offset = w.pos;
  return e;
}

/** Room for the request, so the writer rarely grows (text counted at one byte a character). */
function estimatedSize(args: ProduceArgs): number {
  let n = 256;
  for (const t of args.topicData) {
    for (const p of t.partitions) {
      n += 128;
      for (const m of p.messages) n += 64 + lengthOf(m.key) + lengthOf(m.value);
    }
  }
  return n;
}

function lengthOf(v: unknown): number {
  return typeof v === "string" || Buffer.isBuffer(v) ? v.length : 0;
}

/**
 * One record batch, as KafkaJS's produce request and `RecordBatch` write it: false when a message
 * is not of the plain shape.
 */
function writeBatch(
  w: Writer,
  k: ProduceInternals,
  ctx: BatchContext,
  messages: ProduceMessage[],
  firstSequence: number,
): Promise<boolean> {
  if (messages.length === 0) return Promise.resolve(false);
  const now = Date.now();
  const [first, max] = timestampRange(messages);
  const firstTimestamp = first ?? now;
  return writeRecordBatch(w, k, {
    compression: ctx.compression,
    transactional: ctx.transactional,
    firstOffset: k.Long.fromInt(0),
    partitionLeaderEpoch: 0,
    lastOffsetDelta: messages.length - 1,
    firstTimestamp: k.Long.fromValue(firstTimestamp),
    maxTimestamp: k.Long.fromValue(max ?? now),
    producerId: k.Long.fromValue(ctx.producerId),
    producerEpoch: ctx.producerEpoch,
    firstSequence,
    count: messages.length,
  }, (rw) => writeRecords(rw, messages, now, firstTimestamp));
}

/**
 * The first and last of the messages' timestamps as KafkaJS finds them: those not null, sorted
 * by `Array.prototype.sort`'s default order (as text), in one pass.
 */
function timestampRange(messages: ProduceMessage[]): [unknown, unknown] {
  let first: unknown, max: unknown;
  let firstText = "", maxText = "";
  for (const m of messages) {
    const t = m.timestamp;
    if (t === null || t === undefined) continue;
    const text = String(t);
    if (first === undefined || text < firstText) (first = t, firstText = text);
    if (max === undefined || text >= maxText) (max = t, maxText = text);
  }
  return [first, max];
}

/** The records of a batch; false when one is not of the plain shape. */
function writeRecords(
  w: Writer,
  messages: ProduceMessage[],
  now: number,
  firstTimestamp: unknown,
): boolean {
  for (let i = 0; i < messages.length; i++) {
    const { key, value, headers, timestamp } = messages[i];
    if (!isBytes(key) || !isBytes(value)) return false;
    // KafkaJS: `(message.timestamp || dateNow) - firstTimestamp`, with JavaScript's coercions.
    const delta = ((timestamp || now) as number) - (firstTimestamp as number);
    if (!isDelta(delta)) return false;
    const hs = headerPairs(headers);
    if (hs === undefined) return false;
    w.record(delta, i, key, value, hs);
  }
  return true;
}
