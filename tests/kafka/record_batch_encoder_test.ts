/**
 * The fast record-batch encoder writes exactly KafkaJS's bytes (random records with headers,
 * null keys and values, every codec), and a broker accepts what it writes: a transactional
 * producer sends through it and kcat and KafkaJS read the records back.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import fc from "fast-check";
import { CompressionTypes } from "kafkajs";
import { registerCodecs } from "../../lib/kafka/codecs.ts";
import {
  encoders,
  fastProduceRequest,
  installFastRecordEncoding,
} from "../../lib/kafka/kafkajs/record_batch_encoder.ts";
import { crc32c } from "../../lib/kafka/kafkajs/record_writer.ts";
import { testBroker, uniqueName } from "../support/kafka.ts";
import { createTopics, readMessages, testKafka } from "../support/kafka_client.ts";

registerCodecs();
// Before anything produces in this process (the swap binds when KafkaJS loads its request).
assert.ok(installFastRecordEncoding());

const require = createRequire(import.meta.url);
const Long = require("kafkajs/src/utils/long.js");
const kafkajsCrc = require("kafkajs/src/protocol/recordBatch/crc32C/index.js") as (
  b: Buffer,
) => number;
const { kafkajs, fast } = encoders();

const bytes = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }), // lone surrogates too
  fc.string({ minLength: 100, maxLength: 3000 }),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
);
const headerValue = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a)),
);
const headers = fc.option(
  fc.dictionary(
    fc.string({ maxLength: 12 }),
    fc.oneof(headerValue, fc.array(headerValue, { maxLength: 3 })),
    { maxKeys: 4 },
  ),
  { nil: undefined },
);
const message = fc.record({
  key: bytes,
  value: bytes,
  headers,
  timestamp: fc.option(fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }), {
    nil: undefined,
  }),
}, { requiredKeys: ["key", "value"] });

type Message = {
  key: unknown;
  value: unknown;
  headers?: Record<string, unknown>;
  timestamp?: number;
};
type Encoders = typeof kafkajs;

/** What KafkaJS's produce request (v3) does for one partition, with `enc`'s encoders. */
async function encodeBatch(
  enc: Encoders,
  messages: Message[],
  opts: { compression: number; transactional: boolean; sequence: number },
): Promise<Buffer> {
  const now = 1_700_000_000_000;
  const stamps = messages.map((m) => m.timestamp).filter((t) => t != null).sort();
  const all = stamps.length === 0 ? [now] : stamps;
  const records = messages.map((m, i) =>
    enc.Record({ ...m, offsetDelta: i, timestampDelta: (m.timestamp || now) - all[0]! })
  );
  const batch = await enc.RecordBatch({
    compression: opts.compression,
    records,
    firstTimestamp: all[0],
    maxTimestamp: all[all.length - 1],
    producerId: Long.fromValue(opts.transactional ? 4711 : -1),
    producerEpoch: opts.transactional ? 3 : 0,
    firstSequence: opts.sequence,
    transactional: opts.transactional,
    lastOffsetDelta: records.length - 1,
  });
  return batch.buffer;
}

Deno.test("CRC-32C matches KafkaJS's on random bytes", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), (a) => {
      assert.equal(crc32c(a), kafkajsCrc(Buffer.from(a)));
    }),
    { numRuns: 300 },
  );
  assert.equal(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
});

Deno.test("record batches are byte-identical to KafkaJS's encoding", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(message, { minLength: 1, maxLength: 30 }),
      fc.constantFrom(
        CompressionTypes.None,
        CompressionTypes.GZIP,
        CompressionTypes.Snappy,
        CompressionTypes.LZ4,
      ),
      fc.boolean(),
      fc.nat(1 << 30),
      async (messages, compression, transactional, sequence) => {
        const opts = { compression, transactional, sequence };
        const want = await encodeBatch(kafkajs, messages as Message[], opts);
        const got = await encodeBatch(fast, messages as Message[], opts);
        assert.deepEqual(new Uint8Array(got), new Uint8Array(want));
      },
    ),
    { numRuns: 400 },
  );
});

Deno.test("inputs off the fast path are encoded by KafkaJS itself, identically", async () => {
  const odd: Message[] = [
    { key: "k", value: "v", timestamp: 1_700_000_000_000 },
    { key: null, value: "v", headers: { h: "x" }, timestamp: "1700000000500" as never },
  ];
  const opts = { compression: CompressionTypes.None, transactional: false, sequence: 0 };
  assert.deepEqual(
    new Uint8Array(await encodeBatch(fast, odd, opts)),
    new Uint8Array(await encodeBatch(kafkajs, odd, opts)),
  );
});

/** The fast produce request, counting the requests it hands to KafkaJS's own encoding. */
let handedOver = 0;
const countedFast = fastProduceRequest((args) => {
  const request = kafkajs.ProduceRequest(args);
  return { ...request, encode: () => (handedOver++, request.encode()) };
});

