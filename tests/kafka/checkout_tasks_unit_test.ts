/**
 * The checkout tasks without a broker: forwarded foot and shelf records and control records of
 * both inputs as the engine gets them (TaskInput, RelayedProgress), and a task on an instance
 * (CheckoutTask): where its view of each input partition comes from, which repartition records
 * it applies, and what it gives a commit. The assigner: checkout_assigner_test.ts.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { EachBatchPayload, KafkaMessage } from "kafkajs";
import type {
  Engine,
  InputRecord,
  PartitionSignal,
  Progress,
  TransactionOut,
} from "../../lib/core/mod.ts";
import { controlRecord, type RelayProgress } from "../../lib/kafka/relay_records.ts";
import {
  CheckoutTask,
  type LocalReports,
  MARKER_WAIT_MS,
} from "../../lib/kafka/tasks/checkout_task.ts";
import { RelayedProgress, TaskInput } from "../../lib/kafka/tasks/task_input.ts";

const enc = new TextEncoder();
function message(offset: string, value: string, headers: Record<string, string>): KafkaMessage {
  const h: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(headers)) h[k] = Buffer.from(v);
  return {
    key: null,
    value: Buffer.from(enc.encode(value)),
    timestamp: "1700000000000",
    attributes: 0,
    offset,
    headers: h,
  } as KafkaMessage;
}

const TOPICS = { foot: "foot-topic", shelf: "shelf-topic" };

Deno.test("relayed data → the foot or shelf record it was, without the pos-src header", () => {
  const applied: InputRecord[] = [];
  const progress = new RelayedProgress({ foot: 2, shelf: 3 });
  const input = new TaskInput({ apply: (r) => applied.push({ ...r }) }, TOPICS, progress);
  const shelf = message("17", '{"event_type":"pickup"}', {
    "pos-src": "shelf/2/41",
    "trace": "t-1",
  });
  const foot = message("18", '{"customer_id":"c-1"}', { "pos-src": "foot/1/7" });
  assert.equal(input.relayed(shelf), "data");
  assert.equal(input.relayed(foot), "data");
  assert.deepEqual(applied, [{
    source: "shelf",
    topic: "shelf-topic",
    partition: 2,
    offset: "41",
    value: shelf.value,
    timestampMs: 1700000000000,
    headers: { trace: "t-1" },
  }, {
    source: "foot",
    topic: "foot-topic",
    partition: 1,
    offset: "7",
    value: foot.value,
    timestampMs: 1700000000000,
    headers: undefined,
  }]);
  for (const bad of ["till/0/3", "shelf/x/3", "shelf/0/", "shelf-0-3", "shelf/-1/3"]) {
    assert.equal(input.relayed(message("20", "{}", { "pos-src": bad })), "unknown", bad);
  }
  assert.equal(input.relayed(message("21", "x", {})), "unknown");
  assert.equal(applied.length, 2, "unknown records are not applied");
});

Deno.test("records of earlier relays, with three pos-src-* headers, are still read", () => {
  const applied: InputRecord[] = [];
  const progress = new RelayedProgress({ foot: 2, shelf: 3 });
  const input = new TaskInput({ apply: (r) => applied.push({ ...r }) }, TOPICS, progress);
  const old = message("17", "{}", {
    "pos-src-topic": "foot",
    "pos-src-partition": "1",
    "pos-src-offset": "7",
    "trace": "t-1",
  });
  assert.equal(input.relayed(old), "data");
  assert.deepEqual(
    [applied[0].source, applied[0].partition, applied[0].offset, applied[0].headers],
    ["foot", 1, "7", { trace: "t-1" }],
  );
  const unnamed = message("19", "{}", { "pos-src-partition": "0", "pos-src-offset": "3" });
  assert.equal(input.relayed(unnamed), "data");
  assert.equal(applied[1].source, "shelf", "no pos-src-topic: a shelf record (older relays)");
  const odd = { "pos-src-topic": "till", "pos-src-partition": "0", "pos-src-offset": "3" };
  assert.equal(input.relayed(message("20", "{}", odd)), "unknown");
  assert.equal(applied.length, 2, "unknown records are not applied");
});

Deno.test("control records of both inputs → every foot and shelf partition's progress", () => {
  const progress = new RelayedProgress({ foot: 2, shelf: 3 });
  const input = new TaskInput({ apply: () => assert.fail("applied") }, TOPICS, progress);
  const control = (p: RelayProgress, offset: string) => {
    const c = controlRecord(p);
    return input.relayed(message(offset, c.value, c.headers));
  };
  const report = { caughtUp: true, caughtUpAtMs: 1000, idle: true, endMovedAtMs: 900 };
  assert.equal(
    control({ source: "shelf", partition: 1, ...report, fronts: [[0, 5e8, 0, 0]] }, "1"),
    "control",
  );
  assert.equal(
    control({ source: "foot", partition: 0, ...report, fronts: [[0, 4e8, 0, 0]] }, "2"),
    "control",
  );
  assert.deepEqual(progress.signals(), [
    { source: "foot", partition: 0, ...report, fronts: [[0, 4e8, 0, 0]] },
    { source: "foot", partition: 1, caughtUp: false },
    { source: "shelf", partition: 0, caughtUp: false },
    { source: "shelf", partition: 1, ...report, fronts: [[0, 5e8, 0, 0]] },
    { source: "shelf", partition: 2, caughtUp: false },
  ], "partitions not heard from are not caught up");
  // Same partition number, other input: kept apart; the latest report replaces the earlier.
  control(
    { source: "shelf", partition: 0, caughtUp: false, idle: false, fronts: [[0, 6e8, 0, 0]] },
    "3",
  );
  control(
    { source: "foot", partition: 0, caughtUp: false, idle: false, fronts: [[0, 7e8, 0, 0]] },
    "4",
  );
  const signals = progress.signals();
  assert.deepEqual(signals[0], {
    source: "foot",
    partition: 0,
    caughtUp: false,
    idle: false,
    fronts: [[0, 7e8, 0, 0]],
  });
  assert.deepEqual(signals[2], {
    source: "shelf",
    partition: 0,
    caughtUp: false,
    idle: false,
    fronts: [[0, 6e8, 0, 0]],
  });
  // A control record without a source is a shelf partition's (relays before the foot relay).
  const legacy = {
    key: null,
    value: JSON.stringify({ partition: 2, caughtUp: false, idle: false }),
  };
  input.relayed(message("5", legacy.value, { "pos-control": "progress" }));
  assert.deepEqual(progress.get("shelf", 2), {
    source: "shelf",
    partition: 2,
    caughtUp: false,
    idle: false,
  });
  // "Caught up" without a look-up time is not a complete input.
  control({ source: "foot", partition: 1, caughtUp: true, idle: true }, "6");
  assert.equal(progress.signals()[1].caughtUp, false);
});

/** An engine that records what it was given and drains what the test put in. */
class FakeEngine {
  applied: InputRecord[] = [];
  advanced: Progress[] = [];
  transactions: TransactionOut[] = [];
  state = new Map<string, string | null>();
  apply(rec: InputRecord): void {
    this.applied.push({ ...rec });
  }
  advance(p: Progress): void {
    this.advanced.push(p);
  }
  drainOutput() {
    const out = { transactions: this.transactions, dlq: [] };
    this.transactions = [];
    return out;
  }
  drainStateChanges(): Map<string, string | null> {
    const out = this.state;
    this.state = new Map();
    return out;
  }
}

