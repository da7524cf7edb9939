/**
 * Where records cross the broker twice (issue 23), on a real broker, each run compared with
 * `pos-producer replay`: an instance applies a record where it reads it when the customer's task
 * runs there, and forwards through the repartition topic only what belongs to another instance.
 * One instance forwards nothing; records keyed by customer (murmur2, the producers' partitioner)
 * are never forwarded; with two instances only unkeyed shelf events of the other's customers are.
 */
import assert from "node:assert/strict";
import type { Kafka } from "kafkajs";
import { partitionForKey } from "../../lib/kafka/partitioner.ts";
import { readRelayed } from "../../lib/kafka/relay_records.ts";
import { produce, readRecords, startService, stopService } from "../support/service_process.ts";
import { hasKcat, kcatKeyed } from "../support/kcat.ts";
import type { ServiceProcess } from "../support/service_process.ts";
import {
  brokerFixture,
  expectTransactions,
  type Fixture,
  produceLikeUpstream,
  replayedTraffic,
} from "../support/service_fixture.ts";
import type { Traffic } from "../support/test_store.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const P = 3;

/** The repartition topic of a fixture (the default: `<APPLICATION_ID>-by-customer`). */
function repartitionTopic(fx: Fixture): string {
  const i = fx.args.indexOf("--transactional-id");
  return `${fx.args[i + 1]}-by-customer`;
}

/** The repartition topic's records: forwarded data (with their source) and control records. */
async function repartitionRecords(kafka: Kafka, fx: Fixture) {
  const all = await readRecords(kafka, repartitionTopic(fx), { groupPrefix: "fwd-read" });
  const data = [];
  let controls = 0;
  for (const r of all) {
    const k = readRelayed(r.headers, r.value);
    if (k.kind === "data") {
      data.push({ at: r.partition, key: r.key, source: k.source, from: k.partition });
    } else if (k.kind === "control") controls++;
  }
  return { data, controls };
}

/** Shelf events keyed by their customer, as newer upstream producers write them. */
function keyedShelf(traffic: Traffic): Traffic {
  const shelf = traffic.shelf.map((r) => {
    const id = (JSON.parse(String(r.value)) as { customer_id?: unknown }).customer_id;
    return { ...r, key: typeof id === "string" ? id : null };
  });
  return { ...traffic, shelf };
}

/** Runs `instances` on a fresh fixture with `traffic`, checks replay's transactions. */
async function run(
  instances: number,
  shape: (t: Traffic) => Traffic,
  seed: number,
): Promise<{ kafka: Kafka; fx: Fixture; traffic: Traffic }> {
  const { kafka, fx } = await brokerFixture(P);
  const replayed = await replayedTraffic(fx, { customers: 120, seed });
  const traffic = shape(replayed.traffic);
  const svcs: ServiceProcess[] = [];
  try {
    for (let i = 0; i < instances; i++) svcs.push(await startService(fx.args));
    await produceLikeUpstream(kafka, fx, traffic, 6);
    await expectTransactions(kafka, fx, replayed.expected, "every visit billed once", 120_000);
  } finally {
    await Promise.all(svcs.map((s) => stopService(s)));
  }
  return { kafka, fx, traffic };
}

Deno.test({
  name: "one instance applies every record where it reads it: nothing crosses the broker twice",
  ...opts,
  fn: async () => {
    const { kafka, fx } = await run(1, (t) => t, 31);
    const { data, controls } = await repartitionRecords(kafka, fx);
    assert.equal(data.length, 0, "no record forwarded");
    assert.equal(controls, 0, "no control record: no task elsewhere");
  },
});

Deno.test({
  name: "two instances forward only unkeyed shelf events of the other's customers; keyed, none",
  ...opts,
  fn: async () => {
    const unkeyed = await run(2, (t) => t, 32);
    const fwd = await repartitionRecords(unkeyed.kafka, unkeyed.fx);
    // Foot sessions are keyed by customer (murmur2): each lies in its customer's partition.
    assert.equal(fwd.data.filter((d) => d.source === "foot").length, 0, "no session forwarded");
    for (const d of fwd.data) {
      assert.equal(d.at, partitionForKey(d.key!, P), "to its customer's task");
      // Task s reads shelf partition s: its own customers' events there are applied at once.
      assert.notEqual(d.at, d.from, "never to the task that read it");
    }
    assert.ok(fwd.data.length < unkeyed.traffic.shelf.length, "not every shelf event");

    const keyed = await run(2, keyedShelf, 33);
    const none = await repartitionRecords(keyed.kafka, keyed.fx);
    assert.equal(none.data.length, 0, "keyed input is never forwarded");
  },
});

Deno.test({
  name: "foot sessions keyed by kcat (CRC32, not murmur2) reach their customer's task: " +
    "two instances bill every visit once",
  ...opts,
  ignore: !hasKcat,
  fn: async () => {
    const { kafka, fx } = await brokerFixture(P);
    const { traffic, expected } = await replayedTraffic(fx, { customers: 120, seed: 34 });
    const svcs = [await startService(fx.args), await startService(fx.args)];
    try {
      const foot = traffic.foot.map((r) => [r.key!, String(r.value)] as [string, string]);
      await kcatKeyed(fx.bootstrap, fx.topics.foot, foot);
      await produce(kafka, fx.topics.shelf, traffic.shelf);
      await expectTransactions(kafka, fx, expected, "every visit billed once", 120_000);
    } finally {
      await Promise.all(svcs.map((s) => stopService(s)));
    }
    const { data } = await repartitionRecords(kafka, fx);
    for (const d of data) assert.equal(d.at, partitionForKey(d.key!, P), "murmur2's partition");
  },
});
