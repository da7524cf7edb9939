/**
 * KafkaJS's consumer builds each fetched partition's batch with the fast constructor
 * (lib/kafka/kafkajs/fetch_batch.ts): the same messages, fields and answers as KafkaJS's own class,
 * offsets past 2^53 and aborted transactions included, and installed wherever the service runs.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import fc from "fast-check";
import { installedInRunProcess } from "../support/service_process.ts";
import { FastBatch, KafkajsBatch } from "../../lib/kafka/kafkajs/fetch_batch.ts";

type Fields = Record<string, unknown>;
const Fast = FastBatch as unknown as typeof KafkajsBatch;

/** What a batch shows the consumer: its fields and every answer of its methods. */
function observed(b: Fields): Fields {
  const call = (name: string) => (b[name] as () => unknown).call(b);
  return {
    ...b,
    isEmpty: call("isEmpty"),
    isEmptyIncludingFiltered: call("isEmptyIncludingFiltered"),
    isEmptyDueToFiltering: call("isEmptyDueToFiltering"),
    isEmptyControlRecord: call("isEmptyControlRecord"),
    firstOffset: call("firstOffset"),
    lastOffset: call("lastOffset"),
    offsetLag: call("offsetLag"),
    offsetLagLow: call("offsetLagLow"),
  };
}

// Offsets near 0, near 2^53 (where doubles stop being exact) and far past it.
const base = fc.oneof(
  fc.bigInt({ min: 0n, max: 1000n }),
  fc.bigInt({ min: 2n ** 53n - 40n, max: 2n ** 53n + 40n }),
  fc.bigInt({ min: 2n ** 62n, max: 2n ** 62n + 1000n }),
);
const abortKey = Buffer.from([0, 0, 0, 0]);
const fetch = base.chain((b) =>
  fc.record({
    fetchedAt: fc.integer({ min: -3, max: 40 }),
    messages: fc.array(
      fc.record({
        at: fc.integer({ min: 0, max: 40 }),
        control: fc.boolean(),
        abortMarker: fc.boolean(),
        producerId: fc.constantFrom("7", "8"),
        inTransaction: fc.boolean(),
      }),
      { maxLength: 30 },
    ),
    aborted: fc.array(
      fc.record({ at: fc.integer({ min: 0, max: 40 }), producerId: fc.constantFrom("7", "8") }),
      { maxLength: 2 },
    ),
  }).map(({ fetchedAt, messages, aborted }) => ({
    fetchedOffset: String(b + BigInt(fetchedAt)),
    partitionData: {
      partition: 3,
      highWatermark: String(b + 45n),
      abortedTransactions: aborted.sort((x, y) => x.at - y.at).map((a) => ({
        firstOffset: String(b + BigInt(a.at)),
        producerId: a.producerId,
      })),
      messages: messages.sort((x, y) => x.at - y.at).map((m) => ({
        offset: String(b + BigInt(m.at)),
        key: m.control && m.abortMarker ? abortKey : null,
        isControlRecord: m.control,
        batchContext: { producerId: m.producerId, inTransaction: m.inTransaction },
      })),
    },
  }))
);

Deno.test("property: the fast batch is KafkaJS's batch, field for field and answer for answer", () => {
  fc.assert(
    fc.property(fetch, ({ fetchedOffset, partitionData }) => {
      const want = observed(new KafkajsBatch("t", fetchedOffset, structuredClone(partitionData)));
      const got = observed(new Fast("t", fetchedOffset, structuredClone(partitionData)));
      assert.deepStrictEqual(got, want);
    }),
    { numRuns: 500 },
  );
});

Deno.test("the fast batch is an instance of KafkaJS's class", () => {
  const b = new Fast("t", "0", { partition: 0, highWatermark: "1", messages: [] });
  assert.ok(b instanceof KafkajsBatch);
});

Deno.test("the service's process consumes with the fast batch", async () => {
  assert.ok(await installedInRunProcess("lib/kafka/kafkajs/fetch_batch.ts", "fastBatchInstalled"));
});
