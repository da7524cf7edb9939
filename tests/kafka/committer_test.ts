/**
 * Where an instance's commit is written (lib/kafka/tasks/instance_committer.ts), against a fake
 * KafkaJS producer, consumer and cluster that log each step (no broker): what one commit writes,
 * in which order, and what a failure does. The real broker's side is tested in service_test.ts.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { Consumer, Kafka, Producer } from "kafkajs";
import { PROGRESS_KEY } from "../../lib/core/mod.ts";
import type { TaskTake } from "../../lib/kafka/tasks/checkout_task.ts";
import type { PartitionTake } from "../../lib/kafka/tasks/input_partition.ts";
import {
  type CommitTopics,
  type InstanceCommit,
  instanceCommit,
} from "../../lib/kafka/tasks/instance_commit.ts";
import {
  atLeastOnceCommitter,
  carriesCustomers,
  transactionalCommitter,
} from "../../lib/kafka/tasks/instance_committer.ts";
import { isGenerationFenced } from "../../lib/kafka/tasks/kip447.ts";

const TOPICS: CommitTopics = {
  pos: "pos",
  dlq: "dlq",
  state: "state",
  repartition: "rep",
  inputs: {
    foot: { topic: "foot", groupId: "g-foot" },
    shelf: { topic: "shelf", groupId: "g-shelf" },
  },
  taskGroupId: "app-checkout",
};

interface Shape {
  /** Forwarded records (to task 1, elsewhere), by count. */
  forwarded?: number;
  transactions?: string[];
  dlq?: boolean;
  state?: [string, string | null][];
  footOffset?: string;
  shelfOffset?: string;
  /** Task 0's repartition offset, when it moved. */
  taskOffset?: string;
}

/** A commit of foot/0, shelf/0 and task 0 (task 1 runs elsewhere). */
function aCommit(o: Shape = {}): InstanceCommit {
  const take = (source: "foot" | "shelf", offset?: string, n = 0): PartitionTake => {
    const t: PartitionTake = {
      records: Array.from({ length: n }, (_, i) => ({
        partition: 1,
        key: `c-${i}`,
        value: Buffer.from("{}"),
        headers: { "pos-src": `${source}/0/${i}` },
      })),
      skipped: new Map(),
      progress: { source, partition: 0, caughtUp: false, idle: false },
      told: false,
    };
    if (offset !== undefined) t.offset = offset;
    return t;
  };
  const task: TaskTake = {
    task: 0,
    transactions: (o.transactions ?? []).map((c) => ({
      key: c,
      value: "{}",
      timestamp: "",
      customerId: c,
      dueMicros: 0,
    })),
    dlq: o.dlq
      ? [{ value: null, reason: "invalid_json", topic: "shelf", partition: 0, offset: "4" }]
      : [],
    state: new Map(o.state ?? []),
  };
  if (o.taskOffset !== undefined) task.offset = o.taskOffset;
  return instanceCommit(
    TOPICS,
    [
      { source: "foot", s: 0, take: take("foot", o.footOffset) },
      { source: "shelf", s: 0, take: take("shelf", o.shelfOffset, o.forwarded) },
    ],
    [task],
    [{ partition: 0, offset: "3" }],
  );
}

const full: Shape = {
  forwarded: 2,
  transactions: ["c-1"],
  dlq: true,
  state: [["c-1", '{"st":"closed"}']],
  footOffset: "2",
  shelfOffset: "5",
  taskOffset: "9",
};

type Step = (name: string) => Promise<void>;

/** A step log; `failOn`: the step that throws `error` (the first `times` times it is taken). */
function steps(failOn?: string, error: unknown = new Error(`${failOn} failed`), times = Infinity) {
  const log: string[] = [];
  let failures = 0;
  const step: Step = (name) => {
    log.push(name);
    if (name === failOn && failures++ < times) return Promise.reject(error);
    return Promise.resolve();
  };
  return { log, step };
}

type Batch = { topicMessages: { topic: string; messages: unknown[] }[]; acks: number };
type Offsets = {
  consumerGroupId: string;
  topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
};
const sent = (b: Batch) =>
  `send ${b.topicMessages.map((t) => `${t.topic}×${t.messages.length}`).join(",")} acks ${b.acks}`;
