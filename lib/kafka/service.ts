/**
 * The Kafka service (SPEC §6): both input topics feed one engine; every commit interval the
 * outputs, the changed cart state and the input offsets of both consumer groups go into one
 * Kafka transaction. Open carts live in a compacted changelog topic and are restored from it
 * before processing starts. Any failure that could leave memory and Kafka apart (a failed
 * transaction, a consumer crash, a rebalance) tears the pipeline down and builds it again from
 * Kafka, with capped backoff.
 * @module
 */
import { Buffer } from "node:buffer";
import {
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  Partitioners,
  type Producer,
} from "kafkajs";
import {
  type DlqRecord,
  Engine,
  type InputRecord,
  type PartitionSignal,
  type Progress,
  type Source,
} from "../core/engine.ts";
import type { Pricer } from "../core/pricing.ts";
import type { ServiceConfig } from "../cli/config.ts";
import { type Logger, RateLimiter } from "../observe/log.ts";
import type { ServiceMetrics } from "./service_metrics.ts";
import { createKafka } from "./client.ts";
import { TopicProgress } from "./progress.ts";
import { ensureTopics, waitForTopics } from "./topics.ts";
import { restoreState } from "./state_restore.ts";
import { sleep } from "../sleep.ts";
import { WorkGate } from "./work_gate.ts";

/** Records bigger than this go to the DLQ truncated (the original stays in its topic). */
const DLQ_MAX_VALUE = 512 * 1024;
/** Bytes per producer call, below the broker's default 1 MiB batch limit. */
const SEND_CHUNK_BYTES = 512 * 1024;
/**
 * How often the ends of the input partitions are looked up: a caught-up partition passes the
 * wall clock of its latest look-up, so this bounds the checkout delay of a quiet store.
 */
const OFFSETS_POLL_MS = 100;
/** The producer's transaction timeout; an older transaction that fails was aborted by it. */
const TRANSACTION_TIMEOUT_MS = 60_000;

/**
 * Records applied but not yet in a commit, at most: bounds the work per transaction (about one
 * 100 ms interval of a backlog) and the memory between commits.
 */
const MAX_UNCOMMITTED_RECORDS = 20_000;

/** Checkout delays above this are a backfill's, not a real-time delay: not observed. */
const CHECKOUT_DELAY_MAX_SEC = 3600;

/** Thrown when another instance with the same transactional id took over. */
export class FencedError extends Error {
  override name = "FencedError";
}

/** The consumer group moved partitions; the pipeline must start over from Kafka. */
class RebalanceError extends Error {
  override name = "RebalanceError";
}

/** With nothing to commit for this long, a commit of unchanged offsets checks for fencing. */
const FENCING_PROBE_MS = 3000;

/** What the service needs from outside: config, prices, logs, metrics, a stop signal. */
export interface ServiceDeps {
  config: ServiceConfig;
  pricer: Pricer;
  log: Logger;
  metrics: ServiceMetrics;
  /** Aborted on SIGINT/SIGTERM. */
  stop: AbortSignal;
  /** Test hook: called after each successful commit. */
  onCommit?: (info: { transactions: number }) => void;
  /**
   * Fault injection for tests of at-least-once delivery: exit the process (status 137, as a
   * SIGKILL would) after this many output writes, before their offsets are committed.
   */
  exitBeforeOffsetCommitAfter?: number;
}

/** Runs the service until `deps.stop` aborts; retries failures with capped backoff. */
export async function runService(deps: ServiceDeps): Promise<void> {
  const { log, stop, config } = deps;
  let backoffMs = 500;
  while (!stop.aborted) {
    const started = Date.now();
    try {
      await runPipeline(deps);
      return; // stopped on purpose
    } catch (e) {
      deps.metrics.ready = false;
      deps.metrics.engineStopped();
      if (e instanceof FencedError) throw e;
      deps.metrics.restarts.inc();
      if (Date.now() - started > 60_000) backoffMs = 500; // it ran well for a while
      log.error("pipeline failed; restarting from the last commit", {
        error: e,
        brokers: config.broker.join(","),
        retryInMs: backoffMs,
      });
      await sleep(backoffMs, stop);
      backoffMs = Math.min(backoffMs * 2, 30_000);
    }
  }
}

