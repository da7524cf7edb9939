/**
 * What one commit of an instance writes (lib/kafka/tasks/instance_commit.ts): the records
 * forwarded to tasks elsewhere, every task's output to its own changelog partition, and the
 * offsets of every group, the tasks' group last. Pure: no broker.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import fc from "fast-check";
import type { DlqRecord, TransactionOut } from "../../lib/core/mod.ts";
import type { RelayProgress, RelaySource } from "../../lib/kafka/relay_records.ts";
import type { TaskTake } from "../../lib/kafka/tasks/checkout_task.ts";
import type { PartitionTake } from "../../lib/kafka/tasks/input_partition.ts";
import {
  type CommitTopics,
  type InstanceCommit,
  instanceCommit,
  isEmptyCommit,
} from "../../lib/kafka/tasks/instance_commit.ts";
import type { RoutedRecord } from "../../lib/kafka/tasks/routing.ts";

const TOPICS: CommitTopics = {
  pos: "pos",
  dlq: "dlq",
  state: "state",
  repartition: "rep",
  inputs: {
    foot: { topic: "foot-topic", groupId: "g-foot" },
    shelf: { topic: "shelf-topic", groupId: "g-shelf" },
  },
  taskGroupId: "app-checkout",
};

const progressOf = (source: RelaySource, partition: number): RelayProgress => ({
  source,
  partition,
  caughtUp: false,
  idle: false,
});

function partition(
  source: RelaySource,
  s: number,
  records: RoutedRecord[] = [],
  offset?: string,
): InstanceCommit["partitions"][number] {
  const take: PartitionTake = {
    records,
    skipped: new Map(),
    progress: progressOf(source, s),
    told: false,
  };
  if (offset !== undefined) take.offset = offset;
  return { source, s, take };
}

function task(
  p: number,
  o: { tx?: string[]; dlq?: string[]; state?: [string, string | null][]; offset?: string } = {},
): TaskTake {
  const t: TaskTake = {
    task: p,
    transactions: (o.tx ?? []).map((c): TransactionOut => ({
      key: c,
      value: `{"customer_id":"${c}"}`,
      timestamp: "2025-11-07T10:00:00Z",
      customerId: c,
      dueMicros: 0,
    })),
    dlq: (o.dlq ?? []).map((offset): DlqRecord => ({
      value: null,
      reason: "invalid_json",
      topic: "shelf-topic",
      partition: p,
      offset,
    })),
    state: new Map(o.state ?? []),
  };
  if (o.offset !== undefined) t.offset = o.offset;
  return t;
}

const forwarded = (partition: number, key: string | null, origin: string): RoutedRecord => ({
  partition,
  key,
  value: Buffer.from(`{"customer_id":"${key}"}`),
  timestamp: "1762509600123",
  headers: { trace: Buffer.from("t"), "pos-src": origin },
});
const controlTo = (partition: number): RoutedRecord => ({
  partition,
  key: null,
  value: "{}",
  headers: { "pos-control": "progress" },
});

Deno.test("forwarded records come first, to their repartition partitions, with their timestamps and headers; control records with the producer's clock", () => {
  const a = forwarded(2, "c-1", "shelf/0/41");
  const c = commitOf([
    partition("shelf", 0, [a, controlTo(2), controlTo(3)]),
    partition("foot", 1, [forwarded(3, "c-2", "foot/1/7")]),
  ], [task(0, { tx: ["c-9"] })]);
  assert.equal(c.batches[0].topic, "rep");
  assert.deepEqual(c.batches[0].messages, [
    { key: "c-1", value: a.value, headers: a.headers, partition: 2, timestamp: "1762509600123" },
    { key: null, value: "{}", headers: { "pos-control": "progress" }, partition: 2 },
    { key: null, value: "{}", headers: { "pos-control": "progress" }, partition: 3 },
    {
      key: "c-2",
      value: Buffer.from('{"customer_id":"c-2"}'),
      headers: { trace: Buffer.from("t"), "pos-src": "foot/1/7" },
      partition: 3,
      timestamp: "1762509600123",
    },
  ]);
  assert.ok(!("timestamp" in c.batches[0].messages[1]), "no timestamp: the producer's clock");
  assert.deepEqual(c.batches.slice(1).map((b) => b.topic), ["pos"], "then the tasks' output");
});

/** The commit of `partitions` and `tasks`, the tasks at positions `at` (default 0). */
function commitOf(
  partitions: InstanceCommit["partitions"],
  tasks: TaskTake[],
  at: Record<number, string> = {},
): InstanceCommit {
  const positions = tasks.map((t) => ({ partition: t.task, offset: at[t.task] ?? "0" }));
  return instanceCommit(TOPICS, partitions, tasks, positions);
}

