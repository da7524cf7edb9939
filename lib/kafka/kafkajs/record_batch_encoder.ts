/**
 * A faster record-batch encoder for KafkaJS 2.2.4 in Deno, plugged in without forking it.
 * KafkaJS builds each record in its own growable `Buffer` (plus one per header and per varlong)
 * and computes CRC-32C a byte at a time: about 60k records/s in Deno, the service's write limit.
 * Here a batch is written once into one `Uint8Array` and checked with a slicing-by-8 CRC-32C.
 *
 * {@link installFastRecordEncoding} swaps the exports of the two modules KafkaJS's produce
 * request (v3–v7) requires, `recordBatch/record/v0` and `recordBatch/v0`, in the shared CommonJS
 * module cache before that request module is first loaded (it binds them when it loads). The
 * output is byte-identical to KafkaJS's (property-tested); inputs outside the common shape
 * (non-string, non-Buffer keys, values or headers, fractional timestamps) are handed to KafkaJS's
 * own encoder unchanged.
 * @module
 */
import type { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import {
  type HeaderPairs,
  headerPairs,
  isBytes,
  isDelta,
  type LongValue,
  Writer,
  writeRecordBatch,
} from "./record_writer.ts";
import { makeProduceRequest, type ProduceRequestFn } from "./produce_request_encoder.ts";

const require = createRequire(import.meta.url);

/** KafkaJS's `Encoder`: what produce requests are assembled from. */
interface KafkaEncoder {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
}
type EncoderClass = new (initialSize?: number) => KafkaEncoder;

/** What KafkaJS's produce request passes to `Record` for each message. */
interface RecordInput {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: unknown;
  value?: unknown;
  headers?: Record<string, unknown> | null;
}

/** What it passes to `RecordBatch`. */
interface BatchInput {
  compression?: number;
  firstOffset?: unknown;
  firstTimestamp?: unknown;
  maxTimestamp?: unknown;
  partitionLeaderEpoch?: number;
  lastOffsetDelta?: number;
  transactional?: boolean;
  producerId?: unknown;
  producerEpoch?: number;
  firstSequence?: number;
  records?: unknown[];
}

type RecordFn = (input: RecordInput) => KafkaEncoder;
type RecordBatchFn = (input: BatchInput) => Promise<KafkaEncoder>;

/** A record kept as its fields until the batch writes it (the fast path). */
class PendingRecord {
  constructor(
    readonly input: RecordInput,
    readonly key: string | Buffer | null,
    readonly value: string | Buffer | null,
    readonly headers: HeaderPairs,
  ) {}
}

// ---------------------------------------------------------------- Record and RecordBatch

/** The fast path takes a record when KafkaJS would encode every field the plain way. */
function pending(input: RecordInput): PendingRecord | undefined {
  const { key, value, headers, timestampDelta, offsetDelta } = input;
  if (!isBytes(key) || !isBytes(value)) return undefined;
  if (timestampDelta !== undefined && !isDelta(timestampDelta)) return undefined;
  if (offsetDelta !== undefined && !Number.isInteger(offsetDelta)) return undefined;
  const hs = headerPairs(headers);
  return hs === undefined ? undefined : new PendingRecord(input, key ?? null, value ?? null, hs);
}

interface KafkaInternals {
  Encoder: EncoderClass;
  Long: { fromValue(v: unknown): LongValue; fromInt(v: number): LongValue };
  lookupCodec(type: number): { compress(e: { buffer: Buffer }): Promise<Buffer> };
  codecMask: number;
  record: RecordFn;
  recordBatch: RecordBatchFn;
}

function size(v: string | Buffer | null): number {
  return v === null ? 0 : v.length;
}

function writeRecord(w: Writer, r: PendingRecord): void {
  w.record(r.input.timestampDelta ?? 0, r.input.offsetDelta ?? 0, r.key, r.value, r.headers);
}

function makeRecord(k: KafkaInternals): RecordFn {
  return (input) => (pending(input) ?? k.record(input)) as unknown as KafkaEncoder;
}

function makeRecordBatch(k: KafkaInternals): RecordBatchFn {
  return async (input) => {
    const records = input.records ?? [];
    if (records.length === 0 || !records.every((r) => r instanceof PendingRecord)) {
      // KafkaJS's own path: every record as its own encoder.
      const encoded = records.map((r) => r instanceof PendingRecord ? k.record(r.input) : r);
      return k.recordBatch({ ...input, records: encoded });
    }
    const now = Date.now();
    // Room for the batch up front (text counted at one byte a character): no growing copies.
    let room = 64;
    for (const r of records as PendingRecord[]) room += 32 + size(r.key) + size(r.value);
    const w = new Writer(room);
    await writeRecordBatch(w, k, {
      compression: input.compression ?? 0,
      transactional: !!input.transactional,
      firstOffset: k.Long.fromValue(input.firstOffset ?? k.Long.fromInt(0)),
      partitionLeaderEpoch: input.partitionLeaderEpoch ?? 0,
      lastOffsetDelta: input.lastOffsetDelta ?? 0,
      firstTimestamp: k.Long.fromValue(input.firstTimestamp ?? now),
      maxTimestamp: k.Long.fromValue(input.maxTimestamp ?? now),
      producerId: k.Long.fromValue(input.producerId ?? k.Long.fromValue(-1)),
      producerEpoch: input.producerEpoch ?? 0,
      firstSequence: input.firstSequence ?? 0,
      count: records.length,
    }, (rw) => {
      for (const r of records as PendingRecord[]) writeRecord(rw, r);
      return true;
    });
    const e = new k.Encoder(0);
    e.buf = w.take();
    e.offset = w.pos;
    return e;
  };
}

const BASE = "kafkajs/src/protocol/";
const PRODUCE_REQUEST = `${BASE}requests/produce/v3/request.js`;
let originals: KafkaInternals | undefined;

/** KafkaJS's own modules, loaded (and kept) before anything is swapped. */
function kafkaInternals(): KafkaInternals {
  if (originals) return originals;
  const batchModule = require(`${BASE}recordBatch/v0/index.js`) as { RecordBatch: RecordBatchFn };
  const compression = require(`${BASE}message/compression/index.js`) as {
    lookupCodec: KafkaInternals["lookupCodec"];
    COMPRESSION_CODEC_MASK: number;
  };
  return originals = {
    Encoder: require(`${BASE}encoder.js`) as EncoderClass,
    Long: require("kafkajs/src/utils/long.js") as KafkaInternals["Long"],
    lookupCodec: compression.lookupCodec,
    codecMask: compression.COMPRESSION_CODEC_MASK,
    record: require(`${BASE}recordBatch/record/v0/index.js`) as RecordFn,
    recordBatch: batchModule.RecordBatch,
  };
}

let installed = false;

/**
 * Swaps KafkaJS's record and record-batch encoders for the fast ones (once per process). Works
 * only before the first produce request is built (KafkaJS binds the encoders then): returns
 * false, and KafkaJS keeps its own, when called later.
 */
export function installFastRecordEncoding(): boolean {
  if (installed) return true;
  const cache = require.cache as Record<string, { exports: unknown } | undefined>;
  if (cache[require.resolve(PRODUCE_REQUEST)]) return false;
  const k = kafkaInternals();
  cache[require.resolve(`${BASE}recordBatch/record/v0/index.js`)]!.exports = makeRecord(k);
  (require(`${BASE}recordBatch/v0/index.js`) as { RecordBatch: RecordBatchFn }).RecordBatch =
    makeRecordBatch(k);
  // KafkaJS's request binds the swapped encoders (its fallback); v4–v7 then bind the fast one.
  originalProduce = require(PRODUCE_REQUEST) as ProduceRequestFn;
  cache[require.resolve(PRODUCE_REQUEST)]!.exports = makeProduceRequest(k, originalProduce);
  return installed = true;
}

let originalProduce: ProduceRequestFn | undefined;

/** The fast produce request over `original` (tests: to see when it hands a request over). */
export function fastProduceRequest(original: ProduceRequestFn): ProduceRequestFn {
  return makeProduceRequest(kafkaInternals(), original);
}

/**
 * KafkaJS's own encoders and the fast ones side by side (tests and benchmarks). KafkaJS's produce
 * request is the one the process loaded (with the fast record encoding installed when it could
 * be, so that its records are written by the fast encoders, which are tested against KafkaJS's).
 */
export function encoders(): {
  kafkajs: { Record: RecordFn; RecordBatch: RecordBatchFn; ProduceRequest: ProduceRequestFn };
  fast: { Record: RecordFn; RecordBatch: RecordBatchFn; ProduceRequest: ProduceRequestFn };
} {
  const k = kafkaInternals();
  installFastRecordEncoding();
  const original = originalProduce ?? require(PRODUCE_REQUEST) as ProduceRequestFn;
  return {
    kafkajs: { Record: k.record, RecordBatch: k.recordBatch, ProduceRequest: original },
    fast: {
      Record: makeRecord(k),
      RecordBatch: makeRecordBatch(k),
      ProduceRequest: makeProduceRequest(k, original),
    },
  };
}
