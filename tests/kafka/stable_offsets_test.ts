/**
 * The stable offset look-up (lib/kafka/kafkajs/stable_offsets.ts), without a broker: its
 * OffsetFetch v7 request has the bytes the message spec gives (tests/support/message_spec.ts,
 * whose non-flexible reading is checked against KafkaJS's own v4); its answers decode as the
 * spec says; what each answer means (offsets, retry, failure); and the look-up ends at its
 * deadline or signal even when no broker answers.
 */
import {
  decodeOffsetFetchV7,
  encodeOffsetFetchV7,
  fetchStableOffsets,
  judge,
  type OffsetFetchAnswer,
  stableOffsetFetch,
  type TopicPartitions,
} from "../../lib/kafka/kafkajs/stable_offsets.ts";
import { Kafka, logLevel } from "../../lib/kafka/kafkajs.ts";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import fc from "fast-check";
import { freePort } from "../support/kafka.ts";
import {
  decodeMessage,
  encodeMessage,
  OFFSET_FETCH_REQUEST,
  OFFSET_FETCH_RESPONSE,
  type Struct,
} from "../support/message_spec.ts";

const require = createRequire(import.meta.url);
const kafkajsV4 = require("kafkajs/src/protocol/requests/offsetFetch/v4/request.js") as (
  input: { groupId: string; topics: { topic: string; partitions: { partition: number }[] }[] },
) => { encode(): Promise<{ buffer: Uint8Array }> };

const text = (maxLength = 30) => fc.string({ unit: "grapheme", maxLength });
const INT32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const asked: fc.Arbitrary<TopicPartitions[]> = fc.array(
  fc.record({
    topic: text(),
    partitions: fc.array(fc.nat({ max: 2 ** 31 - 1 }), { maxLength: 6 }),
  }),
  { maxLength: 4 },
);
const specTopics = (topics: TopicPartitions[]) =>
  topics.map((t) => ({ Name: t.topic, PartitionIndexes: t.partitions }));

Deno.test("property: a v7 request has the spec's bytes, header tags first", () => {
  fc.assert(
    fc.property(text(), asked, fc.boolean(), (groupId, topics, stable) => {
      const ours = encodeOffsetFetchV7(groupId, topics, stable).body().buffer;
      const spec = encodeMessage(OFFSET_FETCH_REQUEST, 7, {
        GroupId: groupId,
        Topics: specTopics(topics),
        RequireStable: stable,
      }, { headerTags: true });
      assert.deepEqual(new Uint8Array(ours), spec);
    }),
    { numRuns: 500 },
  );
});

Deno.test("property: the reference reads KafkaJS's own OffsetFetch v4 as the values sent", async () => {
  await fc.assert(
    fc.asyncProperty(text(), asked.filter((t) => t.length > 0), async (groupId, topics) => {
      const input = {
        groupId,
        topics: topics.map((t) => ({
          topic: t.topic,
          partitions: t.partitions.map((partition) => ({ partition })),
        })),
      };
      const theirs = new Uint8Array((await kafkajsV4(input).encode()).buffer);
      assert.deepEqual(decodeMessage(OFFSET_FETCH_REQUEST, 4, theirs), {
        GroupId: groupId,
        Topics: specTopics(topics),
      });
      const v7 = new Uint8Array(encodeOffsetFetchV7(groupId, topics, true).body().buffer);
      assert.deepEqual(decodeMessage(OFFSET_FETCH_REQUEST, 7, v7, true), {
        GroupId: groupId,
        Topics: specTopics(topics),
        RequireStable: true,
      });
    }),
    { numRuns: 300 },
  );
});

const CODES = fc.constantFrom(0, 0, 0, 88, 14, 15, 16, 3, 22, 29, 30, 69, 9999);
const answers: fc.Arbitrary<OffsetFetchAnswer> = fc.record({
  throttleTime: fc.constant(0),
  clientSideThrottleTime: fc.nat(),
  errorCode: CODES,
  topics: fc.array(
    fc.record({
      topic: text(),
      partitions: fc.array(
        fc.record({
          partition: fc.nat({ max: 2 ** 31 - 1 }),
          offset: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
          leaderEpoch: INT32,
          metadata: fc.option(text(), { nil: null }),
          errorCode: CODES,
        }),
        { maxLength: 5 },
      ),
    }),
    { maxLength: 4 },
  ),
}).map((a) => ({
  ...a,
  topics: a.topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p) => ({ ...p })),
  })),
}));
const tags = fc.array(
  fc.tuple(fc.integer({ min: 0, max: 300 }), fc.uint8Array({ maxLength: 6 })),
  { maxLength: 2 },
).map((ts) => ts.sort((a, b) => a[0] - b[0]));

