/**
 * KIP-447 with KafkaJS on a real broker (lib/kafka/kafkajs/): a transactional producer commits
 * a consumer group's offsets with the generation of one of its members (TxnOffsetCommit v3,
 * the generation recorded from KafkaJS's JoinGroup); once a rebalance has ended that
 * generation, the broker refuses them and the transaction is aborted; and while a transaction
 * holds offsets open, the `require_stable` look-up waits until it commits, while KafkaJS's own
 * offset fetches (admin, consumer) go on as before. What the broker answers is printed.
 */
import "../../lib/kafka/kafkajs.ts";
import { generationOf } from "../../lib/kafka/kafkajs/group_membership.ts";
import { isGenerationFenced, setTxnMember } from "../../lib/kafka/kafkajs/txn_offset_commit.ts";
import { fetchStableOffsets } from "../../lib/kafka/kafkajs/stable_offsets.ts";
import { retryingConcurrent } from "../../lib/kafka/fencing.ts";
import assert from "node:assert/strict";
import type { Admin, Consumer, Kafka, Producer, Transaction } from "kafkajs";
import { createTopics, testKafka } from "../support/kafka_client.ts";
import { testBroker, uniqueName } from "../support/kafka.ts";
import { eventually } from "../support/service_process.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** A running consumer of `groupId` and the member ids of its joins. */
interface Member {
  consumer: Consumer;
  joins: string[];
}

async function join(kafka: Kafka, groupId: string, topic: string): Promise<Member> {
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 10_000,
    rebalanceTimeout: 10_000,
    heartbeatInterval: 300,
    maxWaitTimeInMs: 100,
  });
  const joins: string[] = [];
  consumer.on(consumer.events.GROUP_JOIN, (e) => joins.push(e.payload.memberId));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ autoCommit: false, eachBatch: async () => {} });
  await eventually(`a member of ${groupId} joined`, () => joins.length > 0, 30_000, 50);
  return { consumer, joins };
}

/**
 * Sends `offset` for partition 0 of `topic` as `groupId`'s, retried while the broker answers
 * CONCURRENT_TRANSACTIONS (the previous transaction's markers are still being written; Kafka 4
 * answers it to TxnOffsetCommit too), as the service's transaction steps are.
 */
function sendOffset(tx: Transaction, groupId: string, topic: string, offset: number) {
  return retryingConcurrent(() =>
    tx.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic, partitions: [{ partition: 0, offset: String(offset) }] }],
    })
  );
}

/** Sends `offset` for partition 0 in a transaction: "committed", or the error (then aborted). */
async function commitOffset(
  producer: Producer,
  groupId: string,
  topic: string,
  offset: number,
): Promise<"committed" | Error & { type?: string }> {
  const tx = await producer.transaction();
  try {
    await sendOffset(tx, groupId, topic, offset);
  } catch (e) {
    await tx.abort();
    return e as Error;
  }
  await tx.commit();
  return "committed";
}

async function committed(admin: Admin, groupId: string, topic: string): Promise<string> {
  const [{ partitions }] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return partitions.find((p) => p.partition === 0)!.offset;
}

const said = (r: "committed" | Error & { type?: string }) =>
  r === "committed" ? r : `${r.type ?? r.name}: ${r.message}`;

/** What the steps share: one topic, group and transactional producer on the test broker. */
interface Setting {
  kafka: Kafka;
  /** Another client, for the second member. */
  other: Kafka;
  admin: Admin;
  producer: Producer;
  topic: string;
  groupId: string;
  txId: string;
  members: Member[];
}

/** Commits `offset` with `member` registered for the producer: what the broker said. */
async function commitAs(
  s: Setting,
  member: { generationId: number; memberId: string } | undefined,
  offset: number,
) {
  setTxnMember(s.txId, s.groupId, member && { ...member, groupInstanceId: null });
  return await commitOffset(s.producer, s.groupId, s.topic, offset);
}

async function generationCommits(s: Setting, memberId: string, generationId: number) {
  const r = await commitAs(s, { generationId, memberId }, 5);
  console.log(`kip447: generation ${generationId} of ${memberId} → ${said(r)}`);
  assert.equal(r, "committed");
  assert.equal(await committed(s.admin, s.groupId, s.topic), "5");
  const stable = await fetchStableOffsets(s.kafka, s.groupId, [s.topic], { deadlineMs: 10_000 });
  assert.deepEqual([...stable.get(s.topic)!], [[0, 5n]]);
}

/**
 * A second member joins; resolves with the generation both are in then. It has a `Kafka` of its
 * own, as another instance would: KafkaJS shares a group's committed offsets between the
 * consumers of one `Kafka`, and a member's new assignment clears the other's (which then
 * crashes: "Cannot read properties of undefined (reading '0')" in resolveOffsets).
 */
async function rebalance(s: Setting, memberId: string, first: number): Promise<number> {
  const b = await join(s.other, s.groupId, s.topic);
  s.members.push(b);
  const both = () => {
    const g = generationOf(memberId);
    return g !== undefined && g > first && generationOf(b.joins.at(-1)!) === g;
  };
  await eventually("the rebalance gave both members the next generation", both, 30_000, 50);
  return generationOf(memberId)!;
}

