/**
 * Which task each foot and shelf record belongs to, what moves a partition's fronts, when a
 * partition tells the tasks elsewhere how far it has got (control records), and what one input
 * partition read here does with a fetched batch: applies its local tasks' records at once and
 * keeps the others for the repartition topic (lib/kafka/tasks/routing.ts, input_partition.ts).
 * No broker.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import fc from "fast-check";
import type { EachBatchPayload } from "kafkajs";
import type { InputRecord } from "../../lib/core/mod.ts";
import { partitionForKey } from "../../lib/kafka/partitioner.ts";
import { readRelayed, type RelayProgress } from "../../lib/kafka/relay_records.ts";
import {
  CONTROL_HEARTBEAT_MS,
  ControlTracker,
  QUIET_HEARTBEAT_MS,
  Router,
  SETTLING_MS,
  TaskWork,
} from "../../lib/kafka/tasks/routing.ts";
import {
  InputPartition,
  type InputPartitionSettings,
  type LocalSink,
} from "../../lib/kafka/tasks/input_partition.ts";

const P = 4;
const record = (offset: number, value: object | string, timestamp = "1000", headers = {}) => ({
  offset: String(offset),
  value: Buffer.from(typeof value === "string" ? value : JSON.stringify(value)),
  timestamp,
  headers,
});
const us = (iso: string) => Date.parse(iso) * 1000;
const newWork = () => new TaskWork({ toleranceUs: 2e6, leapUs: 10_800e6 });
/** The highest front position; -Infinity with none. */
const high = (work: TaskWork) => Math.max(-Infinity, ...work.fronts.positions());
/** A customer id whose task (murmur2 over P) is `task`. */
function customerOf(task: number, n = P, skip = 0): string {
  for (let i = 0, found = 0;; i++) {
    if (partitionForKey(`c${i}`, n) === task && found++ === skip) return `c${i}`;
  }
}

Deno.test("a pickup belongs to its customer's task; the router tells its customer and event time", () => {
  const work = newWork();
  const router = new Router("shelf", P);
  const rec = record(41, {
    event_type: "pickup",
    customer_id: "c-17",
    item_id: "A",
    timestamp: "2025-11-07T10:00:00Z",
  });
  assert.equal(router.route(2, rec, work), partitionForKey("c-17", P));
  assert.equal(router.key, "c-17");
  assert.equal(router.lastUs, us("2025-11-07T10:00:00Z"));
  assert.equal(high(work), us("2025-11-07T10:00:00Z"));
  assert.deepEqual(work.records, [], "routing keeps nothing: the partition decides");
  // Without a timestamp of its own, a shelf event has its record's.
  const bare = record(42, { event_type: "putback", customer_id: "c-18", item_id: "A" }, "5000");
  assert.equal(router.route(2, bare, work), partitionForKey("c-18", P));
  assert.equal(router.key, "c-18");
  assert.equal(router.lastUs, 5_000_000);
});

