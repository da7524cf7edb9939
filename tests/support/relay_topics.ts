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
import type { RelayDeps, StageKind } from "../../lib/kafka/stage.ts";
import { BrokerContact } from "../../lib/kafka/broker_contact.ts";
import { jsonLogger } from "../../lib/observe/log.ts";
import { testBroker, uniqueName } from "./kafka.ts";
import { createTopics, testKafka } from "./kafka_client.ts";
import { eventually, readRecords } from "./service_process.ts";

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
 * A relay test on the test broker: fresh names, the shelf topic with `shelfPartitions`
 * partitions, the repartition and foot topics with `partitions`.
 */
export async function setUpRelayTopics(shelfPartitions: number, partitions: number) {
  const { bootstrap } = await testBroker();
  const kafka = testKafka(bootstrap);
  const names = relayNames();
  await createTopics(kafka, [names.shelf], shelfPartitions);
  await createTopics(kafka, [names.repartition, names.foot], partitions);
  return { bootstrap, kafka, names };
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
  const deps: RelayDeps = {
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
    contact: new BrokerContact(),
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

/**
 * Waits until the repartition topic holds at least `count` data records relayed from `source`
 * (polling every 300 ms for up to 60 s; `what` names the wait); gives them.
 */
export async function relayedData(
  kafka: Kafka,
  names: RelayNames,
  source: string,
  count: number,
  what: string,
): Promise<Read[]> {
  let data: Read[] = [];
  await eventually(
    what,
    async () => {
      data = (await readTopic(kafka, names.repartition)).filter((r) => {
        const k = readRelayed(r.headers, r.value);
        return k.kind === "data" && k.source === source;
      });
      return data.length >= count;
    },
    60_000,
    300,
  );
  return data;
}

/** The control records one input should have on every repartition partition. */
export interface ExpectedControls {
  source: "foot" | "shelf";
  /** The input's partition count. */
  partitions: number;
  /** Whether the latest control record of input partition `s` is as expected. */
  ok: (c: RelayProgress | undefined, s: number) => boolean;
}

/**
 * Waits (polling every 300 ms, up to `timeoutMs`) until on each of the `partitions` repartition
 * partitions the latest control record of every partition of every input in `inputs` is ok.
 */
export async function eventuallyControls(
  kafka: Kafka,
  names: RelayNames,
  partitions: number,
  inputs: ExpectedControls[],
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  await eventually(
    what,
    async () => {
      const latest = await latestControls(kafka, names.repartition);
      for (let p = 0; p < partitions; p++) {
        for (const input of inputs) {
          for (let s = 0; s < input.partitions; s++) {
            if (!input.ok(latest.get(`${p}/${input.source}/${s}`), s)) return false;
          }
        }
      }
      return true;
    },
    timeoutMs,
    300,
  );
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
  return (await readRecords(kafka, topic, { groupPrefix: "relay-read" })).map((r) => ({
    ...r,
    value: r.value ?? "",
  }));
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

/** Runs kcat with `args`, writing `lines` to its stdin; asserts it succeeded. */
export async function runKcat(args: string[], lines: string[]): Promise<void> {
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
