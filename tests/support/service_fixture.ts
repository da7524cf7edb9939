/**
 * A service under test: unique topics, groups and transactional id on a broker, a test
 * catalog, the CLI arguments that wire them, and the transactions `replay` expects for the
 * same input.
 * @module
 */
import { CompressionTypes, type Kafka } from "kafkajs";
import { testBroker } from "./kafka.ts";
import { createTopics, testKafka } from "./kafka_client.ts";
import type { Traffic, TrafficRecord } from "./test_store.ts";
import { simulatedTraffic, timeSlices, writeTestCatalog } from "./test_store.ts";
import { eventually, produce, readAll } from "./service_process.ts";
import { pyIsoformat } from "../../lib/sim/store_simulation.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** Names and files of one service under test. */
export interface Fixture {
  bootstrap: string;
  topics: { foot: string; shelf: string; pos: string; dlq: string; state: string };
  dir: string;
  store: string;
  discounts: string;
  /** CLI arguments for `pos-producer run`. */
  args: string[];
}

/**
 * The topic names of one service named by `id`; creates its input, output and dead-letter
 * topics with `partitions` partitions each (not the state topic).
 */
export async function createFixtureTopics(
  kafka: Kafka,
  id: string,
  partitions: number,
): Promise<Fixture["topics"]> {
  const topics = {
    foot: `foot-${id}`,
    shelf: `shelf-${id}`,
    pos: `pos-${id}`,
    dlq: `dlq-${id}`,
    state: `state-${id}`,
  };
  await createTopics(kafka, [topics.foot, topics.shelf, topics.pos, topics.dlq], partitions);
  return topics;
}

/** Creates topics with `partitions` partitions and a catalog; returns the wiring. */
export async function makeFixture(
  kafka: Kafka,
  bootstrap: string,
  partitions = 3,
  extraArgs: string[] = [],
): Promise<Fixture> {
  const id = crypto.randomUUID().slice(0, 8);
  const topics = await createFixtureTopics(kafka, id, partitions);
  const dir = await Deno.makeTempDir({ prefix: "pos-fixture-" });
  const { store, discounts } = await writeTestCatalog(dir);
  // The defaults a user runs with (the commit interval among them).
  const args = [...serviceArgs(bootstrap, topics, id, { store, discounts }), ...extraArgs];
  return { bootstrap, topics, dir, store, discounts, args };
}

/** The shared test broker, a client of it and a fixture on it (see {@link makeFixture}). */
export async function brokerFixture(
  partitions = 3,
  extraArgs: string[] = [],
): Promise<{ bootstrap: string; kafka: Kafka; fx: Fixture }> {
  const { bootstrap } = await testBroker();
  const kafka = testKafka(bootstrap);
  const fx = await makeFixture(kafka, bootstrap, partitions, extraArgs);
  return { bootstrap, kafka, fx };
}

/** Simulated traffic and what `pos-producer replay` outputs for it (the reference). */
export async function replayedTraffic(
  fx: Fixture,
  sim: Parameters<typeof simulatedTraffic>[0],
): Promise<{ traffic: Traffic; expected: Record<string, unknown>[] }> {
  const traffic = simulatedTraffic(sim);
  return { traffic, expected: await replayExpected(fx, traffic) };
}

/** Produces the whole foot traffic (with `foot`'s compression), then the whole shelf traffic. */
export async function produceTraffic(
  kafka: Kafka,
  fx: Fixture,
  traffic: { foot: TrafficRecord[]; shelf: TrafficRecord[] },
  foot: { compression?: CompressionTypes } = {},
): Promise<void> {
  await produce(kafka, fx.topics.foot, traffic.foot, foot);
  await produce(kafka, fx.topics.shelf, traffic.shelf);
}

/** Arguments that wire `pos-producer run` to these topics, groups, id and catalog. */
export function serviceArgs(
  bootstrap: string,
  topics: Fixture["topics"],
  id: string,
  catalog: { store: string; discounts: string },
): string[] {
  return [
    "--broker",
    bootstrap,
    "--foot-topic",
    topics.foot,
    "--shelf-topic",
    topics.shelf,
    "--pos-topic",
    topics.pos,
    "--dlq-topic",
    topics.dlq,
    "--state-topic",
    topics.state,
    "--group-id-foot",
    `gf-${id}`,
    "--group-id-shelf",
    `gs-${id}`,
    "--transactional-id",
    `tx-${id}`,
    "--store",
    catalog.store,
    "--discounts",
    catalog.discounts,
  ];
}

