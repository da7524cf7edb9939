/**
 * End-to-end figures through a real broker, run on demand:
 *
 *   deno run -A bench/e2e.ts [--events 300000] [--latency-seconds 20] [--rate 10000] [--carts 100000]
 *                            [--skip throughput,latency,memory] [--delivery both] [--repeat 1]
 *                            [-h | --help]
 *
 * 1. Throughput: shelf events per second from input topics to read_committed output, with
 *    exactly-once on and off, next to a kcat consume-and-produce pass-through of the same
 *    records on the same broker in the same run (the baseline; figures are ratios to it).
 *    With each rate, CPU seconds per million events of the client (service, or both kcat
 *    processes) and of the broker (when the bench started it): on a shared machine the
 *    broker's work per event bounds what any client reaches.
 * 2. Latency: p50/p99 from `exit_time + grace` to the transaction being readable, with a
 *    real-time producer at `--rate` shelf events per second.
 * 3. Memory: peak RSS of the service holding `--carts` open carts of 10 lines.
 *
 * Starts its own broker on loopback (or uses KAFKA_TEST_BROKER); every loop is bounded.
 * @module
 */
import { parseArgs } from "node:util";
import { createTopics } from "../tests/support/kafka_client.ts";
import type { TrafficRecord } from "../tests/support/test_store.ts";
import { eventually, startService } from "../tests/support/service_process.ts";
import {
  allCheckedOut,
  backfill,
  benchContext,
  commitWaits,
  cpuSeconds,
  kcatPassThroughCpu,
  kcatProduce as kcatProduceTo,
  lastCommit,
  metric,
  openCarts,
  ready,
  rss,
  shelfProcessed,
} from "./support.ts";
import { pickupValue, serviceArgs, sessionValue } from "../tests/support/service_fixture.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    events: { type: "string", default: "300000" },
    "latency-seconds": { type: "string", default: "20" },
    rate: { type: "string", default: "10000" },
    carts: { type: "string", default: "100000" },
    skip: { type: "string", default: "" },
    delivery: { type: "string", default: "both" },
    repeat: { type: "string", default: "1" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(`deno run -A bench/e2e.ts [options]: end-to-end figures through a real broker

  --events N            throughput: shelf events from input topics to read_committed output,
                        exactly-once on and off, next to a kcat pass-through (default 300000)
  --latency-seconds S   latency: how long the real-time producer runs (default 20)
  --rate R              latency: shelf events per second of that producer (default 10000)
  --carts N             memory: open carts of 10 lines the service holds (default 100000)
  --skip LIST           parts to leave out, comma-separated: throughput, latency, memory
  --delivery D          throughput: exactly-once, at-least-once or both (default both)
  --repeat N            throughput: run each delivery N times on the same broker; runs after
                        the first report as <delivery>-2, -3, … (a broker warmed up) (default 1)
  -h, --help            this text

Starts its own broker on loopback, or uses KAFKA_TEST_BROKER=host:port.`);
  Deno.exit(0);
}
const skip = new Set(values.skip!.split(",").filter(Boolean));

const { bootstrap, broker, kafka, dir, catalog } = await benchContext("pos-e2e-");
const results: Record<string, unknown> = {};

function names(tag: string) {
  const id = `${tag}-${crypto.randomUUID().slice(0, 6)}`;
  return {
    foot: `foot-${id}`,
    shelf: `shelf-${id}`,
    pos: `pos-${id}`,
    dlq: `dlq-${id}`,
    state: `state-${id}`,
    args: (inputs: { foot: string; shelf: string }) => [
      ...serviceArgs(
        bootstrap,
        {
          foot: inputs.foot,
          shelf: inputs.shelf,
          pos: `pos-${id}`,
          dlq: `dlq-${id}`,
          state: `state-${id}`,
        },
        id,
        catalog,
      ),
      "--log-level",
      "warn",
    ],
  };
}

const kcatProduce = (topic: string, records: TrafficRecord[]) =>
  kcatProduceTo(bootstrap, dir, topic, records);

