/**
 * The load generator behind `pos-producer simulate`: the simulated store
 * (lib/sim/store_simulation.ts) written to the two input topics the way the real upstream producers
 * write them (foot sessions at entry, keyed by customer; shelf events unkeyed, with
 * `weight_change` noise), live or as a backfill.
 *
 * Time (lib/sim/simulate_plan.ts): with `timeScale` X > 0 the store's clock runs X times the wall
 * clock and each record is sent when its time comes, with that time on the wall clock (a live,
 * real-time store); shoppers arrive for `durationSec` and the run ends when the last has left.
 * With X = 0 (a backfill) everything is sent at once with the modeled day's timestamps.
 * @module
 */
import type { Kafka, Message, Producer } from "kafkajs";
import { CompressionTypes, Partitioners } from "../kafka/kafkajs.ts";
import { type ConnectionConfig, createKafka } from "../kafka/client.ts";
import type { Logger } from "../observe/log.ts";
import type { SimItem, SimRecord } from "./store_simulation.ts";
import { type PlanConfig, planSimulation, type SimulationPlan } from "./simulate_plan.ts";
import { sleep } from "../sleep.ts";

/** Compression codecs by name. */
export const COMPRESSION = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
} as const;

/** What `simulate` needs. */
export interface SimulateConfig extends ConnectionConfig, PlanConfig {
  footTopic: string;
  shelfTopic: string;
  compression: keyof typeof COMPRESSION;
  /** Records per produce request (at most). */
  batchSize: number;
  /** Create the two topics when missing, with this many partitions (0: do not). */
  createTopicsPartitions: number;
}

/** What was sent. */
export interface SimulateSummary {
  mode: "day" | "rate";
  compression: string;
  timeScale: number;
  customers: number;
  records: { foot: number; shelf: number; total: number };
  /** Value bytes sent, before compression. */
  bytes: number;
  /** Wall clock at the start of a live run (ISO; null: a backfill). */
  startedAt: string | null;
  /** Wall seconds of the whole run. */
  seconds: number;
  /** Over the whole run. */
  recordsPerSec: number;
  shelfPerSec: number;
  /** First and last event time sent (ISO). */
  firstEvent: string | null;
  lastEvent: string | null;
  /** Why it ended: every shopper left (all sent), or a signal. */
  ended: "done" | "signal";
  requests: number;
  /** `--rate`: records per second once the store is full. */
  targetRate: number | null;
  /** Seconds after the start when the arrivals ended (a live run; null: they had not). */
  arrivalsSeconds: number | null;
  /** Records per second while the store was full (a rate run; null: it never was for 1 s). */
  full: { fromSec: number; toSec: number; recordsPerSec: number } | null;
}

/** Hooks for the driver. */
export interface SimulateDeps {
  /** Discount (fraction) of an item at an instant: discounted items are picked more often. */
  discountOf?: (id: string, atMs: number) => number;
  log: Logger;
  /** Aborted on SIGINT/SIGTERM: stop generating, send what is in hand, disconnect. */
  signal: AbortSignal;
  /** A line of progress now and then, and when the arrivals end. */
  onProgress?: (line: string) => void;
}

function iso(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString();
}

/** Creates the two input topics when missing (`createTopicsPartitions` > 0). */
async function ensureTopics(kafka: Kafka, cfg: SimulateConfig, log: Logger): Promise<void> {
  if (cfg.createTopicsPartitions <= 0) return;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = [cfg.footTopic, cfg.shelfTopic].filter((t) => !existing.has(t));
    if (topics.length === 0) return;
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: cfg.createTopicsPartitions })),
      waitForLeaders: true,
    }).catch((e) => {
      if (!/already exists/i.test(String((e as Error).message))) throw e;
    });
    log.info("created topics", { topics });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Sends records in batches to the two topics, one request in flight while the next batch is
 * generated, and counts what was sent (per second of event time from `startUs`, for the rate).
 */
class BatchSender {
  #inflight: Promise<void> = Promise.resolve();
  #batch: SimRecord[] = [];
  readonly sent = { foot: 0, shelf: 0, bytes: 0, requests: 0, customers: 0 };
  /** Records sent per second of event time after `startUs` (a live run). */
  readonly perSecond: number[] = [];
  /** Event time (µs) of the first and last record sent. */
  first = Infinity;
  last = -Infinity;

  constructor(
    private readonly producer: Producer,
    private readonly cfg: SimulateConfig,
    private readonly startUs: number,
  ) {}

  /** When (performance.now() ms) the first record of the batch in hand was added. */
  openedAtMs = Infinity;