Deno.test("every customer's records go to the task Kafka's default partitioner gives its id", () => {
  fc.assert(
    fc.property(
      fc.string({ minLength: 1, maxLength: 24 }).filter((s) => s.trim() === s && s !== ""),
      fc.integer({ min: 1, max: 64 }),
      fc.integer({ min: 0, max: 63 }),
      fc.boolean(),
      (customer, n, s, foot) => {
        const router = new Router(foot ? "foot" : "shelf", n);
        const value = foot
          ? {
            event_type: "foot_traffic",
            customer_id: customer,
            entry_time: "2025-11-07T09:00:00Z",
            exit_time: "2025-11-07T09:30:00Z",
          }
          : { event_type: "pickup", customer_id: customer, item_id: "A" };
        const task = router.route(s, record(0, value), newWork());
        assert.equal(task, partitionForKey(customer, n));
        assert.equal(router.key, customer);
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("a skipped event type goes to no task (-1), is counted, and moves the partition's front", () => {
  const work = newWork();
  const router = new Router("shelf", P);
  const weight = { event_type: "weight_change", timestamp: "2025-11-07T10:00:05Z" };
  assert.equal(router.route(1, record(0, weight), work), -1);
  assert.equal(high(work), us("2025-11-07T10:00:05Z"));
  assert.equal(router.lastUs, us("2025-11-07T10:00:05Z"), "its time is the partition's time");
  // Without a timestamp of its own, the record's timestamp counts.
  const bare = record(1, { event_type: "weight_change" }, String(Date.parse("2025-11-08")));
  assert.equal(router.route(1, bare, work), -1);
  assert.equal(high(work), us("2025-11-08"));
  // A much earlier one is a producer gone back in time: a second front, reported as a leap.
  const early = record(2, { event_type: "pickup", customer_id: "c", item_id: "A" }, "5");
  assert.equal(router.route(1, early, work), partitionForKey("c", P));
  assert.deepEqual(work.fronts.positions(), [us("2025-11-08"), 5000]);
  assert.deepEqual(work.report().map((f) => f[3]), [0, 1], "the second front leapt back");
  const { skipped } = work.take();
  assert.deepEqual([...skipped], [["weight_change", 2]]);
  assert.deepEqual([...work.take().skipped], [], "taken once");
  assert.deepEqual(work.fronts.positions(), [us("2025-11-08"), 5000], "the fronts stay");
});

Deno.test("an invalid record goes to task s mod P, without a customer, and has no event time", () => {
  const work = newWork();
  const router = new Router("shelf", P);
  assert.equal(router.route(6, record(3, "{not json"), work), 6 % P);
  assert.equal(router.key, null);
  router.route(5, record(4, { event_type: "pickup", customer_id: "c-1", item_id: "A" }), work);
  assert.equal(router.key, "c-1");
  // No customer: invalid.
  assert.equal(router.route(5, record(5, { event_type: "pickup", item_id: "A" }), work), 5 % P);
  assert.equal(router.key, null, "the previous customer is not kept");
  assert.equal(high(work), 1_000_000, "only the valid pickup's (its record's) time");
});

Deno.test("a foot session goes to its customer's task, whatever partition it was in; its time is its entry time", () => {
  const work = newWork();
  const router = new Router("foot", P);
  const session = {
    event_type: "foot_traffic",
    customer_id: "c-17",
    entry_time: "2025-11-07T09:00:00Z",
    exit_time: "2025-11-07T09:30:00Z",
  };
  for (let s = 0; s < 6; s++) {
    assert.equal(router.route(s, record(8, session), work), partitionForKey("c-17", P));
  }
  assert.equal(router.key, "c-17");
  assert.equal(router.lastUs, us("2025-11-07T09:00:00Z"));
  assert.equal(high(work), us("2025-11-07T09:00:00Z"), "the entry time, as the engine's");
});

Deno.test("foot: a skipped record moves the front by its entry_time only; an invalid one goes to s mod P", () => {
  const work = newWork();
  const router = new Router("foot", P);
  const beat = record(0, { event_type: "heartbeat", entry_time: "2025-11-07T09:05:00Z" });
  assert.equal(router.route(1, beat, work), -1);
  assert.equal(high(work), us("2025-11-07T09:05:00Z"));
  // No entry time: no foot event time (the Kafka timestamp is not one for the engine).
  const bare = record(1, { event_type: "heartbeat" }, String(Date.parse("2025-11-08")));
  assert.equal(router.route(1, bare, work), -1);
  assert.equal(high(work), us("2025-11-07T09:05:00Z"));
  assert.equal(
    router.route(6, record(2, { event_type: "foot_traffic", entry_time: "x" }), work),
    2,
  );
  assert.equal(router.key, null);
  assert.equal(router.route(5, record(3, "[]"), work), 1);
  assert.deepEqual([...work.take().skipped], [["heartbeat", 2]]);
  assert.equal(high(work), us("2025-11-07T09:05:00Z"), "invalid records have no time");
});

const IDLE_MS = 5000;
const progress = (over: Partial<RelayProgress> = {}): RelayProgress => ({
  source: "foot",
  partition: 1,
  caughtUp: true,
  caughtUpAtMs: 5,
  idle: false,
  endMovedAtMs: 0,
  fronts: [[0, 9, 1, 0]],
  ...over,
});

Deno.test("control records go to the partitions given (the tasks elsewhere) when the progress changed; none with no task elsewhere", () => {
  const t = new ControlTracker(IDLE_MS);
  const p = progress();
  assert.deepEqual(t.records(p, []), [], "every task here: nothing to tell");
  const recs = t.records(p, [0, 3]);
  assert.deepEqual(recs.map((r) => r.partition), [0, 3]);
  for (const r of recs) {
    assert.equal(r.key, null);
    assert.equal(r.timestamp, undefined, "the producer's clock");
    assert.deepEqual(readRelayed(r.headers, r.value), { kind: "control", progress: p });
  }
  assert.equal(t.records(p, [0, 3]).length, 2, "not sent yet: again");
  t.sent(p);
  assert.equal(t.records({ ...p }, [0, 3]).length, 0, "unchanged");
  assert.equal(t.records(progress({ fronts: [[0, 10, 2, 0]] }), [2]).length, 1, "new data");
  assert.equal(t.records(progress({ caughtUp: false }), [2]).length, 1, "fell behind");
  assert.equal(t.records(progress({ idle: true }), [2]).length, 1, "now idle");
  assert.equal(t.records(progress({ endMovedAtMs: 3 }), [2]).length, 1, "its end moved");
  // Written within twice the idle time: a lull's checkouts wait for each look-up's proof.
  assert.equal(t.records(progress({ caughtUpAtMs: 6 }), [2]).length, 1, "a new look-up");
  const idle = progress({ idle: true, caughtUpAtMs: 2 * IDLE_MS - 1 });
  t.sent(idle);
  assert.equal(t.records({ ...idle, caughtUpAtMs: 2 * IDLE_MS - 0.5 }, [2]).length, 1, "recent");
});

Deno.test("a long-idle partition's look-up alone: every 500 ms while it settles, then once a minute", () => {
  assert.equal(CONTROL_HEARTBEAT_MS, 500);
  assert.equal(QUIET_HEARTBEAT_MS, 60_000);
  const t = new ControlTracker(IDLE_MS);
  const at = (ms: number) => progress({ idle: true, caughtUpAtMs: ms });
  const sends = (ms: number) => t.records(at(ms), [1]).length > 0;
  t.sent(at(2 * IDLE_MS));
  assert.ok(!sends(2 * IDLE_MS + 100), "100 ms later: not yet");
  assert.ok(!sends(2 * IDLE_MS + 499));
  assert.ok(sends(2 * IDLE_MS + 500), "500 ms later");
  // Settled: its end has not moved for twice the idle time and SETTLING_MS.
  const settled = 2 * IDLE_MS + SETTLING_MS;
  t.sent(at(settled - 600));
  assert.ok(sends(settled - 100), "still settling: 500 ms later");
  t.sent(at(settled));
  assert.ok(!sends(settled + 500), "settled: not after 500 ms");
  assert.ok(!sends(settled + QUIET_HEARTBEAT_MS - 1));
  assert.ok(sends(settled + QUIET_HEARTBEAT_MS), "a minute later");
  // Anything but the look-up time changing is told at once, settled or not.
  assert.ok(t.records(progress({ idle: true, caughtUpAtMs: settled + 1, fronts: [] }), [1]).length);
});

/** When a control record is due, by the rules, given the last one sent (the reference). */
function dueByRule(last: RelayProgress, now: number): boolean {
  const endMoved = last.endMovedAtMs!;
  if (now - endMoved < 2 * IDLE_MS) return true; // written recently: every look-up
  const every = now - endMoved < 2 * IDLE_MS + SETTLING_MS
    ? CONTROL_HEARTBEAT_MS
    : QUIET_HEARTBEAT_MS;
  return now - last.caughtUpAtMs! >= every;
}

Deno.test("property: a partition whose end stopped moving reports its look-ups as the heartbeat rules say", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 100_000 }),
      fc.array(fc.integer({ min: 1, max: 20_000 }), { minLength: 1, maxLength: 60 }),
      (firstMs, steps) => {
        const t = new ControlTracker(IDLE_MS);
        const at = (ms: number) =>
          progress({ idle: ms >= IDLE_MS, caughtUpAtMs: ms, endMovedAtMs: 0 });
        let now = firstMs;
        let last = at(now);
        assert.equal(t.records(last, [0]).length, 1, "the first report always goes");
        t.sent(last);
        for (const step of steps) {
          const was = now;
          now += step;
          const p = at(now);
          if (p.idle !== last.idle) {
            assert.equal(t.records(p, [0]).length, 1, "idle now: told at once");
          } else {
            const sent = t.records(p, [0]).length > 0;
            assert.equal(sent, dueByRule(last, now), `look-up at ${now} after ${was}`);
            if (!sent) continue;
          }
          t.sent(p);
          last = p;
        }
      },
    ),
    { numRuns: 300 },
  );
});