Deno.test("each task's transactions, DLQ records and changelog follow, its changelog to its own partition", () => {
  const c = commitOf([], [
    task(1, { tx: ["c-1", "c-2"], dlq: ["4"], state: [["c-1", null], ["", "123"]] }),
    task(3, { state: [["c-3", '{"st":"open"}']] }),
  ]);
  const shown = c.batches.map((b) =>
    `${b.topic}: ${b.messages.map((m) => `${m.key}@${m.partition ?? "-"}`).join(" ")}`
  );
  assert.deepEqual(shown, [
    "rep: ",
    "pos: c-1@- c-2@-",
    "dlq: null@-",
    "state: c-1@1 @1",
    "state: c-3@3",
  ]);
  assert.equal(c.transactionCount, 2);
  assert.equal(c.batches[3].messages[0].value, null, "a tombstone stays one");
  assert.equal(c.batches[2].messages[0].headers?.["dlq.source.offset"], "4");
});

Deno.test("with the DLQ off, a task's DLQ records are not written", () => {
  const c = instanceCommit({ ...TOPICS, dlq: "" }, [], [task(0, { dlq: ["1"] })], []);
  assert.deepEqual(c.batches.map((b) => b.topic), ["rep"]);
});

Deno.test("offsets: foot to the foot group, shelf to the shelf group, the repartition partitions to the tasks' group last", () => {
  const c = commitOf(
    [
      partition("shelf", 2, [], "40"),
      partition("foot", 0, [], "7"),
      partition("shelf", 0, [], "12"),
      partition("foot", 1), // not moved
    ],
    [task(0, { offset: "5" }), task(2)],
    { 0: "5", 2: "9" },
  );
  assert.deepEqual(c.offsets, [
    { groupId: "g-foot", topic: "foot-topic", partitions: [{ partition: 0, offset: "7" }] },
    {
      groupId: "g-shelf",
      topic: "shelf-topic",
      partitions: [{ partition: 2, offset: "40" }, { partition: 0, offset: "12" }],
    },
    { groupId: "app-checkout", topic: "rep", partitions: [{ partition: 0, offset: "5" }] },
  ]);
  assert.ok(!isEmptyCommit(c));
});

Deno.test("no task offset moved: the tasks' positions are sent unchanged (the generation check), and alone they are nothing to commit", () => {
  const quiet = commitOf([partition("foot", 0)], [task(0), task(2)], { 0: "5", 2: "9" });
  assert.deepEqual(quiet.offsets, [{
    groupId: "app-checkout",
    topic: "rep",
    partitions: [{ partition: 0, offset: "5" }, { partition: 2, offset: "9" }],
    unchanged: true,
  }]);
  assert.ok(isEmptyCommit(quiet));
  // Anything else that moved makes it a commit, with the tasks' group still last.
  const footMoved = commitOf([partition("foot", 0, [], "8")], [task(0)], { 0: "5" });
  assert.ok(!isEmptyCommit(footMoved));
  assert.deepEqual(footMoved.offsets.map((o) => [o.groupId, o.unchanged ?? false]), [
    ["g-foot", false],
    ["app-checkout", true],
  ]);
  assert.ok(!isEmptyCommit(commitOf([], [task(0, { state: [["", "1"]] })])), "a changelog");
  assert.ok(!isEmptyCommit(commitOf([partition("foot", 0, [controlTo(1)])], [task(0)])));
  // No task here (an instance that only reads and forwards): no tasks' group at all.
  const reader = instanceCommit(TOPICS, [partition("shelf", 5, [], "3")], [], []);
  assert.deepEqual(reader.offsets.map((o) => o.groupId), ["g-shelf"]);
  assert.ok(isEmptyCommit(instanceCommit(TOPICS, [partition("shelf", 5)], [], [])));
});

