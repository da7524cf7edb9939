/**
 * What the end-to-end benchmarks share: kcat as producer and as the pass-through baseline, the
 * service's metrics, and its memory from /proc.
 * @module
 */
import type { Kafka } from "kafkajs";
import {
  simulatedTraffic,
  type Traffic,
  type TrafficRecord,
  writeTestCatalog,
} from "../tests/support/test_store.ts";
import { type Broker, startBroker } from "../tests/support/kafka.ts";
import { testKafka } from "../tests/support/kafka_client.ts";
import { pickupValue, sessionValue } from "../tests/support/service_fixture.ts";
import { pyIsoformat } from "../lib/sim/store_simulation.ts";
import { eventually, type ServiceProcess } from "../tests/support/service_process.ts";

/** The broker: `KAFKA_TEST_BROKER` when set, else one started on loopback (`broker`: stop it). */
export async function benchBroker(): Promise<{ bootstrap: string; broker?: Broker }> {
  const env = Deno.env.get("KAFKA_TEST_BROKER");
  if (env) return { bootstrap: env };
  const broker = await startBroker();
  return { bootstrap: broker.bootstrap, broker };
}

/** What a benchmark run needs: the broker, a client, a temp dir and a test catalog in it. */
export async function benchContext(prefix: string): Promise<{
  bootstrap: string;
  broker?: Broker;
  kafka: Kafka;
  dir: string;
  catalog: { store: string; discounts: string };
}> {
  const { bootstrap, broker } = await benchBroker();
  const dir = await Deno.makeTempDir({ prefix });
  const catalog = await writeTestCatalog(dir);
  return { bootstrap, broker, kafka: testKafka(bootstrap), dir, catalog };
}

/** The backfill of the throughput runs: simulated traffic and its first `events` shelf events. */
export function backfill(events: number): { traffic: Traffic; shelf: TrafficRecord[] } {
  const traffic = simulatedTraffic({
    customers: Math.ceil(events / 6),
    seed: 7,
    spacingUs: 500_000,
  });
  return { traffic, shelf: traffic.shelf.slice(0, events) };
}

/** `carts` shoppers in the store now (leaving in 50 minutes: they stay open), 10 pickups each. */
export function openCarts(carts: number): { foot: TrafficRecord[]; shelf: TrafficRecord[] } {
  const now = Date.now() * 1000;
  const foot: TrafficRecord[] = [], shelf: TrafficRecord[] = [];
  for (let c = 0; c < carts; c++) {
    const id = `cust-${c}`;
    foot.push({ key: id, us: now, value: sessionValue(id, now, now + 3_000_000_000) });
    for (let i = 0; i < 10; i++) {
      const item = `ITEM${String((c + i) % 36).padStart(3, "0")}`;
      shelf.push({ key: null, us: now + i, value: pickupValue(id, item, now + i * 1000) });
    }
  }
  return { foot, shelf };
}

/**
 * `weight_change` noise added to `shelf` until it is `share` of the records (what the simulation
 * already made counts), spread through the stream as the shelves send it: unkeyed, at the time
 * of the record it follows.
 */
export function withNoise(shelf: TrafficRecord[], share: number): TrafficRecord[] {
  const isNoise = (v: string) => v.includes('"weight_change"') || v.includes('"restock"');
  const have = shelf.filter((r) => isNoise(r.value)).length;
  const want = Math.max(0, Math.round((share * (shelf.length - have)) / (1 - share)) - have);
  const step = Math.max(1, Math.floor(shelf.length / Math.max(1, want)));
  const out: TrafficRecord[] = [];
  let added = 0;
  shelf.forEach((r, i) => {
    out.push(r);
    if (added < want && i % step === 0) {
      added++;
      out.push({
        key: null,
        us: r.us,
        value: JSON.stringify({
          event_type: "weight_change",
          shelf_id: `S${i % 97}`,
          weight_change: -12.5,
          timestamp: pyIsoformat(r.us),
        }),
      });
    }
  });
  return out;
}

/**
 * Produces records (`key\tvalue` lines through a file) with kcat: a fast, real producer. lz4 and
 * librdkafka's default partitioner unless told (`compression`: kcat's `-z` codec, `none` for
 * none; `partitioner`: e.g. `murmur2_random`, the Java client's partitioning of keyed records).
 */
