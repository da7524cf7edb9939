/**
 * The relay stages on a real broker: unkeyed shelf records produced by kcat over three
 * partitions come out of the repartition topic exactly once (read_committed), each in its
 * customer's partition; once the input is idle, every repartition partition carries control
 * records saying each shelf partition is caught up; two relays in one group split the shelf
 * partitions and still relay each record once (foot sessions: relay_foot_test.ts).
 */
import assert from "node:assert/strict";
import type { Kafka } from "kafkajs";
import { partitionForKey } from "../../lib/kafka/partitioner.ts";
import { readRelayed } from "../../lib/kafka/relay_records.ts";
import { eventually } from "../support/service_process.ts";
import {
  eventuallyControls,
  hasKcat,
  kcat,
  type Read,
  readTopic,
  relayedData,
  type RelayNames,
  setUpRelayTopics,
  startRelay as startRelayOf,
} from "../support/relay_topics.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const SHELF_PARTITIONS = 3;
const P = 4;
const startRelay = (bootstrap: string, names: RelayNames, extra: string[] = []) =>
  startRelayOf(bootstrap, names, P, extra);

/** Shelf lines: pickups of 40 customers, weight changes (skipped), and garbage (invalid). */
function shelfLines(from: number, n: number): string[] {
  const lines: string[] = [];
  for (let i = from; i < from + n; i++) {
    const ts = new Date(Date.UTC(2025, 10, 7, 10, 0, i)).toISOString();
    if (i % 10 === 3) {
      lines.push(JSON.stringify({ event_type: "weight_change", n: i, timestamp: ts }));
    } else if (i % 25 === 7) lines.push(`{garbage ${i}`);
    else {
      lines.push(JSON.stringify({
        event_type: i % 4 === 0 ? "putback" : "pickup",
        customer_id: `cust-${i % 40}`,
        item_id: "A",
        n: i,
        timestamp: ts,
      }));
    }
  }
  return lines;
}

const setUp = () => setUpRelayTopics(SHELF_PARTITIONS, P);

/** Checks the repartition topic against the shelf topic: every relayable record exactly once. */
async function relayedExactlyOnce(kafka: Kafka, names: RelayNames, total: number) {
  const shelf = await readTopic(kafka, names.shelf);
  assert.equal(shelf.length, total);
  assert.equal(new Set(shelf.map((r) => r.partition)).size, SHELF_PARTITIONS, "kcat spread them");
  const relayable = shelf.filter((r) => !r.value.includes("weight_change"));
  const data = await relayedData(
    kafka,
    names,
    "shelf",
    relayable.length,
    "every relayable record relayed",
  );
  const bySource = new Map<string, Read>();
  for (const r of data) {
    const src = readRelayed(r.headers, r.value);
    assert.ok(src.kind === "data");
    const k = `${src.partition}:${src.offset}`;
    assert.ok(!bySource.has(k), `${k} relayed twice`);
    bySource.set(k, r);
  }
  for (const s of relayable) {
    const r = bySource.get(`${s.partition}:${s.offset}`);
    assert.ok(r, `${s.partition}:${s.offset} not relayed`);
    assert.equal(r.value, s.value, "unchanged");
    if (s.value.startsWith("{garbage")) {
      assert.equal(r.key, null);
      assert.equal(r.partition, s.partition % P);
    } else {
      const customer = JSON.parse(s.value).customer_id;
      assert.equal(r.key, customer);
      assert.equal(r.partition, partitionForKey(customer, P));
    }
  }
  assert.equal(data.length, relayable.length);
}

