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
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";

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
interface LongValue {
  getHighBits(): number;
  getLowBits(): number;
}

/** A record kept as its fields until the batch writes it (the fast path). */
class PendingRecord {
  constructor(
    readonly input: RecordInput,
    readonly key: string | Buffer | null,
    readonly value: string | Buffer | null,
    readonly headers: [string, string | Buffer][],
  ) {}
}

// ---------------------------------------------------------------- CRC-32C (Castagnoli)

const CRC_TABLES = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) {
      t[k * 256 + n] = (t[(k - 1) * 256 + n] >>> 8) ^ t[t[(k - 1) * 256 + n] & 0xff];
    }
  }
  return t;
})();

/** CRC-32C of `bytes[from, to)`, unsigned, eight bytes per step. */
export function crc32c(bytes: Uint8Array, from = 0, to = bytes.length): number {
  const t = CRC_TABLES;
  let crc = -1;
  let i = from;
  for (; i + 8 <= to; i += 8) {
    const a = crc ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    crc = t[1792 + (a & 0xff)] ^ t[1536 + ((a >>> 8) & 0xff)] ^ t[1280 + ((a >>> 16) & 0xff)] ^
      t[1024 + (a >>> 24)] ^ t[768 + bytes[i + 4]] ^ t[512 + bytes[i + 5]] ^
      t[256 + bytes[i + 6]] ^ t[bytes[i + 7]];
  }
  for (; i < to; i++) crc = t[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

// ---------------------------------------------------------------- a growable byte writer

const utf8 = new TextEncoder();

/** Writes a batch into one reused scratch array; `take()` copies the result out. */
class Writer {
  bytes = new Uint8Array(1 << 16);
  view = new DataView(this.bytes.buffer);
  pos = 0;

  reserve(n: number): void {
    if (this.pos + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.pos));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  int8(v: number): void {
    this.reserve(1);
    this.bytes[this.pos++] = v;
  }
  int16(v: number): void {
    this.reserve(2);
    this.view.setInt16(this.pos, v);
    this.pos += 2;
  }
  int32(v: number): void {
    this.reserve(4);
    this.view.setInt32(this.pos, v);
    this.pos += 4;
  }
  int64(v: LongValue): void {
    this.reserve(8);
    this.view.setInt32(this.pos, v.getHighBits());
    this.view.setInt32(this.pos + 4, v.getLowBits());
    this.pos += 8;
  }

  /** Zigzag varint of a 32-bit integer (KafkaJS's `writeVarInt`). */
  varint(v: number): void {
    this.reserve(5);
    let z = ((v << 1) ^ (v >> 31)) >>> 0;
    while (z >= 0x80) {
      this.bytes[this.pos++] = (z & 0x7f) | 0x80;
      z >>>= 7;
    }
    this.bytes[this.pos++] = z;
  }

  /** Zigzag varlong of a safe integer (KafkaJS's `writeVarLong`). */
  varlong(v: number): void {
    if (v >= -0x40000000 && v < 0x40000000) return this.varint(v);
    this.reserve(10);
    let z = v >= 0 ? v * 2 : -v * 2 - 1;
    while (z >= 0x80) {
      this.bytes[this.pos++] = (z % 0x80) | 0x80;
      z = Math.floor(z / 0x80);
    }
    this.bytes[this.pos++] = z;
  }

  /** Varint length and the bytes (UTF-8 for text), or -1 for null. */
  varBytes(v: string | Buffer | null): void {
    if (v === null) return this.varint(-1);
    if (typeof v !== "string") {
      this.varint(v.length);
      this.reserve(v.length);
      this.bytes.set(v, this.pos);
      this.pos += v.length;
      return;
    }
    // Write the text after room for the longest length prefix, then move it next to the
    // actual prefix (one pass over the text instead of measuring it first).
    this.reserve(5 + v.length * 3);
    const start = this.pos;
    const { written } = utf8.encodeInto(v, this.bytes.subarray(start + 5));
    this.varint(written);
    if (this.pos !== start + 5) this.bytes.copyWithin(this.pos, start + 5, start + 5 + written);
    this.pos += written;
  }

  /** One record: varint length, then attributes, deltas, key, value, headers. */
  record(r: PendingRecord): void {
    this.reserve(5);
    const start = this.pos;
    this.pos += 5; // room for the longest length prefix
    this.int8(0);
    this.varlong(r.input.timestampDelta ?? 0);
    this.varint(r.input.offsetDelta ?? 0);
    this.varBytes(r.key);
    this.varBytes(r.value);
    this.varint(r.headers.length);
    for (const [k, v] of r.headers) {
      this.varBytes(k);
      this.varBytes(v);
    }
    const bodyEnd = this.pos;
    const body = bodyEnd - start - 5;
    this.pos = start;
    this.varint(body);
    if (this.pos !== start + 5) this.bytes.copyWithin(this.pos, start + 5, bodyEnd);
    this.pos += body;
  }

  /** A copy of bytes `[from, pos)` as a Buffer of its own. */
  take(from = 0): Buffer {
    return Buffer.from(this.bytes.slice(from, this.pos).buffer);
  }
}

// ---------------------------------------------------------------- Record and RecordBatch

function isBytes(v: unknown): v is string | Buffer | null {
  return v === null || v === undefined || typeof v === "string" || Buffer.isBuffer(v);
}

/** The fast path takes a record when KafkaJS would encode every field the plain way. */
function pending(input: RecordInput): PendingRecord | undefined {
  const { key, value, headers, timestampDelta, offsetDelta } = input;
  if (!isBytes(key) || !isBytes(value)) return undefined;
  if (
    timestampDelta !== undefined &&
    !(Number.isInteger(timestampDelta) && Math.abs(timestampDelta) < 2 ** 52)
  ) return undefined;
  if (offsetDelta !== undefined && !Number.isInteger(offsetDelta)) return undefined;
  const hs: [string, string | Buffer][] = [];
  if (headers !== undefined && headers !== null) {
    if (typeof headers !== "object") return undefined;
    for (const k of Object.keys(headers)) {
      const v = headers[k];
      for (const one of Array.isArray(v) ? v : [v]) {
        if (typeof one !== "string" && !Buffer.isBuffer(one)) return undefined;
        hs.push([k, one]);
      }
    }
  } else if (headers === null) return undefined;
  return new PendingRecord(input, key ?? null, value ?? null, hs);
}

interface KafkaInternals {
  Encoder: EncoderClass;
  Long: { fromValue(v: unknown): LongValue; fromInt(v: number): LongValue };
  lookupCodec(type: number): { compress(e: { buffer: Buffer }): Promise<Buffer> };
  codecMask: number;
  record: RecordFn;
  recordBatch: RecordBatchFn;
}

function makeRecord(k: KafkaInternals): RecordFn {
  return (input) => (pending(input) ?? k.record(input)) as unknown as KafkaEncoder;
}

function makeRecordBatch(k: KafkaInternals): RecordBatchFn {
  const writer = new Writer();
  return async (input) => {
    const records = input.records ?? [];
    if (records.length === 0 || !records.every((r) => r instanceof PendingRecord)) {
      // KafkaJS's own path: every record as its own encoder.
      const encoded = records.map((r) => r instanceof PendingRecord ? k.record(r.input) : r);
      return k.recordBatch({ ...input, records: encoded });
    }
    const compression = input.compression ?? 0;
    const now = Date.now();
    const w = writer;
    w.pos = 0;
    // Body first (the CRC covers it), from the attributes on.
    w.int16((compression & k.codecMask) | (input.transactional ? 16 : 0));
    w.int32(input.lastOffsetDelta ?? 0);
    w.int64(k.Long.fromValue(input.firstTimestamp ?? now));
    w.int64(k.Long.fromValue(input.maxTimestamp ?? now));
    w.int64(k.Long.fromValue(input.producerId ?? k.Long.fromValue(-1)));
    w.int16(input.producerEpoch ?? 0);
    w.int32(input.firstSequence ?? 0);
    w.int32(records.length);
    let body: Buffer;
    if (compression === 0) {
      for (const r of records as PendingRecord[]) w.record(r);
      body = w.take();
    } else {
      const head = w.pos;
      for (const r of records as PendingRecord[]) w.record(r);
      const plain = w.take(head);
      const prefix = w.bytes.slice(0, head);
      const compressed = await k.lookupCodec(compression).compress({ buffer: plain });
      body = Buffer.concat([prefix, compressed]);
    }
    const out = Buffer.alloc(8 + 4 + 4 + 1 + 4 + body.length);
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    const first = k.Long.fromValue(input.firstOffset ?? k.Long.fromInt(0));
    view.setInt32(0, first.getHighBits());
    view.setInt32(4, first.getLowBits());
    view.setInt32(8, 4 + 1 + 4 + body.length);
    view.setInt32(12, input.partitionLeaderEpoch ?? 0);
    out[16] = 2; // magic
    view.setUint32(17, crc32c(body));
    out.set(body, 21);
    const e = new k.Encoder(0);
    e.buf = out;
    e.offset = out.length;
    return e;
  };
}

const BASE = "kafkajs/src/protocol/";
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
  if (cache[require.resolve(`${BASE}requests/produce/v3/request.js`)]) return false;
  const k = kafkaInternals();
  cache[require.resolve(`${BASE}recordBatch/record/v0/index.js`)]!.exports = makeRecord(k);
  (require(`${BASE}recordBatch/v0/index.js`) as { RecordBatch: RecordBatchFn }).RecordBatch =
    makeRecordBatch(k);
  return installed = true;
}

/** KafkaJS's own encoders and the fast ones side by side (tests and benchmarks). */
export function encoders(): {
  kafkajs: { Record: RecordFn; RecordBatch: RecordBatchFn };
  fast: { Record: RecordFn; RecordBatch: RecordBatchFn };
} {
  const k = kafkaInternals();
  return {
    kafkajs: { Record: k.record, RecordBatch: k.recordBatch },
    fast: { Record: makeRecord(k), RecordBatch: makeRecordBatch(k) },
  };
}