// ---------------------------------------------------------------- 1. throughput
if (!skip.has("throughput")) {
  const { traffic, shelf } = backfill(Number(values.events));
  const input = names("in");
  await createTopics(kafka, [input.foot, input.shelf], 3);
  await kcatProduce(input.foot, traffic.foot);
  await kcatProduce(input.shelf, shelf);
  const cartEvents = shelf.length;

  // Baseline: kcat reads every shelf record and writes it to another topic.
  const copy = `copy-${crypto.randomUUID().slice(0, 6)}`;
  await createTopics(kafka, [copy], 3);
  const producedAt = Date.now();
  const brokerCpu = () => broker?.pid ? cpuSeconds(broker.pid) : NaN;
  const perMillion = (cpu: number) => Number((cpu / (cartEvents / 1e6)).toFixed(2));
  const kcatBroker0 = brokerCpu();
  const kcat = await kcatPassThroughCpu(bootstrap, input.shelf, copy);
  const kcatSec = kcat.seconds;
  const kcatRate = cartEvents / kcatSec;
  results.kcat_passthrough_events_per_s = Math.round(kcatRate);
  // Where the cores go (2 shared here): the broker's work per record bounds any client.
  results.kcat_passthrough_cpu_seconds_per_million_events = perMillion(kcat.kcatCpuSeconds);
  results.kcat_passthrough_broker_cpu_seconds_per_million_events = perMillion(
    brokerCpu() - kcatBroker0,
  );
  // A preloaded backlog: its producers stopped more than IDLE_SEC (5 s) before the service
  // starts, so its last carts are checked out as soon as it is read (docs/service.md). Input
  // written just before the start waits one idle time for its last carts instead.
  await new Promise((r) => setTimeout(r, Math.max(0, producedAt + 6000 - Date.now())));

  const deliveries = values.delivery === "both"
    ? ["exactly-once", "at-least-once"]
    : [values.delivery!];
  // A fresh broker compiles its transaction and fetch paths during the first run (its CPU per
  // event measured 24 s/M on a first run, 17 on a second): later runs show a warm broker.
  const runs = Array.from(
    { length: Number(values.repeat) },
    (_, i) => deliveries.map((mode) => ({ mode, delivery: i === 0 ? mode : `${mode}-${i + 1}` })),
  ).flat();
  for (const { mode, delivery } of runs) {
    const out = names(mode === "exactly-once" ? "eos" : "alo");
    // The service waits for its output topics to exist (it makes only its internal ones).
    await createTopics(kafka, [out.pos, out.dlq], 3);
    const svc = await startService([...out.args(input), "--delivery", mode]);
    await ready(svc);
    const cpu0 = cpuSeconds(svc.pid);
    const broker0 = brokerCpu();
    const s0 = performance.now();
    // Processing alone: every shelf record applied (checkouts come after, at the end).
    await eventually(
      `${delivery}: all shelf records processed`,
      async () => await shelfProcessed(svc) >= cartEvents,
      600_000,
      50,
    );
    results[`service_${delivery}_consume_apply_events_per_s`] = Math.round(
      cartEvents / ((performance.now() - s0) / 1000),
    );
    // Done when every record was processed and every shopper checked out (2025 timestamps, an
    // idle input: all checkouts are due once the topics are read).
    await allCheckedOut(
      svc,
      cartEvents,
      `${delivery}: all shelf records processed, every cart checked out`,
      600_000,
    );
    // Committed = readable by read_committed consumers: the end is the last commit, seen as
    // the commit counter standing still for 500 ms after every record was processed.
    const { lastChange } = await lastCommit(svc);
    // The service's CPU for the run (and the 500 ms standing still): robust where wall time is not.
    results[`service_${delivery}_cpu_seconds_per_million_events`] = perMillion(
      cpuSeconds(svc.pid) - cpu0,
    );
    results[`service_${delivery}_broker_cpu_seconds_per_million_events`] = perMillion(
      brokerCpu() - broker0,
    );
    const sec = (lastChange - s0) / 1000;
    const rate = cartEvents / sec;
    results[`service_${delivery}_events_per_s`] = Math.round(rate);
    results[`service_${delivery}_ratio_to_kcat`] = Number((rate / kcatRate).toFixed(3));
    results[`service_${delivery}_transactions`] = await metric(svc, "pos_transactions_total");
    results[`service_${delivery}_peak_rss_mib`] = rss(svc.pid).peakMiB;
    results[`service_${delivery}_commit_wait`] = await commitWaits(svc);
    svc.kill("SIGTERM");
    await svc.wait();
  }
  results.shelf_events = cartEvents;
}

