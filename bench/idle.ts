/**
 * What an idle service costs (issue 23), through a real broker:
 *
 *   deno run -A bench/idle.ts [--seconds 120] [--instances 1]
 *
 * Creates the input and output topics (3 partitions each), starts `--instances` services at
 * their defaults (the broker, the test price files, and topic, group and application names of
 * their own, as the service tests wire them), waits until every `/readyz` answers 200, then
 * measures over `--seconds` with no input, per instance: its CPU as % of one core (from
 * /proc/<pid>/stat), its RSS at the end, the most it reached (sampled every second) and VmHWM
 * (since its start), and its Kafka transactions (the delta of `pos_commits_total`, and per
 * second). For all instances together, the broker's view: the transactions it completed for
 * these transactional ids (`CompleteCommit`/`CompleteAbort` records in `__transaction_state`)
 * and the transaction markers it wrote per topic (the last stable offsets' delta less the data
 * records between them, counted on the service's topics and, on a broker of its own, on
 * `__consumer_offsets`); the broker's CPU % when this bench started it.
 *
 * Starts its own broker on loopback unless KAFKA_TEST_BROKER is set. Prints one JSON object.
 * @module
 */
import { parseArgs } from "node:util";
import type { Kafka } from "kafkajs";
import { type ServiceProcess, startService } from "../tests/support/service_process.ts";
import { createFixtureTopics, serviceArgs } from "../tests/support/service_fixture.ts";
import { benchContext, cpuSeconds, kcatRead, metric, ready, rss } from "./support.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string", default: "120" },
    instances: { type: "string", default: "1" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(`deno run -A bench/idle.ts [--seconds 120] [--instances 1]: an idle service's CPU,
RSS and Kafka transactions (and the broker's CPU when this bench starts it)

Starts its own broker on loopback, or uses KAFKA_TEST_BROKER=host:port.`);
  Deno.exit(0);
}
const seconds = Number(values.seconds);
const instances = Number(values.instances);
const round = (x: number, digits = 1) => Number(x.toFixed(digits));

const { bootstrap, broker, kafka, dir, catalog } = await benchContext("pos-idle-");
const id = `idle-${crypto.randomUUID().slice(0, 6)}`;
const topics = await createFixtureTopics(kafka, id, 3);
const args = serviceArgs(bootstrap, topics, id, catalog);

/** Per partition of each topic, its last stable offset (KafkaJS's admin lists read_committed). */
async function stableOffsets(kafka: Kafka, names: string[]) {
  const admin = kafka.admin();
  await admin.connect();
  const out = new Map<string, Map<number, number>>();
  for (const t of names) {
    const ends = await admin.fetchTopicOffsets(t);
    out.set(t, new Map(ends.map((e) => [e.partition, Number(e.offset)])));
  }
  await admin.disconnect();
  return out;
}

/** The topics to count markers on: the service's (named by `id`), and `__consumer_offsets`. */
async function markerTopics(kafka: Kafka): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  const all = await admin.listTopics();
  await admin.disconnect();
  // On a shared broker, other clients' offset commits and transactions land there too.
  return all.filter((t) => t.includes(id) || (broker && t === "__consumer_offsets")).sort();
}