const INPUTS = { foot: 2, shelf: 2 };

/** Task `p` started with its repartition partition at `next` and ending at `high`. */
function aTask(p: number, next: bigint, high: bigint) {
  const engine = new FakeEngine();
  const task = new CheckoutTask(p, engine as unknown as Engine, TOPICS, "rep", INPUTS, {
    next,
    high,
  });
  return { task, engine };
}

/**
 * A fetched repartition batch (what a task reads of it). `lastOffset`: KafkaJS's, the last record
 * fetched, a transaction marker or an aborted record too (by default the last message's).
 */
function repBatch(
  messages: KafkaMessage[],
  highWatermark: number,
  lastOffset = messages.at(-1)!.offset,
): EachBatchPayload["batch"] {
  return {
    topic: "rep",
    messages,
    highWatermark: String(highWatermark),
    lastOffset: () => lastOffset,
  } as never;
}

const forwarded = (offset: string, origin: string) => message(offset, "{}", { "pos-src": origin });
const control = (offset: string, p: RelayProgress) => {
  const c = controlRecord(p);
  return message(offset, c.value, c.headers);
};
const report = (source: "foot" | "shelf", partition: number, atMs: number): RelayProgress => ({
  source,
  partition,
  caughtUp: true,
  caughtUpAtMs: atMs,
  idle: false,
  endMovedAtMs: atMs - 100,
  fronts: [[0, atMs * 1000, atMs, 0]],
});
const noReports = (): LocalReports => ({ foot: new Map(), shelf: new Map() });
const shown = (signals: PartitionSignal[]) =>
  signals.map((s) => `${s.source}/${s.partition}:${s.caughtUp ? s.caughtUpAtMs : "behind"}`);

