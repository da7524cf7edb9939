/**
 * The edge-server footprint (issue 14), through a real broker:
 *
 *   deno run -A bench/footprint.ts [--sessions 140000] [--noise 0.5] [--store F --discounts F]
 *                                  [--env DENO_V8_FLAGS=--max-old-space-size=200] [--small]
 *
 * 1. Idle RSS: the service on empty topics, `--idle-seconds` (20) + 10 s after it is ready (after
 *    the price book loader's memory is given back), and the most it reached meanwhile (sampled
 *    every second); its CPU over the last 10 s. With `--store`/`--discounts` (default: a
 *    generated catalog).
 * 2. A backfill: `--sessions` shoppers and their shelf events (plus `weight_change` noise up to
 *    `--noise` of the shelf records), produced by kcat into 3 partitions; the time until every
 *    record is processed, every cart checked out and the last commit is readable; events/s and
 *    its ratio to a kcat consume → produce pass-through of the same shelf topic in the same run;
 *    peak RSS (VmHWM); commit time and checkout delay percentiles from the service's histograms;
 *    CPU seconds per million shelf records of the service, of both kcat processes and of the
 *    broker (when this bench started it) in each phase.
 *
 * `--small` (used by `deno task bench`): 3,000 sessions, 5 s idle. Starts its own broker on
 * loopback unless KAFKA_TEST_BROKER is set. Prints one JSON object.
 * @module
 */
import { parseArgs } from "node:util";
import { createTopics, testKafka } from "../tests/support/kafka_client.ts";
import { simulatedTraffic, writeTestCatalog } from "../tests/support/test_store.ts";
import { startService } from "../tests/support/service_process.ts";
import { serviceArgs } from "../tests/support/service_fixture.ts";
import {
  allCheckedOut,
  benchBroker,
  commitWaits,
  cpuSeconds,
  histogramQuantiles,
  kcatPassThroughCpu,
  kcatProduce,
  lastCommit,
  metric,
  ready,
  rss,
  withNoise,
} from "./support.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    sessions: { type: "string" },
    noise: { type: "string", default: "0.5" },
    store: { type: "string" },
    discounts: { type: "string" },
    env: { type: "string", multiple: true, default: [] },
    "idle-seconds": { type: "string" },
    small: { type: "boolean", default: false },
  },
});
const sessions = Number(values.sessions ?? (values.small ? 3000 : 140_000));
const idleSeconds = Number(values["idle-seconds"] ?? (values.small ? 5 : 20));
const env = Object.fromEntries(values.env!.map((kv) => {
  const i = kv.indexOf("=");
  return [kv.slice(0, i), kv.slice(i + 1)];
}));

const { bootstrap, broker } = await benchBroker();
const kafka = testKafka(bootstrap);
const dir = await Deno.makeTempDir({ prefix: "pos-footprint-" });
const catalog = values.store
  ? { store: values.store, discounts: values.discounts ?? `${dir}/none.parquet` }
  : await writeTestCatalog(dir);
const results: Record<string, unknown> = { sessions, env };

function topics(tag: string) {
  const id = `${tag}-${crypto.randomUUID().slice(0, 6)}`;
  const t = { foot: `foot-${id}`, shelf: `shelf-${id}`, pos: `pos-${id}`, dlq: `dlq-${id}` };
  return {
    ...t,
    args: [
      ...serviceArgs(bootstrap, { ...t, state: `state-${id}` }, id, catalog),
      "--log-level",
      "warn",
    ],
  };
}

// ---------------------------------------------------------------- 1. idle
{
  const t = topics("idle");
  await createTopics(kafka, [t.foot, t.shelf, t.pos, t.dlq], 3);
  const svc = await startService(t.args, env);
  await ready(svc);
  results.idle_rss_at_ready_mib = rss(svc.pid).rssMiB;
  // Sampled every second: an idle service's RSS moves with its garbage collections, and the
  // moment after one (the catalog watcher runs one 15 s after loading) is its low point.
  let idleMax = 0;
  for (let i = 0; i < idleSeconds; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    idleMax = Math.max(idleMax, rss(svc.pid).rssMiB);
  }
  const cpu0 = cpuSeconds(svc.pid);
  await new Promise((r) => setTimeout(r, 10_000));
  results.idle_cpu_percent = Number(((cpuSeconds(svc.pid) - cpu0) * 10).toFixed(1));
  results.idle_rss_mib = rss(svc.pid).rssMiB;
  results.idle_rss_max_mib = Math.max(idleMax, results.idle_rss_mib as number);
  results.idle_seconds = idleSeconds + 10;
  svc.kill("SIGTERM");
  await svc.wait();
}