Deno.test({
  name: "the relay writes each shelf record once, by customer, says when it is caught up, " +
    "and a restart goes on from its commits",
  ignore: !hasKcat,
  ...opts,
  fn: async () => {
    const { bootstrap, kafka, names } = await setUp();
    const lines = shelfLines(0, 300);
    await kcat(bootstrap, names.shelf, lines);
    const relay = startRelay(bootstrap, names);
    try {
      await relayedExactlyOnce(kafka, names, lines.length);
      await eventuallyControls(kafka, names, P, [{
        source: "shelf",
        partitions: SHELF_PARTITIONS,
        ok: (c) => !!c?.caughtUp && !!c.idle && c.fronts !== undefined,
      }], "control records: every shelf partition caught up and idle");
      const skipped = lines.filter((l) => l.includes("weight_change")).length;
      const labels = { source: "shelf", event_type: "weight_change", outcome: "skipped" };
      await eventually(
        "skipped records counted",
        () => relay.metrics.records.get(labels) === skipped,
        10_000,
        100,
      );
    } finally {
      await relay.stop();
    }
    // A new relay goes on from the committed offsets: nothing relayed again.
    const more = shelfLines(300, 100);
    await kcat(bootstrap, names.shelf, more);
    const again = startRelay(bootstrap, names);
    try {
      await relayedExactlyOnce(kafka, names, lines.length + more.length);
    } finally {
      await again.stop();
    }
  },
});

Deno.test({
  name: "two relays in one group split the shelf partitions and relay each record once",
  ignore: !hasKcat,
  ...opts,
  fn: async () => {
    const { bootstrap, kafka, names } = await setUp();
    const first = shelfLines(0, 200);
    await kcat(bootstrap, names.shelf, first);
    const a = startRelay(bootstrap, names);
    const b = { current: undefined as ReturnType<typeof startRelay> | undefined };
    try {
      await eventually("the first relay owns every task", () => a.owned.size === 3, 60_000, 100);
      b.current = startRelay(bootstrap, names);
      const second = shelfLines(200, 200);
      await kcat(bootstrap, names.shelf, second);
      await eventually(
        "both relays own tasks, all of them between them",
        () =>
          a.owned.size > 0 && b.current!.owned.size > 0 &&
          a.owned.size + b.current!.owned.size === 3,
        60_000,
        100,
      );
      const third = shelfLines(400, 100);
      await kcat(bootstrap, names.shelf, third);
      await relayedExactlyOnce(kafka, names, first.length + second.length + third.length);
    } finally {
      await Promise.all([a.stop(), b.current?.stop()]);
    }
  },
});

Deno.test({
  name: "a relay task fenced by another owner stops alone, and starts again while still assigned",
  ignore: !hasKcat,
  ...opts,
  fn: async () => {
    const { bootstrap, kafka, names } = await setUp();
    const first = shelfLines(0, 90);
    await kcat(bootstrap, names.shelf, first);
    const relay = startRelay(bootstrap, names);
    const zombie = kafka.producer({
      transactionalId: `${names.app}-shelf-relay-0`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    try {
      await eventually("the relay owns every task", () => relay.owned.size === 3, 60_000, 100);
      await zombie.connect();
      await (await zombie.transaction()).abort(); // InitProducerId: the relay's task 0 is fenced
      await eventually("task 0 stopped", () => !relay.owned.has(0), 30_000, 100);
      assert.equal(relay.owned.size, 2, "the other tasks go on");
      const second = shelfLines(90, 90);
      await kcat(bootstrap, names.shelf, second);
      // Still assigned to us after the fenced-restart delay: task 0 fences the other owner back.
      await eventually("task 0 started again", () => relay.owned.has(0), 40_000, 200);
      await relayedExactlyOnce(kafka, names, first.length + second.length);
      let settled = false;
      relay.done.then(() => settled = true, () => settled = true);
      await new Promise((r) => setTimeout(r, 0));
      assert.equal(settled, false, "runRelay still running");
    } finally {
      await zombie.disconnect().catch(() => {});
      await relay.stop();
    }
  },
});

Deno.test({
  name: "at-least-once: the relay writes without transactions and commits its offsets after",
  ignore: !hasKcat,
  ...opts,
  fn: async () => {
    const { bootstrap, kafka, names } = await setUp();
    const lines = shelfLines(0, 150);
    await kcat(bootstrap, names.shelf, lines);
    const alo = ["--delivery", "at-least-once"];
    const relay = startRelay(bootstrap, names, alo);
    try {
      await relayedExactlyOnce(kafka, names, lines.length); // no crash: nothing twice
    } finally {
      await relay.stop();
    }
    const more = shelfLines(150, 60);
    await kcat(bootstrap, names.shelf, more);
    const again = startRelay(bootstrap, names, alo);
    try {
      await relayedExactlyOnce(kafka, names, lines.length + more.length);
    } finally {
      await again.stop();
    }
  },
});
