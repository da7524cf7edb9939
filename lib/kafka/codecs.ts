/**
 * Snappy, LZ4 and zstd for KafkaJS (gzip is built in), in pure JavaScript or WebAssembly so the
 * compiled binary stays one file: `snappyjs`, `lz4js`, `fzstd` (zstd decoding, streaming frames
 * without a content size as the Java client and librdkafka write them) and `@bokuweb/zstd-wasm`
 * (zstd encoding, loaded only when something produces zstd).
 * @module
 */
import { Buffer } from "node:buffer";
import { CompressionCodecs, CompressionTypes } from "./kafkajs.ts";
import SnappyJS from "snappyjs";
import * as lz4 from "lz4js";
import xxh32 from "lz4js/xxh32.js";
import * as fzstd from "fzstd";

/** What KafkaJS hands a codec to compress. */
interface Encoder {
  buffer: Buffer;
}

// The Java client frames snappy the xerial way: a 16-byte header, then [length][block] chunks.
const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00];
const XERIAL_CHUNK = 32 * 1024;

function isXerial(b: Uint8Array): boolean {
  return b.length >= 16 && XERIAL_MAGIC.every((m, i) => b[i] === m);
}

/** Decodes raw snappy (librdkafka) and xerial-framed snappy (the Java client). */
export function snappyDecode(input: Uint8Array): Uint8Array {
  if (!isXerial(input)) return SnappyJS.uncompress(input);
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const parts: Uint8Array[] = [];
  let pos = 16;
  while (pos + 4 <= input.length) {
    const len = view.getUint32(pos);
    pos += 4;
    if (pos + len > input.length) throw new Error("truncated xerial snappy chunk");
    parts.push(SnappyJS.uncompress(input.subarray(pos, pos + len)));
    pos += len;
  }
  return Buffer.concat(parts);
}

/** Encodes xerial-framed snappy, which every Kafka client reads. */
export function snappyEncode(input: Uint8Array): Uint8Array {
  const header = new Uint8Array(16);
  header.set(XERIAL_MAGIC);
  const hv = new DataView(header.buffer);
  hv.setUint32(8, 1); // version
  hv.setUint32(12, 1); // minimum compatible version
  const parts: Uint8Array[] = [header];
  for (let pos = 0; pos < input.length; pos += XERIAL_CHUNK) {
    const block = SnappyJS.compress(input.subarray(pos, pos + XERIAL_CHUNK));
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, block.length);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

const LZ4_MAX_BLOCK = 4 << 20;

/**
 * An LZ4 frame Kafka accepts: lz4js writes block-dependent frames, which the broker refuses,
 * so one block (a Kafka batch is far below 4 MiB) is flagged independent; anything larger is
 * stored uncompressed in independent blocks, which is always valid.
 */
export function lz4Encode(input: Uint8Array): Uint8Array {
  let frame: Uint8Array;
  if (input.length <= LZ4_MAX_BLOCK) {
    frame = lz4.compress(input);
  } else {
    const blocks = Math.ceil(input.length / LZ4_MAX_BLOCK);
    frame = new Uint8Array(7 + blocks * 4 + input.length + 4);
    const v = new DataView(frame.buffer);
    v.setUint32(0, 0x184d2204, true);
    frame[5] = 7 << 4;
    let pos = 7;
    for (let i = 0; i < input.length; i += LZ4_MAX_BLOCK) {
      const block = input.subarray(i, i + LZ4_MAX_BLOCK);
      v.setUint32(pos, 0x80000000 | block.length, true);
      frame.set(block, pos + 4);
      pos += 4 + block.length;
    }
    v.setUint32(pos, 0, true);
  }
  frame[4] = 0x40 | 0x20; // version 01, blocks independent, no checksums
  frame[6] = (xxh32.hash(0, frame, 4, 2) >>> 8) & 0xff;
  return frame;
}

type ZstdWasm = typeof import("@bokuweb/zstd-wasm");
let zstdWasm: Promise<ZstdWasm> | undefined;

async function zstdEncode(input: Uint8Array): Promise<Uint8Array> {
  zstdWasm ??= import("@bokuweb/zstd-wasm").then(async (m) => {
    await m.init();
    return m;
  });
  return (await zstdWasm).compress(Buffer.from(input), 3);
}

let registered = false;

/** Registers the codecs with KafkaJS (once per process). */
export function registerCodecs(): void {
  if (registered) return;
  registered = true;
  const codecs = CompressionCodecs as unknown as Record<number, () => unknown>;
  codecs[CompressionTypes.Snappy] = () => ({
    compress: (e: Encoder) => Promise.resolve(Buffer.from(snappyEncode(e.buffer))),
    decompress: (b: Buffer) => Promise.resolve(Buffer.from(snappyDecode(b))),
  });
  codecs[CompressionTypes.LZ4] = () => ({
    compress: (e: Encoder) => Promise.resolve(Buffer.from(lz4Encode(e.buffer))),
    decompress: (b: Buffer) => Promise.resolve(Buffer.from(lz4.decompress(b))),
  });
  codecs[CompressionTypes.ZSTD] = () => ({
    compress: async (e: Encoder) => Buffer.from(await zstdEncode(e.buffer)),
    decompress: (b: Buffer) => Promise.resolve(Buffer.from(fzstd.decompress(b))),
  });
}