// ---------------------------------------------------------------- 2. backfill
{
  const traffic = simulatedTraffic({ customers: sessions, seed: 14, spacingUs: 500_000 });
  // Noise spread through the stream, as the shelves send it.
  const shelf = withNoise(traffic.shelf, Number(values.noise));
  const t = topics("fill");
  await createTopics(kafka, [t.foot, t.shelf, t.pos, t.dlq], 3);
  await kcatProduce(bootstrap, dir, t.foot, traffic.foot);
  await kcatProduce(bootstrap, dir, t.shelf, shelf);
  const copy = `copy-${crypto.randomUUID().slice(0, 6)}`;
  await createTopics(kafka, [copy], 3);
  const brokerCpu = () => broker?.pid ? cpuSeconds(broker.pid) : NaN;
  const records = shelf.length;
  const perMillion = (cpu: number) => Number((cpu / (records / 1e6)).toFixed(2));
  const kcatBroker0 = brokerCpu();
  const kcat = await kcatPassThroughCpu(bootstrap, t.shelf, copy);
  const kcatSec = kcat.seconds;
  results.shelf_records = records;
  results.kcat_passthrough_seconds = Number(kcatSec.toFixed(2));
  results.kcat_events_per_s = Math.round(records / kcatSec);
  results.kcat_cpu_seconds_per_million_records = perMillion(kcat.kcatCpuSeconds);
  results.kcat_broker_cpu_seconds_per_million_records = perMillion(brokerCpu() - kcatBroker0);

  const svc = await startService(t.args, env);
  await ready(svc);
  const svcCpu0 = cpuSeconds(svc.pid), broker0 = brokerCpu();
  const s0 = performance.now();
  let peak = 0;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, rss(svc.pid).rssMiB);
    } catch { /* exited */ }
  }, 200);
  await allCheckedOut(svc, records, "every record processed, every cart checked out", 1_800_000);
  // The end is the last transaction: the transaction counter standing still for 500 ms.
  const { lastChange } = await lastCommit(svc);
  clearInterval(sampler);
  const sec = (lastChange - s0) / 1000;
  results.service_seconds = Number(sec.toFixed(2));
  results.service_events_per_s = Math.round(records / sec);
  results.ratio_to_kcat = Number((kcatSec / sec).toFixed(3));
  // What the cores went to (the service's and the broker's, per million shelf records).
  results.service_cpu_seconds_per_million_records = perMillion(cpuSeconds(svc.pid) - svcCpu0);
  results.broker_cpu_seconds_per_million_records = perMillion(brokerCpu() - broker0);
  results.transactions = await metric(svc, "pos_transactions_total");
  results.commits = await metric(svc, "pos_commits_total");
  const mem = rss(svc.pid);
  results.backfill_peak_rss_mib = Math.max(peak, mem.peakMiB);
  results.backfill_end_rss_mib = mem.rssMiB;
  const qs = [0.5, 0.99, 1];
  const [c50, c99, cMax] = await histogramQuantiles(svc, "pos_commit_seconds", qs);
  results.commit_ms_p50_p99_max = [c50, c99, cMax].map((s) => Math.round(s * 1000));
  results.commit_wait = await commitWaits(svc);
  const [d50, d99] = await histogramQuantiles(svc, "pos_checkout_delay_seconds", qs);
  results.checkout_delay_ms_p50_p99 = [d50, d99].map((s) => Math.round(s * 1000));
  svc.kill("SIGTERM");
  await svc.wait();
}

console.log(JSON.stringify(results, null, 2));
await Deno.remove(dir, { recursive: true });
await broker?.stop();
Deno.exit(0);
