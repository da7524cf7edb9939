/**
 * A backfill through a real broker, measured in one run against kcat and, when its location is
 * given, against the original Python service (issue 23):
 *
 *   deno run -A bench/backfill.ts [--sessions 140000] [--noise 0.5] [--keyed]
 *                                 [--compression none] [--original-dir DIR]
 *                                 [--original-workdir DIR] [--skip-ours] [--skip-original]
 *
 * Input: `--sessions` shoppers (foot sessions keyed by customer) and their shelf events plus
 * `weight_change` noise up to `--noise` of the shelf records, 3 partitions each, preloaded by
 * kcat (uncompressed by default, as the original's kafka-python producers write; kafka-python
 * reads no lz4, snappy or zstd without extra packages), Java-compatible murmur2 partitioning of
 * keyed records. Shelf records are unkeyed, as the original's producers write them; `--keyed`
 * keys them by customer id. 140,000 sessions make 2.36M shelf records with the tests' simulator
 * (about 17 a session, noise included: 3.72M takes `--sessions 220000`, as `bench/footprint.ts`
 * ran in docs/service.md); minutes, the original about 4 of them. `--sessions 20000` is a quick
 * run.
 *
 * 1. kcat: a consume → produce pass-through of the shelf topic (the baseline), records/s.
 * 2. pos-producer at its defaults (exactly-once), from process start until every input record
 *    is processed, every shopper checked out and the last transaction readable: the output
 *    topic's last stable offset (what read_committed consumers read) standing still, its last
 *    move the end; the transactions read_committed are checked against the service's count.
 *    Input records/s (foot + shelf), ratio to kcat, peak RSS (VmHWM), CPU seconds.
 * 3. With `--original-dir DIR` (where `run-original.sh` and `reset_group.py` are): the original
 *    on the same input topics, with its own groups and output topic, from process start until
 *    it has consumed every input record. Its offsets are committed every 5 s (kafka-python's
 *    auto-commit), so the end is interpolated between the last commit short of the input's end
 *    and the first at it, at the rate of the commits before (`seconds_to_last_commit`: that
 *    first commit). Its venv lives in `--original-workdir` (default
 *    `$XDG_CACHE_HOME/pos-producer-bench/original` or `~/.cache/…`), made by `run-original.sh`
 *    on first use (PyPI) in a warm-up start that this bench ends once its consumers listen.
 *    Before the run its shelf group is committed at offset 0 (`reset_group.py`: its shelf
 *    consumer otherwise starts at the end of the topic).
 *
 * Starts its own broker on loopback unless KAFKA_TEST_BROKER is set (then the broker's CPU is
 * not reported). Prints one JSON object on stdout and a one-line summary on stderr.
 * @module
 */
import { parseArgs } from "node:util";
import type { Kafka } from "kafkajs";
import { createTopics } from "../tests/support/kafka_client.ts";
import { simulatedTraffic } from "../tests/support/test_store.ts";
import { eventually, type ServiceProcess, startService } from "../tests/support/service_process.ts";
import { createFixtureTopics, serviceArgs } from "../tests/support/service_fixture.ts";
import {
  allCheckedOut,
  benchContext,
  cpuSeconds,
  inputProcessed,
  kcatPassThroughCpu,
  kcatProduce,
  kcatRead,
  metric,
  ready,
  rss,
  withNoise,
} from "./support.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    sessions: { type: "string", default: "140000" },
    noise: { type: "string", default: "0.5" },
    keyed: { type: "boolean", default: false },
    compression: { type: "string", default: "none" },
    "original-dir": { type: "string" },
    "original-workdir": { type: "string" },
    "skip-ours": { type: "boolean", default: false },
    "skip-original": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(`deno run -A bench/backfill.ts [options]: a preloaded backfill, kcat vs pos-producer
vs the original Python service, in one run

  --sessions N            shoppers (default 140000: ~2.36M shelf records; 20000 for a quick run)
  --noise F               weight_change share of the shelf records (default 0.5)
  --keyed                 key shelf records by customer id (default: unkeyed, as upstream)
  --compression C         kcat's codec for the input: none, gzip, lz4, snappy, zstd (default
                          none; the original reads none and gzip only)
  --original-dir DIR      where the original's run-original.sh and reset_group.py are; without
                          it the original is not run
  --original-workdir DIR  the original's venv folder (default ~/.cache/pos-producer-bench/original)
  --skip-ours, --skip-original
  -h, --help              this text

Starts its own broker on loopback, or uses KAFKA_TEST_BROKER=host:port.`);
  Deno.exit(0);
}