function specAnswer(a: OffsetFetchAnswer): Struct {
  return {
    ThrottleTimeMs: a.clientSideThrottleTime,
    ErrorCode: a.errorCode,
    Topics: a.topics.map((t) => ({
      Name: t.topic,
      Partitions: t.partitions.map((p) => ({
        PartitionIndex: p.partition,
        CommittedOffset: p.offset,
        CommittedLeaderEpoch: p.leaderEpoch,
        Metadata: p.metadata,
        ErrorCode: p.errorCode,
      })),
    })),
  };
}

Deno.test("property: a v7 answer decodes to its values, unknown tagged fields skipped", () => {
  fc.assert(
    fc.property(answers, tags, (answer, extra) => {
      const raw = encodeMessage(OFFSET_FETCH_RESPONSE, 7, specAnswer(answer), {
        headerTags: true,
        tags: extra,
      });
      assert.deepEqual(decodeOffsetFetchV7(raw), answer);
    }),
    { numRuns: 500 },
  );
});

Deno.test("property: an answer is offsets, a retry (88, 14; 15, 16 elsewhere) or a failure", () => {
  fc.assert(
    fc.property(answers, asked, (answer, topics) => {
      const codes = [
        answer.errorCode,
        ...answer.topics.flatMap((t) => t.partitions)
          .map((p) => p.errorCode),
      ].filter((c) => c !== 0);
      const verdict = judge(answer, topics);
      const other = codes.find((c) => ![88, 14, 15, 16].includes(c));
      if (other !== undefined) {
        assert.ok(verdict.kind === "fail");
        return assert.equal((verdict.error as Error & { code: number }).code, other);
      }
      if (codes.length > 0) {
        assert.ok(verdict.kind === "retry");
        return assert.equal(verdict.refind, codes.some((c) => c === 15 || c === 16));
      }
      assert.ok(verdict.kind === "offsets");
      const { offsets } = verdict;
      for (const { topic, partitions } of topics) {
        for (const p of partitions) {
          // The last answer for a partition wins (a broker answers each once).
          const answered = answer.topics.filter((t) => t.topic === topic)
            .flatMap((t) => t.partitions).filter((x) => x.partition === p).at(-1);
          const want = answered === undefined || answered.offset < 0n ? -1n : answered.offset;
          assert.equal(offsets.get(topic)?.get(p), want);
        }
      }
    }),
    { numRuns: 1000 },
  );
});

Deno.test("the request object is OffsetFetch v7 with require_stable, and never throws on an answer", async () => {
  const { request, response } = stableOffsetFetch("g", [{ topic: "t", partitions: [0, 1] }]);
  assert.deepEqual([request.apiKey, request.apiVersion, request.apiName], [9, 7, "OffsetFetch"]);
  const sent = decodeMessage(
    OFFSET_FETCH_REQUEST,
    7,
    new Uint8Array((await request.encode()).buffer),
    true,
  );
  assert.equal(sent.RequireStable, true);
  const unstable: OffsetFetchAnswer = {
    throttleTime: 0,
    clientSideThrottleTime: 0,
    errorCode: 0,
    topics: [{
      topic: "t",
      partitions: [{ partition: 0, offset: -1n, leaderEpoch: -1, metadata: "", errorCode: 88 }],
    }],
  };
  assert.equal(await response.parse(unstable), unstable);
});

Deno.test("KafkaJS's Kafka object has the private createCluster the look-up uses", () => {
  const kafka = new Kafka({ brokers: ["127.0.0.1:1"], logLevel: logLevel.NOTHING });
  const sym = Object.getOwnPropertySymbols(kafka)
    .find((s) => s.description === "private:Kafka:createCluster");
  assert.ok(sym, "KafkaJS 2.2.4 keeps createCluster under this symbol");
  assert.equal(typeof (kafka as unknown as Record<symbol, unknown>)[sym], "function");
});

const unreachable = () =>
  new Kafka({
    brokers: [`127.0.0.1:${freePort()}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 100, initialRetryTime: 100, maxRetryTime: 200 },
  });

Deno.test("with no broker the look-up ends at its deadline, and at once when aborted", async () => {
  let t0 = performance.now();
  await assert.rejects(
    fetchStableOffsets(unreachable(), "g", ["t"], { deadlineMs: 400 }),
    /not stable before the deadline/,
  );
  assert.ok(performance.now() - t0 < 3000, `took ${performance.now() - t0} ms`);
  const stop = new AbortController();
  t0 = performance.now();
  setTimeout(() => stop.abort(new Error("stopped")), 200);
  await assert.rejects(
    fetchStableOffsets(unreachable(), "g", ["t"], { signal: stop.signal }),
    /stopped/,
  );
  assert.ok(performance.now() - t0 < 2000, `took ${performance.now() - t0} ms`);
});
