/**
 * What an operator reads in the log (issue 24): repeated warnings and errors once a minute with
 * their count, and KafkaJS's retried attempts off the error level.
 */
import assert from "node:assert/strict";
import { jsonLogger, limitRepeats, RepeatLimiter } from "../../lib/observe/log.ts";
import { kafkajsLevel } from "../../lib/kafka/client.ts";

const BROKER_LOST =
  "kafkajs BrokerPool: Failed to connect to seed broker, trying another broker from the list: " +
  "Connection error: connect ECONNREFUSED 127.0.0.1:9092";

Deno.test("repeat limiter: a message repeated within a minute is logged once, then 'N more like this in the last minute'", () => {
  const limiter = new RepeatLimiter();
  const verdicts = [];
  // A 25 s outage: 96 lines of KafkaJS's seed-broker retries.
  for (let i = 0; i < 96; i++) verdicts.push(limiter.seen("warn", BROKER_LOST, {}, 1000 + i * 260));
  assert.equal(verdicts.filter((v) => v === "log").length, 1);
  assert.deepEqual(limiter.ended(30_000), [], "the minute is not over");
  assert.deepEqual(limiter.ended(61_000), [{
    level: "warn",
    msg: `${BROKER_LOST} (95 more like this in the last minute)`,
    fields: { repeated: 95 },
  }]);
  assert.deepEqual(limiter.ended(200_000), [], "told once");
  assert.equal(limiter.seen("warn", BROKER_LOST, {}, 200_000), "log", "a new minute");
});

Deno.test("repeat limiter: other messages, levels and tasks are not repeats; a single line has no count", () => {
  const FENCED = "a commit was fenced: tasks moved; waiting for the new assignment";
  const limiter = new RepeatLimiter();
  assert.equal(limiter.seen("warn", FENCED, { task: 1 }, 0), "log");
  assert.equal(limiter.seen("warn", FENCED, { task: 2 }, 1), "log");
  assert.equal(limiter.seen("error", FENCED, { task: 2 }, 2), "log");
  assert.equal(limiter.seen("warn", "something else", {}, 3), "log");
  assert.equal(limiter.seen("warn", "something else", { retryCount: 4 }, 4), "drop");
  assert.deepEqual(limiter.ended(60_010).map((s) => s.msg), [
    "something else (1 more like this in the last minute)",
  ]);
});

Deno.test("limitRepeats: the log holds the first line and the count, debug and info pass as they are", () => {
  const lines: string[] = [];
  let now = 0;
  const inner = jsonLogger("debug", (l) => lines.push(l), () => new Date(now));
  const limiter = new RepeatLimiter();
  const log = limitRepeats(inner, limiter);
  const realNow = Date.now;
  try {
    Date.now = () => now;
    for (let i = 0; i < 10; i++) {
      now = i * 1000;
      log.error("pipeline failed; restarting from the last commit", { retryInMs: 500 * i });
      log.info("tasks running", { task: 0 });
    }
    now = 70_000;
    log.warn("another");
  } finally {
    Date.now = realNow;
  }
  const msgs = lines.map((l) => JSON.parse(l) as { level: string; msg: string });
  assert.equal(msgs.filter((m) => m.msg === "tasks running").length, 10);
  assert.deepEqual(
    msgs.filter((m) => m.level === "error").map((m) => m.msg),
    [
      "pipeline failed; restarting from the last commit",
      "pipeline failed; restarting from the last commit (9 more like this in the last minute)",
    ],
  );
  assert.equal(msgs.at(-1)!.msg, "another");
});

Deno.test("kafkajs lines: retried protocol errors are debug, connection retries and crashes warn, the rest as they are", () => {
  const ERROR = 1, WARN = 2, INFO = 4;
  const concurrent = "Failed to send messages: The producer attempted to update a transaction " +
    "while another concurrent operation on the same transaction was ongoing";
  assert.equal(
    kafkajsLevel("Producer", ERROR, concurrent, { retryCount: 0, retryTime: 300 }),
    "debug",
  );
  assert.equal(
    kafkajsLevel(
      "Producer",
      ERROR,
      "Failed to send messages: This server does not host this topic-partition",
      { retryCount: 3 },
    ),
    "debug",
  );
  assert.equal(kafkajsLevel("BrokerPool", ERROR, BROKER_LOST.slice(20), { retryCount: 1 }), "warn");
  assert.equal(
    kafkajsLevel("Consumer", ERROR, "Crash: KafkaJSNoBrokerAvailableError: No broker available", {
      groupId: "g",
    }),
    "warn",
  );
  assert.equal(
    kafkajsLevel("ConsumerGroup", ERROR, "Offset out of range, resetting to default offset", {}),
    "warn",
  );
  assert.equal(kafkajsLevel("Admin", ERROR, "Something KafkaJS gave up on", {}), "error");
  assert.equal(kafkajsLevel("Runner", WARN, "The group is rebalancing, re-joining", {}), "warn");
  assert.equal(kafkajsLevel("Consumer", INFO, "Starting", {}), "debug");
  assert.equal(kafkajsLevel("Connection", ERROR, "Response Metadata", {}), "debug");
});
