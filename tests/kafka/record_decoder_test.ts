/**
 * The fast record decoder (lib/kafka/kafkajs/record_decoder.ts) gives KafkaJS's records, field for
 * field, for records KafkaJS's own encoder wrote: random keys, values and headers (repeated
 * keys too), timestamp and offset deltas, batch bases up to Kafka's int64 limits (past 2^53
 * KafkaJS's own decoder runs), log-append time and control batches; and the service's process
 * fetches with it.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import fc from "fast-check";
import { installedInRunProcess } from "../support/service_process.ts";
import { encoders } from "../../lib/kafka/kafkajs/record_batch_encoder.ts";
import { fastRecordDecoder, kafkajsRecordDecoder } from "../../lib/kafka/kafkajs/record_decoder.ts";

const require = createRequire(import.meta.url);
const Decoder = require("kafkajs/src/protocol/decoder.js") as new (b: Buffer) => {
  buffer: Buffer;
  offset: number;
  readVarIntBytes(): Buffer;
};
const { kafkajs: encode } = encoders();

const bytes = fc.oneof(
  fc.constant(null),
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
);
const headerValue = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a)),
);
const record = fc.record({
  key: bytes,
  value: bytes,
  headers: fc.dictionary(
    fc.string({ unit: "grapheme", maxLength: 12 }),
    fc.oneof(headerValue, fc.array(headerValue, { minLength: 1, maxLength: 3 })),
    { maxKeys: 5 },
  ),
  offsetDelta: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  timestampDelta: fc.oneof(
    fc.integer({ min: -1e6, max: 1e9 }),
    fc.constant(0),
    fc.integer({ min: -(2 ** 52), max: 2 ** 52 }),
  ),
});
const int64 = fc.oneof(
  fc.integer({ min: 0, max: 1e12 }),
  fc.constant("-1"),
  fc.bigInt({ min: 2n ** 52n, max: 2n ** 63n - 1n }),
  fc.constant(String(2 ** 53 - 10)),
).map(String);
const batch = fc.record({
  firstOffset: int64,
  firstTimestamp: fc.oneof(int64, fc.integer({ min: 1.6e12, max: 1.9e12 }).map(String)),
  magicByte: fc.constant(2),
  isControlBatch: fc.boolean(),
  timestampType: fc.constantFrom(0, 1),
  maxTimestamp: fc.integer({ min: 1.6e12, max: 1.9e12 }).map(String),
});

/** The record's bytes as a fetch hands them to the record decoder (its length read). */
function recordDecoder(bytes: Buffer) {
  return new Decoder(new Decoder(bytes).readVarIntBytes());
}

Deno.test("property: the fast record decoder gives KafkaJS's records, field for field", () => {
  const fast = fastRecordDecoder(kafkajsRecordDecoder);
  fc.assert(
    fc.property(batch, fc.array(record, { minLength: 1, maxLength: 5 }), (ctx, recs) => {
      for (const r of recs) {
        const bytes = encode.Record(r).buffer;
        let expected: unknown, got: unknown;
        try {
          expected = kafkajsRecordDecoder(recordDecoder(bytes), ctx);
        } catch (e) {
          expected = e;
        }
        try {
          got = fast(recordDecoder(bytes), ctx);
        } catch (e) {
          got = e;
        }
        assert.deepStrictEqual(got, expected);
      }
    }),
    { numRuns: 500 },
  );
});

Deno.test("the service's process fetches with the fast record decoder", async () => {
  assert.ok(
    await installedInRunProcess(
      "lib/kafka/kafkajs/record_decoder.ts",
      "fastRecordDecodingInstalled",
    ),
  );
});