/** What `pos-producer replay` outputs for the same records (the reference). */
export async function replayExpected(
  fx: Fixture,
  traffic: { foot: TrafficRecord[]; shelf: TrafficRecord[] },
  extraArgs: string[] = [],
): Promise<Record<string, unknown>[]> {
  const foot = `${fx.dir}/foot.jsonl`;
  const shelf = `${fx.dir}/shelf.jsonl`;
  await Deno.writeTextFile(foot, traffic.foot.map((r) => r.value).join("\n") + "\n");
  await Deno.writeTextFile(shelf, traffic.shelf.map((r) => r.value).join("\n") + "\n");
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      MAIN,
      "replay",
      "--foot",
      foot,
      "--shelf",
      shelf,
      "--store",
      fx.store,
      "--discounts",
      fx.discounts,
      "--dlq",
      `${fx.dir}/replay-dlq.jsonl`,
      ...extraArgs,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`replay failed: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout).trim().split("\n").filter(Boolean).map((l) =>
    JSON.parse(l)
  );
}

/** Every transaction on the output topic (read_committed), parsed, in topic order. */
export async function outputTransactions(
  kafka: Kafka,
  fx: Fixture,
): Promise<Record<string, unknown>[]> {
  return (await readAll(kafka, fx.topics.pos)).map((m) => JSON.parse(m.value!));
}

/** Sorts transactions by id, for comparing sets. */
export function byId(txs: Record<string, unknown>[]): Record<string, unknown>[] {
  return [...txs].sort((a, b) => String(a.transaction_id).localeCompare(String(b.transaction_id)));
}

/** The generated traffic, re-exported for tests. */
export type { Traffic };

/**
 * Asserts that `got` holds exactly the transactions of `expected`, once each, with a message
 * that says what is missing, extra, duplicated or different.
 */
export function assertSameTransactions(
  got: Record<string, unknown>[],
  expected: Record<string, unknown>[],
): void {
  const key = (t: Record<string, unknown>) => String(t.transaction_id);
  const g = new Map(got.map((t) => [key(t), t]));
  const e = new Map(expected.map((t) => [key(t), t]));
  const missing = [...e.keys()].filter((k) => !g.has(k));
  const extra = [...g.keys()].filter((k) => !e.has(k));
  const differing = [...e.keys()].filter((k) =>
    g.has(k) && JSON.stringify(g.get(k)) !== JSON.stringify(e.get(k))
  );
  const duplicates = got.length - g.size;
  if (missing.length || extra.length || differing.length || duplicates) {
    const sample = differing[0];
    throw new Error(
      `transactions differ: ${missing.length} missing, ${extra.length} extra, ${differing.length} different, ${duplicates} duplicated (of ${expected.length} expected)` +
        (sample
          ? `\nfirst different:\n  got      ${JSON.stringify(g.get(sample))}\n  expected ${
            JSON.stringify(e.get(sample))
          }`
          : "") +
        (missing[0] ? `\nfirst missing: ${JSON.stringify(e.get(missing[0]))}` : "") +
        (extra[0] ? `\nfirst extra: ${JSON.stringify(g.get(extra[0]))}` : ""),
    );
  }
}

/**
 * Waits until the output topic holds as many transactions as `expected`, lets a second pass so
 * that a late duplicate would show, then asserts they are exactly `expected`.
 */
export async function expectTransactions(
  kafka: Kafka,
  fx: Fixture,
  expected: Record<string, unknown>[],
  what = "all transactions",
  timeoutMs = 60_000,
): Promise<void> {
  try {
    await eventually(
      what,
      async () => (await outputTransactions(kafka, fx)).length >= expected.length,
      timeoutMs,
      500,
    );
  } catch (e) {
    // Say which transactions never came, not only that the wait ended.
    assertSameTransactions(await outputTransactions(kafka, fx), expected);
    throw e;
  }
  await new Promise((r) => setTimeout(r, 1000));
  assertSameTransactions(await outputTransactions(kafka, fx), expected);
}

/** The `pos-producer simulate` command line into the fixture's topics and catalog. */
export function simulateCommand(fx: Fixture, args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "simulate",
      "--broker",
      fx.bootstrap,
      "--foot-topic",
      fx.topics.foot,
      "--shelf-topic",
      fx.topics.shelf,
      "--store",
      fx.store,
      "--discounts",
      fx.discounts,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  });
}

/** Runs `pos-producer simulate` into the fixture's topics; resolves when it has sent all. */
export async function simulateInto(fx: Fixture, args: string[]): Promise<void> {
  const out = await simulateCommand(fx, args).output();
  if (!out.success) throw new Error(`simulate failed: ${new TextDecoder().decode(out.stderr)}`);
}

/** Both input topics as they are now, as replay's input (every partition, any order). */
export async function topicsAsTraffic(kafka: Kafka, fx: Fixture) {
  const values = async (topic: string) =>
    (await readAll(kafka, topic)).map((m) => ({ key: m.key, value: m.value!, us: 0 }));
  return { foot: await values(fx.topics.foot), shelf: await values(fx.topics.shelf) };
}

/** Customers with more than one transaction. */
export function billedTwice(txs: Record<string, unknown>[]): string[] {
  const n = new Map<string, number>();
  for (const t of txs) n.set(String(t.customer_id), (n.get(String(t.customer_id)) ?? 0) + 1);
  return [...n].filter(([, k]) => k > 1).map(([c]) => c);
}

/** A foot-traffic session's record value, times in epoch µs (what producers send). */
export function sessionValue(customerId: string, entryUs: number, exitUs: number): string {
  return JSON.stringify({
    event_type: "foot_traffic",
    customer_id: customerId,
    entry_time: pyIsoformat(entryUs),
    exit_time: pyIsoformat(exitUs),
  });
}

/** A pickup's record value, its time in epoch µs. */
export function pickupValue(
  customerId: string,
  itemId: string,
  atUs: number,
  quantity = 1,
): string {
  return JSON.stringify({
    event_type: "pickup",
    customer_id: customerId,
    item_id: itemId,
    quantity,
    timestamp: pyIsoformat(atUs),
  });
}

/**
 * Real-time upstream producers, replayed fast: both topics produced window by window in event
 * time (foot gzip-compressed and keyed, shelf unkeyed). The default
 * configuration: a checkout waits for every shelf partition's event time, so it never runs
 * ahead of the shelf events it needs, however fast the windows come.
 */
export async function produceLikeUpstream(
  kafka: Kafka,
  fx: { topics: { foot: string; shelf: string } },
  traffic: { foot: TrafficRecord[]; shelf: TrafficRecord[] },
  slices: number,
  pauseMs = 0,
): Promise<void> {
  for (const slice of timeSlices(traffic, slices)) {
    await produce(kafka, fx.topics.foot, slice.foot, { compression: CompressionTypes.GZIP });
    await produce(kafka, fx.topics.shelf, slice.shelf, { batch: 50 });
    if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
  }
}

/**
 * Upstream producers that keep writing through a broker outage, as a store's do: `traffic` in
 * `slices` event-time windows `pauseMs` apart (shorter than the idle time: no pause of theirs is
 * the end of input), by one idempotent producer per topic that retries a send until the broker
 * takes it (as a Java producer does within its delivery timeout). `afterSlice(i)` runs once
 * window `i` is written: a test starts a broker restart there, and the next windows are held by
 * the producers until the broker is back. A refused send is tried again every `retryMs`
 * (default 500): producers come back up to that long after the broker.
 */
export async function produceThroughOutages(
  kafka: Kafka,
  fx: { topics: { foot: string; shelf: string } },
  traffic: { foot: TrafficRecord[]; shelf: TrafficRecord[] },
  opts: { slices: number; pauseMs: number; retryMs?: number; afterSlice?: (i: number) => void },
): Promise<void> {
  const retry = { retries: 60, initialRetryTime: 200, maxRetryTime: 1000 };
  const foot = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry });
  const shelf = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry });
  await Promise.all([foot.connect(), shelf.connect()]);
  const send = async (
    producer: typeof foot,
    topic: string,
    records: TrafficRecord[],
    batch: number,
    compression: CompressionTypes,
  ) => {
    for (let i = 0; i < records.length; i += batch) {
      const messages = records.slice(i, i + batch).map((r) => ({ key: r.key, value: r.value }));
      // KafkaJS gives up on a refused connection; the same idempotent producer sends again
      // (a copy that did land is dropped by the broker by its sequence number).
      for (let tries = 0;; tries++) {
        try {
          await producer.send({ topic, compression, messages });
          break;
        } catch (e) {
          if (tries >= 120) throw e;
          await new Promise((r) => setTimeout(r, opts.retryMs ?? 500));
        }
      }
    }
  };
  try {
    const windows = timeSlices(traffic, opts.slices);
    for (let i = 0; i < windows.length; i++) {
      await send(foot, fx.topics.foot, windows[i].foot, 500, CompressionTypes.GZIP);
      await send(shelf, fx.topics.shelf, windows[i].shelf, 50, CompressionTypes.None);
      opts.afterSlice?.(i);
      await new Promise((r) => setTimeout(r, opts.pauseMs));
    }
  } finally {
    await Promise.all([foot.disconnect(), shelf.disconnect()]);
  }
}
