/**
 * TxnOffsetCommit v3 (lib/kafka/kafkajs/txn_offset_commit.ts), without a broker: its requests
 * have the bytes the message spec gives (tests/support/message_spec.ts) and the values KafkaJS's
 * own v0 sends; its answers decode as the spec says; error codes become KafkaJS errors whose
 * `type` names them; and the swap is in KafkaJS wherever the service runs.
 */
import {
  decodeTxnOffsetCommitV3,
  encodeTxnOffsetCommitV3,
  isGenerationFenced,
  kafkajsTxnOffsetCommit,
  NO_MEMBER,
  parseTxnOffsetCommit,
  setTxnMember,
  type TxnMember,
  txnMemberOf,
  type TxnOffsetCommitInput,
  TxnOffsetCommitUnsupported,
  txnOffsetCommitV3,
} from "../../lib/kafka/kafkajs/txn_offset_commit.ts";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import fc from "fast-check";
import {
  decodeMessage,
  encodeMessage,
  type Struct,
  TXN_OFFSET_COMMIT_REQUEST,
  TXN_OFFSET_COMMIT_RESPONSE,
} from "../support/message_spec.ts";
import { installedInRunProcess } from "../support/service_process.ts";

const require = createRequire(import.meta.url);
const kafkajsV0 = require("kafkajs/src/protocol/requests/txnOffsetCommit/v0/request.js") as (
  input: TxnOffsetCommitInput,
) => { encode(): Promise<{ buffer: Uint8Array }> };
const { requests, lookup } = require("kafkajs/src/protocol/requests/index.js");
const { KafkaJSNonRetriableError } = require("kafkajs/src/errors.js");

const INT64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const text = (maxLength = 30) => fc.string({ unit: "grapheme", maxLength });

/** A request as KafkaJS's broker passes it: ids and offsets as text, metadata maybe absent. */
const inputs: fc.Arbitrary<TxnOffsetCommitInput> = fc.record({
  transactionalId: text(),
  groupId: text(),
  producerId: INT64.map(String),
  producerEpoch: fc.integer({ min: -(2 ** 15), max: 2 ** 15 - 1 }),
  topics: fc.array(
    fc.record({
      topic: text(),
      partitions: fc.array(
        fc.record({
          partition: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          offset: fc.oneof(INT64.map(String), fc.integer({ min: 0, max: 2 ** 40 })),
          metadata: fc.option(text(), { nil: undefined }),
        }),
        { maxLength: 5 },
      ),
    }),
    { maxLength: 4 },
  ),
});

const members: fc.Arbitrary<TxnMember> = fc.oneof(
  fc.constant(NO_MEMBER),
  fc.record({
    generationId: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
    memberId: text(60),
    groupInstanceId: fc.option(text(), { nil: null }),
  }),
);

/** `input` and `m` as the spec's field values. */
function specValue(input: TxnOffsetCommitInput, m: TxnMember): Struct {
  return {
    TransactionalId: input.transactionalId,
    GroupId: input.groupId,
    ProducerId: BigInt(input.producerId),
    ProducerEpoch: input.producerEpoch,
    GenerationId: m.generationId,
    MemberId: m.memberId,
    GroupInstanceId: m.groupInstanceId,
    Topics: input.topics.map((t) => ({
      Name: t.topic,
      Partitions: t.partitions.map((p) => ({
        PartitionIndex: p.partition,
        CommittedOffset: BigInt(p.offset),
        CommittedMetadata: p.metadata ?? null,
      })),
    })),
  };
}

const bytesOf = (b: { buffer: Uint8Array }) => new Uint8Array(b.buffer);

Deno.test("property: a v3 request has the spec's bytes, header tags first", () => {
  fc.assert(
    fc.property(inputs, members, (input, m) => {
      const ours = bytesOf(encodeTxnOffsetCommitV3(input, m).body());
      const spec = encodeMessage(TXN_OFFSET_COMMIT_REQUEST, 3, specValue(input, m), {
        headerTags: true,
      });
      assert.deepEqual(ours, spec);
    }),
    { numRuns: 500 },
  );
});