const offsets = (o: Offsets) =>
  `offsets ${o.consumerGroupId} ${
    o.topics.map((t) => `${t.topic}:${t.partitions.map((p) => `${p.partition}@${p.offset}`)}`)
  }`;

/** A producer whose transactions (and plain sends) log what they are asked to do. */
function fakeProducer(step: Step): Producer {
  return {
    transaction: () =>
      step("begin").then(() => ({
        sendBatch: (b: Batch) => step(sent(b)),
        sendOffsets: (o: Offsets) => step(offsets(o)),
        commit: () => step("commit"),
        abort: () => step("abort"),
      })),
    sendBatch: (b: Batch) => step(`write ${sent(b).slice(5)}`),
  } as unknown as Producer;
}

Deno.test("exactly-once: one transaction — every message, then each group's offsets, the tasks' group last, then commit", async () => {
  const { log, step } = steps();
  await transactionalCommitter(fakeProducer(step)).commit(aCommit(full));
  assert.deepEqual(log, [
    "begin",
    "send rep×2,pos×1,dlq×1,state×1 acks -1",
    "offsets g-foot foot:0@2",
    "offsets g-shelf shelf:0@5",
    "offsets app-checkout rep:0@9",
    "commit",
  ]);
});

Deno.test("exactly-once: with no task offset moved, the tasks' positions still go in (a zombie's commit fails there)", async () => {
  const { log, step } = steps();
  await transactionalCommitter(fakeProducer(step)).commit(aCommit({ transactions: ["c-1"] }));
  assert.deepEqual(log, [
    "begin",
    "send pos×1 acks -1",
    "offsets app-checkout rep:0@3",
    "commit",
  ]);
});

Deno.test("exactly-once: a commit bigger than one producer call goes in several sends of the one transaction", async () => {
  const { log, step } = steps();
  const c = aCommit({ transactions: ["c-1"], taskOffset: "4" });
  c.batches[1].messages = Array.from({ length: 3 }, () => ({
    key: "c",
    value: "x".repeat(300 * 1024),
  }));
  await transactionalCommitter(fakeProducer(step)).commit(c);
  assert.deepEqual(log, [
    "begin",
    "send pos×1 acks -1",
    "send pos×1 acks -1",
    "send pos×1 acks -1",
    "offsets app-checkout rep:0@4",
    "commit",
  ]);
});

Deno.test("exactly-once: a failure aborts the transaction and is rethrown as it is", async () => {
  const fenced = Object.assign(new Error("generation"), { type: "ILLEGAL_GENERATION" });
  const { log, step } = steps("offsets app-checkout rep:0@9", fenced);
  await assert.rejects(
    transactionalCommitter(fakeProducer(step)).commit(aCommit(full)),
    (e) => e === fenced && isGenerationFenced(e),
  );
  assert.deepEqual(log.slice(-2), ["offsets app-checkout rep:0@9", "abort"]);
  assert.ok(!log.includes("commit"));
  // A failed send too, and an abort that fails does not hide why.
  const sendFails = steps("send pos×1 acks -1");
  const abortFails = (name: string) =>
    name === "abort" ? Promise.reject(new Error("abort failed")) : sendFails.step(name);
  await assert.rejects(
    transactionalCommitter(fakeProducer(abortFails)).commit(aCommit({ transactions: ["c"] })),
    /send pos×1 acks -1 failed/,
  );
  assert.deepEqual(sendFails.log, ["begin", "send pos×1 acks -1"]);
});

Deno.test("exactly-once: offsets the coordinator is still busy with (CONCURRENT_TRANSACTIONS) are retried in the transaction", async () => {
  const busy = Object.assign(new Error("busy"), { type: "CONCURRENT_TRANSACTIONS" });
  const { log, step } = steps("offsets g-foot foot:0@2", busy, 2);
  await transactionalCommitter(fakeProducer(step)).commit(aCommit(full));
  assert.equal(log.filter((l) => l === "offsets g-foot foot:0@2").length, 3);
  assert.equal(log.at(-1), "commit");
  assert.ok(!log.includes("abort"));
});