async function staleRefused(s: Setting, memberId: string, first: number, second: number) {
  const stale = await commitAs(s, { generationId: first, memberId }, 6);
  console.log(`kip447: generation ${first} after the rebalance to ${second} → ${said(stale)}`);
  assert.equal((stale as { type?: string }).type, "ILLEGAL_GENERATION");
  assert.ok(isGenerationFenced(stale));

  const stranger = `zombie-${crypto.randomUUID()}`;
  const unknown = await commitAs(s, { generationId: second, memberId: stranger }, 6);
  console.log(`kip447: generation ${second}, a member not in the group → ${said(unknown)}`);
  assert.equal((unknown as { type?: string }).type, "UNKNOWN_MEMBER_ID");
  assert.ok(isGenerationFenced(unknown));
  assert.equal(await committed(s.admin, s.groupId, s.topic), "5", "nothing of the refused");

  const none = await commitAs(s, undefined, 7);
  console.log(`kip447: no member (generation -1, member "") with members → ${said(none)}`);
  assert.equal(none, "committed");

  const current = await commitAs(s, { generationId: second, memberId }, 8);
  console.log(`kip447: generation ${second} of ${memberId} → ${said(current)}`);
  assert.equal(current, "committed");
  assert.equal(await committed(s.admin, s.groupId, s.topic), "8");
}

async function stableWaits(s: Setting) {
  const { kafka, groupId, topic } = s;
  const tx = await s.producer.transaction();
  await sendOffset(tx, groupId, topic, 9);
  const early = await fetchStableOffsets(kafka, groupId, [topic], { deadlineMs: 1500 })
    .then(() => undefined, (e) => e as Error & { cause?: { type?: string } });
  console.log(`kip447: require_stable while the transaction is open → ${early?.cause?.type}`);
  assert.equal(early?.cause?.type, "UNSTABLE_OFFSET_COMMIT");
  const before = await committed(s.admin, groupId, topic);
  console.log(`kip447: KafkaJS's admin.fetchOffsets (v4) meanwhile → ${before}`);
  assert.equal(before, "8");

  let settled = false;
  const waiting = fetchStableOffsets(kafka, groupId, [topic], { deadlineMs: 20_000 })
    .finally(() => settled = true);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(settled, false, "the look-up waits while the transaction is open");
  const t0 = performance.now();
  await tx.commit();
  const stable = await waiting;
  const ms = Math.round(performance.now() - t0);
  console.log(`kip447: require_stable after the commit → ${stable.get(topic)?.get(0)} (${ms} ms)`);
  assert.deepEqual([...stable.get(topic)!], [[0, 9n]]);
  assert.equal(await committed(s.admin, groupId, topic), "9");
}

async function consumerStartsThere(s: Setting) {
  for (const m of s.members.splice(0)) await m.consumer.disconnect();
  const reader = s.kafka.consumer({ groupId: s.groupId, maxWaitTimeInMs: 100 });
  const offsets: string[] = [];
  await reader.connect();
  try {
    await reader.subscribe({ topic: s.topic, fromBeginning: true });
    await reader.run({
      autoCommit: false,
      eachMessage: (m) => Promise.resolve(void offsets.push(m.message.offset)),
    });
    await eventually("the reader read", () => offsets.length > 0, 30_000, 50);
    assert.equal(offsets[0], "9");
  } finally {
    await reader.disconnect();
  }
}

async function setUp(): Promise<Setting> {
  const { bootstrap } = await testBroker();
  const kafka = testKafka(bootstrap, "kip447");
  const topic = uniqueName("kip447");
  const txId = uniqueName("kip447-tx");
  await createTopics(kafka, [topic], 1);
  const admin = kafka.admin();
  const producer = kafka.producer({ transactionalId: txId, maxInFlightRequests: 1 });
  await admin.connect();
  await producer.connect();
  await producer.send({
    topic,
    messages: Array.from({ length: 12 }, (_, i) => ({ value: `m${i}`, partition: 0 })),
  });
  const other = testKafka(bootstrap, "kip447-other");
  const groupId = uniqueName("kip447-group");
  return { kafka, other, admin, producer, topic, groupId, txId, members: [] };
}

Deno.test(
  "KIP-447: offsets carry the member's generation; a stale one is refused; stable offsets wait for an open transaction",
  opts,
  async (t) => {
    const s = await setUp();
    try {
      const a = await join(s.kafka, s.groupId, s.topic);
      s.members.push(a);
      const memberId = a.joins[0];
      const first = generationOf(memberId)!;
      assert.equal(typeof first, "number", "the join's generation is recorded");
      await t.step("the member's generation commits", () => generationCommits(s, memberId, first));
      const second = await rebalance(s, memberId, first);
      await t.step(
        "after a rebalance the old generation is refused, and aborted",
        () => staleRefused(s, memberId, first, second),
      );
      await t.step("stable offsets wait for an open transaction's offsets", () => stableWaits(s));
      await t.step(
        "KafkaJS's consumer starts from the committed offset",
        () => consumerStartsThere(s),
      );
    } finally {
      setTxnMember(s.txId, s.groupId, undefined);
      for (const m of s.members) await m.consumer.disconnect().catch(() => {});
      await s.producer.disconnect();
      await s.admin.disconnect();
    }
  },
);