function isFencingError(e: unknown): boolean {
  const err = e as { type?: string; name?: string; message?: string; cause?: unknown };
  if (!err) return false;
  if (
    err.type === "INVALID_PRODUCER_EPOCH" || err.type === "PRODUCER_FENCED" ||
    err.name === "KafkaJSProducerFenced" || /fenced/i.test(err.message ?? "")
  ) return true;
  return err.cause ? isFencingError(err.cause) : false;
}

/**
 * Whether a failed transaction means another instance took over our transactional id. The
 * broker answers PRODUCER_FENCED / INVALID_PRODUCER_EPOCH both when a newer producer
 * initialised the id and when it aborted our own transaction for running past its timeout
 * (it bumps the epoch then too). Only the first is fatal; a transaction open longer than the
 * timeout (a long pause, a stalled broker) rebuilds the pipeline like any other failure.
 */
export function isFencedByAnotherInstance(
  e: unknown,
  transactionOpenMs: number,
  timeoutMs = TRANSACTION_TIMEOUT_MS,
): boolean {
  return isFencingError(e) && transactionOpenMs < timeoutMs;
}

interface OutMessage {
  key: string | null;
  value: string | Buffer | null;
  headers?: Record<string, string>;
}

/** One life of the pipeline: connect, restore, consume and commit until stopped or failed. */
async function runPipeline(deps: ServiceDeps): Promise<void> {
  const { config, log, metrics, stop } = deps;
  const eos = config.delivery === "exactly-once";
  const kafka: Kafka = createKafka(config, log);
  const admin: Admin = kafka.admin();
  const closers: (() => Promise<unknown>)[] = [];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
  };
  let failure: unknown;
  let failed!: (e: unknown) => void;
  // Consumers waiting for room must never outlive the commit loop that makes it.
  const gate = new WorkGate(MAX_UNCOMMITTED_RECORDS);
  const failedPromise = new Promise<never>((_, reject) => {
    failed = (e) => {
      failure ??= e;
      gate.close();
      reject(e);
    };
  });
  failedPromise.catch(() => {});

  try {
    await admin.connect();
    closers.push(() => admin.disconnect());
    if (config.createTopics) await ensureTopics(admin, config, log);
    await ensureTopics(admin, config, log, { stateOnly: true });
    await waitForTopics(admin, [config.footTopic, config.shelfTopic], log, stop);
    if (stop.aborted) return;

    // The transactional producer first: InitProducerId fences any zombie with our id and
    // aborts its open transaction, so the changelog and offsets we read next are final.
    const producer: Producer = kafka.producer({
      ...(eos ? { transactionalId: config.transactionalId } : {}),
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 5000 },
      transactionTimeout: TRANSACTION_TIMEOUT_MS,
    });
    await producer.connect();
    closers.push(() => producer.disconnect());
    if (eos) {
      // KafkaJS sends InitProducerId only when the first transaction begins; begin one now so
      // the fencing and the abort of a dead predecessor's open transaction happen before the
      // restore reads the changelog and the committed offsets.
      await (await producer.transaction()).abort();
    }

    const engine = new Engine({
      graceSec: config.checkoutGraceSec,
      maxSessionAgeSec: config.maxSessionAgeSec,
      forceCheckoutIfEmpty: config.forceCheckoutIfEmpty,
      idleSec: config.idleSec,
      pricer: deps.pricer,
    });
    const idleMs = config.idleSec * 1000;
    const restored = await restoreState(kafka, admin, config, engine, log);
    log.info("state restored", restored);

    // Seed positions from the groups' committed offsets and the logs' ends.
    const startedMs = Date.now();
    const progress: Record<Source, TopicProgress> = {
      foot: new TopicProgress(config.footTopic, startedMs),
      shelf: new TopicProgress(config.shelfTopic, startedMs),
    };
    const groups: Record<Source, string> = { foot: config.groupIdFoot, shelf: config.groupIdShelf };
    for (const source of ["foot", "shelf"] as const) {
      const topic = progress[source].topic;
      const ends = await admin.fetchTopicOffsets(topic);
      const committed = await admin.fetchOffsets({ groupId: groups[source], topics: [topic] });
      const byPartition = new Map(
        committed[0]?.partitions.map((p) => [p.partition, BigInt(p.offset)]) ?? [],
      );
      for (const e of ends) {
        const c = byPartition.get(e.partition) ?? -1n;
        progress[source].seed(e.partition, c >= 0n ? c : BigInt(e.low), BigInt(e.high));
      }
      // A partition whose records are all older than the idle time (by their Kafka timestamps)
      // was quiet before we started: once read, it is idle at once, so a backlog's last carts
      // need not wait another idle time. If it is written to after all, its end moves and the
      // rule of docs/service.md applies as usual.
      const quietSince = startedMs - idleMs;
      const quiet = await admin.fetchTopicOffsetsByTimestamp(topic, quietSince).catch((e) => {
        // Only an optimisation: without it the backlog's last carts wait one idle time.
        log.warn("offsets by timestamp unavailable", { topic, error: e });
        return [];
      });
      for (const q of quiet) {
        progress[source].endQuietSince(q.partition, BigInt(q.offset), quietSince);
      }
    }

    const dlqLimiter = new RateLimiter(5, 10_000);
    const consumers: Record<Source, Consumer> = {
      foot: makeConsumer(kafka, config.groupIdFoot),
      shelf: makeConsumer(kafka, config.groupIdShelf),
    };
    let joined = 0;
    for (const source of ["foot", "shelf"] as const) {
      const consumer = consumers[source];
      const tp = progress[source];
      consumer.on(consumer.events.CRASH, (ev) => failed(ev.payload.error));
      consumer.on(consumer.events.GROUP_JOIN, () => {
        // A second join means partitions moved: what we hold in memory may be re-delivered,
        // so the pipeline starts over from the last commit.
        if (++joined > 2) failed(new RebalanceError(`consumer group ${groups[source]} rebalanced`));
        // Ready once both groups have their partitions (and the state was restored before).
        if (joined === 2) metrics.ready = true;
      });
      consumer.on(consumer.events.END_BATCH_PROCESS, (ev) => {
        const p = ev.payload;
        tp.sawHigh(p.partition, BigInt(p.highWatermark), Date.now());
        // Batches of only control records or aborted records move the position too.
        if (p.lastOffset !== undefined && p.lastOffset !== null) {
          const last = BigInt(p.lastOffset);
          if (last + 1n <= BigInt(p.highWatermark)) tp.processed(p.partition, last);
        }
      });
      await consumer.connect();
      closers.push(() => consumer.disconnect());
      await consumer.subscribe({ topic: tp.topic, fromBeginning: true });
    }

    const decoder = new TextDecoder();
    // One record object for every message: the engine copies what it keeps (allocation per
    // record is what a backlog turns into RSS).
    const rec: InputRecord = {
      source: "shelf",
      topic: "",
      partition: 0,
      offset: "0",
      value: null,
      timestampMs: 0,
    };
    const apply = (source: Source, { batch }: EachBatchPayload) => {
      const tp = progress[source];
      const messages = batch.messages;
      if (messages.length === 0) return;
      rec.source = source;
      rec.topic = batch.topic;
      rec.partition = batch.partition;
      let bytes = 0;
      for (const m of messages) {
        rec.offset = m.offset;
        rec.value = m.value;
        rec.timestampMs = Number(m.timestamp);
        rec.headers = hasHeaders(m.headers) ? headerStrings(m.headers!, decoder) : undefined;
        engine.apply(rec);
        bytes += m.value?.length ?? 0;
      }
      tp.processed(batch.partition, BigInt(messages[messages.length - 1].offset));
      tp.sawHigh(batch.partition, BigInt(batch.highWatermark), Date.now());
      metrics.consumedBytes.inc({ topic: batch.topic }, bytes);
    };

    // --- the commit loop: advance stream time, then one transaction per interval ---
    const offsetsFor = (source: Source) => progress[source].uncommitted();
    const progressSignal = (): Progress => {
      const partitions: PartitionSignal[] = [];
      for (const source of ["foot", "shelf"] as const) {
        for (const p of progress[source].partitions.keys()) {
          partitions.push({ source, partition: p, ...progress[source].signal(p, idleMs) });
        }
      }
      return { wallMs: Date.now(), partitions };
    };

    const asFenced = (e: unknown, openedAt: number) =>
      isFencedByAnotherInstance(e, Date.now() - openedAt)
        ? new FencedError(
          `another instance with transactional id "${config.transactionalId}" took over`,
        )
        : e;

    /**
     * A transaction that commits the offsets as they already are: harmless, but it fails when
     * a newer instance has fenced us, which is how a zombie finds out before doing harm.
     */
    const probeFencing = async () => {
      if (!eos) return;
      const openedAt = Date.now();
      const tx = await producer.transaction();
      try {
        for (const source of ["foot", "shelf"] as const) {
          const partitions = progress[source].committedOffsets();
          if (partitions.length === 0) continue;
          await tx.sendOffsets({
            consumerGroupId: groups[source],
            topics: [{ topic: progress[source].topic, partitions }],
          });
        }
        await tx.commit();
      } catch (e) {
        await tx.abort().catch(() => {});
        throw asFenced(e, openedAt);
      }
    };
    let lastCommit = Date.now();
    let outputWrites = 0;

    const commit = async () => {
      engine.advance(progressSignal());
      const out = engine.drainOutput();
      const state = engine.drainStateChanges();
      const offsets = { foot: offsetsFor("foot"), shelf: offsetsFor("shelf") };
      gate.taken();
      if (
        out.transactions.length === 0 && out.dlq.length === 0 && state.size === 0 &&
        offsets.foot.length === 0 && offsets.shelf.length === 0
      ) {
        if (Date.now() - lastCommit > FENCING_PROBE_MS) {
          await probeFencing();
          lastCommit = Date.now();
        }
        return;
      }

      const batches: { topic: string; messages: OutMessage[] }[] = [];
      batches.push({
        topic: config.posTopic,
        messages: out.transactions.map((t) => ({ key: t.key, value: t.value })),
      });
      if (config.dlqTopic) {
        batches.push({
          topic: config.dlqTopic,
          messages: out.dlq.map((d) => dlqMessage(d)),
        });
      }
      for (const d of out.dlq) {
        const kind = `${d.topic}:${d.reason}`;
        const { ok, suppressed } = dlqLimiter.allow(kind, Date.now());
        if (ok) {
          log.warn("record rejected to the DLQ", {
            reason: d.reason,
            detail: d.detail,
            topic: d.topic,
            partition: d.partition,
            offset: d.offset,
            ...(suppressed ? { suppressedSinceLast: suppressed } : {}),
          });
        }
      }
      batches.push({
        topic: config.stateTopic,
        messages: [...state].map(([key, value]) => ({ key, value })),
      });

      const t0 = performance.now();
      if (eos) {
        const openedAt = Date.now();
        const tx = await producer.transaction();
        try {
          for (const chunk of chunked(batches)) {
            await tx.sendBatch({ topicMessages: chunk });
          }
          for (const source of ["foot", "shelf"] as const) {
            if (offsets[source].length === 0) continue;
            await tx.sendOffsets({
              consumerGroupId: groups[source],
              topics: [{ topic: progress[source].topic, partitions: offsets[source] }],
            });
          }
          await tx.commit();
        } catch (e) {
          await tx.abort().catch(() => {});
          throw asFenced(e, openedAt);
        }
      } else {
        for (const chunk of chunked(batches)) {
          await producer.sendBatch({ topicMessages: chunk, acks: -1 });
        }
        if (++outputWrites === deps.exitBeforeOffsetCommitAfter) {
          log.warn("test fault: exiting after writing outputs, before committing offsets");
          Deno.exit(137);
        }
        for (const source of ["foot", "shelf"] as const) {
          if (offsets[source].length === 0) continue;
          await consumers[source].commitOffsets(
            offsets[source].map((o) => ({ topic: progress[source].topic, ...o })),
          );
        }
      }
      progress.foot.markCommitted(offsets.foot);
      progress.shelf.markCommitted(offsets.shelf);
      const nowUs = Date.now() * 1000;
      for (const t of out.transactions) {
        // Real-time checkouts only: a backfill's are due months ago, a fast simulation's ahead.
        const delaySec = (nowUs - t.dueMicros) / 1e6;
        if (delaySec >= -1 && delaySec <= CHECKOUT_DELAY_MAX_SEC) {
          metrics.checkoutDelay.observe(Math.max(0, delaySec));
        }
      }
      lastCommit = Date.now();
      metrics.commits.inc();
      metrics.commitSeconds.observe((performance.now() - t0) / 1000);
      deps.onCommit?.({ transactions: out.transactions.length });
    };

    // Start consuming. eachBatch is synchronous inside, so a commit never sees half a batch.
    for (const source of ["foot", "shelf"] as const) {
      await consumers[source].run({
        autoCommit: false,
        eachBatchAutoResolve: true,
        partitionsConsumedConcurrently: 1,
        eachBatch: async (payload) => {
          // Backpressure: wait for the commit loop (never with half a batch applied).
          await gate.room();
          if (failure || stop.aborted) return;
          try {
            apply(source, payload);
          } catch (e) {
            failed(e);
            throw e;
          }
          gate.add(payload.batch.messages.length);
        },
      });
    }
    log.info("consuming", {
      foot: config.footTopic,
      shelf: config.shelfTopic,
      pos: config.posTopic,
      delivery: config.delivery,
      idleSec: config.idleSec,
    });

    // Ends of the input partitions: lag, and the caught-up proofs that let a quiet partition
    // pass the wall clock. Its own loop, so a slow commit never delays it.
    const pollOffsets = async () => {
      for (const source of ["foot", "shelf"] as const) {
        const tp = progress[source];
        // The wall clock before asking: what was produced by then is below the ends we get.
        const askedAt = Date.now();
        const ends = await admin.fetchTopicOffsets(tp.topic);
        const answeredAt = Date.now();
        for (const e of ends) tp.verify(e.partition, BigInt(e.high), askedAt, answeredAt);
        for (const [partition, lag] of tp.lag()) {
          metrics.lag.set({ topic: tp.topic, partition: String(partition) }, Number(lag));
        }
      }
    };
    const stopped = new Promise<void>((r) => stop.addEventListener("abort", () => r()));
    let polling = true;
    const pollLoop = (async () => {
      while (polling && !stop.aborted && !failure) {
        await pollOffsets();
        await sleep(OFFSETS_POLL_MS, stop);
      }
    })();
    pollLoop.catch((e) => failed(e));
    closers.push(async () => {
      polling = false;
      await pollLoop.catch(() => {});
    });
    await Promise.race([pollOffsets(), failedPromise]);

    let inFlight: Promise<unknown> = Promise.resolve();
    try {
      while (!stop.aborted) {
        if (failure) throw failure;
        inFlight = commit();
        await Promise.race([inFlight, failedPromise]);
        gate.committed();
        metrics.observeEngine(engine.metrics());
        metrics.observeMemory();
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          new Promise((r) => timer = setTimeout(r, config.commitIntervalMs)),
          gate.full(), // a backlog: commit as soon as a transaction's worth is applied
          stopped,
          failedPromise,
        ]);
        clearTimeout(timer);
      }
    } catch (e) {
      // Before starting over after a rebalance, find out whether a newer instance took over:
      // restarting would fence it in turn, and the two would take turns for ever.
      if (e instanceof RebalanceError) {
        await Promise.race([inFlight.catch(() => {}), new Promise((r) => setTimeout(r, 10_000))]);
        await probeFencing();
      }
      throw e;
    }

    // SIGINT/SIGTERM: stop fetching, commit what was processed, leave the groups.
    log.info("stopping: committing in-flight work");
    gate.close(); // a consumer waiting for room must not hold up its own stop
    await Promise.all([consumers.foot.stop(), consumers.shelf.stop()]);
    if (failure) throw failure;
    await commit();
    metrics.observeEngine(engine.metrics());
    log.info("stopped cleanly");
  } finally {
    gate.close();
    await closeAll();
  }
}

