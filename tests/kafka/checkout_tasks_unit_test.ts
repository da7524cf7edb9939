/**
 * The checkout tasks without a broker: relayed foot and shelf records and control records of
 * both inputs as the engine gets them, and the order of a task's start (fencing before offsets
 * before restore before consuming), with fakes. The assigner: checkout_assigner_test.ts.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { KafkaMessage, Producer } from "kafkajs";
import type { InputRecord } from "../../lib/core/mod.ts";
import { PriceBook } from "../../lib/core/mod.ts";
import { parseServiceConfig } from "../../lib/cli/config.ts";
import { RateLimiter } from "../../lib/observe/log.ts";
import { controlRecord, type RelayProgress } from "../../lib/kafka/relay_records.ts";
import { ServiceMetrics } from "../../lib/kafka/service_metrics.ts";
import { CheckoutTask } from "../../lib/kafka/tasks/checkout_task.ts";
import type { TaskContext } from "../../lib/kafka/tasks/task_context.ts";
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

/** A task context whose Kafka calls log themselves. */
function fakeContext(log: string[]): { ctx: TaskContext; stop: AbortController } {
  const { config: parsed } = parseServiceConfig([
    "--foot-topic",
    "foot",
    "--application-id",
    "app",
  ]);
  const config = { ...parsed, repartitionTopic: "rep" };
  const stop = new AbortController();
  const step = <T>(name: string, v: T) => {
    log.push(name);
    return Promise.resolve(v);
  };
  const producer = {
    connect: () => step("producer connect", undefined),
    transaction: () => step("begin", { abort: () => step("abort", undefined) }),
    disconnect: () => step("producer disconnect", undefined),
  } as unknown as Producer;
  const ends = (topic: string) =>
    [{ partition: 2, offset: "9", low: "0", high: "9" }].map((e) => ({ ...e, topic }));
  const ctx: TaskContext = {
    deps: {
      config,
      log: { debug() {}, info() {}, warn() {}, error() {} },
      metrics: new ServiceMetrics(),
      tasks: {
        assigned() {},
        lag() {},
        restored: () => log.push("restored metric"),
        openCarts() {},
      },
      stop: stop.signal,
      taskCount: 3,
      kafka: undefined as never,
      pricer: () => PriceBook.fromRows({ items: [] }),
      onReady: () => {},
    },
    io: {
      producer: (id) => {
        log.push(`producer ${id}`);
        return producer;
      },
      admin: {
        fetchOffsets: ({ groupId, topics }: { groupId: string; topics: string[] }) =>
          step(`fetch committed offsets ${groupId} ${topics}`, [{
            topic: "rep",
            partitions: [{ partition: 2, offset: "5", metadata: null }],
          }]),
        fetchTopicOffsets: (t: string) => step(`ends ${t}`, ends(t)),
      } as never,
      consumer: {
        pause: (tps) => log.push(`pause ${tps.map((t) => `${t.topic}/${t.partitions}`)}`),
        resume: (tps) => log.push(`resume ${tps.map((t) => `${t.topic}/${t.partitions}`)}`),
        seek: ({ topic, partition, offset }) => log.push(`seek ${topic}/${partition}@${offset}`),
        commitOffsets: () => Promise.resolve(),
      },
      restore: () => step("restore changelog 2", { customers: 0, records: 0, ms: 1 }),
    },
    inputPartitions: { foot: 3, shelf: 2 },
    dlqLimiter: new RateLimiter(),
    consumerStopped: () => Promise.resolve(),
    onRunning: () => log.push("running"),
    onFenced: () => log.push("fenced"),
    retire: () => {},
    unknownRelayed: () => {},
  };
  return { ctx, stop };
}

Deno.test("task start: pause, fence, committed offsets, restore, seek, resume — in that order", async () => {
  const log: string[] = [];
  const { ctx } = fakeContext(log);
  const task = new CheckoutTask(2, ctx);
  assert.equal(await task.start(), true);
  assert.deepEqual(log, [
    "pause rep/2",
    "producer app-task-2",
    "producer connect",
    "begin",
    "abort",
    "fetch committed offsets app-checkout rep",
    "ends rep",
    "restore changelog 2",
    "restored metric",
    "seek rep/2@5", // the checkout group's committed offset
    "resume rep/2",
  ]);
  assert.equal(task.state, "running");
  // Nothing heard from the relays yet: every foot and shelf partition holds time back.
  const signal = task.positions!.signal().partitions;
  assert.deepEqual(signal.map((p) => `${p.source}/${p.partition}:${p.caughtUp}`), [
    "foot/0:false",
    "foot/1:false",
    "foot/2:false",
    "shelf/0:false",
    "shelf/1:false",
  ]);
});

Deno.test("task start: revoked while fencing, it stops before reading offsets or the changelog", async () => {
  const log: string[] = [];
  const { ctx } = fakeContext(log);
  const task = new CheckoutTask(2, ctx);
  const started = task.start();
  task.revoke();
  assert.equal(await started, false);
  assert.ok(!log.some((l) => l.startsWith("fetch committed offsets")));
  assert.ok(!log.some((l) => l.startsWith("resume")));
});

Deno.test("task: batches before the start are ignored; after it, re-delivered offsets are skipped", async () => {
  const log: string[] = [];
  const { ctx, stop } = fakeContext(log);
  const task = new CheckoutTask(2, ctx);
  const batch = (offsets: string[]) =>
    ({
      batch: {
        topic: "rep",
        partition: 2,
        highWatermark: "9",
        messages: offsets.map((o) =>
          message(o, "{}", {
            "pos-src-topic": "foot",
            "pos-src-partition": "2",
            "pos-src-offset": o,
          })
        ),
      },
      isStale: () => false,
    }) as never;
  await task.consume(batch(["0", "1"]));
  assert.equal(task.gate.pending, 0, "not started: ignored");
  await task.start();
  await task.consume(batch(["4", "5", "6"]));
  assert.equal(task.gate.pending, 2, "offset 4 is below the committed 5");
  assert.equal(task.positions!.next(), 7n);
  assert.deepEqual(task.positions!.uncommitted(), {
    foot: [],
    shelf: [{ partition: 2, offset: "7" }],
  }, "repartition partition 2 only");
  stop.abort();
});