// ---------------------------------------------------------------- 2. latency
if (!skip.has("latency")) {
  const rate = Number(values.rate);
  const seconds = Number(values["latency-seconds"]);
  const t = names("lat");
  await createTopics(kafka, [t.foot, t.shelf, t.pos, t.dlq], 3);
  const svc = await startService(t.args(t));
  await ready(svc);
  const latencyCpu0 = cpuSeconds(svc.pid);
  const receipts: number[] = [];
  const dueByCustomer = new Map<string, number>();
  const consumer = kafka.consumer({ groupId: `lat-${crypto.randomUUID()}`, maxWaitTimeInMs: 20 });
  await consumer.connect();
  await consumer.subscribe({ topic: `pos-${t.foot.slice(5)}`, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      const now = Date.now();
      const due = dueByCustomer.get(message.key!.toString());
      if (due !== undefined) receipts.push(now - due);
      return Promise.resolve();
    },
  });
  const producer = kafka.producer();
  await producer.connect();
  // Customers enter continuously; each stays 5 s and makes 5 pickups, all in real time.
  const perCustomer = 5;
  const customersPerSec = rate / perCustomer;
  const start = Date.now();
  // Pending shelf events in 10 ms buckets, so each tick takes the due ones without sorting.
  const buckets = new Map<number, string[]>();
  let nextBucket = Math.floor(start / 10);
  const pending = {
    push(e: { at: number; value: string }) {
      const b = Math.floor(e.at / 10);
      let list = buckets.get(b);
      if (!list) buckets.set(b, list = []);
      list.push(e.value);
    },
    takeDue(now: number): string[] {
      const due: string[] = [];
      for (; nextBucket <= Math.floor(now / 10); nextBucket++) {
        const list = buckets.get(nextBucket);
        if (list) {
          due.push(...list);
          buckets.delete(nextBucket);
        }
      }
      return due;
    },
    rest(): string[] {
      return [...buckets.keys()].sort((a, b) => a - b).flatMap((k) => buckets.get(k)!);
    },
  };
  let made = 0;
  let sent = 0;
  let steadySent = 0; // after the 5 s ramp-up (customers stay 5 s)
  while (Date.now() - start < seconds * 1000) {
    const now = Date.now();
    const want = Math.floor(((now - start) / 1000) * customersPerSec);
    const foot: { key: string; value: string }[] = [];
    for (; made < want; made++) {
      const id = crypto.randomUUID();
      const entry = now;
      const exit = now + 5000;
      dueByCustomer.set(id, exit + 2000);
      foot.push({
        key: id,
        value: sessionValue(id, entry * 1000, exit * 1000),
      });
      for (let i = 0; i < perCustomer; i++) {
        const at = entry + 500 + i * 900;
        pending.push({
          at,
          value: pickupValue(id, `ITEM${String(i * 3).padStart(3, "0")}`, at * 1000),
        });
      }
    }
    if (foot.length) await producer.send({ topic: t.foot, messages: foot });
    const due = pending.takeDue(Date.now());
    for (let i = 0; i < due.length; i += 2000) {
      await producer.send({
        topic: t.shelf,
        messages: due.slice(i, i + 2000).map((value) => ({ key: null, value })),
      });
    }
    sent += due.length;
    if (Date.now() - start >= 5000) steadySent += due.length;
    await new Promise((r) => setTimeout(r, 10));
  }
  // Let the last customers leave and check out.
  await new Promise((r) => setTimeout(r, 9000));
  const rest = pending.rest();
  for (let i = 0; i < rest.length; i += 2000) {
    await producer.send({
      topic: t.shelf,
      messages: rest.slice(i, i + 2000).map((value) => ({ key: null, value })),
    });
  }
  await new Promise((r) => setTimeout(r, 3000));
  await producer.disconnect();
  await consumer.disconnect();
  receipts.sort((a, b) => a - b);
  const q = (p: number) => receipts[Math.min(receipts.length - 1, Math.floor(p * receipts.length))];
  results.latency_shelf_events_per_s = Math.round(sent / seconds);
  results.latency_steady_shelf_events_per_s = Math.round(steadySent / (seconds - 5));
  results.latency_transactions = receipts.length;
  results.latency_p50_ms = q(0.5);
  results.latency_p99_ms = q(0.99);
  results.latency_max_ms = receipts[receipts.length - 1];
  // The service's CPU over the run (producer on, then 12 s of its ending): the cost of real time.
  results.latency_service_cpu_seconds = Number((cpuSeconds(svc.pid) - latencyCpu0).toFixed(2));
  svc.kill("SIGTERM");
  await svc.wait();
}

// ---------------------------------------------------------------- 3. memory
if (!skip.has("memory")) {
  const carts = Number(values.carts);
  const t = names("mem");
  await createTopics(kafka, [t.foot, t.shelf, t.pos, t.dlq], 3);
  const { foot, shelf } = openCarts(carts);
  await kcatProduce(t.foot, foot);
  await kcatProduce(t.shelf, shelf);
  const svc = await startService(t.args(t));
  await ready(svc);
  const idleRss = rss(svc.pid).rssMiB;
  const m0 = performance.now();
  await eventually(
    "all carts open",
    async () =>
      await metric(svc, 'pos_records_total{source="shelf"') >= shelf.length &&
      await metric(svc, "pos_open_carts") >= carts,
    900_000,
    500,
  );
  results.memory_open_carts = await metric(svc, "pos_open_carts");
  results.memory_load_seconds = Number(((performance.now() - m0) / 1000).toFixed(1));
  const mem = rss(svc.pid);
  results.memory_rss_mib = mem.rssMiB;
  results.memory_heap_used_mib = Math.round(await metric(svc, "pos_heap_used_bytes") / 2 ** 20);
  results.memory_idle_baseline_rss_mib = idleRss;
  results.memory_peak_rss_mib = mem.peakMiB;
  svc.kill("SIGTERM");
  await svc.wait();
}

console.log(JSON.stringify(results, null, 2));
await broker?.stop();
Deno.exit(0);
