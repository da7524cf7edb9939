/**
 * Kafka's default key partitioner: murmur2 of the key bytes, made positive, modulo the partition
 * count. The Java client, kafka-python and KafkaJS's default partitioner all place a keyed
 * record this way, so a customer's foot sessions and the shelf events routed by customer id meet
 * in partitions with the same number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { partitionForKey } from "./partitioner.ts";
 * assert.equal(partitionForKey(new TextEncoder().encode("c-1"), 6), partitionForKey("c-1", 6));
 * ```
 * @module
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const UTF8 = new TextEncoder();

/** Kafka's murmur2 (32-bit, as the Java client's `Utils.murmur2`). */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    h = mixWord(h, data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
  }
  return finish(h, length & 3, data[whole], data[whole + 1], data[whole + 2]);
}

/**
 * murmur2 of a text's UTF-8 bytes. An ASCII text's bytes are its char codes, read as they are: an
 * instance routes every record it reads by its customer id, and encoding each id first cost 3 % of
 * the service's CPU (a call into the runtime per record).
 */
export function murmur2Text(text: string): number {
  const length = text.length;
  for (let i = 0; i < length; i++) if (text.charCodeAt(i) > 0x7f) return murmur2(UTF8.encode(text));
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    h = mixWord(
      h,
      text.charCodeAt(i) | (text.charCodeAt(i + 1) << 8) | (text.charCodeAt(i + 2) << 16) |
        (text.charCodeAt(i + 3) << 24),
    );
  }
  // Past the end charCodeAt gives NaN, which `finish` never reads (it reads `rest` of them).
  return finish(
    h,
    length & 3,
    text.charCodeAt(whole),
    text.charCodeAt(whole + 1),
    text.charCodeAt(whole + 2),
  );
}

/** One 4-byte little-endian word into the hash. */
function mixWord(h: number, k: number): number {
  k = Math.imul(k, M);
  k ^= k >>> 24;
  k = Math.imul(k, M);
  return Math.imul(h, M) ^ k;
}

/** The last `rest` (0–3) bytes `b0, b1, b2`, then the final mix. */
function finish(h: number, rest: number, b0: number, b1: number, b2: number): number {
  if (rest === 3) h ^= b2 << 16;
  if (rest >= 2) h ^= b1 << 8;
  if (rest >= 1) h = Math.imul(h ^ b0, M);
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Kafka's default partitioner gives a record with this key. */
export function partitionForKey(key: Uint8Array | string, partitions: number): number {
  const h = typeof key === "string" ? murmur2Text(key) : murmur2(key);
  return (h & 0x7fffffff) % partitions;
}