Deno.test("property: everything taken is written once, in order, and the tasks' group comes last whenever a task runs", () => {
  const rec = fc.record({
    partition: fc.integer({ min: 0, max: 5 }),
    key: fc.option(fc.string({ maxLength: 4 }), { nil: null }),
  });
  const part = fc.record({
    source: fc.constantFrom("foot" as const, "shelf" as const),
    s: fc.integer({ min: 0, max: 5 }),
    records: fc.array(rec, { maxLength: 4 }),
    offset: fc.option(fc.integer({ min: 0, max: 99 }).map(String), { nil: undefined }),
  });
  const aTask = fc.record({
    tx: fc.array(fc.string({ minLength: 1, maxLength: 3 }), { maxLength: 3 }),
    state: fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 }),
    offset: fc.option(fc.integer({ min: 0, max: 99 }).map(String), { nil: undefined }),
  });
  fc.assert(
    fc.property(
      fc.uniqueArray(part, { selector: (p) => `${p.source}/${p.s}`, maxLength: 5 }),
      fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { maxLength: 4 }),
      fc.array(aTask, { minLength: 4, maxLength: 4 }),
      (parts, taskIds, specs) => {
        const partitions = parts.map((p) =>
          partition(
            p.source,
            p.s,
            p.records.map((r, i) => forwarded(r.partition, r.key, `${p.source}/${p.s}/${i}`)),
            p.offset,
          )
        );
        const tasks = taskIds.map((p, i) =>
          task(p, {
            tx: specs[i].tx,
            state: specs[i].state.map((k) => [k, "v"]),
            offset: specs[i].offset,
          })
        );
        const c = commitOf(partitions, tasks);
        // Forwarded, in the order taken.
        assert.deepEqual(
          c.batches[0].messages.map((m) => [m.partition, m.headers?.["pos-src"]]),
          parts.flatMap((p) => p.records.map((r, i) => [r.partition, `${p.source}/${p.s}/${i}`])),
        );
        // Then every task's output, in task order, its changelog to its own partition.
        const rest = c.batches.slice(1);
        assert.ok(rest.every((b) => b.messages.length > 0), "no empty batch");
        assert.deepEqual(
          rest.filter((b) => b.topic === "pos").flatMap((b) => b.messages.map((m) => m.key)),
          specs.slice(0, tasks.length).flatMap((s) => s.tx),
        );
        assert.deepEqual(
          rest.filter((b) => b.topic === "state").flatMap((b) =>
            b.messages.map((m) => `${m.partition}:${m.key}`)
          ),
          tasks.flatMap((t) => [...t.state.keys()].map((k) => `${t.task}:${k}`)),
        );
        assert.equal(c.transactionCount, tasks.reduce((n, t) => n + t.transactions.length, 0));
        // Offsets: each moved one once, in its own group.
        for (const source of ["foot", "shelf"] as const) {
          const want = parts.filter((p) => p.source === source && p.offset !== undefined)
            .map((p) => ({ partition: p.s, offset: p.offset! }));
          const got = c.offsets.filter((o) => o.groupId === TOPICS.inputs[source].groupId);
          assert.deepEqual(got.flatMap((o) => o.partitions), want);
          assert.ok(got.every((o) => o.topic === TOPICS.inputs[source].topic));
        }
        const last = c.offsets.at(-1);
        if (tasks.length === 0) {
          assert.ok(c.offsets.every((o) => o.groupId !== TOPICS.taskGroupId));
        } else {
          assert.equal(last?.groupId, TOPICS.taskGroupId, "the tasks' group last");
          const moved = tasks.filter((t) => t.offset !== undefined);
          assert.equal(last!.unchanged ?? false, moved.length === 0);
          assert.deepEqual(
            last!.partitions,
            moved.length > 0
              ? moved.map((t) => ({ partition: t.task, offset: t.offset }))
              : tasks.map((t) => ({ partition: t.task, offset: "0" })),
          );
        }
        assert.equal(c.offsets.filter((o) => o.groupId === TOPICS.taskGroupId).length <= 1, true);
        const nothing = parts.every((p) => p.records.length === 0 && p.offset === undefined) &&
          tasks.every((t) => t.transactions.length === 0 && t.state.size === 0 && !t.offset);
        assert.equal(isEmptyCommit(c), nothing);
      },
    ),
    { numRuns: 500 },
  );
});