  /** Adds a record; sends the batch when it is full. */
  async push(record: SimRecord): Promise<void> {
    if (this.#batch.length === 0) this.openedAtMs = performance.now();
    this.#batch.push(record);
    if (this.#batch.length >= this.cfg.batchSize) await this.flush();
  }

  /** Sends what is batched (after the request in flight). */
  async flush(): Promise<void> {
    await this.#inflight;
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    this.openedAtMs = Infinity;
    const foot: Message[] = [];
    const shelf: Message[] = [];
    for (const r of batch) {
      if (r.source === "foot") foot.push({ key: r.key, value: r.value });
      else shelf.push({ key: null, value: r.value });
    }
    const topicMessages = [];
    if (foot.length > 0) topicMessages.push({ topic: this.cfg.footTopic, messages: foot });
    if (shelf.length > 0) topicMessages.push({ topic: this.cfg.shelfTopic, messages: shelf });
    const compression = COMPRESSION[this.cfg.compression];
    this.#inflight = this.producer.sendBatch({ topicMessages, compression, acks: -1 })
      .then(() => this.#count(batch, foot.length, shelf.length));
  }

  /** Sends what is batched and waits for every request. */
  async drain(): Promise<void> {
    await this.flush();
    await this.#inflight;
  }

  /** Waits for the request in flight, ignoring its failure (when stopping after an error). */
  settle(): Promise<void> {
    return this.#inflight.catch(() => {});
  }

  #count(batch: SimRecord[], foot: number, shelf: number): void {
    const sent = this.sent;
    sent.requests++;
    sent.foot += foot;
    sent.shelf += shelf;
    for (const r of batch) {
      sent.bytes += r.value.length;
      if (r.kind === "session") sent.customers++;
      if (r.us < this.first) this.first = r.us;
      if (r.us > this.last) this.last = r.us;
      const sec = Math.floor((r.us - this.startUs) / 1e6);
      if (sec >= 0) this.perSecond[sec] = (this.perSecond[sec] ?? 0) + 1;
    }
  }
}

/** Records per second over the whole seconds of `[fromUs, toUs)` after the start. */
function windowRate(
  sender: BatchSender,
  plan: SimulationPlan,
  fromUs: number,
  toUs: number,
): SimulateSummary["full"] {
  const from = Math.ceil((fromUs - plan.startUs) / 1e6);
  const to = Math.floor((toUs - plan.startUs) / 1e6);
  if (to - from < 1) return null;
  let n = 0;
  for (let s = from; s < to; s++) n += sender.perSecond[s] ?? 0;
  return { fromSec: from, toSec: to, recordsPerSec: Math.round(n / (to - from)) };
}

/** What `sender` has sent `seconds` after the start. */
function summarize(
  cfg: SimulateConfig,
  plan: SimulationPlan,
  progress: Progress,
  sender: BatchSender,
  seconds: number,
  ended: SimulateSummary["ended"],
): SimulateSummary {
  const { sent, first, last } = sender;
  const total = sent.foot + sent.shelf;
  const endUs = plan.startUs + seconds * 1e6;
  const arrivalsEndUs = progress.arrivalsEndedUs;
  return {
    mode: cfg.rate !== undefined ? "rate" : "day",
    compression: cfg.compression,
    timeScale: cfg.timeScale,
    customers: sent.customers,
    records: { foot: sent.foot, shelf: sent.shelf, total },
    bytes: sent.bytes,
    startedAt: plan.live ? iso(plan.startUs) : null,
    seconds: Math.round(seconds * 1000) / 1000,
    recordsPerSec: seconds > 0 ? Math.round(total / seconds) : 0,
    shelfPerSec: seconds > 0 ? Math.round(sent.shelf / seconds) : 0,
    firstEvent: Number.isFinite(first) ? iso(first) : null,
    lastEvent: Number.isFinite(last) ? iso(last) : null,
    ended,
    requests: sent.requests,
    targetRate: cfg.rate ?? null,
    arrivalsSeconds: arrivalsEndUs === null
      ? null
      : Math.round((arrivalsEndUs - plan.startUs) / 1e4) / 100,
    full: plan.fullFromUs === null
      ? null
      : windowRate(sender, plan, plan.fullFromUs, Math.min(arrivalsEndUs ?? endUs, endUs)),
  };
}

/**
 * Who is in the store, for the progress lines: sessions pushed (arrivals) and their exits. Says
 * once when the arrivals end, how many shoppers are still in the store and when the last leaves.
 */
class Progress {
  /** Written µs when the arrivals ended (null: not yet, or a backfill). */
  arrivalsEndedUs: number | null = null;
  #arrived = 0;
  #exits: number[] = [];
  /** Written µs of the last exit of the shoppers who arrived (-Infinity: none yet). */
  lastExitUs = -Infinity;
  #pushed = 0;
  #lastLine: number;
  #pushedAtLastLine = 0;

  constructor(
    private readonly plan: SimulationPlan,
    private readonly t0: number,
    private readonly say: (line: string) => void,
  ) {
    this.#lastLine = t0;
  }

  /** Wall µs (as written) at `performance.now()` ms `now`. */
  #wallUs(now: number): number {
    return this.plan.startUs + (now - this.t0) * 1000;
  }

  /** Counts a record handed to the sender. */
  pushed(r: SimRecord): void {
    this.#pushed++;
    if (r.kind !== "session") return;
    this.#arrived++;
    if (!this.plan.live) return;
    this.#exits.push(r.exitUs!);
    if (r.exitUs! > this.lastExitUs) this.lastExitUs = r.exitUs!;
  }

  /** Whether the last of the customers (`--customers`, a day's) has arrived. */
  #everyoneArrived(): boolean {
    const sim = this.plan.sim;
    return sim.arrivalsDone && sim.generated >= sim.customers && this.#arrived >= sim.generated;
  }

