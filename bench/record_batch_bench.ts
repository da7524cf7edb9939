/**
 * Record-batch encoding, KafkaJS's own against `lib/kafka/kafkajs/record_batch_encoder.ts`: a batch of
 * 500 service-shaped records (a 36-byte key, a ~300-byte JSON value; every tenth with DLQ
 * headers), uncompressed and lz4. Records/s = 500 / the time per iteration.
 *
 *   deno bench --allow-all bench/record_batch_bench.ts
 */
import { CompressionTypes } from "kafkajs";
import { createRequire } from "node:module";
import { registerCodecs } from "../lib/kafka/codecs.ts";
import { encoders } from "../lib/kafka/kafkajs/record_batch_encoder.ts";

registerCodecs();
const Long = createRequire(import.meta.url)("kafkajs/src/utils/long.js");
const { kafkajs, fast } = encoders();
const now = Date.now();
const messages = Array.from({ length: 500 }, (_, i) => ({
  key: crypto.randomUUID(),
  value: JSON.stringify({
    event_type: "pos_transaction",
    transaction_id: crypto.randomUUID(),
    customer_id: `c-${i}`,
    timestamp: new Date(now).toISOString(),
    items: [{ item_id: "BEVWAT1", quantity: 2, unit_price: 2.4, discount: 0, total_price: 4.8 }],
  }),
  headers: i % 10 === 0 ? { "dlq.reason": "late", "dlq.source.offset": String(i) } : undefined,
  timestamp: now + i,
}));

async function batch(enc: typeof fast, compression: number): Promise<number> {
  const records = messages.map((m, i) =>
    enc.Record({ ...m, offsetDelta: i, timestampDelta: m.timestamp - now })
  );
  const b = await enc.RecordBatch({
    compression,
    records,
    firstTimestamp: now,
    maxTimestamp: now + 499,
    producerId: Long.fromValue(4711),
    producerEpoch: 1,
    firstSequence: 0,
    transactional: true,
    lastOffsetDelta: 499,
  });
  return b.buffer.length;
}

for (
  const [name, compression] of [["none", CompressionTypes.None], [
    "lz4",
    CompressionTypes.LZ4,
  ]] as const
) {
  Deno.bench({
    name: `KafkaJS encoder, 500 records, ${name}`,
    group: name,
    baseline: true,
    fn: async () => {
      await batch(kafkajs, compression);
    },
  });
  Deno.bench({
    name: `fast encoder, 500 records, ${name}`,
    group: name,
    fn: async () => {
      await batch(fast, compression);
    },
  });
}

// A relay's produce request: 1,700 records over 3 partitions, timestamps as fetched (text), the
// three source headers; KafkaJS's request (with the fast record batches) against the fast one.
const relayed = Array.from({ length: 1700 }, (_, i) => ({
  partition: i % 3,
  key: `c-${i % 400}`,
  value: messages[i % 500].value,
  timestamp: String(now + i),
  headers: { "pos-src": `shelf/1/${i}` },
}));
const topicData = [{
  topic: "pos-by-customer",
  partitions: [0, 1, 2].map((partition) => ({
    partition,
    firstSequence: 0,
    messages: relayed.filter((m) => m.partition === partition),
  })),
}];
const request = (enc: typeof fast) =>
  enc.ProduceRequest({
    acks: -1,
    timeout: 30_000,
    transactionalId: "pos-producer-shelf-relay-0",
    producerId: Long.fromValue(4711),
    producerEpoch: 1,
    compression: CompressionTypes.None,
    topicData,
  }).encode();
Deno.bench({
  name: "KafkaJS produce request (fast batches), 1,700 records",
  group: "request",
  baseline: true,
  fn: async () => {
    await request(kafkajs);
  },
});
Deno.bench({
  name: "fast produce request, 1,700 records",
  group: "request",
  fn: async () => {
    await request(fast);
  },
});