export async function kcatProduce(
  bootstrap: string,
  dir: string,
  topic: string,
  records: TrafficRecord[],
  opts: { compression?: string; partitioner?: string } = {},
): Promise<void> {
  const file = `${dir}/${topic}.tsv`;
  await Deno.writeTextFile(
    file,
    records.map((r) => `${r.key ?? ""}\t${r.value}`).join("\n") + "\n",
  );
  const out = await new Deno.Command("kcat", {
    args: [
      ...["-b", bootstrap, "-t", topic, "-P", "-K", "\t", "-z", opts.compression ?? "lz4"],
      ...(opts.partitioner ? ["-X", `topic.partitioner=${opts.partitioner}`] : []),
      ...["-l", file],
    ],
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  await Deno.remove(file);
}

/**
 * Every record of `topic` now, read by kcat from the beginning to the end, one line each in
 * kcat's `format` (`-f`, without the newline); `extra` kcat arguments (e.g. `-s value=…`).
 * read_committed unless `readCommitted` is false; control records (transaction markers) are
 * never shown. Read a topic that clients still write to with care: kcat (librdkafka 2.0) may not
 * reach the end of `__consumer_offsets` while transactions commit offsets to it; it is stopped
 * after `timeoutMs` (default 120 s).
 */
export async function kcatRead(
  bootstrap: string,
  topic: string,
  format: string,
  opts: { readCommitted?: boolean; extra?: string[]; timeoutMs?: number } = {},
): Promise<string[]> {
  const isolation = opts.readCommitted === false ? "read_uncommitted" : "read_committed";
  const out = await new Deno.Command("kcat", {
    args: [
      ...["-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q"],
      ...["-X", `isolation.level=${isolation}`, "-f", `${format}\n`, ...(opts.extra ?? [])],
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(opts.timeoutMs ?? 120_000),
  }).output();
  if (!out.success) throw new Error(`kcat -C ${topic}: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l !== "");
}

/** Seconds kcat takes to read every record of `from` and write it to `to` (the baseline). */
export async function kcatPassThrough(
  bootstrap: string,
  from: string,
  to: string,
): Promise<number> {
  return (await kcatPassThroughCpu(bootstrap, from, to)).seconds;
}

/** {@link kcatPassThrough}, with the CPU seconds (user + system) both kcat processes used. */
export async function kcatPassThroughCpu(
  bootstrap: string,
  from: string,
  to: string,
): Promise<{ seconds: number; kcatCpuSeconds: number }> {
  const t0 = performance.now();
  const piped = await new Deno.Command("bash", {
    args: [
      "-c",
      // `times`: the shell's children's user and system time, on its second line.
      `kcat -C -b ${bootstrap} -t ${from} -e -o beginning -q -f '%s\\n' | kcat -P -b ${bootstrap} -t ${to}; times`,
    ],
    stdout: "piped",
  }).output();
  if (!piped.success) throw new Error("kcat pass-through failed");
  const seconds = (performance.now() - t0) / 1000;
  const children = new TextDecoder().decode(piped.stdout).trim().split("\n").pop() ?? "";
  const kcatCpuSeconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)]
    .reduce((n, m) => n + Number(m[1]) * 60 + Number(m[2]), 0);
  return { seconds, kcatCpuSeconds };
}

/** The sum of the service's metric lines starting with `prefix` (0 when unreachable). */
export async function metric(svc: ServiceProcess, prefix: string): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${svc.metricsPort}/metrics`).then((r) => r.text())
    .catch(() => "");
  return text.split("\n").filter((l) => l.startsWith(prefix)).reduce(
    (n, l) => n + Number(l.split(" ").pop()),
    0,
  );
}

/** Shelf records the service has processed: counted by source, or invalid. */
export async function shelfProcessed(svc: ServiceProcess): Promise<number> {
  return await metric(svc, 'pos_records_total{source="shelf"') +
    await metric(svc, "pos_invalid_records_total");
}

/** Input records (foot and shelf) the service has processed: counted by source, or invalid. */
export async function inputProcessed(svc: ServiceProcess): Promise<number> {
  return await metric(svc, "pos_records_total") + await metric(svc, "pos_invalid_records_total");
}

/**
 * Waits until `records` records are processed (shelf records, or as `processed` counts them) and
 * every shopper is checked out (some transactions, no open cart or session), polling every
 * 100 ms.
 */
export async function allCheckedOut(
  svc: ServiceProcess,
  records: number,
  what: string,
  timeoutMs: number,
  processed: (svc: ServiceProcess) => Promise<number> = shelfProcessed,
): Promise<void> {
  await eventually(
    what,
    async () =>
      await processed(svc) >= records &&
      await metric(svc, "pos_transactions_total") > 0 &&
      await metric(svc, "pos_open_carts") === 0 &&
      await metric(svc, "pos_open_sessions") === 0,
    timeoutMs,
    100,
  );
}

/**
 * Waits for the last transaction: the transaction counter standing still for 500 ms (the relays
 * keep committing progress while the input is quiet, so the commit counter never stands still).
 * Gives the count and when (`performance.now()`) it last changed: the end of the run.
 */
export async function lastCommit(
  svc: ServiceProcess,
): Promise<{ transactions: number; lastChange: number }> {
  let transactions = await metric(svc, "pos_transactions_total");
  let lastChange = performance.now();
  await eventually(
    "the last transaction",
    async () => {
      const c = await metric(svc, "pos_transactions_total");
      if (c !== transactions) {
        transactions = c;
        lastChange = performance.now();
      }
      return performance.now() - lastChange > 500;
    },
    60_000,
    20,
  );
  return { transactions, lastChange };
}

/** Waits until `/readyz` answers 200. */
export async function ready(svc: ServiceProcess): Promise<void> {
  await eventually(
    "service ready",
    async () => {
      const r = await fetch(`http://127.0.0.1:${svc.metricsPort}/readyz`).catch(() => undefined);
      await r?.body?.cancel();
      return r?.status === 200;
    },
    60_000,
    50,
  );
}

/** CPU seconds (user + system) a process has used (from /proc: robust on a shared machine). */
export function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ ticks
}

/** RSS now and its peak (VmHWM) of a process, MiB. */
export function rss(pid: number): { rssMiB: number; peakMiB: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  // `deno run` is the process itself (no wrapper), so this is the service's memory.
  return { rssMiB: Math.round(kb("VmRSS") / 1024), peakMiB: Math.round(kb("VmHWM") / 1024) };
}

/** A Prometheus histogram's cumulative buckets (`name_bucket{le=...}` lines), by `le`. */
async function histogramBuckets(
  svc: ServiceProcess,
  name: string,
): Promise<{ le: number; n: number }[]> {
  const text = await fetch(`http://127.0.0.1:${svc.metricsPort}/metrics`).then((r) => r.text());
  return text.split("\n").filter((l) => l.startsWith(`${name}_bucket`)).map((l) => ({
    le: Number(/le="([^"]+)"/.exec(l)![1].replace("+Inf", "Infinity")),
    n: Number(l.split(" ").pop()),
  })).sort((a, b) => a.le - b.le);
}

/**
 * The commit loops' waits between commits with work (`pos_commit_wait_seconds`): how many,
 * p50/p99 (ms), the bucket bound the longest stayed under, and how many took longer than twice
 * the default interval (issue 14: at most 2 × `COMMIT_INTERVAL_MS`, 50 ms by default).
 */
export async function commitWaits(svc: ServiceProcess): Promise<Record<string, number>> {
  const name = "pos_commit_wait_seconds";
  const buckets = await histogramBuckets(svc, name);
  const total = buckets.at(-1)?.n ?? 0;
  const within = buckets.find((b) => b.le >= 0.1 - 1e-9)?.n ?? 0;
  const maxLe = buckets.find((b) => b.n >= total)?.le ?? NaN;
  const [p50, p99] = quantilesOf(buckets, [0.5, 0.99]);
  return {
    commits: total,
    p50_ms: Math.round(p50 * 1000),
    p99_ms: Math.round(p99 * 1000),
    max_under_ms: Number.isFinite(maxLe) ? Math.round(maxLe * 1000) : -1,
    over_100ms: total - within,
  };
}

/** Quantiles of a Prometheus histogram (`name_bucket{le=...}` lines), by linear interpolation. */
export async function histogramQuantiles(
  svc: ServiceProcess,
  name: string,
  qs: number[],
): Promise<number[]> {
  return quantilesOf(await histogramBuckets(svc, name), qs);
}

/** Quantiles of cumulative buckets, by linear interpolation within a bucket. */
function quantilesOf(buckets: { le: number; n: number }[], qs: number[]): number[] {
  const total = buckets.at(-1)?.n ?? 0;
  return qs.map((q) => {
    const want = q * total;
    let prevLe = 0;
    let prevN = 0;
    for (const b of buckets) {
      if (b.n >= want) {
        if (!Number.isFinite(b.le)) return prevLe;
        return prevLe + (b.le - prevLe) * ((want - prevN) / Math.max(1, b.n - prevN));
      }
      prevLe = b.le;
      prevN = b.n;
    }
    return NaN;
  });
}
