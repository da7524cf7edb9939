/**
 * The byte writing under the fast record encoding (record_batch_encoder.ts) and the fast produce
 * request (produce_request_encoder.ts): a growable `Uint8Array` writer with Kafka's varints, a
 * record in the v2 format, and a slicing-by-8 CRC-32C.
 * @module
 */
import { Buffer } from "node:buffer";

/** A 64-bit value as KafkaJS's `Long` gives it. */
export interface LongValue {
  getHighBits(): number;
  getLowBits(): number;
}

/** Header pairs in the order KafkaJS writes them (object keys, array values in order). */
export type HeaderPairs = [string, string | Buffer][];

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

// ---------------------------------------------------------------- what KafkaJS encodes plainly

/** A key or value KafkaJS writes as its bytes (text as UTF-8), or null. */
export function isBytes(v: unknown): v is string | Buffer | null | undefined {
  return v === null || v === undefined || typeof v === "string" || Buffer.isBuffer(v);
}

/** A timestamp delta KafkaJS writes as a varlong without loss. */
export function isDelta(v: unknown): v is number {
  return Number.isInteger(v) && Math.abs(v as number) < 2 ** 52;
}

/**
 * `headers` as pairs, as KafkaJS writes them; undefined when KafkaJS would not write them
 * plainly (a value neither text nor bytes, a null headers object).
 */
export function headerPairs(headers: unknown): HeaderPairs | undefined {
  const hs: HeaderPairs = [];
  if (headers === undefined) return hs;
  if (headers === null || typeof headers !== "object") return undefined;
  const h = headers as Record<string, unknown>;
  for (const k of Object.keys(h)) {
    const v = h[k];
    if (Array.isArray(v)) {
      for (const one of v) {
        if (typeof one !== "string" && !Buffer.isBuffer(one)) return undefined;
        hs.push([k, one]);
      }
    } else if (typeof v === "string" || Buffer.isBuffer(v)) hs.push([k, v]);
    else return undefined;
  }
  return hs;
}

// ---------------------------------------------------------------- a growable byte writer

const utf8 = new TextEncoder();

/** Writes into one growable array; `take()` copies the result out. */
export class Writer {
  bytes: Uint8Array;
  view: DataView;
  pos = 0;

  constructor(size = 1 << 16) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

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
  varBytes(v: string | Buffer | null | undefined): void {
    if (v === null || v === undefined) return this.varint(-1);
    if (typeof v !== "string") {
      this.varint(v.length);
      this.reserve(v.length);
      this.bytes.set(v, this.pos);
      this.pos += v.length;
      return;
    }
    if (v.length < 64 && this.#shortAscii(v)) return;
    // Write the text after room for the longest length prefix, then move it next to the
    // actual prefix (one pass over the text instead of measuring it first).
    this.reserve(5 + v.length * 3);
    const start = this.pos;
    const { written } = utf8.encodeInto(v, this.bytes.subarray(start + 5));
    this.varint(written);
    if (this.pos !== start + 5) this.bytes.copyWithin(this.pos, start + 5, start + 5 + written);
    this.pos += written;
  }

  /**
   * Short ASCII text (keys, header names and values), byte by byte: cheaper than a call to the
   * UTF-8 encoder. False, having written nothing, when `v` is not ASCII.
   */
  #shortAscii(v: string): boolean {
    this.reserve(1 + v.length);
    const b = this.bytes, at = this.pos + 1;
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c >= 0x80) return false;
      b[at + i] = c;
    }
    b[this.pos] = v.length << 1; // the zigzag varint of a length below 64: one byte
    this.pos = at + v.length;
    return true;
  }

  /** A string with an int16 length, or -1 for null (a request's transactional id, topic). */
  string(v: string | null): void {
    if (v === null) return this.int16(-1);
    const bytes = utf8.encode(v);
    this.int16(bytes.length);
    this.reserve(bytes.length);
    this.bytes.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** One record: varint length, then attributes, deltas, key, value, headers. */
  record(
    timestampDelta: number,
    offsetDelta: number,
    key: string | Buffer | null | undefined,
    value: string | Buffer | null | undefined,
    headers: HeaderPairs,
  ): void {
    this.reserve(5);
    const start = this.pos;
    this.pos += 5; // room for the longest length prefix
    this.int8(0);
    this.varlong(timestampDelta);
    this.varint(offsetDelta);
    this.varBytes(key);
    this.varBytes(value);
    this.varint(headers.length);
    for (const [k, v] of headers) {
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

// ---------------------------------------------------------------- a record batch (magic 2)

/** A record batch's fields besides its records (what KafkaJS's `RecordBatch` is given). */
export interface BatchFrame {
  compression: number;
  transactional: boolean;
  firstOffset: LongValue;
  partitionLeaderEpoch: number;
  lastOffsetDelta: number;
  firstTimestamp: LongValue;
  maxTimestamp: LongValue;
  producerId: LongValue;
  producerEpoch: number;
  firstSequence: number;
  count: number;
}

/** KafkaJS's compression codecs, as a batch needs them. */
export interface BatchCodecs {
  codecMask: number;
  lookupCodec(type: number): { compress(e: { buffer: Buffer }): Promise<Buffer> };
}

/**
 * A record batch at the writer's position, as KafkaJS's `RecordBatch` writes it: the frame,
 * then the records `records` writes (compressed as the frame says), the CRC-32C over everything
 * from the attributes on. False when `records` found a record it cannot write (the writer's
 * content is then not a batch).
 */
export async function writeRecordBatch(
  w: Writer,
  codecs: BatchCodecs,
  f: BatchFrame,
  records: (w: Writer) => boolean,
): Promise<boolean> {
  const start = w.pos;
  w.reserve(21);
  w.pos += 21; // base offset, length, leader epoch, magic, CRC: filled in below
  const bodyStart = w.pos;
  w.int16((f.compression & codecs.codecMask) | (f.transactional ? 16 : 0));
  w.int32(f.lastOffsetDelta);
  w.int64(f.firstTimestamp);
  w.int64(f.maxTimestamp);
  w.int64(f.producerId);
  w.int16(f.producerEpoch);
  w.int32(f.firstSequence);
  w.int32(f.count);
  if (f.compression === 0) {
    if (!records(w)) return false;
  } else {
    const plain = new Writer(w.bytes.length);
    if (!records(plain)) return false;
    const buffer = Buffer.from(plain.bytes.buffer, 0, plain.pos);
    const compressed = await codecs.lookupCodec(f.compression).compress({ buffer });
    w.reserve(compressed.length);
    w.bytes.set(compressed, w.pos);
    w.pos += compressed.length;
  }
  const v = w.view;
  v.setInt32(start, f.firstOffset.getHighBits());
  v.setInt32(start + 4, f.firstOffset.getLowBits());
  v.setInt32(start + 8, w.pos - start - 12);
  v.setInt32(start + 12, f.partitionLeaderEpoch);
  v.setInt8(start + 16, 2); // magic
  v.setUint32(start + 17, crc32c(w.bytes, bodyStart, w.pos));
  return true;
}