function makeConsumer(kafka: Kafka, groupId: string): Consumer {
  return kafka.consumer({
    groupId,
    readUncommitted: false, // read_committed: never see aborted upstream records
    maxWaitTimeInMs: 100,
    // A killed instance's membership blocks its successor's join until the session expires:
    // keep that short (the broker's minimum is 6 s).
    sessionTimeout: 10_000,
    rebalanceTimeout: 20_000,
    heartbeatInterval: 1000,
    // Bounded fetches: what a fetch brings in is decoded into garbage that V8 keeps as RSS
    // (footprint bench: peak 458–515 MiB instead of 553–576, ~8% slower on a backlog).
    maxBytesPerPartition: 512 * 1024,
    maxBytes: 2 * 1024 * 1024,
    // Never restart a consumer behind the pipeline's back: it would re-deliver records the
    // engine already holds. The pipeline restarts as a whole instead.
    retry: { retries: 5, restartOnFailure: () => Promise.resolve(false) },
  });
}

/** Whether a record has any header (KafkaJS gives `{}` for none). */
function hasHeaders(headers: Record<string, unknown> | undefined): boolean {
  for (const _ in headers) return true;
  return false;
}

function headerStrings(
  headers: Record<string, unknown>,
  decoder: TextDecoder,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const one = Array.isArray(v) ? v[v.length - 1] : v;
    out[k] = typeof one === "string" ? one : decoder.decode(one as Uint8Array);
  }
  return out;
}