Deno.test("a partition read here counts with its own report only once the repartition backlog of the task's start is read", () => {
  const { task } = aTask(1, 5n, 8n);
  // foot/0 moved here; what its reader forwarded before (and its reports) may be in the backlog.
  const local = noReports();
  local.foot.set(0, report("foot", 0, 9000));
  assert.equal(task.backlogRead, false);
  assert.deepEqual(shown(task.signals(local)), [
    "foot/0:behind",
    "foot/1:behind",
    "shelf/0:behind",
    "shelf/1:behind",
  ], "nothing read: every partition behind, foot/0 too");
  const unknown: string[] = [];
  task.read(
    repBatch([
      control("5", report("foot", 0, 2000)), // its earlier reader's report
      control("6", report("shelf", 1, 3000)),
    ], 8),
    (o) => unknown.push(o),
  );
  assert.equal(task.backlogRead, false);
  assert.deepEqual(shown(task.signals(local)), [
    "foot/0:behind",
    "foot/1:behind",
    "shelf/0:behind",
    "shelf/1:3000",
  ], "a report from elsewhere counts at once; foot/0 waits for the rest of the backlog");
  task.read(repBatch([forwarded("7", "foot/0/41")], 8), (o) => unknown.push(o));
  assert.equal(task.backlogRead, true);
  const signals = task.signals(local);
  assert.deepEqual(shown(signals), [
    "foot/0:9000",
    "foot/1:behind",
    "shelf/0:behind",
    "shelf/1:3000",
  ], "the backlog read: foot/0 is its own report, not the earlier reader's");
  assert.deepEqual(signals[0], {
    source: "foot",
    partition: 0,
    caughtUp: true,
    caughtUpAtMs: 9000,
    idle: false,
    endMovedAtMs: 8900,
    fronts: [[0, 9e6, 9000, 0]],
  });
  assert.deepEqual(unknown, []);
});

Deno.test("a task started on an empty backlog uses its local reports at once; a backlog ending in a transaction marker is read by the empty batch after it", () => {
  const local = noReports();
  local.shelf.set(1, report("shelf", 1, 500));
  const fresh = aTask(0, 4n, 4n).task;
  assert.equal(fresh.backlogRead, true);
  assert.deepEqual(shown(fresh.signals(local)).slice(2), ["shelf/0:behind", "shelf/1:500"]);
  const { task } = aTask(0, 4n, 7n);
  task.read(repBatch([forwarded("4", "shelf/0/1"), forwarded("5", "shelf/0/2")], 7), () => {});
  assert.equal(task.next(), 6n);
  assert.equal(task.backlogRead, false, "offset 6 (the commit marker) is not read yet");
  task.readEmpty("6", "7");
  assert.equal(task.next(), 7n);
  assert.equal(task.backlogRead, true);
  assert.deepEqual(shown(task.signals(local)).slice(2), ["shelf/0:behind", "shelf/1:500"]);
});

Deno.test("repartition records apply from the task's position on: re-delivered ones skipped, unknown ones told by offset", () => {
  const { task, engine } = aTask(2, 5n, 5n);
  const unknown: string[] = [];
  const applied = task.read(
    repBatch([
      forwarded("3", "shelf/0/30"), // re-delivered: before the position
      forwarded("4", "shelf/0/31"),
      forwarded("5", "shelf/1/7"),
      control("6", report("foot", 1, 100)),
      message("7", "{}", { "pos-src": "till/0/3" }),
      forwarded("8", "foot/0/12"),
    ], 12),
    (o) => unknown.push(o),
  );
  assert.equal(applied, 2, "the data records from offset 5 on");
  assert.deepEqual(
    engine.applied.map((r) => `${r.topic}/${r.partition}/${r.offset}`),
    ["shelf-topic/1/7", "foot-topic/0/12"],
    "as the input records they were",
  );
  assert.deepEqual(unknown, ["7"]);
  assert.equal(task.next(), 9n);
  assert.equal(task.lag(), 3, "the batch told the end");
  assert.equal(task.relayed.get("foot", 1)?.caughtUpAtMs, 100, "the control record was kept");
  // The same batch again (a fetch before a seek, a retry): nothing applied twice.
  task.read(repBatch([forwarded("5", "shelf/1/7"), forwarded("8", "foot/0/12")], 12), () => {});
  assert.equal(engine.applied.length, 2);
  assert.equal(task.next(), 9n);
});