/** A Kafka client whose cluster's group coordinators log the offset commits they get. */
function fakeKafka(step: Step): Kafka {
  const cluster = {
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    findGroupCoordinator: ({ groupId }: { groupId: string }) =>
      Promise.resolve({
        offsetCommit: (r: {
          groupId: string;
          groupGenerationId: number;
          memberId: string;
          topics: Offsets["topics"];
        }) => {
          assert.equal(r.groupId, groupId);
          return step(
            `${
              offsets({ consumerGroupId: r.groupId, topics: r.topics })
            } generation ${r.groupGenerationId}${r.memberId === "" ? "" : ` member ${r.memberId}`}`,
          );
        },
      }),
  };
  return { [Symbol("private:Kafka:createCluster")]: () => cluster } as unknown as Kafka;
}

function fakeConsumer(step: Step): Pick<Consumer, "commitOffsets"> {
  return {
    commitOffsets: (os) =>
      step(`member commits ${os.map((o) => `${o.topic}:${o.partition}@${o.offset}`).join(",")}`),
  };
}

Deno.test("at-least-once: the messages first, then the input groups' offsets group-less and the tasks' group through its member", async () => {
  const { log, step } = steps();
  const committer = atLeastOnceCommitter(
    fakeKafka(step),
    fakeProducer(step),
    fakeConsumer(step),
    "app-checkout",
  );
  await committer.commit(aCommit(full));
  assert.deepEqual(log, [
    "write rep×2,pos×1,dlq×1,state×1 acks -1",
    "offsets g-foot foot:0@2 generation -1",
    "offsets g-shelf shelf:0@5 generation -1",
    "member commits rep:0@9",
  ]);
  // Unchanged offsets are only for the generation check of a transaction: not committed.
  log.length = 0;
  await committer.commit(aCommit({ transactions: ["c-2"] }));
  assert.deepEqual(log, ["write pos×1 acks -1"]);
});

Deno.test("at-least-once: the exit fault counts only writes with transactions or customer state, and exits before their offsets", async () => {
  const { log, step } = steps();
  const exits: string[] = [];
  const exit = Deno.exit;
  // The fault exits the process; here it throws instead, after onExit.
  Deno.exit = (() => {
    throw new Error("exit");
  }) as typeof Deno.exit;
  try {
    const committer = atLeastOnceCommitter(
      fakeKafka(step),
      fakeProducer(step),
      fakeConsumer(step),
      "app-checkout",
      { exitAfterWrites: 2, onExit: () => exits.push(`after ${log.length} steps`) },
    );
    const progressOnly = aCommit({ state: [[PROGRESS_KEY, "123"]], dlq: true, shelfOffset: "5" });
    await committer.commit(progressOnly);
    await committer.commit(aCommit({ forwarded: 3, footOffset: "2", taskOffset: "4" }));
    assert.deepEqual(exits, [], "stream time, DLQ records and forwarded records: not counted");
    await committer.commit(aCommit({ state: [["c-1", "{}"]], taskOffset: "5" }));
    assert.deepEqual(exits, [], "the first write that counts");
    log.length = 0;
    await assert.rejects(committer.commit(aCommit({ transactions: ["c-1"], taskOffset: "6" })), {
      message: "exit",
    });
    assert.deepEqual(exits, ["after 1 steps"]);
    assert.deepEqual(log, ["write pos×1 acks -1"], "written; its offsets never");
  } finally {
    Deno.exit = exit;
  }
});

Deno.test("a commit carries customers when it has transactions or a customer's state, not only the progress record", () => {
  assert.ok(carriesCustomers(aCommit({ transactions: ["c-1"] })));
  assert.ok(carriesCustomers(aCommit({ state: [[PROGRESS_KEY, "1"], ["c-1", null]] })));
  assert.ok(!carriesCustomers(aCommit({ state: [[PROGRESS_KEY, "1"]] })));
  assert.ok(!carriesCustomers(aCommit({ forwarded: 5, dlq: true, footOffset: "1" })));
});