  /** Shoppers still in the store at `wallUs`. */
  #inStore(wallUs: number): number {
    this.#exits = this.#exits.filter((e) => e > wallUs);
    return this.#exits.length;
  }

  /** When progress is due at `now` (performance.now() ms), says it. */
  tick(now: number): void {
    const { plan } = this;
    const wallUs = this.#wallUs(now);
    const n = new Intl.NumberFormat("en-US");
    const sec = (now - this.t0) / 1000;
    if (
      plan.live && this.arrivalsEndedUs === null &&
      (wallUs >= plan.arrivalsEndUs || this.#everyoneArrived())
    ) {
      this.arrivalsEndedUs = Math.min(wallUs, plan.arrivalsEndUs);
      const inStore = this.#inStore(wallUs);
      const after = ((this.arrivalsEndedUs - plan.startUs) / 1e6).toFixed(0);
      this.say(
        inStore === 0
          ? `arrivals done after ${after} s (${n.format(this.#arrived)} shoppers); all have left`
          : `arrivals done after ${after} s (${n.format(this.#arrived)} shoppers); ${
            n.format(inStore)
          } still in the store, last leaves in ~${
            Math.max(0, Math.ceil((this.lastExitUs - wallUs) / 1e6))
          } s`,
      );
    }
    if (now - this.#lastLine < 5000) return;
    const rate = (this.#pushed - this.#pushedAtLastLine) / ((now - this.#lastLine) / 1000);
    this.#lastLine = now;
    this.#pushedAtLastLine = this.#pushed;
    const who = plan.live
      ? `${n.format(this.#arrived)} shoppers arrived, ${
        n.format(this.#inStore(wallUs))
      } in the store`
      : `${n.format(this.#arrived)} shoppers`;
    this.say(
      `${sec.toFixed(0)} s: ${who}; ${n.format(this.#pushed)} records (${
        n.format(Math.round(rate))
      }/s in the last 5 s)`,
    );
  }
}

/** Runs the load generator until every shopper has left or `deps.signal`; returns what was sent. */
export async function runSimulate(
  cfg: SimulateConfig,
  items: readonly SimItem[],
  deps: SimulateDeps,
): Promise<SimulateSummary> {
  const kafka = createKafka(cfg, deps.log);
  await ensureTopics(kafka, cfg, deps.log);
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 5000 },
  });
  await producer.connect();
  // The two clocks read together: a record is due when the wall clock reaches its time.
  const nowUs = Date.now() * 1000;
  const t0 = performance.now();
  const plan = planSimulation(cfg, items, deps.discountOf, nowUs);
  const sender = new BatchSender(producer, cfg, plan.startUs);
  const progress = new Progress(plan, t0, deps.onProgress ?? (() => {}));
  try {
    const ended = await sendAll(plan, deps.signal, sender, progress, t0);
    const seconds = (performance.now() - t0) / 1000;
    return summarize(cfg, plan, progress, sender, seconds, ended);
  } finally {
    await sender.settle();
    await producer.disconnect();
  }
}

/** A live record waits at most this long (ms) for the ones due after it, to share a request. */
const LINGER_MS = 20;

/** Sleeps until `dueMs` (performance.now() ms), waking at least every 500 ms to tick progress. */
async function sleepUntil(dueMs: number, signal: AbortSignal, progress: Progress): Promise<void> {
  let now: number;
  while ((now = performance.now()) < dueMs && !signal.aborted) {
    await sleep(Math.min(dueMs - now, 500), signal);
    progress.tick(performance.now());
  }
}

/** Sends every record when its time comes (a live run) or at once; returns why it ended. */
async function sendAll(
  plan: SimulationPlan,
  signal: AbortSignal,
  sender: BatchSender,
  progress: Progress,
  t0: number,
): Promise<SimulateSummary["ended"]> {
  for (const r of plan.sim.records()) {
    if (signal.aborted) return "signal";
    if (plan.live) {
      const dueMs = t0 + (r.us - plan.startUs) / 1000;
      if (dueMs > performance.now() + 2) {
        // What is due goes out before the wait, unless this record joins it soon enough.
        if (dueMs > sender.openedAtMs + LINGER_MS) await sender.drain();
        await sleepUntil(dueMs, signal, progress);
        if (signal.aborted) return "signal";
      }
    }
    await sender.push(r);
    progress.pushed(r);
    progress.tick(performance.now());
  }
  await sender.drain();
  // The run ends when the last shopper has left (its last shelf event may come well before).
  if (plan.live) {
    await sleepUntil(t0 + (progress.lastExitUs - plan.startUs) / 1000, signal, progress);
  }
  progress.tick(performance.now());
  return signal.aborted ? "signal" : "done";
}
