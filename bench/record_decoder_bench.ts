/**
 * Record decoding in fetches, KafkaJS's own against `lib/kafka/kafkajs/record_decoder.ts`: 500 relayed
 * shelf records (a customer key, a ~120-byte JSON value, the relay's three headers), each
 * decoded as KafkaJS's batch decoder hands it over. Records/s = 500 / the time per iteration.
 *
 *   deno bench --allow-all bench/record_decoder_bench.ts
 */
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import { encoders } from "../lib/kafka/kafkajs/record_batch_encoder.ts";
import { fastRecordDecoder, kafkajsRecordDecoder } from "../lib/kafka/kafkajs/record_decoder.ts";

const require = createRequire(import.meta.url);
const Decoder = require("kafkajs/src/protocol/decoder.js");
const { kafkajs: encode } = encoders();
const value = Buffer.from(JSON.stringify({
  event_type: "pickup",
  customer_id: crypto.randomUUID(),
  item_id: "ITEM001",
  quantity: 1,
  timestamp: "2025-11-07T09:00:00.123456+00:00",
}));
const bodies = Array.from({ length: 500 }, (_, i) =>
  new Decoder(
    encode.Record({
      key: crypto.randomUUID(),
      value,
      headers: { "pos-src": `shelf/1/${i}` },
      offsetDelta: i,
      timestampDelta: i * 3,
    }).buffer,
  ).readVarIntBytes());
const ctx = {
  firstOffset: "1234567",
  firstTimestamp: "1762506000000",
  magicByte: 2,
  isControlBatch: false,
  timestampType: 0,
  maxTimestamp: "1762506001500",
};
const fast = fastRecordDecoder(kafkajsRecordDecoder);

Deno.bench("decode 500 relayed records: KafkaJS", { group: "decode", baseline: true }, () => {
  for (const b of bodies) kafkajsRecordDecoder(new Decoder(b), ctx);
});
Deno.bench("decode 500 relayed records: fast", { group: "decode" }, () => {
  for (const b of bodies) fast(new Decoder(b), ctx);
});
