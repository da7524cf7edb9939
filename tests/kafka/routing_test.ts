/**
 * The relay's routing and progress without a broker: where each kind of foot and shelf record
 * goes, what moves a task's watermark, and when control records are written (lib/kafka/relay/).
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { Kafka } from "kafkajs";
import { parseServiceConfig } from "../../lib/cli/config.ts";
import { jsonLogger } from "../../lib/observe/log.ts";
import { partitionForKey } from "../../lib/kafka/partitioner.ts";
import { ServiceMetrics } from "../../lib/kafka/service_metrics.ts";
import type { RelayDeps } from "../../lib/kafka/stage.ts";
import { BrokerContact } from "../../lib/kafka/broker_contact.ts";
import { readRelayed, type RelayProgress } from "../../lib/kafka/relay_records.ts";
import type { RelayInput } from "../../lib/kafka/relay/input.ts";
import { ControlTracker, Router, TaskWork } from "../../lib/kafka/relay/routing.ts";
import { RelayTask } from "../../lib/kafka/relay/relay_task.ts";

const P = 4;
const SHELF = { source: "shelf", topic: "shelf_events", groupId: "gs" } as const;
const FOOT = { source: "foot", topic: "foot_traffic", groupId: "gf" } as const;
const shelf = (offset: number, value: object | string, timestamp = "1000", headers = {}) => ({
  offset: String(offset),
  value: Buffer.from(typeof value === "string" ? value : JSON.stringify(value)),
  timestamp,
  headers,
});
const us = (iso: string) => Date.parse(iso) * 1000;
const newWork = () => new TaskWork({ toleranceUs: 2e6, leapUs: 10_800e6 });
/** The highest front position (what the old single watermark was); -Infinity with none. */
const high = (work: TaskWork) => Math.max(-Infinity, ...work.fronts.positions());

Deno.test("a pickup goes, unchanged, to its customer's partition with its source headers", () => {
  const work = newWork();
  const rec = shelf(
    41,
    {
      event_type: "pickup",
      customer_id: "c-17",
      item_id: "A",
      timestamp: "2025-11-07T10:00:00Z",
    },
    "1762509600123",
    { trace: Buffer.from("t1") },
  );
  new Router("shelf", P).route(2, rec, work);
  assert.equal(work.records.length, 1);
  const r = work.records[0];
  assert.equal(r.partition, partitionForKey("c-17", P));
  assert.equal(r.key, "c-17");
  assert.equal(r.value, rec.value, "the original bytes");
  assert.equal(r.timestamp, "1762509600123", "the original timestamp");
  assert.deepEqual(r.headers.trace, Buffer.from("t1"), "the original headers");
  assert.deepEqual(readRelayed(r.headers, r.value as Buffer), {
    kind: "data",
    source: "shelf",
    partition: 2,
    offset: "41",
  });
  assert.equal(high(work), us("2025-11-07T10:00:00Z"));
});

Deno.test("customers spread over partitions by Kafka's default partitioner", () => {
  const work = newWork();
  const router = new Router("shelf", P);
  for (let i = 0; i < 200; i++) {
    router.route(0, shelf(i, { event_type: "putback", customer_id: `c${i}`, item_id: "A" }), work);
  }
  const used = new Set(work.records.map((r) => r.partition));
  assert.equal(used.size, P);
  for (const r of work.records) assert.equal(r.partition, partitionForKey(r.key!, P));
});

