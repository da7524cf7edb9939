/**
 * The stack works in Deno against a real Kafka 4 broker: KafkaJS round-trips, transactions
 * under read_committed, gzip, and consumer-group offsets that survive restarts.
 */
import assert from "node:assert/strict";
import { CompressionTypes } from "kafkajs";
import { startBroker, testBroker, uniqueName } from "../support/kafka.ts";
import { createTopics, readMessages, testKafka } from "../support/kafka_client.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "records produced by KafkaJS are consumed back with keys, values and headers",
  opts,
  async () => {
    const { bootstrap } = await testBroker();
    const kafka = testKafka(bootstrap);
    const topic = uniqueName("roundtrip");
    await createTopics(kafka, [topic], 3);
    const producer = kafka.producer();
    await producer.connect();
    const sent = Array.from({ length: 30 }, (_, i) => ({
      key: `k${i % 7}`,
      value: JSON.stringify({ i }),
      headers: { source: "test" },
    }));
    await producer.send({ topic, messages: sent });
    await producer.disconnect();

    const got = await readMessages(kafka, topic, { count: 30 });
    assert.equal(got.length, 30);
    const values = got.map((m) => JSON.parse(m.value!.toString()).i).sort((a, b) => a - b);
    assert.deepEqual(values, sent.map((_, i) => i));
    for (const m of got) {
      assert.equal(m.headers?.source?.toString(), "test");
      const i = JSON.parse(m.value!.toString()).i;
      assert.equal(m.key!.toString(), `k${i % 7}`);
    }
  },
);

Deno.test(
  "a read_committed consumer sees transactional records only after commit, never after abort",
  opts,
  async () => {
    const { bootstrap } = await testBroker();
    const kafka = testKafka(bootstrap);
    const topic = uniqueName("txn");
    await createTopics(kafka, [topic], 1);
    const producer = kafka.producer({
      transactionalId: uniqueName("txn-producer"),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();

    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ value: "aborted-1" }, { value: "aborted-2" }] });
    await aborted.abort();

    const open = await producer.transaction();
    await open.send({ topic, messages: [{ value: "committed-1" }] });
    // While the transaction is open, a read_committed reader sees nothing.
    const during = await readMessages(kafka, topic, { count: 1, timeoutMs: 2000 });
    assert.deepEqual(during.map((m) => m.value!.toString()), []);
    await open.commit();

    const after = await readMessages(kafka, topic, { count: 2, timeoutMs: 3000 });
    assert.deepEqual(after.map((m) => m.value!.toString()), ["committed-1"]);
    // A read_uncommitted reader does see the aborted records: they were really written.
    const dirty = await readMessages(kafka, topic, { count: 3, readCommitted: false });
    assert.deepEqual(dirty.map((m) => m.value!.toString()).sort(), [
      "aborted-1",
      "aborted-2",
      "committed-1",
    ]);
    await producer.disconnect();
  },
);

Deno.test("gzip-compressed records are produced and consumed intact", opts, async () => {
  const { bootstrap } = await testBroker();
  const kafka = testKafka(bootstrap);
  const topic = uniqueName("gzip");
  await createTopics(kafka, [topic], 1);
  const producer = kafka.producer();
  await producer.connect();
  const big = "x".repeat(10_000);
  const messages = Array.from({ length: 50 }, (_, i) => ({ value: `${i}:${big}` }));
  await producer.send({ topic, compression: CompressionTypes.GZIP, messages });
  await producer.disconnect();
  const got = await readMessages(kafka, topic, { count: 50 });
  assert.deepEqual(got.map((m) => m.value!.toString()), messages.map((m) => m.value));
});

Deno.test(
  "a consumer group resumes from its committed offset after the consumer and the broker restart",
  opts,
  async () => {
    // Its own broker: this test restarts it.
    const broker = await startBroker();
    try {
      const kafka = testKafka(broker.bootstrap);
      const topic = uniqueName("resume");
      const groupId = uniqueName("group");
      await createTopics(kafka, [topic], 1);
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic,
        messages: Array.from({ length: 10 }, (_, i) => ({ value: String(i) })),
      });
      await producer.disconnect();

      const first = await readMessages(kafka, topic, { groupId, count: 4, commit: true });
      assert.deepEqual(first.map((m) => m.value!.toString()), ["0", "1", "2", "3"]);

      await broker.restart();

      const kafka2 = testKafka(broker.bootstrap);
      const rest = await readMessages(kafka2, topic, { groupId, count: 6, commit: true });
      assert.deepEqual(rest.map((m) => m.value!.toString()), ["4", "5", "6", "7", "8", "9"]);
    } finally {
      await broker.stop();
    }
  },
);