/** A DLQ record: the original bytes and headers naming where it came from and why. */
function dlqMessage(d: DlqRecord): OutMessage {
  const headers: Record<string, string> = {
    ...d.headers,
    "dlq.reason": d.reason,
    "dlq.source.topic": d.topic,
    "dlq.source.partition": String(d.partition),
    "dlq.source.offset": d.offset,
  };
  if (d.detail) headers["dlq.detail"] = d.detail.slice(0, 1000);
  let value = d.value ? Buffer.from(d.value.buffer, d.value.byteOffset, d.value.byteLength) : null;
  if (value && value.length > DLQ_MAX_VALUE) {
    headers["dlq.truncated.original.bytes"] = String(value.length);
    value = value.subarray(0, DLQ_MAX_VALUE);
  }
  return { key: null, value, headers };
}

/** Splits the batches so that no producer call carries more than SEND_CHUNK_BYTES. */
function* chunked(
  batches: { topic: string; messages: OutMessage[] }[],
): Generator<{ topic: string; messages: OutMessage[] }[]> {
  let chunk: { topic: string; messages: OutMessage[] }[] = [];
  let bytes = 0;
  for (const b of batches) {
    let cur: OutMessage[] = [];
    for (const m of b.messages) {
      const size = (m.key?.length ?? 0) + (m.value?.length ?? 0) + 64;
      if (bytes + size > SEND_CHUNK_BYTES && (cur.length > 0 || chunk.length > 0)) {
        if (cur.length > 0) chunk.push({ topic: b.topic, messages: cur });
        yield chunk;
        chunk = [];
        cur = [];
        bytes = 0;
      }
      cur.push(m);
      bytes += size;
    }
    if (cur.length > 0) chunk.push({ topic: b.topic, messages: cur });
  }
  if (chunk.length > 0) yield chunk;
}

export { createKafka };