Deno.test("a skipped event type is counted, not relayed, and moves the partition's front", () => {
  const work = newWork();
  const router = new Router("shelf", P);
  router.route(
    1,
    shelf(0, { event_type: "weight_change", timestamp: "2025-11-07T10:00:05Z" }),
    work,
  );
  assert.equal(work.records.length, 0);
  assert.equal(high(work), us("2025-11-07T10:00:05Z"));
  // Without a timestamp of its own, the record's timestamp counts.
  router.route(
    1,
    shelf(1, { event_type: "weight_change" }, String(Date.parse("2025-11-08"))),
    work,
  );
  assert.equal(high(work), us("2025-11-08"));
  // A much earlier one is a producer gone back in time: a second front, reported as a leap.
  router.route(1, shelf(2, { event_type: "pickup", customer_id: "c", item_id: "A" }, "5"), work);
  assert.deepEqual(work.fronts.positions(), [us("2025-11-08"), 5000]);
  assert.deepEqual(work.report().map((f) => f[3]), [0, 1], "the second front leapt back");
  const { records, skipped } = work.take();
  assert.equal(records.length, 1);
  assert.deepEqual([...skipped], [["weight_change", 2]]);
  assert.deepEqual([...work.take().skipped], [], "taken once");
  assert.deepEqual(work.fronts.positions(), [us("2025-11-08"), 5000], "the fronts stay");
});

Deno.test("an invalid record goes unchanged, keyless, to partition s mod P", () => {
  const work = newWork();
  const router = new Router("shelf", P);
  router.route(6, shelf(3, "{not json"), work);
  router.route(5, shelf(4, { event_type: "pickup", item_id: "A" }), work); // no customer
  assert.deepEqual(work.records.map((r) => [r.partition, r.key]), [[2, null], [1, null]]);
  assert.equal(Buffer.from(work.records[0].value as Buffer).toString(), "{not json");
  assert.equal(high(work), -Infinity, "invalid records have no event time");
});

Deno.test("a foot session goes to murmur2(customer)'s partition, whatever partition it was in", () => {
  const work = newWork();
  const session = {
    event_type: "foot_traffic",
    customer_id: "c-17",
    entry_time: "2025-11-07T09:00:00Z",
    exit_time: "2025-11-07T09:30:00Z",
  };
  const rec = shelf(8, session, "1762509600123", { trace: Buffer.from("t") });
  new Router("foot", P).route(3, rec, work);
  const [r] = work.records;
  assert.equal(r.partition, partitionForKey("c-17", P));
  assert.equal(r.key, "c-17");
  assert.equal(r.value, rec.value, "the original bytes");
  assert.equal(r.timestamp, "1762509600123");
  assert.deepEqual(r.headers.trace, Buffer.from("t"));
  assert.equal(r.headers["pos-src"], "foot/3/8", "where it came from, in one header");
  assert.deepEqual(readRelayed(r.headers, r.value as Buffer), {
    kind: "data",
    source: "foot",
    partition: 3,
    offset: "8",
  });
  assert.equal(high(work), us("2025-11-07T09:00:00Z"), "the entry time, as the engine's");
});

Deno.test("foot: a skipped record moves the partition's front by its entry_time only; invalid goes to s mod P", () => {
  const work = newWork();
  const router = new Router("foot", P);
  router.route(1, shelf(0, { event_type: "heartbeat", entry_time: "2025-11-07T09:05:00Z" }), work);
  assert.equal(high(work), us("2025-11-07T09:05:00Z"));
  // No entry time: no foot event time (the Kafka timestamp is not one for the engine).
  router.route(1, shelf(1, { event_type: "heartbeat" }, String(Date.parse("2025-11-08"))), work);
  assert.equal(high(work), us("2025-11-07T09:05:00Z"));
  router.route(6, shelf(2, { event_type: "foot_traffic", entry_time: "x" }), work);
  router.route(5, shelf(3, "[]"), work);
  assert.deepEqual(work.records.map((r) => [r.partition, r.key]), [[2, null], [1, null]]);
  assert.deepEqual(work.records.map((r) => r.headers["pos-src"]), ["foot/6/2", "foot/5/3"]);
  assert.deepEqual([...work.take().skipped], [["heartbeat", 2]]);
  assert.equal(high(work), us("2025-11-07T09:05:00Z"), "invalid records have no time");
});

