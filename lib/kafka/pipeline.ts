/**
 * One life of the service's pipeline: connect, fence, restore, seed the positions, consume and
 * commit until stopped or failed. Its parts: the input consumers (input_consumers.ts) apply
 * records through the engine driver (lib/drive/driver.ts); the commit loop (commit_loop.ts)
 * decides when to commit; the committer (committer.ts) writes a commit to Kafka. Any failure
 * ends the life; lib/kafka/service.ts starts a new one.
 * @module
 */
import { type Admin, type Consumer, type Kafka, Partitioners, type Producer } from "kafkajs";
import { Engine, type Source } from "../core/mod.ts";
import type { Commit } from "../drive/committer.ts";
import { EngineDriver } from "../drive/driver.ts";
import { RateLimiter } from "../observe/log.ts";
import { sleep } from "../sleep.ts";
import { createKafka } from "./client.ts";
import { CommitLoop } from "./commit_loop.ts";
import { type KafkaCommitter, kafkaCommitter } from "./committer.ts";
import { PipelineFailure } from "./failure.ts";
import { TRANSACTION_TIMEOUT_MS } from "./fencing.ts";
import { inputConsumers, startConsuming } from "./input_consumers.ts";
import { type InputOffsets, InputPositions, noOffsets, SOURCES } from "./input_positions.ts";
import type { ServiceDeps } from "./service.ts";
import { restoreState } from "./state_restore.ts";
import { ensureTopics, waitForTopics } from "./topics.ts";
import { WorkGate } from "./work_gate.ts";

/**
 * How often the ends of the input partitions are looked up: a caught-up partition passes the
 * wall clock of its latest look-up, so this bounds the checkout delay of a quiet store.
 */
export const OFFSETS_POLL_MS = 100;
/**
 * Records applied but not yet in a commit, at most: bounds the work per transaction (about one
 * 100 ms interval of a backlog) and the memory between commits.
 */
export const MAX_UNCOMMITTED_RECORDS = 20_000;
/** With nothing to commit for this long, a commit of unchanged offsets checks for fencing. */
export const FENCING_PROBE_MS = 3000;
/** Checkout delays above this are a backfill's, not a real-time delay: not observed. */
const CHECKOUT_DELAY_MAX_SEC = 3600;

/** Runs one pipeline life until `deps.stop` (returns) or a failure (throws). */
export async function runPipeline(deps: ServiceDeps): Promise<void> {
  const life = new PipelineLife(deps);
  try {
    await life.run();
  } finally {
    life.gate.close();
    await life.closeAll();
  }
}

/** The state of one life: clients, what to close, the gate and the first failure. */
class PipelineLife {
  readonly kafka: Kafka;
  readonly admin: Admin;
  // Consumers waiting for room must never outlive the commit loop that makes it.
  readonly gate = new WorkGate(MAX_UNCOMMITTED_RECORDS);
  readonly failure = new PipelineFailure(this.gate);
  readonly #closers: (() => Promise<unknown>)[] = [];

  constructor(readonly deps: ServiceDeps) {
    this.kafka = createKafka(deps.config, deps.log);
    this.admin = this.kafka.admin();
  }

