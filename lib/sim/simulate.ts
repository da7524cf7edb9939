/**
 * The load generator behind `pos-producer simulate`: the simulated store
 * (lib/sim/store_simulation.ts) written to the two input topics the way the real upstream producers
 * write them (foot sessions at entry, keyed by customer; shelf events unkeyed, with
 * `weight_change` noise), paced by a simulated clock or as fast as possible.
 *
 * Time: with `timeScale` X > 0 simulated time runs X times faster than the wall clock and
 * starts now (X = 1: real time); each record is sent when its simulated time comes. With X = 0
 * (a backfill) everything is sent at once and the timestamps are those of the modeled day.
 * @module
 */
import type { Kafka, Message, Producer } from "kafkajs";
import { CompressionTypes, Partitioners } from "../kafka/kafkajs.ts";
import { type ConnectionConfig, createKafka } from "../kafka/client.ts";
import type { Logger } from "../observe/log.ts";
import {
  dayStartUs,
  DEFAULT_FAULTS,
  shelfRecordsPerCustomer,
  type SimItem,
  type SimRecord,
  StoreSimulation,
  TIME_SLOTS,
} from "./store_simulation.ts";
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
export interface SimulateConfig extends ConnectionConfig {
  footTopic: string;
  shelfTopic: string;
  compression: keyof typeof COMPRESSION;
  /** Simulated seconds per wall second; 0 = as fast as possible (backfill). */
  timeScale: number;
  seed: number;
  /** Customers to simulate (day mode: the day's; rate mode: stop after so many). */
  customers?: number;
  /** Target shelf-topic records per wall second (rate mode); undefined = a store day. */
  rate?: number;
  /** Stop after this many wall seconds. */
  durationSec?: number;
  /** The modeled day (day mode), YYYY-MM-DD. */
  date: string;
  faults: boolean;
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
  seconds: number;
  recordsPerSec: number;
  shelfPerSec: number;
  /** First and last event time sent (ISO). */
  firstEvent: string | null;
  lastEvent: string | null;
  /** Why it ended: all sent, --duration, or a signal. */
  ended: "done" | "duration" | "signal";
  requests: number;
}

/** Hooks for the driver. */
export interface SimulateDeps {
  /** Discount (fraction) of an item at an instant: discounted items are picked more often. */
  discountOf?: (id: string, atMs: number) => number;
  log: Logger;
  /** Aborted on SIGINT/SIGTERM: stop generating, send what is in hand, disconnect. */
  signal: AbortSignal;
  /** A status line now and then. */
  onStatus?: (s: SimulateSummary) => void;
}