Deno.test("control records go to every partition, when the progress changed; a long-idle partition's look-up alone every 500 ms", () => {
  const t = new ControlTracker(5000);
  const p: RelayProgress = {
    source: "foot",
    partition: 1,
    caughtUp: true,
    caughtUpAtMs: 5,
    idle: false,
    endMovedAtMs: 0,
    fronts: [[0, 9, 1, 0]],
  };
  const recs = t.records(p, P);
  assert.deepEqual(recs.map((r) => r.partition), [0, 1, 2, 3]);
  for (const r of recs) {
    assert.deepEqual(readRelayed(r.headers, r.value), { kind: "control", progress: p });
  }
  assert.equal(t.records(p, P).length, P, "not sent yet: again");
  t.sent(p);
  assert.equal(t.records({ ...p }, P).length, 0, "unchanged");
  assert.equal(
    t.records({ ...p, caughtUpAtMs: 6, fronts: [[0, 10, 2, 0]] }, P).length,
    P,
    "new data",
  );
  assert.equal(t.records({ ...p, caughtUpAtMs: 6, idle: true }, P).length, P, "now idle");
  // Written within twice the idle time: a lull's checkouts wait for each look-up's proof.
  assert.equal(t.records({ ...p, caughtUpAtMs: 105 }, P).length, P, "active: the next look-up");
  const idle = { ...p, idle: true, caughtUpAtMs: 9_000 };
  t.sent(idle);
  assert.equal(t.records({ ...idle, caughtUpAtMs: 9_100 }, P).length, P, "idle 9 s after a write");
  const longIdle = { ...idle, caughtUpAtMs: 10_000 };
  t.sent(longIdle);
  assert.equal(t.records({ ...longIdle, caughtUpAtMs: 10_100 }, P).length, 0, "10 s: 100 ms later");
  assert.equal(t.records({ ...longIdle, caughtUpAtMs: 10_500 }, P).length, P, "500 ms later");
});

/** A task with a fake producer that records what each transaction did. */
function fakeTask(s: number, input: RelayInput = SHELF) {
  const calls: string[] = [];
  const sent: { partition?: number; headers?: unknown }[] = [];
  const tx = {
    sendBatch: (b: { topicMessages: { messages: typeof sent }[] }) => {
      for (const tm of b.topicMessages) sent.push(...tm.messages);
      calls.push("send");
      return Promise.resolve();
    },
    sendOffsets: (o: unknown) => (calls.push(`offsets ${JSON.stringify(o)}`), Promise.resolve()),
    commit: () => (calls.push("commit"), Promise.resolve()),
    abort: () => (calls.push("abort"), Promise.resolve()),
  };
  const producer = { transaction: () => Promise.resolve(tx), disconnect: () => Promise.resolve() };
  const ids: string[] = [];
  const kafka = {
    producer: (o: { transactionalId: string }) => (ids.push(o.transactionalId), producer),
  } as unknown as Kafka;
  const { config } = parseServiceConfig(["--idle-sec", "1"], () => undefined);
  const deps: RelayDeps = {
    kafka,
    config,
    log: jsonLogger("error"),
    metrics: new ServiceMetrics(),
    tasks: { assigned() {}, lag() {}, restored() {}, openCarts() {} },
    stop: new AbortController().signal,
    taskCount: P,
    contact: new BrokerContact(),
  };
  const task = new RelayTask(s, kafka, deps, input);
  task.progress.seed(s, 10n, 12n);
  task.state = "running";
  return { task, calls, sent, config, ids };
}