Deno.test("readEmpty: a batch of only markers moves the task's position; one without an offset only tells the end", () => {
  const { task } = aTask(0, 3n, 3n);
  task.readEmpty(null, "10");
  assert.equal(task.next(), 3n);
  assert.equal(task.lag(), 7);
  task.readEmpty("5", "10");
  assert.equal(task.next(), 6n);
  task.readEmpty("4", "10");
  assert.equal(task.next(), 6n, "never back");
  task.readEmpty("12", "10");
  assert.equal(task.next(), 6n, "past the end it was told: not a position");
});

Deno.test("take() advances the engine with the signals and the wall clock, drains it, and carries the repartition offset when it moved, until committed", () => {
  const { task, engine } = aTask(3, 0n, 0n);
  const signals = task.signals(noReports());
  const quiet = task.take(signals, 1000);
  assert.deepEqual(engine.advanced, [{ wallMs: 1000, partitions: signals }]);
  assert.ok(CheckoutTask.isEmpty(quiet), "nothing drained, nothing read");
  task.read(repBatch([forwarded("0", "foot/1/1"), forwarded("1", "foot/1/2")], 2), () => {});
  const tx = { key: "c", value: "{}", timestamp: "t", customerId: "c", dueMicros: 1 };
  engine.transactions.push(tx);
  engine.state.set("c", null);
  const t = task.take(signals, 2000);
  assert.equal(engine.advanced.at(-1)!.wallMs, 2000);
  assert.deepEqual(t, {
    task: 3,
    transactions: [tx],
    dlq: [],
    state: new Map([["c", null]]),
    offset: "2",
  });
  assert.ok(!CheckoutTask.isEmpty(t));
  // Not committed (the commit failed): the offset is taken again, the drained output is not.
  const again = task.take(signals, 2100);
  assert.deepEqual([again.transactions, again.offset], [[], "2"]);
  task.committed(again);
  const after = task.take(signals, 2200);
  assert.equal(after.offset, undefined);
  assert.ok(CheckoutTask.isEmpty(after));
  // An offset alone is something to commit.
  task.readEmpty("2", "3");
  assert.ok(!CheckoutTask.isEmpty(task.take(signals, 2300)));
});

Deno.test("a batch whose last transaction's commit marker came with it reads the marker too: the backlog is read, nothing left", () => {
  // Exactly-once: every transaction ends with a marker, so the backlog's end is one. Fetched
  // with the records before it, KafkaJS hands no empty batch after them to read it by.
  const { task } = aTask(0, 4n, 7n);
  task.read(repBatch([forwarded("4", "shelf/0/1"), forwarded("5", "shelf/0/2")], 7, "6"), () => {});
  assert.equal(task.next(), 7n);
  assert.equal(task.backlogRead, true);
  assert.equal(task.lag(), 0);
  assert.equal(task.take([], 0).offset, "7");
});

Deno.test("a backlog one offset short counts as read only once nothing was read for MARKER_WAIT_MS (a marker KafkaJS never handed over)", () => {
  const realNow = Date.now;
  let now = 1_000_000;
  Date.now = () => now;
  try {
    const idle = aTask(0, 9n, 10n).task;
    assert.equal(idle.backlogRead, false, "just started");
    now += MARKER_WAIT_MS;
    assert.equal(idle.backlogRead, true, "nothing came: the last offset is a marker");
    const { task } = aTask(0, 0n, 10n);
    now += MARKER_WAIT_MS + 5000; // a long backlog
    const records = Array.from({ length: 9 }, (_, i) => forwarded(String(i), `foot/0/${i}`));
    task.read(repBatch(records, 10), () => {});
    assert.equal(task.next(), 9n);
    assert.equal(task.backlogRead, false, "a record was just read: the last may follow");
    now += MARKER_WAIT_MS - 1;
    assert.equal(task.backlogRead, false);
    now += 1;
    assert.equal(task.backlogRead, true);
  } finally {
    Date.now = realNow;
  }
});