/** A request's bytes with the clock fixed (KafkaJS stamps records without a timestamp now). */
async function requestBytes(
  request: typeof kafkajs.ProduceRequest,
  args: Parameters<typeof kafkajs.ProduceRequest>[0],
): Promise<Uint8Array> {
  const now = Date.now;
  Date.now = () => 1_700_000_000_000;
  try {
    const e = await request(args).encode();
    return new Uint8Array(e.buf.subarray(0, e.offset));
  } finally {
    Date.now = now;
  }
}

// Timestamps as KafkaJS is given them: numbers, the text of numbers (what a relay passes on from
// a fetched record), absent; of other lengths too (KafkaJS sorts them as text).
const stamp = fc.oneof(
  fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
  fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }).map(String),
  fc.integer({ min: 0, max: 99_999 }),
  fc.constant(undefined),
);
const partitionData = fc.record({
  partition: fc.nat(50),
  firstSequence: fc.option(fc.nat(1 << 30), { nil: undefined }),
  messages: fc.array(
    fc.record({ key: bytes, value: bytes, headers, timestamp: stamp }, {
      requiredKeys: ["key", "value"],
    }),
    { minLength: 1, maxLength: 20 },
  ),
});

Deno.test("produce requests are byte-identical to KafkaJS's, every codec and topic layout", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({
          topic: fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }),
          partitions: fc.array(partitionData, { minLength: 1, maxLength: 3 }),
        }),
        { minLength: 1, maxLength: 2 },
      ),
      fc.constantFrom(
        CompressionTypes.None,
        CompressionTypes.GZIP,
        CompressionTypes.Snappy,
        CompressionTypes.LZ4,
      ),
      fc.option(fc.string({ minLength: 1, maxLength: 30 }), { nil: undefined }),
      fc.constantFrom(-1, 0, 1),
      async (topicData, compression, transactionalId, acks) => {
        handedOver = 0;
        const args = {
          acks,
          timeout: 30_000,
          compression,
          transactionalId,
          producerId: transactionalId ? Long.fromValue(4711) : undefined,
          producerEpoch: transactionalId ? 3 : undefined,
          topicData,
        };
        assert.deepEqual(
          await requestBytes(countedFast, args),
          await requestBytes(kafkajs.ProduceRequest, args),
        );
        assert.equal(handedOver, 0, "plain messages are written by the fast encoder");
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("a produce request with a message off the fast path is KafkaJS's own, identically", async () => {
  const topicData = [{
    topic: "t",
    partitions: [{
      partition: 0,
      messages: [
        { key: "k", value: "v", timestamp: 1_700_000_000_000 },
        { key: null, value: new Uint8Array([1, 2, 3]) as never, headers: { h: "x" } },
      ],
    }],
  }];
  const args = { acks: -1, timeout: 1000, compression: CompressionTypes.None, topicData };
  handedOver = 0;
  assert.deepEqual(
    await requestBytes(countedFast, args),
    await requestBytes(kafkajs.ProduceRequest, args),
  );
  assert.equal(handedOver, 1);
});

Deno.test({
  name: "a transactional producer with the fast encoder is read back by KafkaJS and kcat",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const { bootstrap } = await testBroker();
    const kafka = testKafka(bootstrap);
    const topic = uniqueName("fast-encoder");
    await createTopics(kafka, [topic], 1);
    const producer = kafka.producer({
      transactionalId: uniqueName("fast-encoder-tx"),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const sent = Array.from({ length: 500 }, (_, i) => ({
      key: i % 7 === 0 ? null : `k${i}`,
      value: i % 11 === 0 ? null : `{"i":${i},"text":"žluťoučký ${"x".repeat(i % 50)}"}`,
      headers: i % 3 === 0 ? { "dlq.reason": "late", n: [String(i), "b"] } : undefined,
    }));
    for (const compression of [CompressionTypes.None, CompressionTypes.LZ4]) {
      const tx = await producer.transaction();
      await tx.send({ topic, compression, messages: sent.slice(0, 250) });
      await tx.send({ topic, compression, messages: sent.slice(250) });
      await tx.commit();
    }
    await producer.disconnect();
    const got = await readMessages(kafka, topic, { count: 1000 });
    assert.equal(got.length, 1000);
    got.forEach((m, j) => {
      const s = sent[j % 500];
      assert.equal(m.key === null ? null : m.key.toString(), s.key);
      assert.equal(m.value === null ? null : m.value.toString(), s.value);
      if (s.headers) {
        assert.equal(String(m.headers!["dlq.reason"]), "late");
        assert.deepEqual((m.headers!.n as Buffer[]).map(String), [String(j % 500), "b"]);
      }
    });
    const kcat = await new Deno.Command("kcat", {
      args: [
        "-C",
        "-b",
        bootstrap,
        "-t",
        topic,
        "-e",
        "-q",
        "-X",
        "isolation.level=read_committed",
        "-f",
        "%k\t%s\n",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output().catch(() => undefined);
    if (kcat?.success) {
      const lines = new TextDecoder().decode(kcat.stdout).trimEnd().split("\n");
      assert.equal(lines.length, 1000);
      assert.equal(lines[1], `k1\t${sent[1].value}`);
    }
  },
});
