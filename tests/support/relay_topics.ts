/**
 * Helpers of the relay tests: one relay "instance" on the test broker, reading a topic with each
 * record's partition and offset, the latest control records, and producing lines with kcat
 * (unkeyed, or keyed with librdkafka's default partitioner, as upstream producers do).
 * @module
 */
import assert from "node:assert/strict";
import type { Kafka } from "kafkajs";
import { parseServiceConfig } from "../../lib/cli/config.ts";
import { createKafka } from "../../lib/kafka/client.ts";
import { readRelayed, type RelayProgress } from "../../lib/kafka/relay_records.ts";
import { type RelayInput, runRelay } from "../../lib/kafka/relay/mod.ts";
import { ServiceMetrics } from "../../lib/kafka/service_metrics.ts";
import type { StageDeps, StageKind } from "../../lib/kafka/stage.ts";
import { jsonLogger } from "../../lib/observe/log.ts";
import { uniqueName } from "./kafka.ts";
import { eventually } from "./service_process.ts";

/** The names a relay test shares between its relays. */
export interface RelayNames {
  shelf: string;
  foot: string;
  repartition: string;
  /** The shelf relay's group. */
  group: string;
  /** The foot relay's group. */
  groupFoot: string;
  app: string;
}

/** Fresh names for one relay test. */
export function relayNames(): RelayNames {
  const id = uniqueName("relay");
  return {
    shelf: `${id}-shelf`,
    foot: `${id}-foot`,
    repartition: `${id}-repartition`,
    group: `${id}-gs`,
    groupFoot: `${id}-gf`,
    app: id,
  };
}

/**
 * One relay "instance" of `source` (default shelf): its own client, the shared names, a stop,
 * and the tasks it owns (as the stage reports them, with their stage kind).
 */
export function startRelay(
  bootstrap: string,
  names: RelayNames,
  taskCount: number,
  extra: string[] = [],
  source: "foot" | "shelf" = "shelf",
) {
  const { config } = parseServiceConfig([
    ...["--broker", bootstrap, "--shelf-topic", names.shelf, "--foot-topic", names.foot],
    ...["--group-id-shelf", names.group, "--group-id-foot", names.groupFoot],
    ...["--application-id", names.app, "--repartition-topic", names.repartition],
    ...["--commit-interval-ms", "100", "--idle-sec", "1", "--log-level", "warn"],
    ...extra,
  ], () => undefined);
  const input: RelayInput = source === "foot"
    ? { source, topic: config.footTopic, groupId: config.groupIdFoot }
    : { source, topic: config.shelfTopic, groupId: config.groupIdShelf };
  const log = jsonLogger("warn");
  const stop = new AbortController();
  const owned = new Set<number>();
  const stages = new Set<StageKind>();
  const metrics = new ServiceMetrics();
  const deps: StageDeps = {
    kafka: createKafka(config, log),
    config,
    log,
    metrics,
    tasks: {
      assigned: (stage, task, on) => (stages.add(stage), on ? owned.add(task) : owned.delete(task)),
      lag: (stage) => void stages.add(stage),
      restored() {},
      openCarts() {},
    },
    stop: stop.signal,
    taskCount,
  };
  const done = runRelay(deps, input);
  done.catch(() => {});
  return { done, stop: () => (stop.abort(), done), owned, stages, metrics };
}

/** The latest control record per `<repartition partition>/<source>/<input partition>`. */
export async function latestControls(
  kafka: Kafka,
  topic: string,
): Promise<Map<string, RelayProgress>> {
  const latest = new Map<string, RelayProgress>();
  for (const r of await readTopic(kafka, topic)) {
    const c = readRelayed(r.headers, r.value);
    if (c.kind !== "control") continue;
    latest.set(`${r.partition}/${c.progress.source}/${c.progress.partition}`, c.progress);
  }
  return latest;
}

/** A record read, with where it was. */
export interface Read {
  partition: number;
  offset: string;
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

/** Reads every partition of `topic` to its current end (read_committed). */
export async function readTopic(kafka: Kafka, topic: string): Promise<Read[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const pos = new Map(ends.map((e) => [e.partition, BigInt(e.low)]));
  const done = () => ends.every((e) => (pos.get(e.partition) ?? 0n) >= BigInt(e.high));
  const out: Read[] = [];
  if (done()) return out;
  const consumer = kafka.consumer({ groupId: uniqueName("relay-read"), maxWaitTimeInMs: 100 });
  consumer.on(consumer.events.END_BATCH_PROCESS, (ev) => {
    const next = BigInt(ev.payload.lastOffset) + 1n;
    if (next > (pos.get(ev.payload.partition) ?? 0n)) pos.set(ev.payload.partition, next);
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const dec = new TextDecoder();
  await consumer.run({
    autoCommit: false,
    eachBatch: ({ batch }) => {
      for (const m of batch.messages) {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(m.headers ?? {})) {
          if (v !== undefined) headers[k] = dec.decode(v as Uint8Array);
        }
        out.push({
          partition: batch.partition,
          offset: m.offset,
          key: m.key ? dec.decode(m.key) : null,
          value: m.value ? dec.decode(m.value) : "",
          headers,
        });
      }
      return Promise.resolve();
    },
  });
  await eventually(`reading ${topic} to its end`, done, 30_000, 50);
  await consumer.disconnect();
  return out;
}

/** Whether kcat is installed (the broker relay tests need it). */
export const hasKcat = await new Deno.Command("kcat", {
  args: ["-V"],
  stdout: "null",
  stderr: "null",
}).output().then((o) => o.success, () => false);

/** Produces lines unkeyed with kcat; the sticky partitioner moves on after every record. */
export function kcat(bootstrap: string, topic: string, lines: string[]): Promise<void> {
  return runKcat(
    ["-b", bootstrap, "-t", topic, "-P", "-X", "sticky.partitioning.linger.ms=0"],
    lines,
  );
}

/**
 * Produces `[key, value]` pairs with kcat's default partitioner (librdkafka's
 * `consistent_random`: CRC32 of the key, not Kafka's murmur2), as kcat users and every
 * librdkafka client do.
 */
export function kcatKeyed(
  bootstrap: string,
  topic: string,
  records: [string, string][],
): Promise<void> {
  const lines = records.map(([k, v]) => `${k}\t${v}`);
  return runKcat(["-b", bootstrap, "-t", topic, "-P", "-K", "\t"], lines);
}

async function runKcat(args: string[], lines: string[]): Promise<void> {
  const p = new Deno.Command("kcat", {
    args,
    stdin: "piped",
    stderr: "piped",
  }).spawn();
  const w = p.stdin.getWriter();
  await w.write(new TextEncoder().encode(lines.join("\n") + "\n"));
  await w.close();
  const out = await p.output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}
