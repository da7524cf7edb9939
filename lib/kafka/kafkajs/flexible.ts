/**
 * Kafka's "flexible versions" encoding (KIP-482), which KafkaJS 2.2.4 writes for none of the
 * requests this folder adds: compact strings and arrays (unsigned varint length + 1, 0 for
 * null) and a tagged-field section after every struct. The requests here write no tagged
 * fields; the responses' are skipped.
 *
 * KafkaJS writes a request's header as header v1 (`apiKey apiVersion correlationId clientId`)
 * and then the encoded body. A flexible request's header is v2: v1 and an empty tagged-field
 * section. So a body here begins with that section's one byte (0), as KafkaJS's own flexible
 * requests do (`alterPartitionReassignments`); likewise a flexible response's header is the
 * correlation id KafkaJS reads and a tagged-field section the decoder skips first.
 * @module
 */
import { Buffer } from "node:buffer";

const utf8 = new TextEncoder();
const text = new TextDecoder("utf-8", { fatal: false });

/** A 64-bit integer as KafkaJS passes one (text for ids and offsets) or as a bigint. */
export type Int64 = string | number | bigint;

/**
 * An encoded request body as KafkaJS's framing reads it: `buf` and `offset` (the project's
 * framing, lib/kafka/kafkajs/request_framing.ts) or `buffer` and `size()` (KafkaJS's own).
 */
export class EncodedBody {
  constructor(readonly buf: Buffer, readonly offset: number) {}
  get buffer(): Buffer {
    return this.buf.subarray(0, this.offset);
  }
  size(): number {
    return this.offset;
  }
}

/** Writes a flexible-version body into one growable array. */
export class FlexWriter {
  #bytes = new Uint8Array(256);
  #view = new DataView(this.#bytes.buffer);
  #pos = 0;

  #reserve(n: number): void {
    if (this.#pos + n <= this.#bytes.length) return;
    let size = this.#bytes.length * 2;
    while (size < this.#pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#bytes.subarray(0, this.#pos));
    this.#bytes = next;
    this.#view = new DataView(next.buffer);
  }

  int8(v: number): this {
    this.#reserve(1);
    this.#view.setInt8(this.#pos, v);
    this.#pos += 1;
    return this;
  }
  int16(v: number): this {
    this.#reserve(2);
    this.#view.setInt16(this.#pos, v);
    this.#pos += 2;
    return this;
  }
  int32(v: number): this {
    this.#reserve(4);
    this.#view.setInt32(this.#pos, v);
    this.#pos += 4;
    return this;
  }
  /** Two's complement of `v` (text, number or bigint), as KafkaJS's `writeInt64` writes it. */
  int64(v: Int64): this {
    this.#reserve(8);
    this.#view.setBigInt64(this.#pos, BigInt.asIntN(64, BigInt(v)));
    this.#pos += 8;
    return this;
  }
  /** An unsigned varint of a 32-bit value. */
  uvarint(v: number): this {
    this.#reserve(5);
    let u = v >>> 0;
    while (u >= 0x80) {
      this.#bytes[this.#pos++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    this.#bytes[this.#pos++] = u;
    return this;
  }
  /** COMPACT_(NULLABLE_)STRING: length + 1 and UTF-8, or 0 for null. */
  compactString(v: string | null | undefined): this {
    if (v === null || v === undefined) return this.uvarint(0);
    const bytes = utf8.encode(v);
    this.uvarint(bytes.length + 1);
    this.#reserve(bytes.length);
    this.#bytes.set(bytes, this.#pos);
    this.#pos += bytes.length;
    return this;
  }
  /** A COMPACT_ARRAY: its length + 1, then each element written by `each`. */
  compactArray<T>(items: readonly T[], each: (w: this, item: T) => void): this {
    this.uvarint(items.length + 1);
    for (const item of items) each(this, item);
    return this;
  }
  /** An empty tagged-field section. */
  tags(): this {
    return this.uvarint(0);
  }

  /** The body written so far, in a Buffer of its own. */
  body(): EncodedBody {
    const out = Buffer.allocUnsafe(this.#pos);
    out.set(this.#bytes.subarray(0, this.#pos));
    return new EncodedBody(out, this.#pos);
  }
}

/** Reads a flexible-version response; throws a RangeError past its end. */
export class FlexReader {
  #view: DataView;
  #bytes: Uint8Array;
  #pos = 0;

  constructor(raw: Uint8Array) {
    this.#bytes = raw;
    this.#view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  }

  #take(n: number): number {
    const at = this.#pos;
    if (at + n > this.#bytes.length) throw new RangeError("response ends early");
    this.#pos += n;
    return at;
  }

  int8(): number {
    return this.#view.getInt8(this.#take(1));
  }
  int16(): number {
    return this.#view.getInt16(this.#take(2));
  }
  int32(): number {
    return this.#view.getInt32(this.#take(4));
  }
  int64(): bigint {
    return this.#view.getBigInt64(this.#take(8));
  }
  uvarint(): number {
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.#bytes[this.#take(1)];
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
    }
    throw new RangeError("varint longer than 5 bytes");
  }
  compactString(): string | null {
    const n = this.uvarint();
    if (n === 0) return null;
    const at = this.#take(n - 1);
    return text.decode(this.#bytes.subarray(at, at + n - 1));
  }
  /** A COMPACT_ARRAY of elements read by `each` (null reads as empty). */
  compactArray<T>(each: (r: this) => T): T[] {
    const n = this.uvarint();
    const out: T[] = [];
    for (let i = 1; i < n; i++) out.push(each(this));
    return out;
  }
  /** Skips a tagged-field section (every tag here is unknown to the decoder). */
  tags(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint();
      this.#take(this.uvarint());
    }
  }
  /** Whether every byte was read. */
  get done(): boolean {
    return this.#pos === this.#bytes.length;
  }
}