  async closeAll(): Promise<void> {
    for (const c of this.#closers.reverse()) await c().catch(() => {});
  }

  async run(): Promise<void> {
    const { config, log, stop } = this.deps;
    await this.admin.connect();
    this.#closers.push(() => this.admin.disconnect());
    if (config.createTopics) await ensureTopics(this.admin, config, log);
    await ensureTopics(this.admin, config, log, { stateOnly: true });
    await waitForTopics(this.admin, [config.footTopic, config.shelfTopic], log, stop);
    if (stop.aborted) return;
    const producer = await this.#producer();
    const engine = new Engine({
      graceSec: config.checkoutGraceSec,
      maxSessionAgeSec: config.maxSessionAgeSec,
      forceCheckoutIfEmpty: config.forceCheckoutIfEmpty,
      idleSec: config.idleSec,
      pricer: this.deps.pricer,
    });
    const restored = await restoreState(this.kafka, this.admin, config, engine, log);
    log.info("state restored", restored);
    const startedMs = Date.now();
    const positions = new InputPositions(
      { foot: config.footTopic, shelf: config.shelfTopic },
      { foot: config.groupIdFoot, shelf: config.groupIdShelf },
      config.idleSec * 1000,
      startedMs,
    );
    await positions.seed(this.admin, log, startedMs);
    await this.#consume(producer, engine, positions);
  }

  /**
   * The producer, connected. The transactional one first: InitProducerId fences any zombie with
   * our id and aborts its open transaction, so the changelog and offsets we read next are final.
   */
  async #producer(): Promise<Producer> {
    const eos = this.deps.config.delivery === "exactly-once";
    const producer = this.kafka.producer({
      ...(eos ? { transactionalId: this.deps.config.transactionalId } : {}),
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 5000 },
      transactionTimeout: TRANSACTION_TIMEOUT_MS,
    });
    await producer.connect();
    this.#closers.push(() => producer.disconnect());
    // KafkaJS sends InitProducerId only when the first transaction begins; begin one now so
    // the fencing and the abort of a dead predecessor's open transaction happen before the
    // restore reads the changelog and the committed offsets.
    if (eos) await (await producer.transaction()).abort();
    return producer;
  }

  /** Joins the groups, starts consuming and polling, and runs the commit loop to the end. */
  async #consume(producer: Producer, engine: Engine, positions: InputPositions): Promise<void> {
    const { config, log } = this.deps;
    const cdeps = {
      ...this.deps,
      kafka: this.kafka,
      positions,
      gate: this.gate,
      failure: this.failure,
    };
    const consumers = inputConsumers(cdeps);
    for (const source of SOURCES) {
      await consumers[source].connect();
      this.#closers.push(() => consumers[source].disconnect());
      await consumers[source].subscribe({
        topic: positions.topics[source].topic,
        fromBeginning: true,
      });
    }
    const committer = this.#committer(producer, consumers);
    const driver = new EngineDriver<InputOffsets, KafkaCommitter>(engine, committer);
    const loop = this.#commitLoop(driver, positions);
    await startConsuming(consumers, driver, cdeps);
    log.info("consuming", {
      foot: config.footTopic,
      shelf: config.shelfTopic,
      pos: config.posTopic,
      delivery: config.delivery,
      idleSec: config.idleSec,
    });
    await this.#startPolling(positions);
    await loop.run();
    // SIGINT/SIGTERM: stop fetching, commit what was processed, leave the groups.
    log.info("stopping: committing in-flight work");
    await loop.finish(() => Promise.all(SOURCES.map((s) => consumers[s].stop())));
    log.info("stopped cleanly");
  }

  #committer(producer: Producer, consumers: Record<Source, Consumer>): KafkaCommitter {
    const { config, log } = this.deps;
    return kafkaCommitter({
      delivery: config.delivery,
      producer,
      consumers,
      outputs: { pos: config.posTopic, dlq: config.dlqTopic, state: config.stateTopic },
      inputs: {
        topics: { foot: config.footTopic, shelf: config.shelfTopic },
        groups: { foot: config.groupIdFoot, shelf: config.groupIdShelf },
      },
      transactionalId: config.transactionalId,
      exitBeforeOffsetCommitAfter: this.deps.exitBeforeOffsetCommitAfter,
      onTestExit: () =>
        log.warn("test fault: exiting after writing outputs, before committing offsets"),
    });
  }

  #commitLoop(
    driver: EngineDriver<InputOffsets, KafkaCommitter>,
    positions: InputPositions,
  ): CommitLoop<InputOffsets> {
    const { metrics, log } = this.deps;
    const dlqLimiter = new RateLimiter(5, 10_000);
    return new CommitLoop<InputOffsets>({
      driver,
      positions: {
        signal: () => positions.signal(),
        uncommitted: () => positions.uncommitted(),
        committed: () => positions.committed(),
        markCommitted: (o) => positions.markCommitted(o),
        isEmpty: noOffsets,
      },
      gate: this.gate,
      failure: this.failure,
      stop: this.deps.stop,
      intervalMs: this.deps.config.commitIntervalMs,
      probeAfterMs: FENCING_PROBE_MS,
      onTaken: (c) => logDlq(c, dlqLimiter, log),
      onCommitted: (c, seconds) => {
        observeCheckoutDelays(c, metrics);
        metrics.commits.inc();
        metrics.commitSeconds.observe(seconds);
        this.deps.onCommit?.({ transactions: c.transactions.length });
      },
      afterTurn: () => {
        metrics.observeEngine(driver.engine.metrics());
        metrics.observeMemory();
      },
    });
  }

  /**
   * Ends of the input partitions: lag, and the caught-up proofs that let a quiet partition pass
   * the wall clock. Its own loop, so a slow commit never delays it. Returns after the first.
   */
  async #startPolling(positions: InputPositions): Promise<void> {
    const { metrics, stop } = this.deps;
    const poll = () =>
      positions.pollEnds(this.admin, (topic, partition, lag) => {
        metrics.lag.set({ topic, partition: String(partition) }, Number(lag));
      });
    const state = { polling: true };
    const loop = (async () => {
      while (state.polling && !stop.aborted && !this.failure.failed) {
        await poll();
        await sleep(OFFSETS_POLL_MS, stop);
      }
    })();
    loop.catch((e) => this.failure.fail(e));
    this.#closers.push(async () => {
      state.polling = false;
      await loop.catch(() => {});
    });
    await Promise.race([poll(), this.failure.promise]);
  }
}

/** DLQ records are logged, rate-limited per topic and reason. */
export function logDlq<O>(c: Commit<O>, limiter: RateLimiter, log: ServiceDeps["log"]): void {
  for (const d of c.dlq) {
    const { ok, suppressed } = limiter.allow(`${d.topic}:${d.reason}`, Date.now());
    if (!ok) continue;
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

/** Real-time checkouts only: a backfill's are due months ago, a fast simulation's ahead. */
export function observeCheckoutDelays<O>(c: Commit<O>, metrics: ServiceDeps["metrics"]): void {
  const nowUs = Date.now() * 1000;
  for (const t of c.transactions) {
    const delaySec = (nowUs - t.dueMicros) / 1e6;
    if (delaySec >= -1 && delaySec <= CHECKOUT_DELAY_MAX_SEC) {
      metrics.checkoutDelay.observe(Math.max(0, delaySec));
    }
  }
}
