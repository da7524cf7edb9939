/**
 * The Kafka committers against a fake KafkaJS producer (no broker): what one commit writes, in
 * which order, and what a failure does. Named by the rule each test checks; the real broker's
 * side is tested in service_test.ts.
 */
import assert from "node:assert/strict";
import type { Consumer, Producer } from "kafkajs";
import type { Commit } from "../../lib/drive/committer.ts";
import { ExactlyOnceCommitter } from "../../lib/kafka/exactly_once_committer.ts";
import { AtLeastOnceCommitter, carriesCustomers } from "../../lib/kafka/at_least_once_committer.ts";
import { FencedError } from "../../lib/kafka/fencing.ts";
import type { InputOffsets } from "../../lib/kafka/input_offsets.ts";

const outputs = { pos: "pos", dlq: "dlq", state: "state" };
const inputs = {
  topics: { foot: "foot", shelf: "shelf" },
  groups: { foot: "g-foot", shelf: "g-shelf" },
};

function aCommit(): Commit<InputOffsets> {
  return {
    transactions: [{ key: "c-1", value: "{}", timestamp: "", customerId: "c-1", dueMicros: 0 }],
    dlq: [{ value: null, reason: "invalid_json", topic: "shelf", partition: 0, offset: "4" }],
    state: new Map([["c-1", '{"st":"closed"}']]),
    offsets: { foot: [{ partition: 0, offset: "2" }], shelf: [{ partition: 0, offset: "5" }] },
  };
}

/** A producer whose transactions log what they are asked to do. */
function fakeProducer(failOn?: string, error = new Error(`${failOn} failed`)) {
  const log: string[] = [];
  const step = (name: string) => {
    log.push(name);
    if (name === failOn) throw error;
    return Promise.resolve();
  };
  const producer = {
    transaction: () =>
      Promise.resolve({
        sendBatch: ({ topicMessages }: { topicMessages: { topic: string }[] }) =>
          step(`send ${topicMessages.map((t) => t.topic).join(",")}`),
        sendOffsets: ({ consumerGroupId }: { consumerGroupId: string }) =>
          step(`offsets ${consumerGroupId}`),
        commit: () => step("commit"),
        abort: () => step("abort"),
      }),
    sendBatch: ({ topicMessages }: { topicMessages: { topic: string }[] }) =>
      step(`write ${topicMessages.map((t) => t.topic).join(",")}`),
  };
  return { log, producer: producer as unknown as Producer };
}

Deno.test("exactly-once: output, DLQ, changelog and both groups' offsets in one transaction, then commit", async () => {
  const { log, producer } = fakeProducer();
  await new ExactlyOnceCommitter(producer, outputs, inputs, "tx").commit(aCommit());
  assert.deepEqual(log, ["send pos,dlq,state", "offsets g-foot", "offsets g-shelf", "commit"]);
});

Deno.test("exactly-once: a failure aborts the transaction and is rethrown", async () => {
  const { log, producer } = fakeProducer("offsets g-shelf");
  await assert.rejects(
    new ExactlyOnceCommitter(producer, outputs, inputs, "tx").commit(aCommit()),
    /offsets g-shelf failed/,
  );
  assert.deepEqual(log.slice(-2), ["offsets g-shelf", "abort"]);
  assert.ok(!log.includes("commit"));
});

Deno.test("exactly-once: fenced by another instance is a FencedError (fatal)", async () => {
  const fenced = Object.assign(new Error("fenced"), { type: "PRODUCER_FENCED" });
  const { producer } = fakeProducer("commit", fenced);
  await assert.rejects(
    new ExactlyOnceCommitter(producer, outputs, inputs, "tx").commit(aCommit()),
    FencedError,
  );
});

Deno.test("exactly-once: the fencing probe commits the committed offsets and nothing else", async () => {
  const { log, producer } = fakeProducer();
  const committed = { foot: [], shelf: [{ partition: 0, offset: "5" }] };
  await new ExactlyOnceCommitter(producer, outputs, inputs, "tx").probe(committed);
  assert.deepEqual(log, ["offsets g-shelf", "commit"]);
});

Deno.test("at-least-once: outputs and changelog are written before the offsets are committed", async () => {
  const { log, producer } = fakeProducer();
  const consumer = (g: string) =>
    ({
      commitOffsets: (o: { topic: string; offset: string }[]) => {
        log.push(`${g} ${o.map((x) => `${x.topic}@${x.offset}`).join(",")}`);
        return Promise.resolve();
      },
    }) as unknown as Consumer;
  const consumers = { foot: consumer("g-foot"), shelf: consumer("g-shelf") };
  await new AtLeastOnceCommitter(producer, consumers, outputs, inputs).commit(aCommit());
  assert.deepEqual(log, ["write pos,dlq,state", "g-foot foot@2", "g-shelf shelf@5"]);
});

Deno.test("at-least-once: the exit fault counts only writes with transactions or customer state", async () => {
  const { log, producer } = fakeProducer();
  const consumer = {
    commitOffsets: () => {
      log.push("offsets");
      return Promise.resolve();
    },
  } as unknown as Consumer;
  const exits: string[] = [];
  const exit = Deno.exit;
  // The fault exits the process; here it throws instead, after onExit.
  Deno.exit = (() => {
    throw new Error("exit");
  }) as typeof Deno.exit;
  try {
    const committer = new AtLeastOnceCommitter(
      producer,
      { foot: consumer, shelf: consumer },
      outputs,
      inputs,
      { exitAfterWrites: 1, onExit: () => exits.push(`after ${log.length} steps`) },
    );
    const progressOnly = { ...aCommit(), transactions: [], state: new Map([["", "123"]]) };
    await committer.commit(progressOnly);
    await committer.commit({ ...progressOnly, state: new Map() });
    assert.deepEqual(exits, [], "stream time and DLQ alone: not counted");
    const customerOnly = { ...progressOnly, state: new Map([["", "1"], ["c-1", "{}"]]) };
    await assert.rejects(committer.commit(customerOnly), /exit/);
    assert.equal(exits.length, 1, "a write with a customer's state is the first counted");
    assert.equal(log.at(-1), "write dlq,state", "exits after the write, before its offsets");
  } finally {
    Deno.exit = exit;
  }
  assert.ok(carriesCustomers(aCommit()), "transactions count");
});