Deno.test("property: v3 carries the values KafkaJS's own v0 sends, and the member", async () => {
  await fc.assert(
    fc.asyncProperty(inputs, members, async (input, m) => {
      const theirs = bytesOf(await kafkajsV0(input).encode());
      // The reference reads KafkaJS's bytes as v0 and writes them again: it is KafkaJS's encoding.
      const v0 = decodeMessage(TXN_OFFSET_COMMIT_REQUEST, 0, theirs);
      assert.deepEqual(encodeMessage(TXN_OFFSET_COMMIT_REQUEST, 0, v0), theirs);
      const ours = bytesOf(encodeTxnOffsetCommitV3(input, m).body());
      const v3 = decodeMessage(TXN_OFFSET_COMMIT_REQUEST, 3, ours, true);
      const { GenerationId, MemberId, GroupInstanceId, Topics, ...shared } = v3;
      assert.deepEqual({ GenerationId, MemberId, GroupInstanceId }, {
        GenerationId: m.generationId,
        MemberId: m.memberId,
        GroupInstanceId: m.groupInstanceId,
      });
      const { Topics: topicsV0, ...sharedV0 } = v0;
      assert.deepEqual(shared, sharedV0);
      const epochs = (Topics as Struct[]).flatMap((t) =>
        (t.Partitions as Struct[]).map(({ CommittedLeaderEpoch, ...p }) => {
          assert.equal(CommittedLeaderEpoch, -1);
          return p;
        })
      );
      assert.deepEqual(epochs, (topicsV0 as Struct[]).flatMap((t) => t.Partitions as Struct[]));
      assert.deepEqual(
        (Topics as Struct[]).map((t) => t.Name),
        (topicsV0 as Struct[]).map((t) => t.Name),
      );
    }),
    { numRuns: 300 },
  );
});

const tags = fc.array(
  fc.tuple(fc.integer({ min: 0, max: 300 }), fc.uint8Array({ maxLength: 6 })),
  { maxLength: 2 },
).map((ts) => ts.sort((a, b) => a[0] - b[0]));
const answers = fc.record({
  throttle: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  topics: fc.array(
    fc.record({
      topic: text(),
      partitions: fc.array(
        fc.record({
          partition: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          errorCode: fc.integer({ min: -1, max: 130 }),
        }),
        { maxLength: 5 },
      ),
    }),
    { maxLength: 4 },
  ),
});

Deno.test("property: a v3 answer decodes to its values, unknown tagged fields skipped", () => {
  fc.assert(
    fc.property(answers, tags, ({ throttle, topics }, extra) => {
      const raw = encodeMessage(TXN_OFFSET_COMMIT_RESPONSE, 3, {
        ThrottleTimeMs: throttle,
        Topics: topics.map((t) => ({
          Name: t.topic,
          Partitions: t.partitions.map((p) => ({
            PartitionIndex: p.partition,
            ErrorCode: p.errorCode,
          })),
        })),
      }, { headerTags: true, tags: extra });
      assert.deepEqual(decodeTxnOffsetCommitV3(raw), {
        throttleTime: 0,
        clientSideThrottleTime: throttle,
        topics: topics.map((t) => ({
          topic: t.topic,
          partitions: t.partitions.map((p) => ({ ...p })),
        })),
      });
    }),
    { numRuns: 500 },
  );
});

Deno.test("property: an answer with a failed partition throws the first failure's code", () => {
  fc.assert(
    fc.property(answers, ({ throttle, topics }) => {
      const answer = { throttleTime: 0, clientSideThrottleTime: throttle, topics };
      const first = topics.flatMap((t) => t.partitions).find((p) => p.errorCode !== 0);
      if (first === undefined) return assert.equal(parseTxnOffsetCommit(answer), answer);
      assert.throws(() => parseTxnOffsetCommit(answer), (e: { code: number; type: string }) => {
        assert.equal(e.code, first.errorCode);
        assert.equal(typeof e.type, "string");
        return true;
      });
    }),
  );
});

const failing = (code: number) => ({
  throttleTime: 0,
  clientSideThrottleTime: 0,
  topics: [{
    topic: "t",
    partitions: [{ partition: 0, errorCode: 0 }, { partition: 1, errorCode: code }],
  }],
});
const thrown = (code: number) => {
  try {
    parseTxnOffsetCommit(failing(code));
  } catch (e) {
    return e as { name: string; type: string; code: number; retriable: boolean };
  }
  throw new Error("no error");
};

