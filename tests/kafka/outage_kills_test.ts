/**
 * Issue 22's hidden scenario against a real broker of its own: a paced backfill, the broker
 * SIGKILLed at 20 % of the input and started again on the same port and data 16 s later, the
 * producer holding what it writes meanwhile and delivering it as soon as the broker is back, the
 * service SIGKILLed as it recovers (within a second of the broker's return) and twice more later
 * while the backfill goes on, restarted each time.
 *
 * The service runs at its defaults (topics, IDLE_SEC, grace, delivery); only the broker address
 * and the sample price files of examples/ are given (and --create-topics, as in the README). The
 * producer is the store's: foot sessions keyed by customer, shelf events unkeyed (spread over
 * the partitions), one idempotent KafkaJS producer that writes the records of a simulated day
 * (lib/sim, with its few late, invalid and duplicate records) in event-time order at a steady
 * pace, and keeps them in a local buffer while the broker is away.
 *
 * Invariants (contract §3, "Broker outages, pauses and restarts are not silences"): the output
 * (read_committed) is `pos-producer replay` of everything the input topics hold (dumped with
 * kcat), nobody is billed twice, and the service dead-letters as `late` what replay does. A
 * failure names what differs, with example customers, their records (partition, offset, and
 * whether the producer wrote them before the outage, held them, or wrote them after), and the
 * service's log lines around the outage.
 */
import assert from "node:assert/strict";
import { CompressionTypes, Kafka, logLevel, Partitioners } from "kafkajs";
import { startBroker } from "../support/kafka.ts";
import { testKafka } from "../support/kafka_client.ts";
import {
  eventually,
  isReady,
  readAll,
  type ServiceProcess,
  startService,
  stopService,
} from "../support/service_process.ts";
import { billedTwice } from "../support/service_fixture.ts";
import { SERVICE_OPTIONS } from "../../lib/cli/config.ts";
import { DEFAULT_DATE, loadDemoCatalog } from "../../lib/sim/demo.ts";
import { planSimulation } from "../../lib/sim/simulate_plan.ts";
import type { SimRecord } from "../../lib/sim/store_simulation.ts";
import { sleep } from "../../lib/sleep.ts";
import { canonical, counts } from "../support/canonical_json.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const ROOT = new URL("../../", import.meta.url).pathname;
const STORE = `${ROOT}examples/store_inventory_final.parquet`;
const DISCOUNTS = `${ROOT}examples/all_discounts.parquet`;
/** The service's default topic names (it runs with them). */
const TOPIC = {
  foot: SERVICE_OPTIONS.footTopic.default,
  shelf: SERVICE_OPTIONS.shelfTopic.default,
  pos: SERVICE_OPTIONS.posTopic.default,
  dlq: SERVICE_OPTIONS.dlqTopic.default,
};

/** Shoppers of the backfilled day. */
const CUSTOMERS = 600;
/**
 * The producer writes the whole day over this long (outage included), one slice every tick: long
 * enough that it is still writing at the service's last kill, however long the broker takes to
 * start again (16 s down, then a JVM start: 4–15 s on a busy machine).
 */
const PACE_MS = 60_000;
const TICK_MS = 100;
/** Records per produce request, at most (simulate's default). */
const BATCH = 2000;
/** The broker is SIGKILLed once this share of the input is written… */
const OUTAGE_AT = 0.2;
/** …and started again (same port, same data) this long after. */
const OUTAGE_MS = 16_000;
/** The last kill is at least this long before the backfill's end. */
const LAST_KILL_BEFORE_END_MS = 2_000;

type Tx = Record<string, unknown>;
/** Where a record was written, relative to the outage. */
type Phase = "before" | "held" | "after";

/** A random integer in [lo, hi]. */
function between(lo: number, hi: number): number {
  return lo + Math.floor(Math.random() * (hi - lo + 1));
}

/** One record of an input topic as kcat dumped it. */
interface Dumped {
  partition: number;
  offset: number;
  key: string | null;
  value: string;
}