// ---- One input partition read here ----

const SHELF: InputPartitionSettings = {
  source: "shelf",
  topic: "shelf_events",
  idleMs: 1000,
  toleranceUs: 2e6,
  leapUs: 10_800e6,
};

/** A fetched batch as KafkaJS gives it (only what the partition reads). */
function batch(
  first: number,
  records: ReturnType<typeof record>[],
  highWatermark: number,
): EachBatchPayload["batch"] {
  return {
    firstOffset: () => String(first),
    lastOffset: () => String(first + records.length - 1),
    highWatermark: String(highWatermark),
    messages: records,
  } as unknown as EachBatchPayload["batch"];
}

/** Sinks of the tasks `here`, each recording (a copy of) what it was given. */
function localTasks(here: number[]): { local: LocalSink; applied: Map<number, InputRecord[]> } {
  const applied = new Map<number, InputRecord[]>(here.map((t) => [t, []]));
  const local: LocalSink = (task) => {
    const got = applied.get(task);
    if (got === undefined) return undefined;
    const keep = (rec: InputRecord) => void got.push({ ...rec });
    // However the partition hands a record over: as read, or as its router decoded it.
    const sink = { apply: keep, applyDecoded: keep };
    return sink;
  };
  return { local, applied };
}

const pickup = (customer: string) => ({
  event_type: "pickup",
  customer_id: customer,
  item_id: "A",
  timestamp: "2025-11-07T10:00:00Z",
});

