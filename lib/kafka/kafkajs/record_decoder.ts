/**
 * A faster record decoder for KafkaJS 2.2.4's fetch responses, plugged in without forking it. For
 * every record KafkaJS parses the batch's first offset and timestamp from their strings into
 * `Long`s, reads the timestamp delta a byte at a time in `Long` arithmetic, turns both sums back
 * into strings, and builds the headers object with one spread per header. A forwarded record is
 * read twice (where it lies, then from its task's repartition partition) and pays that twice. Here
 * the batch's base values are parsed once per batch and the arithmetic is done in numbers while
 * they are safe integers (otherwise, and for anything unusual, KafkaJS's own decoder runs). The
 * records are the same objects, field for field (property-tested against KafkaJS's).
 *
 * KafkaJS's record-batch decoder binds the record decoder when it loads (with the first fetch),
 * so the swap happens in this module's body, which `lib/kafka/kafkajs.ts` imports before
 * KafkaJS.
 * @module
 */
import { swapIn } from "./swap.ts";
import type { Buffer } from "node:buffer";

/** KafkaJS's `Decoder`, the part a record decoder uses. */
interface KafkaDecoder {
  buffer: Buffer;
  offset: number;
}

/** The batch fields KafkaJS passes to each record (firstOffset, firstTimestamp: strings). */
export interface BatchContext {
  firstOffset: string;
  firstTimestamp: string;
  magicByte?: number;
  isControlBatch?: boolean;
  timestampType?: number;
  maxTimestamp?: string;
}

/** A record as KafkaJS decodes it. */
export type DecodedRecord = Record<string, unknown>;
type RecordDecoderFn = (decoder: KafkaDecoder, batchContext?: BatchContext) => DecodedRecord;

const LOG_APPEND_TIME = 1;

/**
 * A record decoder with KafkaJS's output that falls back to `kafkajs` for what it does not
 * handle. It remembers the last batch's parsed base values (records come batch by batch).
 */
export function fastRecordDecoder(kafkajs: RecordDecoderFn): RecordDecoderFn {
  let lastCtx: BatchContext | undefined;
  let baseOffset = NaN, baseTimestamp = NaN;
  return (decoder, batchContext = {} as BatchContext) => {
    if (batchContext !== lastCtx) {
      lastCtx = batchContext;
      baseOffset = Number(batchContext.firstOffset);
      baseTimestamp = Number(batchContext.firstTimestamp);
    }
    if (!Number.isSafeInteger(baseOffset) || !Number.isSafeInteger(baseTimestamp)) {
      return kafkajs(decoder, batchContext);
    }
    const start = decoder.offset;
    const r = decode(decoder, batchContext, baseOffset, baseTimestamp);
    if (r !== undefined) return r;
    decoder.offset = start; // a value outside numbers' range: KafkaJS's own way
    return kafkajs(decoder, batchContext);
  };
}

/** One record, or undefined when a sum would not be a safe integer. */
function decode(
  d: KafkaDecoder,
  ctx: BatchContext,
  baseOffset: number,
  baseTimestamp: number,
): DecodedRecord | undefined {
  const buf = d.buffer;
  const attributes = buf.readInt8(d.offset);
  d.offset += 1;
  const timestampDelta = readVarLong(d);
  if (timestampDelta === undefined) return undefined;
  const ts = baseTimestamp + timestampDelta;
  const offsetDelta = readVarInt(d);
  const offset = baseOffset + offsetDelta;
  if (!Number.isSafeInteger(ts) || !Number.isSafeInteger(offset)) return undefined;
  const timestamp = ctx.timestampType === LOG_APPEND_TIME && ctx.maxTimestamp
    ? ctx.maxTimestamp
    : String(ts);
  const key = readVarIntBytes(d);
  const value = readVarIntBytes(d);
  const headers: Record<string, unknown> = {};
  const count = readVarInt(d);
  for (let i = 0; i < count; i++) {
    const len = readVarInt(d);
    let hk: string | null = null;
    if (len !== -1) {
      hk = buf.toString("utf8", d.offset, d.offset + len);
      d.offset += len;
    }
    const hv = readVarIntBytes(d);
    const k = String(hk), prev = headers[k];
    headers[k] = prev === undefined ? hv : Array.isArray(prev) ? prev.concat([hv]) : [prev, hv];
  }
  return {
    magicByte: ctx.magicByte,
    attributes,
    timestamp,
    offset: String(offset),
    key,
    value,
    headers,
    isControlRecord: ctx.isControlBatch === undefined ? false : ctx.isControlBatch,
    batchContext: ctx,
  };
}

/** KafkaJS's `readVarInt`, as it computes it (32-bit shifts included). */
function readVarInt(d: KafkaDecoder): number {
  const buf = d.buffer;
  let b: number, result = 0, i = 0;
  do {
    b = buf[d.offset++];
    result += (b & 0x7f) << i;
    i += 7;
  } while (b >= 0x80);
  return (result >>> 1) ^ -(result & 1);
}

/** A zig-zag varlong in a number; undefined past 2^53 (KafkaJS's Long path then). */
function readVarLong(d: KafkaDecoder): number | undefined {
  const buf = d.buffer;
  let b: number, u = 0, scale = 1;
  do {
    b = buf[d.offset++];
    u += (b & 0x7f) * scale;
    scale *= 128;
    if (scale > 2 ** 63) return undefined;
  } while (b >= 0x80);
  if (u > Number.MAX_SAFE_INTEGER) return undefined;
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}

/** KafkaJS's `readVarIntBytes`: a view into the record's buffer, or null. */
function readVarIntBytes(d: KafkaDecoder): Buffer | null {
  const len = readVarInt(d);
  if (len === -1) return null;
  const out = d.buffer.slice(d.offset, d.offset + len);
  d.offset += len;
  return out;
}

const RECORD = "kafkajs/src/protocol/recordBatch/record/v0/decoder.js";
const BATCH = "kafkajs/src/protocol/recordBatch/v0/decoder.js";

const swap = swapIn<RecordDecoderFn>(RECORD, BATCH, fastRecordDecoder);
/** KafkaJS's own record decoder (tests compare the two). */
export const kafkajsRecordDecoder = swap.original;

/** Whether KafkaJS's fetches use the fast record decoder in this process. */
export function fastRecordDecodingInstalled(): boolean {
  return swap.installed();
}
