/**
 * The foot relay on a real broker (issue 12): foot sessions produced by kcat, keyed by customer
 * id with librdkafka's default partitioner (CRC32, not Kafka's murmur2), come out of the
 * repartition topic exactly once in their customer's murmur2 partition, with
 * `pos-src: foot/…`, where the shelf relay puts that customer's shelf events; control
 * records name their source, and a foot partition's watermark is its latest entry time.
 */
import assert from "node:assert/strict";
import type { Kafka } from "kafkajs";
import { partitionForKey } from "../../lib/kafka/partitioner.ts";
import {
  eventuallyControls,
  hasKcat,
  kcat,
  kcatKeyed,
  type Read,
  readTopic,
  relayedData,
  type RelayNames,
  setUpRelayTopics,
  startRelay,
} from "../support/relay_topics.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const SHELF_PARTITIONS = 3;
const P = 4;

const setUp = () => setUpRelayTopics(SHELF_PARTITIONS, P);

/** Every shelf event relayed to its customer's partition (the same as the session's). */
async function shelfBesideSessions(kafka: Kafka, names: RelayNames, total: number) {
  const data = await relayedData(kafka, names, "shelf", total, "every shelf event relayed");
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
  const data = await relayedData(kafka, names, "foot", input.length, "every session relayed");
  assert.equal(data.length, input.length, "each once");
  const bySource = new Map(data.map((r) => [r.headers["pos-src"], r]));
  for (const f of input) {
    const r = bySource.get(`foot/${f.partition}/${f.offset}`);
    assert.ok(r, `foot ${f.partition}:${f.offset} not relayed`);
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
      await eventuallyControls(kafka, names, P, [
        {
          source: "foot",
          partitions: P,
          ok: (c, s) =>
            !!c?.caughtUp && c.source === "foot" && c.fronts?.[0]?.[1] === entries.get(s),
        },
        { source: "shelf", partitions: SHELF_PARTITIONS, ok: (c) => c?.caughtUp === true },
      ], "control records of both inputs, caught up, on every partition");
      assert.deepEqual([...footRelay.stages], ["foot-relay"]);
      assert.deepEqual([...shelfRelay.stages], ["shelf-relay"]);
    } finally {
      await Promise.all([footRelay.stop(), shelfRelay.stop()]);
    }
  },
});
