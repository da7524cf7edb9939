/**
 * The checkout tasks on a real broker: two `runCheckoutTasks` in one group share six tasks and
 * together produce exactly the transactions `replay` gives for the same records; one stops
 * midway and the other takes its tasks over (changelog restore, committed offsets) with nobody
 * billed twice. The relays are played by hand: foot and shelf records written to the repartition
 * topic by customer with their pos-src header, and control records of both inputs after each
 * slice; the tasks read nothing else.
 */
import assert from "node:assert/strict";
import type { Kafka } from "kafkajs";
import { parseServiceConfig } from "../../lib/cli/config.ts";
import { loadPriceBook } from "../../lib/catalog/loader.ts";
import { createKafka } from "../../lib/kafka/client.ts";
import { partitionForKey } from "../../lib/kafka/partitioner.ts";
import {
  controlRecord,
  ORIGIN_HEADER,
  originOf,
  type RelaySource,
} from "../../lib/kafka/relay_records.ts";
import { ServiceMetrics } from "../../lib/kafka/service_metrics.ts";
import { checkoutGroupId, runCheckoutTasks } from "../../lib/kafka/tasks/mod.ts";
import type { Logger } from "../../lib/observe/log.ts";
import { createTopics } from "../support/kafka_client.ts";
import { eventually } from "../support/service_process.ts";
import {
  assertSameTransactions,
  billedTwice,
  brokerFixture,
  outputTransactions,
  replayExpected,
} from "../support/service_fixture.ts";
import { simulatedTraffic, type TrafficRecord } from "../support/test_store.ts";

const P = 6;
/** Every partition of both inputs must report (the fixture's topics have P partitions each). */
const INPUT_PARTITIONS = { foot: P, shelf: P };
const SLICES = 4;
const opts = { sanitizeOps: false, sanitizeResources: false };

const quiet: Logger = {
  debug() {},
  info() {},
  warn: (msg, f) => console.error("warn", msg, JSON.stringify(f ?? {})),
  error: (msg, f) => console.error("error", msg, JSON.stringify(f ?? {})),
};

type Msg = {
  key: string | null;
  value: string;
  partition: number;
  headers: Record<string, string>;
};

/**
 * Foot and shelf records as the relays would write them, slice by slice, each closed by control
 * records for every partition of both inputs. A record's input partition is `i mod count`: not
 * murmur2 of its customer (as a kcat or librdkafka producer would have it), so a session and
 * its shelf events meet only because the repartition topic routes them by murmur2.
 */
class HandRelay {
  readonly offsets = { foot: new Array(P).fill(0), shelf: new Array(P).fill(0) };
  readonly watermarks = { foot: new Array(P).fill(-Infinity), shelf: new Array(P).fill(-Infinity) };
  constructor(readonly kafka: Kafka, readonly topic: string) {}

  #relayed(source: RelaySource, r: TrafficRecord, i: number): Msg {
    const s = i % INPUT_PARTITIONS[source];
    const customer = JSON.parse(r.value).customer_id as string | undefined;
    if (r.us > this.watermarks[source][s]) this.watermarks[source][s] = r.us;
    return {
      key: customer ?? null,
      value: r.value,
      // Without a customer id: a fixed partition, where the task sends it to the DLQ.
      partition: customer ? partitionForKey(customer, P) : s % P,
      headers: { [ORIGIN_HEADER]: originOf(source, s, String(this.offsets[source][s]++)) },
    };
  }

  async slice(records: { foot: TrafficRecord[]; shelf: TrafficRecord[] }, last: boolean) {
    const messages: Msg[] = [
      ...records.foot.map((r, i) => this.#relayed("foot", r, i)),
      ...records.shelf.map((r, i) => this.#relayed("shelf", r, i)),
    ];
    const now = Date.now();
    for (const source of ["foot", "shelf"] as const) {
      for (let s = 0; s < INPUT_PARTITIONS[source]; s++) {
        const c = controlRecord({
          source,
          partition: s,
          caughtUp: last,
          ...(last ? { caughtUpAtMs: now, endMovedAtMs: now - 60_000 } : {}),
          idle: last,
          ...(Number.isFinite(this.watermarks[source][s])
            ? {
              fronts: [[0, this.watermarks[source][s], now, 0]] as [
                number,
                number,
                number,
                number,
              ][],
            }
            : {}),
        });
        for (let p = 0; p < P; p++) messages.push({ ...c, partition: p });
      }
    }
    const producer = this.kafka.producer();
    await producer.connect();
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send({ topic: this.topic, messages: messages.slice(i, i + 500) });
    }
    await producer.disconnect();
  }
}