Deno.test("a record of a task here is applied at once as the input's record; another is kept for its customer's repartition partition, with pos-src", () => {
  const { local, applied } = localTasks([0, 2]);
  const ip = new InputPartition(2, SHELF, 40n, 45n);
  const [here, there] = [customerOf(2), customerOf(3)];
  const trace = { trace: Buffer.from("t1") };
  const recs = [
    record(40, pickup(here), "1762509600123", trace),
    record(41, pickup(there), "1762509600124", trace),
    record(42, { event_type: "weight_change" }),
    record(43, "{not json"), // task 2 mod 4 = 2: here, to its DLQ
    record(44, { event_type: "pickup", item_id: "A" }, "7"), // invalid too
  ];
  assert.equal(ip.read(batch(40, recs, 45), new Router("shelf", P), local), 5);
  assert.deepEqual(applied.get(0), []);
  assert.deepEqual(applied.get(2), [
    {
      source: "shelf",
      topic: "shelf_events",
      partition: 2,
      offset: "40",
      value: recs[0].value,
      timestampMs: 1762509600123,
      headers: { trace: "t1" },
    },
    {
      source: "shelf",
      topic: "shelf_events",
      partition: 2,
      offset: "43",
      value: recs[3].value,
      timestampMs: 1000,
      headers: undefined,
    },
    {
      source: "shelf",
      topic: "shelf_events",
      partition: 2,
      offset: "44",
      value: recs[4].value,
      timestampMs: 7,
      headers: undefined,
    },
  ]);
  const { records, skipped } = ip.take(progress({ source: "shelf", partition: 2 }), []);
  assert.deepEqual(records, [{
    partition: 3,
    key: there,
    value: recs[1].value,
    timestamp: "1762509600124",
    headers: { trace: Buffer.from("t1"), "pos-src": "shelf/2/41" },
  }]);
  assert.equal(records[0].value, recs[1].value, "the original bytes, not a copy");
  assert.deepEqual(readRelayed(records[0].headers, records[0].value), {
    kind: "data",
    source: "shelf",
    partition: 2,
    offset: "41",
  });
  assert.deepEqual([...skipped], [["weight_change", 1]]);
});

Deno.test("an invalid record of a task elsewhere is forwarded without a key to partition s mod P", () => {
  const { local } = localTasks([]);
  const ip = new InputPartition(
    5,
    { ...SHELF, source: "foot", topic: "foot_traffic" },
    0n,
    1n,
  );
  ip.read(batch(0, [record(0, "[]")], 1), new Router("foot", P), local);
  const { records } = ip.take(progress({ partition: 5 }), []);
  assert.deepEqual(records.map((r) => [r.partition, r.key, r.headers["pos-src"]]), [
    [1, null, "foot/5/0"],
  ]);
});