const sessions = Number(values.sessions);
const noise = Number(values.noise);
const originalDir = values["skip-original"] ? undefined : values["original-dir"];
if (originalDir && !["none", "gzip"].includes(values.compression!)) {
  console.error(`the original (kafka-python without codec packages) reads none or gzip only`);
  Deno.exit(2);
}
for (const file of originalDir ? ["run-original.sh", "reset_group.py"] : []) {
  if (!(await Deno.stat(`${originalDir}/${file}`).catch(() => undefined))?.isFile) {
    console.error(`--original-dir ${originalDir}: no ${file} there`);
    Deno.exit(2);
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, digits = 2) => Number(x.toFixed(digits));

const { bootstrap, broker, kafka, dir, catalog } = await benchContext("pos-backfill-");
const brokerCpu = () => broker?.pid ? cpuSeconds(broker.pid) : NaN;
const results: Record<string, unknown> = {
  sessions,
  noise,
  shelf_keyed: values.keyed,
  compression: values.compression,
  bench_started_broker: broker !== undefined,
};

/**
 * When the sum of a topic's last stable offsets last moved, with the CPU seconds of a process
 * and of the broker then.
 */
async function followStableEnd(kafka: Kafka, topic: string, pid: () => number | undefined) {
  const admin = kafka.admin();
  await admin.connect();
  const state = { sum: 0, changedAt: performance.now(), cpuAtChange: 0, brokerCpuAtChange: 0 };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      // KafkaJS's admin lists offsets read_committed: the last stable offsets.
      const ends = await admin.fetchTopicOffsets(topic).catch(() => undefined);
      const sum = ends?.reduce((n, p) => n + Number(p.offset), 0) ?? state.sum;
      if (sum !== state.sum) {
        const p = pid();
        Object.assign(state, {
          sum,
          changedAt: performance.now(),
          cpuAtChange: p ? cpuSeconds(p) : NaN,
          brokerCpuAtChange: brokerCpu(),
        });
      }
      await sleep(50);
    }
  })();
  return {
    state,
    async stop() {
      stopped = true;
      await loop;
      await admin.disconnect();
    },
  };
}