Deno.test(
  "two instances' checkout tasks bill as replay; one stops midway, the other takes over, nobody twice",
  opts,
  async () => {
    const { kafka, fx, bootstrap } = await brokerFixture(P);
    const id = crypto.randomUUID().slice(0, 8);
    const repartition = `rep-${id}`;
    await createTopics(kafka, [repartition], P);
    await createTopics(kafka, [fx.topics.state], P, [{ name: "cleanup.policy", value: "compact" }]);
    const traffic = simulatedTraffic({ customers: 300, seed: 7, spacingUs: 2_000_000 });
    const shelf = [...traffic.shelf].sort((a, b) => a.us - b.us);
    const expected = await replayExpected(fx, { foot: traffic.foot, shelf });
    assert.ok(expected.length > 150, `replay gave ${expected.length}`);

    const { config: parsed } = parseServiceConfig([
      ...fx.args,
      "--application-id",
      `app-${id}`,
      "--repartition-topic",
      repartition,
    ]);
    const config = { ...parsed, broker: [bootstrap] };
    const { book } = await loadPriceBook({
      storePath: fx.store,
      discountPath: fx.discounts,
      unknownItem: config.unknownItemPrice,
    });
    const instance = () => {
      const stop = new AbortController();
      const metrics = new ServiceMetrics();
      const state = { ready: false, commits: 0 };
      const done = runCheckoutTasks({
        kafka: createKafka(config, quiet),
        config,
        log: quiet,
        metrics,
        tasks: metrics.tasks,
        stop: stop.signal,
        taskCount: P,
        pricer: () => book,
        onReady: (r) => state.ready = r,
        onCommit: () => state.commits++,
      });
      return { stop, done, state, metrics };
    };
    const a = instance(), b = instance();
    try {
      await eventually("both instances ready", () => a.state.ready && b.state.ready, 60_000, 100);
      const relay = new HandRelay(kafka, repartition);
      const per = Math.ceil(shelf.length / SLICES);
      await relay.slice({ foot: traffic.foot, shelf: shelf.slice(0, per) }, false);
      await relay.slice({ foot: [], shelf: shelf.slice(per, 2 * per) }, false);
      await eventually(
        "some checkouts",
        async () => (await outputTransactions(kafka, fx)).length > 0,
        60_000,
        200,
      );
      // Midway: A stops (commits what it applied, leaves the group); B takes its tasks over.
      a.stop.abort();
      await a.done;
      assert.ok(a.state.commits > 0, "A committed before it stopped");
      assert.ok((await outputTransactions(kafka, fx)).length < expected.length, "midway");
      for (let k = 2; k < SLICES; k++) {
        await relay.slice(
          { foot: [], shelf: shelf.slice(k * per, (k + 1) * per) },
          k === SLICES - 1,
        );
      }
      await eventually(
        "every transaction",
        async () => (await outputTransactions(kafka, fx)).length >= expected.length,
        90_000,
        500,
      );
      await new Promise((r) => setTimeout(r, 1000)); // a late duplicate would show
      const got = await outputTransactions(kafka, fx);
      assert.deepEqual(billedTwice(got), []);
      assertSameTransactions(got, expected);
      const assigned = b.metrics.registry.render().split("\n")
        .filter((l) => l.startsWith('pos_task_assigned{stage="task"') && l.endsWith(" 1"));
      assert.equal(assigned.length, P, "B runs every task");
      await eventually(
        "B committed every task's offset",
        async () => {
          const admin = kafka.admin();
          await admin.connect();
          try {
            const [o] = await admin.fetchOffsets({
              groupId: checkoutGroupId(config.applicationId),
              topics: [repartition],
            });
            return o.partitions.length === P && o.partitions.every((p) => Number(p.offset) > 0);
          } finally {
            await admin.disconnect();
          }
        },
        20_000,
        200,
      );
    } finally {
      a.stop.abort();
      b.stop.abort();
      await Promise.allSettled([a.done, b.done]);
    }
  },
);