/** The simulation `simulate` would run for `cfg` at wall-clock `nowUs` (exported for tests). */
export function simulationFor(
  cfg: Pick<SimulateConfig, "timeScale" | "seed" | "customers" | "rate" | "date" | "faults">,
  items: readonly SimItem[],
  discountOf: ((id: string, atMs: number) => number) | undefined,
  nowUs: number,
): { sim: StoreSimulation; anchorUs: number } {
  const base = {
    items,
    discountOf,
    seed: cfg.seed,
    faults: cfg.faults ? DEFAULT_FAULTS : undefined,
  };
  if (cfg.rate !== undefined) {
    if (!(cfg.timeScale > 0)) {
      throw new RangeError("--rate paces the sending; it needs --time-scale > 0");
    }
    const perCustomer = shelfRecordsPerCustomer(base);
    const perSecond = cfg.rate / cfg.timeScale / perCustomer;
    return {
      sim: new StoreSimulation({
        ...base,
        arrivals: { kind: "rate", startUs: nowUs, perSecond, customers: cfg.customers },
      }),
      anchorUs: nowUs,
    };
  }
  const open = dayStartUs(cfg.date) + TIME_SLOTS[0].from * 3_600_000_000;
  const offsetUs = cfg.timeScale > 0 ? nowUs - open : 0;
  return {
    sim: new StoreSimulation({
      ...base,
      offsetUs,
      arrivals: { kind: "day", date: cfg.date, customers: cfg.customers },
    }),
    anchorUs: open + offsetUs,
  };
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
 * generated, and counts what was sent.
 */
class BatchSender {
  #inflight: Promise<void> = Promise.resolve();
  #batch: SimRecord[] = [];
  readonly sent = { foot: 0, shelf: 0, bytes: 0, requests: 0, customers: 0 };
  /** Event time (µs) of the first and last record sent. */
  first = Infinity;
  last = -Infinity;

  constructor(
    private readonly producer: Producer,
    private readonly cfg: SimulateConfig,
  ) {}

  /** Adds a record; sends the batch when it is full. */
  async push(record: SimRecord): Promise<void> {
    this.#batch.push(record);
    if (this.#batch.length >= this.cfg.batchSize) await this.flush();
  }

  /** Sends what is batched (after the request in flight). */
  async flush(): Promise<void> {
    await this.#inflight;
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
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
    }
  }
}

/** What `sender` has sent `seconds` after the start. */
function summarize(
  cfg: SimulateConfig,
  sender: BatchSender,
  seconds: number,
  ended: SimulateSummary["ended"],
): SimulateSummary {
  const { sent, first, last } = sender;
  const total = sent.foot + sent.shelf;
  return {
    mode: cfg.rate !== undefined ? "rate" : "day",
    compression: cfg.compression,
    timeScale: cfg.timeScale,
    customers: sent.customers,
    records: { foot: sent.foot, shelf: sent.shelf, total },
    bytes: sent.bytes,
    seconds: Math.round(seconds * 1000) / 1000,
    recordsPerSec: seconds > 0 ? Math.round(total / seconds) : 0,
    shelfPerSec: seconds > 0 ? Math.round(sent.shelf / seconds) : 0,
    firstEvent: Number.isFinite(first) ? iso(first) : null,
    lastEvent: Number.isFinite(last) ? iso(last) : null,
    ended,
    requests: sent.requests,
  };
}

/** Why sending stops now, if it does: a signal, or the deadline (performance.now() ms). */
function stopReason(signal: AbortSignal, deadline: number): "signal" | "duration" | undefined {
  if (signal.aborted) return "signal";
  if (performance.now() >= deadline) return "duration";
  return undefined;
}

/** Sleeps until `dueMs` (performance.now() ms), waking for the deadline or a signal. */
async function sleepUntil(dueMs: number, deadline: number, signal: AbortSignal): Promise<void> {
  let now: number;
  while ((now = performance.now()) < dueMs && !signal.aborted && now < deadline) {
    await sleep(Math.min(dueMs - now, 500, Math.max(deadline - now, 0)), signal);
  }
}

/** Runs the load generator until done, `durationSec`, or `deps.signal`; returns what was sent. */
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
  const sender = new BatchSender(producer, cfg);
  const t0 = performance.now();
  try {
    const ended = await sendAll(cfg, items, deps, sender, t0);
    return summarize(cfg, sender, (performance.now() - t0) / 1000, ended);
  } finally {
    await sender.settle();
    await producer.disconnect();
  }
}

/** Sends every record when its time comes; returns why it ended. */
async function sendAll(
  cfg: SimulateConfig,
  items: readonly SimItem[],
  deps: SimulateDeps,
  sender: BatchSender,
  t0: number,
): Promise<SimulateSummary["ended"]> {
  const { signal } = deps;
  const { sim, anchorUs } = simulationFor(cfg, items, deps.discountOf, Date.now() * 1000);
  const scale = cfg.timeScale;
  const deadline = cfg.durationSec !== undefined ? t0 + cfg.durationSec * 1000 : Infinity;
  let lastStatus = t0;
  for (const r of sim.records()) {
    const stop = stopReason(signal, deadline);
    if (stop) return stop;
    const now = performance.now();
    const dueMs = scale > 0 ? t0 + (r.us - anchorUs) / 1000 / scale : now;
    if (dueMs > now + 2) {
      await sender.drain();
      await sleepUntil(dueMs, deadline, signal);
      const late = stopReason(signal, deadline);
      if (late) return late;
    }
    await sender.push(r);
    if (now - lastStatus >= 5000) {
      lastStatus = now;
      deps.onStatus?.(summarize(cfg, sender, (now - t0) / 1000, "done"));
    }
  }
  await sender.drain();
  return "done";
}