/** The original Python service, started through its run-original.sh. */
function startOriginal(env: Record<string, string>, watch = false) {
  const cache = Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME")}/.cache`;
  const workdir = values["original-workdir"] ?? `${cache}/pos-producer-bench/original`;
  const child = new Deno.Command(`${originalDir}/run-original.sh`, {
    args: [workdir],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Its prints (one or two lines per visit, every stale visit every 30 s) are only scanned for
  // the consumers' start; the stderr (tracebacks, pip) goes to a file.
  let stdoutTail = "";
  const drain = (async () => {
    const dec = new TextDecoder();
    for await (const c of child.stdout) {
      if (watch) stdoutTail = (stdoutTail + dec.decode(c)).slice(-20_000);
    }
  })();
  const errFile = `${dir}/original-${crypto.randomUUID().slice(0, 6)}.stderr`;
  const errs = Deno.openSync(errFile, { write: true, create: true });
  const drainErr = child.stderr.pipeTo(errs.writable);
  let code: Promise<number> | undefined;
  return {
    pid: child.pid,
    workdir,
    stdout: () => stdoutTail,
    stderr: () => Deno.readTextFileSync(errFile).slice(-4000),
    stop: () =>
      code ??= (async () => {
        try {
          child.kill("SIGTERM");
        } catch { /* gone */ }
        const status = await child.status;
        await Promise.all([drain, drainErr]);
        return status.code;
      })(),
  };
}

const stops: (() => Promise<unknown>)[] = [];
try {
  // ---------------------------------------------------------------- input
  const traffic = simulatedTraffic({ customers: sessions, seed: 14, spacingUs: 500_000 });
  let shelf = withNoise(traffic.shelf, noise);
  if (values.keyed) {
    const customer = /"customer_id":\s*"([^"]+)"/;
    shelf = shelf.map((r) => ({ ...r, key: customer.exec(r.value)?.[1] ?? null }));
  }
  const id = `fill-${crypto.randomUUID().slice(0, 6)}`;
  const topics = await createFixtureTopics(kafka, id, 3);
  const produceOpts = { compression: values.compression, partitioner: "murmur2_random" };
  await kcatProduce(bootstrap, dir, topics.foot, traffic.foot, produceOpts);
  await kcatProduce(bootstrap, dir, topics.shelf, shelf, produceOpts);
  const producedAt = Date.now();
  const footRecords = traffic.foot.length;
  const shelfRecords = shelf.length;
  const inputRecords = footRecords + shelfRecords;
  traffic.foot.length = 0;
  traffic.shelf.length = 0;
  shelf = [];
  Object.assign(results, {
    foot_records: footRecords,
    shelf_records: shelfRecords,
    input_records: inputRecords,
  });

  // ---------------------------------------------------------------- 1. kcat
  const copy = `copy-${crypto.randomUUID().slice(0, 6)}`;
  await createTopics(kafka, [copy], 3);
  const kcatBroker0 = brokerCpu();
  const kcat = await kcatPassThroughCpu(bootstrap, topics.shelf, copy);
  const kcatRate = shelfRecords / kcat.seconds;
  results.kcat = {
    seconds: round(kcat.seconds),
    records_per_s: Math.round(kcatRate),
    cpu_seconds: round(kcat.kcatCpuSeconds),
    broker_cpu_seconds: round(brokerCpu() - kcatBroker0),
  };

  // A preloaded backlog: its producers stopped more than IDLE_SEC (5 s) before the start. (The
  // service now takes no silence it did not see for idleness: its last carts come out IDLE_SEC
  // after its start whatever the size; docs/service.md, "Time".)
  await sleep(Math.max(0, producedAt + 6000 - Date.now()));

  // ---------------------------------------------------------------- 2. pos-producer
  let oursRate = NaN;
  if (!values["skip-ours"]) {
    const started: { svc?: ServiceProcess } = {};
    const output = await followStableEnd(kafka, topics.pos, () => started.svc?.pid);
    const broker0 = brokerCpu();
    const t0 = performance.now();
    const svc = started.svc = await startService(serviceArgs(bootstrap, topics, id, catalog));
    try {
      await ready(svc);
      const readyAt = performance.now();
      await allCheckedOut(
        svc,
        inputRecords,
        "pos-producer: every record processed, every shopper checked out",
        1_800_000,
        inputProcessed,
      );
      // The last transaction is readable: the output's last stable offset stands still.
      await eventually(
        "pos-producer: the last transaction readable",
        () => output.state.sum > 0 && performance.now() - output.state.changedAt > 500,
        60_000,
        20,
      );
      await output.stop();
      const end = output.state.changedAt;
      const seconds = (end - t0) / 1000;
      oursRate = inputRecords / seconds;
      const transactions = await metric(svc, "pos_transactions_total");
      const processed = await inputProcessed(svc);
      const commits = await metric(svc, "pos_commits_total");
      const peak = rss(svc.pid).peakMiB;
      // Stopped before its topics are read (kcat may not reach the end of a topic written to).
      svc.kill("SIGTERM");
      await svc.wait();
      const readable = (await kcatRead(bootstrap, topics.pos, "%o")).length;
      results.ours = {
        seconds: round(seconds),
        seconds_to_ready: round((readyAt - t0) / 1000),
        records_per_s: Math.round(oursRate),
        ratio_to_kcat: round(oursRate / kcatRate, 3),
        peak_rss_mib: peak,
        cpu_seconds: round(output.state.cpuAtChange),
        broker_cpu_seconds: round(output.state.brokerCpuAtChange - broker0),
        processed_records: processed,
        transactions,
        transactions_read_committed: readable,
        commits,
        dlq_records: (await kcatRead(bootstrap, topics.dlq, "%o")).length,
      };
      if (readable !== transactions) {
        console.error(`pos-producer: ${transactions} transactions counted, ${readable} readable`);
      }
    } catch (e) {
      console.error(`pos-producer's log: ${svc.logFile}`);
      throw e;
    } finally {
      svc.kill("SIGTERM");
      await svc.wait();
      await output.stop().catch(() => {});
    }
  }

  // ---------------------------------------------------------------- 3. the original
  if (originalDir) {
    const tag = crypto.randomUUID().slice(0, 6);
    const baseEnv = {
      KAFKA_BROKER: bootstrap,
      STORE_PARQUET: catalog.store,
      DISCOUNT_PARQUET_PATH: catalog.discounts,
    };
    // Warm-up: makes its venv on first use (pip, minutes) and reads its libraries from disk once.
    const warm = startOriginal({
      ...baseEnv,
      FOOT_TOPIC: `orig-warm-foot-${tag}`,
      SHELF_TOPIC: `orig-warm-shelf-${tag}`,
      POS_TOPIC: `orig-warm-pos-${tag}`,
      GROUP_ID_FOOT: `orig-warm-gf-${tag}`,
      GROUP_ID_SHELF: `orig-warm-gs-${tag}`,
    }, true);
    try {
      await eventually(
        "the original: its consumers listening (warm-up, venv made on first use)",
        () => /Listening shelf/.test(warm.stdout()) && /Listening foot/.test(warm.stdout()),
        1_200_000,
        200,
      );
    } catch (e) {
      console.error(`the original's output:\n${warm.stdout()}\n${warm.stderr()}`);
      throw e;
    } finally {
      await warm.stop();
    }

    const groups = { foot: `orig-gf-${tag}`, shelf: `orig-gs-${tag}` };
    const pos = `orig-pos-${tag}`;
    await createTopics(kafka, [pos], 3);
    const reset = await new Deno.Command(`${warm.workdir}/venv/bin/python`, {
      args: [`${originalDir}/reset_group.py`, bootstrap, groups.shelf, topics.shelf],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!reset.success) {
      throw new Error(`reset_group.py failed: ${new TextDecoder().decode(reset.stderr)}`);
    }

    const admin = kafka.admin();
    await admin.connect();
    const committed = async () => {
      let n = 0;
      for (const [group, topic] of [[groups.foot, topics.foot], [groups.shelf, topics.shelf]]) {
        const got = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        for (const p of got[0]?.partitions ?? []) n += Math.max(0, Number(p.offset));
      }
      return n;
    };
    const broker0 = brokerCpu();
    const t0 = performance.now();
    const orig = startOriginal({
      ...baseEnv,
      FOOT_TOPIC: topics.foot,
      SHELF_TOPIC: topics.shelf,
      POS_TOPIC: pos,
      GROUP_ID_FOOT: groups.foot,
      GROUP_ID_SHELF: groups.shelf,
    });
    stops.push(orig.stop);
    // Its committed offsets (both groups) as they move, with its CPU every 100 ms.
    const commits: { at: number; n: number }[] = [{ at: t0, n: 0 }];
    const cpu: { at: number; s: number; broker: number }[] = [];
    try {
      await eventually(
        "the original: every input record consumed (its committed offsets)",
        async () => {
          const n = await committed().catch(() => commits.at(-1)!.n);
          const at = performance.now();
          try {
            cpu.push({ at, s: cpuSeconds(orig.pid), broker: brokerCpu() });
          } catch {
            throw new Error(`the original exited:\n${orig.stderr()}`);
          }
          if (n !== commits.at(-1)!.n) commits.push({ at, n });
          // It commits every 5 s while it consumes; a consumer thread that died commits no more.
          if (at - commits.at(-1)!.at > 180_000) {
            throw new Error(`the original's offsets stand still at ${n} of ${inputRecords}`);
          }
          return n >= inputRecords;
        },
        3_600_000,
        100,
      );
    } catch (e) {
      console.error(orig.stderr());
      throw e;
    }
    const mem = rss(orig.pid);
    const [before, last] = [commits.at(-2)!, commits.at(-1)!];
    // The end between the commit short of the input's end and the one at it, at the rate between
    // the two commits before (what was consumed up to a commit is committed with it).
    const earlier = commits.at(-3);
    const rate = earlier && before.at > earlier.at
      ? (before.n - earlier.n) / (before.at - earlier.at)
      : (before.n - commits[0].n) / Math.max(1, before.at - t0);
    const estimate = rate > 0 ? before.at + (inputRecords - before.n) / rate : last.at;
    const end = Math.min(last.at, Math.max(before.at, estimate));
    const cpuAt = (t: number, of: "s" | "broker") => {
      const i = cpu.findIndex((c) => c.at >= t);
      if (i <= 0) return cpu[Math.max(0, i)]?.[of] ?? NaN;
      const [a, b] = [cpu[i - 1], cpu[i]];
      return a[of] + (b[of] - a[of]) * ((t - a.at) / Math.max(1e-9, b.at - a.at));
    };
    const seconds = (end - t0) / 1000;
    const origRate = inputRecords / seconds;
    await orig.stop();
    const offsets = await admin.fetchTopicOffsets(pos);
    await admin.disconnect();
    results.original = {
      seconds: round(seconds),
      seconds_to_last_commit: round((last.at - t0) / 1000),
      // False when the run was too short for two commits before the last: the last is the end.
      end_interpolated: end < last.at,
      records_per_s: Math.round(origRate),
      ratio_to_kcat: round(origRate / kcatRate, 3),
      peak_rss_mib: mem.peakMiB,
      cpu_seconds: round(cpuAt(end, "s")),
      // Its CPU from the end to the last commit: idle polling, or its janitor's round (every 30 s);
      // much more than a second tells an end interpolated too early.
      cpu_seconds_end_to_last_commit: round(cpuAt(last.at, "s") - cpuAt(end, "s")),
      broker_cpu_seconds: round(cpuAt(end, "broker") - broker0),
      // Not transactional: what it wrote by the end (its janitor writes more every 30 s).
      transactions: offsets.reduce((n, p) => n + Number(p.offset), 0),
    };
    results.ours_to_original = round(oursRate / origRate, 3);
  }

  console.log(JSON.stringify(results, null, 2));
  const fmt = (x: number) => Number.isFinite(x) ? `${(x / 1000).toFixed(1)}k/s` : "-";
  const o = results.ours as Record<string, number> | undefined;
  const p = results.original as Record<string, number> | undefined;
  console.error(
    `backfill of ${inputRecords} records (${sessions} sessions): kcat ${fmt(kcatRate)}` +
      (o
        ? `, pos-producer ${
          fmt(o.records_per_s)
        } (${o.ratio_to_kcat} of kcat, peak ${o.peak_rss_mib} MiB, ${o.cpu_seconds} CPU s)`
        : "") +
      (p
        ? `, original ${fmt(p.records_per_s)} (peak ${p.peak_rss_mib} MiB, ${p.cpu_seconds} CPU s)`
        : "") +
      (results.ours_to_original !== undefined ? `; ours/original ${results.ours_to_original}` : ""),
  );
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => {});
  await Deno.remove(dir, { recursive: true });
  await broker?.stop();
}
Deno.exit(0);