Deno.test("a task's transaction: records, control records to every partition, offset, commit", async () => {
  const { task, calls, sent, ids } = fakeTask(1);
  assert.deepEqual(ids, ["pos-producer-shelf-relay-1"]);
  const router = new Router("shelf", P);
  const batch = (first: number, values: object[]) => ({
    firstOffset: () => String(first),
    lastOffset: () => String(first + values.length - 1),
    highWatermark: "12",
    messages: values.map((v, i) => shelf(first + i, v)),
  });
  const pickup = {
    event_type: "pickup",
    customer_id: "c1",
    item_id: "A",
    timestamp: "2025-11-07T00:00:00Z",
  };
  // Records below the position were relayed already; a batch past it is not read.
  // deno-lint-ignore no-explicit-any
  assert.equal(task.read(batch(9, [pickup, pickup, pickup]) as any, router), 2);
  // deno-lint-ignore no-explicit-any
  assert.equal(task.read(batch(20, [pickup]) as any, router), -1);
  const t0 = task.progress.partitions.get(1)!.endMovedAtMs;
  task.progress.verify(1, 12n, t0 + 100, t0 + 101);
  const t = task.take()!;
  assert.equal(t.offset, "12");
  const { fronts, ...rest } = t.progress;
  assert.deepEqual(rest, {
    source: "shelf",
    partition: 1,
    caughtUp: true,
    caughtUpAtMs: t0 + 100,
    idle: false,
    endMovedAtMs: t0,
  });
  assert.deepEqual(fronts!.map((f) => [f[1], f[3]]), [[us("2025-11-07T00:00:00Z"), 0]]);
  // deno-lint-ignore no-explicit-any
  await task.commit(t, {} as any);
  assert.deepEqual(calls, [
    "send",
    `offsets ${
      JSON.stringify({
        consumerGroupId: SHELF.groupId,
        topics: [{ topic: SHELF.topic, partitions: [{ partition: 1, offset: "12" }] }],
      })
    }`,
    "commit",
  ]);
  const kinds = sent.map((m) => readRelayed(m.headers as never, (m as { value: Buffer }).value));
  assert.deepEqual(kinds.map((k) => k.kind), ["data", "data", ...Array(P).fill("control")]);
  assert.deepEqual(sent.slice(2).map((m) => m.partition), [0, 1, 2, 3]);
  // Nothing new and the same progress: no transaction.
  assert.equal(task.take(), undefined);
  // A later look-up changes the progress: control records alone, no offset.
  task.progress.verify(1, 12n, t0 + 2000, t0 + 2001);
  const again = task.take()!;
  assert.equal(again.offset, undefined);
  assert.equal(again.records.length, P);
  assert.equal(again.progress.idle, true, "nothing produced for the idle time (1 s)");
});

Deno.test("a foot task: its own transactional id, offsets in the foot group, controls name foot", async () => {
  const { task, calls, sent, ids } = fakeTask(2, FOOT);
  assert.deepEqual(ids, ["pos-producer-foot-relay-2"]);
  const session = {
    event_type: "foot_traffic",
    customer_id: "c9",
    entry_time: "2025-11-07T09:00:00Z",
    exit_time: "2025-11-07T09:10:00Z",
  };
  const batch = {
    firstOffset: () => "10",
    lastOffset: () => "11",
    highWatermark: "12",
    messages: [shelf(10, session), shelf(11, { ...session, customer_id: "c10" })],
  };
  // deno-lint-ignore no-explicit-any
  assert.equal(task.read(batch as any, new Router("foot", P)), 2);
  const t = task.take()!;
  assert.equal(t.progress.source, "foot");
  assert.equal(t.progress.fronts![0][1], us("2025-11-07T09:00:00Z"));
  // deno-lint-ignore no-explicit-any
  await task.commit(t, {} as any);
  const offsets = { partition: 2, offset: "12" };
  const group = {
    consumerGroupId: "gf",
    topics: [{ topic: "foot_traffic", partitions: [offsets] }],
  };
  assert.deepEqual(calls, ["send", `offsets ${JSON.stringify(group)}`, "commit"]);
  const kinds = sent.map((m) => readRelayed(m.headers as never, (m as { value: Buffer }).value));
  assert.deepEqual(kinds.slice(0, 2).map((k) => k.kind === "data" && k.source), ["foot", "foot"]);
  assert.deepEqual(sent.slice(0, 2).map((m) => m.partition), [
    partitionForKey("c9", P),
    partitionForKey("c10", P),
  ]);
  const controls = kinds.slice(2);
  assert.equal(controls.length, P);
  for (const c of controls) assert.ok(c.kind === "control" && c.progress.source === "foot");
});