Deno.test("property: each record read is applied here or forwarded to its task's partition, exactly once, in order", () => {
  const value = fc.oneof(
    fc.integer({ min: 0, max: 40 }).map((c) => pickup(`c${c}`) as object | string),
    fc.constant({ event_type: "weight_change" }),
    fc.constant("{not json"),
  );
  fc.assert(
    fc.property(
      fc.array(value, { maxLength: 40 }),
      fc.subarray([0, 1, 2, 3]),
      fc.integer({ min: 0, max: 7 }),
      (values, here, s) => {
        const { local, applied } = localTasks(here);
        const ip = new InputPartition(s, SHELF, 100n, 100n + BigInt(values.length));
        const recs = values.map((v, i) => record(100 + i, v));
        const n = ip.read(batch(100, recs, 100 + values.length), new Router("shelf", P), local);
        assert.equal(n, values.length);
        const forwarded = ip.take(progress(), []).records;
        const wantHere = new Map(here.map((t) => [t, [] as string[]]));
        const wantThere: [number, string][] = [];
        values.forEach((v, i) => {
          if (typeof v === "object" && "event_type" in v && v.event_type === "weight_change") {
            return;
          }
          const customer = typeof v === "string"
            ? null
            : (v as { customer_id: string }).customer_id;
          const task = customer === null ? s % P : partitionForKey(customer, P);
          const offset = String(100 + i);
          if (here.includes(task)) wantHere.get(task)!.push(offset);
          else wantThere.push([task, `shelf/${s}/${offset}`]);
        });
        for (const t of here) {
          assert.deepEqual(applied.get(t)!.map((r) => r.offset), wantHere.get(t));
        }
        assert.deepEqual(
          forwarded.map((r) => [r.partition, r.headers["pos-src"]]),
          wantThere,
        );
        assert.equal(ip.next, 100n + BigInt(values.length), "the position passed them all");
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("take(): forwarded records, then control records to the tasks elsewhere only; the offset when it moved, until committed", () => {
  const { local } = localTasks([1]);
  const ip = new InputPartition(1, SHELF, 10n, 12n);
  const router = new Router("shelf", P);
  const there = customerOf(2);
  // Records below the position were read already.
  const recs = [record(9, pickup(there)), record(10, pickup(there)), record(11, pickup(there))];
  assert.equal(ip.read(batch(9, recs, 12), router, local), 2);
  assert.equal(ip.next, 12n);
  const t0 = ip.position.partitions.get(1)!.endMovedAtMs;
  ip.position.verify(1, 12n, t0 + 100, t0 + 101);
  const p = ip.progress(-Infinity);
  const { fronts, ...rest } = p;
  assert.deepEqual(rest, {
    source: "shelf",
    partition: 1,
    caughtUp: true,
    caughtUpAtMs: t0 + 100,
    idle: false,
    endMovedAtMs: t0,
  });
  assert.deepEqual(fronts!.map((f) => [f[1], f[3]]), [[us("2025-11-07T10:00:00Z"), 0]]);
  const remote = [0, 2, 3];
  const t = ip.take(p, remote);
  assert.equal(t.offset, "12");
  assert.equal(t.progress, p);
  const kinds = t.records.map((r) => readRelayed(r.headers, r.value as Buffer));
  assert.deepEqual(kinds.map((k) => k.kind), ["data", "data", "control", "control", "control"]);
  assert.deepEqual(t.records.map((r) => r.partition), [2, 2, 0, 2, 3]);
  for (const k of kinds.slice(2)) assert.deepEqual(k, { kind: "control", progress: p });
  ip.committed(t);
  // Nothing new and the same progress: nothing to write.
  const none = ip.take(ip.progress(-Infinity), remote);
  assert.deepEqual([none.records, none.offset], [[], undefined]);
  ip.committed(none);
  // A later look-up changes the progress: control records alone, no offset.
  ip.position.verify(1, 12n, t0 + 2000, t0 + 2001);
  const again = ip.take(ip.progress(-Infinity), remote);
  assert.equal(again.offset, undefined);
  assert.equal(again.progress.idle, true, "nothing produced for the idle time (1 s)");
  assert.deepEqual(again.records.map((r) => r.partition), remote);
  // Not committed (the commit failed): the offset is taken again.
  ip.read(batch(12, [record(12, pickup(there))], 13), router, local);
  assert.equal(ip.take(p, remote).offset, "13");
  assert.equal(ip.take(p, remote).offset, "13", "until committed");
});

Deno.test("a batch that starts past the position is not read (-1) and moves nothing", () => {
  const { local, applied } = localTasks([0, 1, 2, 3]);
  const ip = new InputPartition(0, SHELF, 10n, 30n);
  const router = new Router("shelf", P);
  assert.equal(ip.read(batch(20, [record(20, pickup("c1"))], 30), router, local), -1);
  assert.equal(ip.next, 10n);
  assert.equal([...applied.values()].flat().length, 0);
  assert.equal(ip.take(progress(), []).offset, undefined);
  const empty = { ...batch(10, [], 30), firstOffset: () => null } as EachBatchPayload["batch"];
  assert.equal(ip.read(empty, router, local), 0, "an empty batch: nothing");
  assert.equal(ip.read(batch(10, [record(10, pickup("c1"))], 30), router, local), 1);
  assert.equal(ip.next, 11n);
});

Deno.test("readEmpty: a batch of only control or aborted records moves the position when it follows it", () => {
  const ip = new InputPartition(0, SHELF, 12n, 12n);
  ip.readEmpty("20", "21", "22");
  assert.equal(ip.next, 12n, "past the position: not ours");
  ip.readEmpty("12", "13", "22");
  assert.equal(ip.next, 14n);
  ip.readEmpty(null, "13", "22");
  assert.equal(ip.next, 14n, "no records at all");
  ip.readEmpty("14", "21", "22");
  assert.equal(ip.next, 22n);
  assert.equal(ip.lag(), 0n);
  assert.equal(ip.take(progress(), []).offset, "22");
});

Deno.test("a partition's head is the event time of its own latest record, not of another partition read by the same router", () => {
  const { local } = localTasks([0, 1, 2, 3]);
  const router = new Router("shelf", P); // one per input, shared by its partitions
  const a = new InputPartition(0, SHELF, 0n, 10n);
  const b = new InputPartition(1, SHELF, 0n, 10n);
  const at = (iso: string, customer = "c1") => ({ ...pickup(customer), timestamp: iso });
  a.read(batch(0, [record(0, at("2025-11-07T10:00:00Z"))], 10), router, local);
  assert.equal(a.headUs, us("2025-11-07T10:00:00Z"));
  b.read(batch(0, [record(0, at("2025-11-07T08:00:00Z"))], 10), router, local);
  assert.equal(b.headUs, us("2025-11-07T08:00:00Z"));
  a.read(batch(1, [record(1, at("2025-11-07T11:00:00Z"))], 10), router, local);
  // b's next batch has no event time (invalid records), or only records it had read.
  b.read(batch(1, [record(1, "{not json")], 10), router, local);
  assert.equal(b.headUs, us("2025-11-07T08:00:00Z"), "an invalid record: b stays where it was");
  b.read(batch(0, [record(0, at("2025-11-07T08:00:00Z")), record(1, "x")], 10), router, local);
  assert.equal(b.headUs, us("2025-11-07T08:00:00Z"), "re-delivered records: b stays");
});

Deno.test("a long-idle partition's heartbeat counts from the last control record sent, not from the last commit", () => {
  const ip = new InputPartition(0, SHELF, 0n, 0n);
  const remote = [1];
  const at = (ms: number) =>
    progress({ source: "shelf", partition: 0, idle: true, caughtUpAtMs: ms, endMovedAtMs: 0 });
  const first = ip.take(at(100_000), remote);
  assert.equal(first.records.length, 1);
  ip.committed(first);
  // The instance commits every 100 ms for its other partitions and tasks.
  let sent = 0;
  for (let ms = 100_100; ms <= 100_000 + QUIET_HEARTBEAT_MS; ms += 100) {
    const t = ip.take(at(ms), remote);
    sent += t.records.length;
    ip.committed(t);
  }
  assert.equal(sent, 1, "one a minute, however often the instance commits");
});
