/**
 * The foot relay on a real broker (issue 12): foot sessions produced by kcat, keyed by customer
 * id with librdkafka's default partitioner (CRC32, not Kafka's murmur2), come out of the
 * repartition topic exactly once in their customer's murmur2 partition, with
 * `pos-src-topic: foot`, where the shelf relay puts that customer's shelf events; control
 * records name their source, and a foot partition's watermark is its latest entry time.
 */
import assert from "node:assert/strict";
import type { Kafka } from "kafkajs";
import { partitionForKey } from "../../lib/kafka/partitioner.ts";
import { readRelayed } from "../../lib/kafka/relay_records.ts";
import { testBroker } from "../support/kafka.ts";
import { createTopics, testKafka } from "../support/kafka_client.ts";
import { eventually } from "../support/service_process.ts";
import {
  hasKcat,
  kcat,
  kcatKeyed,
  latestControls,
  type Read,
  readTopic,
  type RelayNames,
  relayNames,
  startRelay,
} from "../support/relay_topics.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const SHELF_PARTITIONS = 3;
const P = 4;

async function setUp() {
  const { bootstrap } = await testBroker();
  const kafka = testKafka(bootstrap);
  const names = relayNames();
  await createTopics(kafka, [names.shelf], SHELF_PARTITIONS);
  await createTopics(kafka, [names.repartition, names.foot], P);
  return { bootstrap, kafka, names };
}

/** The relayed data records of `source`. */
async function relayedFrom(kafka: Kafka, names: RelayNames, source: string): Promise<Read[]> {
  return (await readTopic(kafka, names.repartition)).filter((r) => {
    const k = readRelayed(r.headers, r.value);
    return k.kind === "data" && k.source === source;
  });
}

/** Every shelf event relayed to its customer's partition (the same as the session's). */
async function shelfBesideSessions(kafka: Kafka, names: RelayNames, total: number) {
  let data: Read[] = [];
  await eventually(
    "every shelf event relayed",
    async () => {
      data = await relayedFrom(kafka, names, "shelf");
      return data.length >= total;
    },
    60_000,
    300,
  );
  assert.equal(data.length, total);
  for (const r of data) assert.equal(r.partition, partitionForKey(r.key!, P));
}

/** Foot sessions of `n` customers, keyed by customer id, entering a minute apart. */
function footSessions(n: number): [string, string][] {
  const at = (min: number) => new Date(Date.UTC(2025, 10, 7, 9, min)).toISOString();
  return Array.from({ length: n }, (_, i) => {
    const customer = `cust-${i}`;
    const session = { event_type: "foot_traffic", customer_id: customer };
    return [customer, JSON.stringify({ ...session, entry_time: at(i), exit_time: at(i + 30) })];
  });
}

/** Every foot record relayed once, unchanged, keyed, to murmur2(customer) mod P. */
async function footRelayed(kafka: Kafka, names: RelayNames): Promise<Read[]> {
  const input = await readTopic(kafka, names.foot);
  let data: Read[] = [];
  await eventually(
    "every session relayed",
    async () => {
      data = (await readTopic(kafka, names.repartition)).filter((r) => {
        const k = readRelayed(r.headers, r.value);
        return k.kind === "data" && k.source === "foot";
      });
      return data.length >= input.length;
    },
    60_000,
    300,
  );
  assert.equal(data.length, input.length, "each once");
  const bySource = new Map(data.map((r) => {
    const h = r.headers;
    return [`${h["pos-src-partition"]}:${h["pos-src-offset"]}`, r];
  }));
  for (const f of input) {
    const r = bySource.get(`${f.partition}:${f.offset}`);
    assert.ok(r, `foot ${f.partition}:${f.offset} not relayed`);
    assert.equal(r.headers["pos-src-topic"], "foot");
    assert.equal(r.key, f.key);
    assert.equal(r.value, f.value, "unchanged");
    assert.equal(r.partition, partitionForKey(f.key!, P), `${f.key} in its murmur2 partition`);
  }
  return input;
}

Deno.test({
  name: "foot sessions keyed by kcat (CRC32) are relayed to murmur2(customer)'s partition, " +
    "beside the shelf relay's records; control records name their source",
  ignore: !hasKcat,
  ...opts,
  fn: async () => {
    const { bootstrap, kafka, names } = await setUp();
    const sessions = footSessions(40);
    await kcatKeyed(bootstrap, names.foot, sessions);
    const shelf = sessions.map(([c], i) =>
      JSON.stringify({ event_type: "pickup", customer_id: c, item_id: "A", n: i })
    );
    await kcat(bootstrap, names.shelf, shelf);
    const footRelay = startRelay(bootstrap, names, P, [], "foot");
    const shelfRelay = startRelay(bootstrap, names, P);
    try {
      const input = await footRelayed(kafka, names);
      const misplaced = input.filter((r) => r.partition !== partitionForKey(r.key!, P));
      assert.ok(misplaced.length > 0, "kcat's partitioner is not murmur2: some sessions move");
      await shelfBesideSessions(kafka, names, shelf.length);
      // A foot partition's watermark is its latest entry time (the engine's foot event time).
      const entries = new Map<number, number>();
      for (const r of input) {
        const us = Date.parse(JSON.parse(r.value).entry_time) * 1000;
        entries.set(r.partition, Math.max(entries.get(r.partition) ?? -Infinity, us));
      }
      await eventually(
        "control records of both inputs, caught up, on every partition",
        async () => {
          const latest = await latestControls(kafka, names.repartition);
          for (let p = 0; p < P; p++) {
            for (let s = 0; s < P; s++) {
              const c = latest.get(`${p}/foot/${s}`);
              if (
                !c?.caughtUp || c.source !== "foot" || c.watermarkUs !== entries.get(s)
              ) return false;
            }
            for (let s = 0; s < SHELF_PARTITIONS; s++) {
              if (latest.get(`${p}/shelf/${s}`)?.caughtUp !== true) return false;
            }
          }
          return true;
        },
        30_000,
        300,
      );
      assert.deepEqual([...footRelay.stages], ["foot-relay"]);
      assert.deepEqual([...shelfRelay.stages], ["shelf-relay"]);
    } finally {
      await Promise.all([footRelay.stop(), shelfRelay.stop()]);
    }
  },
});