const svcs: ServiceProcess[] = [];
try {
  for (let i = 0; i < instances; i++) svcs.push(await startService(args));
  await Promise.all(svcs.map(ready));

  const names = await markerTopics(kafka);
  const offsets0 = await stableOffsets(kafka, names);
  const brokerCpu = () => broker?.pid ? cpuSeconds(broker.pid) : NaN;
  const commits0 = await Promise.all(svcs.map((s) => metric(s, "pos_commits_total")));
  const cpu0 = svcs.map((s) => cpuSeconds(s.pid));
  const broker0 = brokerCpu();
  const wall0 = Date.now();
  const t0 = performance.now();
  const rssMax = svcs.map((s) => rss(s.pid).rssMiB);
  while (performance.now() - t0 < seconds * 1000) {
    await new Promise((r) =>
      setTimeout(r, Math.min(1000, seconds * 1000 - (performance.now() - t0)))
    );
    svcs.forEach((s, i) => rssMax[i] = Math.max(rssMax[i], rss(s.pid).rssMiB));
  }
  const cpu1 = svcs.map((s) => cpuSeconds(s.pid));
  const broker1 = brokerCpu();
  const wall = (performance.now() - t0) / 1000;
  const wall1 = Date.now();
  const commits1 = await Promise.all(svcs.map((s) => metric(s, "pos_commits_total")));
  const offsets1 = await stableOffsets(kafka, names);
  const mems = svcs.map((s) => rss(s.pid));
  // Stopped before the topics are read: kcat may not reach the end of a topic that
  // transactions keep writing to (`__consumer_offsets`).
  for (const s of svcs) s.kill("SIGTERM");
  await Promise.all(svcs.map((s) => s.wait()));

  const perInstance = svcs.map((_, i) => {
    const mem = mems[i];
    const commits = commits1[i] - commits0[i];
    return {
      cpu_percent: round(((cpu1[i] - cpu0[i]) / wall) * 100),
      rss_end_mib: mem.rssMiB,
      rss_max_mib: Math.max(rssMax[i], mem.rssMiB),
      vmhwm_mib: mem.peakMiB,
      commits,
      commits_per_s: round(commits / wall, 2),
    };
  });

  // The markers: between two last stable offsets, every offset is a data record or a marker.
  const markers: Record<string, number> = {};
  for (const t of names) {
    const from = offsets0.get(t)!, to = offsets1.get(t)!;
    let span = 0;
    for (const [p, end] of to) span += end - (from.get(p) ?? 0);
    if (span === 0) continue;
    const lines = await kcatRead(bootstrap, t, "%p %o", { readCommitted: false }).catch((e) => {
      console.error(`markers on ${t} not counted: ${e}`);
      return undefined;
    });
    const data = lines?.map((l) => l.split(" ").map(Number))
      .filter(([p, o]) => o >= (from.get(p) ?? 0) && o < (to.get(p) ?? 0)).length;
    // null in the JSON when kcat did not reach the end
    markers[t] = data === undefined ? NaN : span - data;
  }
  // The coordinator's records: key (version, id length, transactional id), value (version,
  // producer id, epoch, timeout, state), each printed by kcat as its fields' digits run
  // together: the key holds the transactional id, the value ends with the state (one digit; 4
  // and 5 complete a commit and an abort). Timestamps are the broker's clock, this machine's.
  const states = await kcatRead(bootstrap, "__transaction_state", "%T %k %s", {
    readCommitted: false,
    extra: ["-s", "key=>hhs", "-s", "value=>hqhib"],
  }).catch(() => [] as string[]);
  const completed = { commits: 0, aborts: 0, ids: new Set<string>() };
  for (const line of states) {
    const [ts, key, value] = line.split(" ");
    if (!key?.includes(id) || Number(ts) < wall0 || Number(ts) >= wall1) continue;
    completed.ids.add(key);
    const state = value?.at(-1);
    if (state === "4") completed.commits++;
    if (state === "5") completed.aborts++;
  }

  const sum = (f: (r: (typeof perInstance)[number]) => number) =>
    perInstance.reduce((n, r) => n + f(r), 0);
  console.log(JSON.stringify(
    {
      seconds: round(wall),
      instances,
      bench_started_broker: broker !== undefined,
      per_instance: perInstance,
      total: {
        cpu_percent: round(sum((r) => r.cpu_percent)),
        rss_end_mib: sum((r) => r.rss_end_mib),
        commits: sum((r) => r.commits),
        commits_per_s: round(sum((r) => r.commits) / wall, 2),
      },
      broker_view: {
        transactions_committed: completed.commits,
        transactions_aborted: completed.aborts,
        transactional_ids: completed.ids.size,
        transaction_markers: Object.values(markers).reduce((a, b) => a + b, 0),
        transaction_markers_by_topic: markers,
      },
      broker_cpu_percent: broker ? round(((broker1 - broker0) / wall) * 100) : null,
    },
    null,
    2,
  ));
} finally {
  for (const s of svcs) s.kill("SIGTERM");
  await Promise.all(svcs.map((s) => s.wait()));
  await Deno.remove(dir, { recursive: true });
  await broker?.stop();
}
Deno.exit(0);