/** Every record of `topic` (kcat, to the end), in partition then offset order. */
async function kcatDump(bootstrap: string, topic: string): Promise<Dumped[]> {
  const out = await new Deno.Command("kcat", {
    args: ["-b", bootstrap, "-C", "-t", topic, "-e", "-q", "-J"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, `kcat ${topic}: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean).map((l) => {
    const j = JSON.parse(l);
    return { partition: j.partition, offset: j.offset, key: j.key, value: j.payload };
  }).sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** `pos-producer replay` of the dumps with the sample price files: transactions and DLQ. */
async function replay(
  dir: string,
  foot: Dumped[],
  shelf: Dumped[],
): Promise<{ txs: Tx[]; dlq: { reason: string; detail?: string }[] }> {
  await Deno.writeTextFile(`${dir}/foot.jsonl`, foot.map((r) => r.value).join("\n") + "\n");
  await Deno.writeTextFile(`${dir}/shelf.jsonl`, shelf.map((r) => r.value).join("\n") + "\n");
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${ROOT}main.ts`,
      "replay",
      "--foot",
      `${dir}/foot.jsonl`,
      "--shelf",
      `${dir}/shelf.jsonl`,
      "--store",
      STORE,
      "--discounts",
      DISCOUNTS,
      "--dlq",
      `${dir}/replay-dlq.jsonl`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  assert.ok(out.success, `replay failed: ${dec.decode(out.stderr)}`);
  const lines = (text: string) => text.split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const stdout = dec.decode(out.stdout);
  await Deno.writeTextFile(`${dir}/replay.jsonl`, stdout);
  return {
    txs: lines(stdout),
    dlq: lines(await Deno.readTextFile(`${dir}/replay-dlq.jsonl`).catch(() => "")),
  };
}

/** Committed transactions on the output topic so far (kcat, read_committed). */
async function committedCount(bootstrap: string): Promise<number> {
  const out = await new Deno.Command("kcat", {
    args: [
      "-b",
      bootstrap,
      "-C",
      "-t",
      TOPIC.pos,
      "-e",
      "-q",
      "-f",
      "%o\\n",
      "-X",
      "isolation.level=read_committed",
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean).length;
}

/**
 * The store's producer: `records` (event-time order) written at a steady pace over `PACE_MS`, a
 * slice every tick, foot keyed by customer and shelf unkeyed, by one idempotent producer with one
 * request in flight. What it cannot send (the broker is away) stays in its buffer, in order, and
 * goes out as soon as a send succeeds again.
 */
class StoreProducer {
  /** Records generated so far (an index into `records`). */
  generated = 0;
  /**
   * The wall clock (epoch ms) at which each record was generated: its Kafka timestamp, as a Java
   * or librdkafka producer stamps a record when it is handed to `send()`/`produce()`, not when
   * it is delivered (a held record is older than its delivery).
   */
  readonly createdAt: number[] = [];
  /** Records the broker acknowledged so far (in order). */
  acked = 0;
  /** performance.now() when `acked` last grew. */
  ackedAtMs = 0;
  /** Failed sends, retried. */
  failures = 0;
  /** performance.now() when it started writing (it is done writing `PACE_MS` later). */
  startedMs = Infinity;
  done: Promise<void>;
  #waiters: { n: number; resolve: (ms: number) => void }[] = [];

  constructor(readonly records: SimRecord[], bootstrap: string) {
    const kafka = new Kafka({
      brokers: [bootstrap],
      clientId: "store-producer",
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      // Tries again often: what it held goes out within a second of the broker's return.
      retry: { retries: 300, initialRetryTime: 50, maxRetryTime: 250 },
    });
    this.done = producer.connect().then(() => this.#run(producer)).finally(() =>
      producer.disconnect().catch(() => {})
    );
  }

  /** Resolves with performance.now() once the first `n` records are acknowledged. */
  ackedUpTo(n: number): Promise<number> {
    if (this.acked >= n) return Promise.resolve(this.ackedAtMs);
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }

  async #run(producer: ReturnType<Kafka["producer"]>): Promise<void> {
    const t0 = this.startedMs = performance.now();
    const n = this.records.length;
    const generating = (async () => {
      while (this.generated < n) {
        const due = Math.ceil(((performance.now() - t0) / PACE_MS) * n);
        const now = Date.now();
        for (; this.generated < Math.min(n, due); this.generated++) this.createdAt.push(now);
        await sleep(TICK_MS);
      }
    })();
    while (this.acked < n) {
      if (this.generated === this.acked) {
        await sleep(5);
        continue;
      }
      const from = this.acked;
      const batch = this.records.slice(from, Math.min(this.generated, from + BATCH));
      const messages = (source: SimRecord["source"]) =>
        batch.flatMap((r, i) =>
          r.source === source
            ? [{ key: r.key, value: r.value, timestamp: String(this.createdAt[from + i]) }]
            : []
        );
      const topicMessages = [
        { topic: TOPIC.foot, messages: messages("foot") },
        { topic: TOPIC.shelf, messages: messages("shelf") },
      ].filter((t) => t.messages.length > 0);
      // KafkaJS gives up after its retries; the same idempotent producer sends again (a copy
      // that did land is dropped by the broker by its sequence number).
      for (;;) {
        try {
          await producer.sendBatch({ topicMessages, compression: CompressionTypes.None, acks: -1 });
          break;
        } catch {
          this.failures++;
          await sleep(100);
        }
      }
      this.acked += batch.length;
      this.ackedAtMs = performance.now();
      this.#waiters = this.#waiters.filter((w) => {
        if (this.acked < w.n) return true;
        w.resolve(this.ackedAtMs);
        return false;
      });
    }
    await generating;
  }
}

/** A service's log lines from `fromMs` to `toMs` (epoch), warnings and errors first, at most `max`. */
async function logAround(svc: ServiceProcess, fromMs: number, toMs: number, max = 25) {
  const lines = (await svc.log().catch(() => "")).split("\n").filter(Boolean);
  const at = (l: string) => {
    try {
      return Date.parse(JSON.parse(l).ts);
    } catch {
      return NaN;
    }
  };
  const inWindow = lines.filter((l) => {
    const t = at(l);
    return Number.isNaN(t) || (t >= fromMs && t <= toMs);
  });
  const loud = inWindow.filter((l) => /"level":"(warn|error)"/.test(l) || !l.startsWith("{"));
  const rest = inWindow.filter((l) => !loud.includes(l));
  return [...loud.slice(0, max), ...rest.slice(0, Math.max(0, max - loud.length))]
    .map((l) => `      ${l.slice(0, 400)}`).join("\n");
}

/**
 * The scenario: its own broker, the service, the store's producer; the broker SIGKILLed at 20 %
 * of the input and started again 16 s later; the service SIGKILLed as it recovers and twice
 * more; the output compared with replay of everything written.
 */
async function outageAndKills(): Promise<void> {
  const t0 = Date.now();
  const dir = await Deno.makeTempDir({ prefix: "pos-outage-kills-" });
  const broker = await startBroker({}, { dir: `${dir}/broker` });
  const bootstrap = broker.bootstrap;
  const args = [
    "--broker",
    bootstrap,
    "--create-topics",
    "--store",
    STORE,
    "--discounts",
    DISCOUNTS,
  ];
  const services: ServiceProcess[] = [];
  let svc = await startService(args);
  services.push(svc);
  let producer: StoreProducer | undefined;
  let passed = false;
  /** Wall clock (epoch ms) of the outage's moments, for the logs. */
  const at = { kill: 0, back: 0, kills: [] as number[] };
  try {
    await eventually("service ready", () => isReady(svc), 90_000, 100);

    // The day's records, as `simulate` makes them from the sample price book (with faults).
    const catalog = await loadDemoCatalog(STORE, DISCOUNTS);
    const seed = between(1, 2 ** 31);
    const plan = planSimulation(
      { timeScale: 0, seed, customers: CUSTOMERS, date: DEFAULT_DATE, faults: true },
      catalog.items,
      (id, atMs) => catalog.pricer.discountHundredths(id, atMs) / 100,
      Date.now() * 1000,
    );
    const records = [...plan.sim.records()];
    const n = records.length;
    const p = producer = new StoreProducer(records, bootstrap);

    // 20 % of the input written: the broker dies; the producer goes on into its buffer.
    await p.ackedUpTo(Math.ceil(n * OUTAGE_AT));
    const before = p.acked;
    await broker.kill();
    at.kill = Date.now();
    const killedMs = performance.now();
    const lastKillMs = p.startedMs + PACE_MS - LAST_KILL_BEFORE_END_MS;
    const killed: { ms: number; written: number; ready: boolean }[] = [];
    const killAndRestart = async (atMs: number) => {
      await sleep(atMs - performance.now());
      const ready = await isReady(svc);
      svc.kill("SIGKILL");
      at.kills.push(Date.now());
      killed.push({ ms: performance.now(), written: p.acked, ready });
      await svc.wait();
      svc = await startService(args);
      services.push(svc);
    };
    /** Resolves once `svc` is ready, or at `deadline` (performance.now() ms). */
    const readyOr = async (deadline: number) => {
      while (performance.now() < deadline && !(await isReady(svc))) await sleep(100);
      return performance.now();
    };

    await sleep(killedMs + OUTAGE_MS - performance.now());
    await broker.start();
    at.back = Date.now();
    const backMs = performance.now();
    const heldUpTo = p.generated;
    const delivered = p.ackedUpTo(heldUpTo);
    // The service SIGKILLed as it recovers (within a second of the broker's return), then
    // twice more while the backfill goes on: each time once the new process is ready (it
    // works), a moment later, and at the latest so that the input is still being written.
    await killAndRestart(backMs + between(200, 1000));
    await killAndRestart(
      Math.min(await readyOr(lastKillMs - 3000) + between(500, 2500), lastKillMs - 2000),
    );
    await killAndRestart(Math.min(await readyOr(lastKillMs) + between(500, 2500), lastKillMs));
    const heldDeliveredMs = (await delivered) - backMs;
    const killsAt = killed.map((k) =>
      `${((k.ms - backMs) / 1000).toFixed(1)} s (${(100 * k.written / n).toFixed(0)} % written, ${
        k.ready ? "ready" : "not ready"
      })`
    );
    await p.done;
    const wroteSec = (p.ackedAtMs - backMs) / 1000;
    console.log(
      `seed ${seed}: ${n} records of ${CUSTOMERS} shoppers; broker killed after ${before} ` +
        `(${(100 * before / n).toFixed(0)} %), back after ${
          ((at.back - at.kill) / 1000).toFixed(1)
        } s; ${heldUpTo - before} records held, delivered ${heldDeliveredMs.toFixed(0)} ms ` +
        `after the broker's return; service SIGKILLed ${killsAt.join(", ")} after it; ` +
        `input all written ${wroteSec.toFixed(1)} s after the return; ${p.failures} failed ` +
        `sends retried`,
    );
    assert.ok(heldUpTo - before > n * 0.2, `only ${heldUpTo - before} records held`);

    // Everything written, as the topics hold it, replayed.
    const foot = await kcatDump(bootstrap, TOPIC.foot);
    const shelf = await kcatDump(bootstrap, TOPIC.shelf);
    assert.deepEqual(
      [...foot, ...shelf].map((r) => r.value).sort(),
      records.map((r) => r.value).sort(),
      "the input topics hold exactly what the producer wrote",
    );
    const expected = await replay(dir, foot, shelf);
    assert.ok(expected.txs.length > CUSTOMERS * 0.8, `replay gave ${expected.txs.length}`);

    // The output settles: replay's count, or nothing new for 30 s.
    let last = -1;
    let since = Date.now();
    await eventually(
      "the output to settle",
      async () => {
        const got = await committedCount(bootstrap);
        if (got !== last) [last, since] = [got, Date.now()];
        return got >= expected.txs.length || Date.now() - since > 30_000;
      },
      120_000,
      1000,
    );
    await sleep(3000); // a duplicate would show by now

    const kafka = testKafka(bootstrap);
    const got = (await readAll(kafka, TOPIC.pos)).map((m) => JSON.parse(m.value!) as Tx);
    const dlq = await readAll(kafka, TOPIC.dlq);
    const serviceDlq = counts(dlq.map((d) => d.headers["dlq.reason"]));
    const replayDlq = counts(expected.dlq.map((d) => d.reason));
    console.log(
      `${foot.length} sessions, ${shelf.length} shelf events; billed ${got.length}, replay ` +
        `${expected.txs.length}; DLQ service ${JSON.stringify(serviceDlq)}, replay ${
          JSON.stringify(replayDlq)
        }; ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );

    const phaseOf = new Map<string, Phase>();
    records.forEach((r, i) =>
      phaseOf.set(r.value, i < before ? "before" : i < heldUpTo ? "held" : "after")
    );
    const diff = differences(got, expected.txs, { foot, shelf }, dlq, phaseOf);
    const twice = billedTwice(got);
    const lateOff = (serviceDlq.late ?? 0) !== (replayDlq.late ?? 0);
    if (diff || twice.length > 0 || lateOff) {
      const logs = await Promise.all(
        services.map(async (s, i) =>
          `    service process ${i + 1} (log ${s.logFile}):\n${await logAround(
            s,
            at.kill - 2000,
            at.back + 12_000,
          )}`
        ),
      );
      assert.fail(
        [
          `the output is not replay of everything written`,
          `  billed twice: ${twice.length}${twice.length ? ` (e.g. ${twice[0]})` : ""}`,
          `  late: service ${serviceDlq.late ?? 0}, replay ${replayDlq.late ?? 0}`,
          diff,
          `  broker killed ${new Date(at.kill).toISOString()}, back ${
            new Date(at.back).toISOString()
          }, service killed ${at.kills.map((k) => new Date(k).toISOString()).join(", ")}`,
          `  service logs from 2 s before the outage to 12 s after the return:`,
          ...logs,
          `  dumps and replay kept in ${dir}`,
        ].join("\n"),
      );
    }
    assert.equal(await stopService(svc), 0);
    passed = true;
  } finally {
    for (const s of services) s.kill("SIGKILL");
    await producer?.done.catch(() => {});
    await broker.stop();
    if (passed) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      for (const s of services) await Deno.remove(s.logFile).catch(() => {});
    } else console.log(`kept ${dir}; service logs ${services.map((s) => s.logFile).join(" ")}`);
  }
}

Deno.test(
  "a broker outage at 20 % of a paced backfill, its records held and delivered at its end, and the service SIGKILLed as it recovers and twice more: replay's output, nobody billed twice, replay's late records",
  opts,
  outageAndKills,
);

/**
 * What differs between the service's transactions and replay's, by customer: missing, short
 * (fewer units or a lower total than replay's), extra and otherwise different, with two examples
 * each and the records behind them.
 */
function differences(
  got: Tx[],
  expected: Tx[],
  input: { foot: Dumped[]; shelf: Dumped[] },
  dlq: { value: string | null; headers: Record<string, string> }[],
  phaseOf: Map<string, Phase>,
): string {
  const byCustomer = (txs: Tx[]) => {
    const m = new Map<string, Tx[]>();
    for (const t of txs) m.set(String(t.customer_id), [...(m.get(String(t.customer_id)) ?? []), t]);
    return m;
  };
  const g = byCustomer(got);
  const e = byCustomer(expected);
  const same = (c: string) =>
    canonical(g.get(c)!.map(canonical).sort()) === canonical(e.get(c)!.map(canonical).sort());
  type Line = { quantity: number; total_price: number };
  const units = (txs: Tx[]) =>
    txs.flatMap((t) => t.items as Line[]).reduce((s, l) => s + l.quantity, 0);
  const total = (txs: Tx[]) =>
    txs.flatMap((t) => t.items as Line[]).reduce((s, l) => s + l.total_price, 0);
  const missing = [...e.keys()].filter((c) => !g.has(c));
  const extra = [...g.keys()].filter((c) => !e.has(c));
  const differing = [...e.keys()].filter((c) => g.has(c) && !same(c));
  const short = differing.filter((c) =>
    units(g.get(c)!) < units(e.get(c)!) || total(g.get(c)!) < total(e.get(c)!) - 0.005
  );
  const other = differing.filter((c) => !short.includes(c));
  if (missing.length + extra.length + differing.length === 0) return "";
  const under = short.reduce((s, c) => s + total(e.get(c)!) - total(g.get(c)!), 0);
  const of = (c: string, rs: Dumped[]) =>
    rs.filter((r) => r.value.includes(`"${c}"`)).map((r) =>
      `p${r.partition}@${r.offset} ${phaseOf.get(r.value) ?? "?"} ${r.value}`
    );
  const dlqOf = (c: string) =>
    dlq.filter((d) => d.value?.includes(`"${c}"`)).map((d) =>
      `${d.headers["dlq.reason"]} (${d.headers["dlq.detail"] ?? ""}) ${d.value}`
    );
  const pad = "\n               ";
  const show = (c: string) =>
    [
      `    customer ${c}`,
      `      service: ${(g.get(c) ?? []).map((t) => JSON.stringify(t)).join(pad)}`,
      `      replay:  ${(e.get(c) ?? []).map((t) => JSON.stringify(t)).join(pad)}`,
      `      foot:    ${of(c, input.foot).join(pad)}`,
      `      shelf (${of(c, input.shelf).length}): ${of(c, input.shelf).join(pad)}`,
      `      dlq (${dlqOf(c).length}): ${dlqOf(c).join(pad)}`,
    ].join("\n");
  return [
    `  service ${got.length} transactions, replay ${expected.length}: ${missing.length} ` +
    `customers missing, ${short.length} billed short (${under.toFixed(2)} under), ` +
    `${other.length} otherwise different, ${extra.length} extra`,
    ...missing.slice(0, 2).map((c) => `  missing:\n${show(c)}`),
    ...short.slice(0, 2).map((c) => `  short:\n${show(c)}`),
    ...other.slice(0, 2).map((c) => `  different:\n${show(c)}`),
    ...extra.slice(0, 2).map((c) => `  extra:\n${show(c)}`),
  ].join("\n");
}