Deno.test("error codes surface as KafkaJS errors whose type names them", () => {
  const expected: [number, string][] = [
    [14, "COORDINATOR_LOAD_IN_PROGRESS"],
    [15, "COORDINATOR_NOT_AVAILABLE"],
    [16, "NOT_COORDINATOR"],
    [22, "ILLEGAL_GENERATION"],
    [25, "UNKNOWN_MEMBER_ID"],
    [27, "REBALANCE_IN_PROGRESS"],
    [47, "INVALID_PRODUCER_EPOCH"],
    [48, "INVALID_TXN_STATE"],
    [51, "CONCURRENT_TRANSACTIONS"],
    [82, "FENCED_INSTANCE_ID"],
    [90, "PRODUCER_FENCED"],
    [120, "TRANSACTION_ABORTABLE"],
    [9999, "KAFKA_ERROR_CODE_9999"],
  ];
  for (const [code, type] of expected) {
    const e = thrown(code);
    assert.equal(e.name, "KafkaJSProtocolError");
    assert.deepEqual([e.code, e.type], [code, type]);
  }
  // KafkaJS's sendOffsets retries a loading coordinator and looks a moved one up again.
  assert.equal(thrown(14).retriable, true);
  assert.equal(thrown(22).retriable, false);
});

Deno.test("isGenerationFenced: ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, REBALANCE_IN_PROGRESS", () => {
  const fenced = [22, 25, 27, 82];
  for (let code = 1; code <= 130; code++) {
    const e = thrown(code);
    assert.equal(isGenerationFenced(e), fenced.includes(code), `code ${code}`);
    const wrapped = new KafkaJSNonRetriableError(e, { cause: e });
    assert.equal(isGenerationFenced(wrapped), fenced.includes(code), `wrapped ${code}`);
  }
  for (const v of [undefined, null, "ILLEGAL_GENERATION", 22, new Error("x"), { type: 22 }]) {
    assert.equal(isGenerationFenced(v), false);
  }
  const loop: { type: string; cause?: unknown } = { type: "X" };
  loop.cause = loop;
  assert.equal(isGenerationFenced(loop), false);
});

Deno.test("the request carries the member registered for its transactional id and group", async () => {
  const input: TxnOffsetCommitInput = {
    transactionalId: "a",
    groupId: "b,c",
    producerId: "7",
    producerEpoch: 1,
    topics: [{ topic: "t", partitions: [{ partition: 0, offset: "5" }] }],
  };
  const sent = async (i: TxnOffsetCommitInput) => {
    const body = await txnOffsetCommitV3(i).request.encode();
    return decodeMessage(TXN_OFFSET_COMMIT_REQUEST, 3, new Uint8Array(body.buffer), true);
  };
  const m = { generationId: 4, memberId: "m-1", groupInstanceId: "i" };
  setTxnMember("a", "b,c", m);
  setTxnMember("a,b", "c", { generationId: 9, memberId: "other", groupInstanceId: null });
  try {
    assert.deepEqual(txnMemberOf("a", "b,c"), m);
    const v = await sent(input);
    assert.deepEqual([v.GenerationId, v.MemberId, v.GroupInstanceId], [4, "m-1", "i"]);
    setTxnMember("a", "b,c", undefined);
    const none = await sent(input);
    assert.deepEqual([none.GenerationId, none.MemberId, none.GroupInstanceId], [-1, "", null]);
  } finally {
    setTxnMember("a", "b,c", undefined);
    setTxnMember("a,b", "c", undefined);
  }
});

Deno.test("KafkaJS picks v3 from a broker that serves it; an older one gets v0/v1 without a member", () => {
  assert.notEqual(requests.TxnOffsetCommit, kafkajsTxnOffsetCommit, "swapped in KafkaJS");
  const input: TxnOffsetCommitInput = {
    transactionalId: "x",
    groupId: "g",
    producerId: "1",
    producerEpoch: 0,
    topics: [],
  };
  const built = (max: number) =>
    lookup({ 28: { minVersion: 0, maxVersion: max } })(28, requests.TxnOffsetCommit)(input);
  assert.equal(built(6).request.apiVersion, 3);
  assert.equal(built(3).request.apiVersion, 3);
  assert.equal(built(2).request.apiVersion, 1);
  assert.equal(built(0).request.apiVersion, 0);
  setTxnMember("x", "g", { generationId: 1, memberId: "m", groupInstanceId: null });
  try {
    assert.equal(built(4).request.apiVersion, 3);
    assert.throws(() => built(2), TxnOffsetCommitUnsupported);
  } finally {
    setTxnMember("x", "g", undefined);
  }
});

Deno.test("the service's process loads KafkaJS with TxnOffsetCommit v3", async () => {
  assert.ok(
    await installedInRunProcess(
      "lib/kafka/kafkajs/txn_offset_commit.ts",
      "txnOffsetCommitV3Installed",
    ),
  );
});
