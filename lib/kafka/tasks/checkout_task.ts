/**
 * One checkout task *p*: repartition partition *p* (its customers' foot and shelf records, relayed,
 * and every input partition's control records) + changelog partition *p*, with its own engine, its own transactional producer and its own commit loop (today's
 * {@link CommitLoop} and committers, on this task's offsets only).
 *
 * The start order is the fencing (KafkaJS has no KIP-447): pause the partitions, initialise the
 * producer (fences the previous owner, completes or aborts its open transaction), then read the
 * checkout group's committed offset, then restore the changelog partition, then seek and resume. A
 * fencing error later means the task moved: it stops, alone (docs/service.md).
 * @module
 */
import type { EachBatchPayload, Producer } from "kafkajs";
import { Engine, type EngineMetrics } from "../../core/mod.ts";
import { EngineDriver } from "../../drive/driver.ts";
import { CommitLoop, FENCING_PROBE_MS, MAX_UNCOMMITTED_RECORDS } from "../commit_loop.ts";
import { type KafkaCommitter, kafkaCommitter } from "../committer.ts";
import { PipelineFailure } from "../failure.ts";
import { FencedError } from "../fencing.ts";
import type { InputOffsets } from "../input_offsets.ts";
import { logDlq, observeCheckoutDelays } from "./commit_reports.ts";
import { taskTransactionalId } from "../stage.ts";
import { WorkGate } from "../work_gate.ts";
import { withDeadline } from "../../sleep.ts";
import { RelayedProgress, TaskInput } from "./task_input.ts";
import { TaskPositions } from "./task_positions.ts";
import type { TaskContext } from "./task_context.ts";
import { checkoutGroupId, seedTask } from "./task_context.ts";

/** How long a task's fencing or committed-offset look-up may take before the stage restarts. */
const START_BOUND_MS = 30_000;

/** Where a task is in its life. */
export type TaskState = "starting" | "running" | "stopped";

/** One checkout task on this instance. */
export class CheckoutTask {
  state: TaskState = "starting";
  readonly gate = new WorkGate(MAX_UNCOMMITTED_RECORDS);
  readonly failure = new PipelineFailure(this.gate);
  readonly #revoked = new AbortController();
  #producer?: Producer;
  #engine?: Engine;
  #positions?: TaskPositions;
  #input?: TaskInput;

  constructor(readonly task: number, private readonly ctx: TaskContext) {}

  /** The topic-partitions of this task in the stage's consumer. */
  get partitions(): { topic: string; partitions: number[] }[] {
    return [{ topic: this.ctx.deps.config.repartitionTopic, partitions: [this.task] }];
  }

  /** Whether the task was taken from this instance. */
  get revoked(): boolean {
    return this.#revoked.signal.aborted;
  }

  /** The task's engine figures (none before its restore). */
  metrics(): EngineMetrics | undefined {
    return this.#engine?.metrics();
  }

  /** The task's positions (none before its start). */
  get positions(): TaskPositions | undefined {
    return this.state === "running" ? this.#positions : undefined;
  }

  /** The task moved away: stop at the next turn, without committing (the new owner fences). */
  revoke(): void {
    this.#revoked.abort();
    this.gate.close();
  }

  /** Start, then commit every interval until stopped, revoked, fenced or failed. */
  async run(): Promise<void> {
    try {
      if (!(await this.start())) return;
      const loop = this.#loop();
      this.ctx.onRunning(this);
      await loop.run();
      if (this.ctx.deps.stop.aborted && !this.revoked && !this.failure.failed) {
        await loop.finish(() => this.ctx.consumerStopped());
      }
    } catch (e) {
      if (!(e instanceof FencedError)) throw e;
      this.ctx.deps.log.warn("checkout task moved to another instance (fenced)", {
        task: this.task,
      });
      this.ctx.onFenced(this);
    } finally {
      await this.#close();
    }
  }

  /**
   * Pause, fence, read the committed offsets, restore, seek, resume: in this order. Returns
   * false when the task was revoked meanwhile.
   */
  async start(): Promise<boolean> {
    const { deps, io } = this.ctx;
    const { config } = deps;
    io.consumer.pause(this.partitions); // synchronously, in the join that assigned the task
    const ended = AbortSignal.any([this.#revoked.signal, deps.stop]);
    // Fencing waits for the previous owner's transaction; past the bound the stage fails and
    // the instance starts again rather than hold the task for ever.
    this.#producer = await withDeadline(
      START_BOUND_MS,
      this.#connectProducer(),
      `task ${this.task}: fencing`,
    );
    if (ended.aborted) return false;
    const seed = await withDeadline(
      START_BOUND_MS,
      seedTask(this.ctx, this.task),
      `task ${this.task}: committed offsets`,
    );
    if (ended.aborted) return false;
    const engine = this.#newEngine();
    const restored = await io.restore(this.task, engine, ended);
    if (ended.aborted) return false;
    deps.tasks.restored(this.task, restored.ms / 1000);
    deps.log.info("checkout task restored", { task: this.task, ...restored });
    const progress = new RelayedProgress(this.ctx.inputPartitions);
    const positions = new TaskPositions(this.task, config.repartitionTopic, progress);
    const from = positions.seed(seed);
    this.#engine = engine;
    this.#positions = positions;
    this.#input = new TaskInput(
      engine,
      { foot: config.footTopic, shelf: config.shelfTopic },
      progress,
    );
    io.consumer.seek({
      topic: config.repartitionTopic,
      partition: this.task,
      offset: String(from),
    });
    io.consumer.resume(this.partitions);
    this.state = "running";
    return true;
  }

  /**
   * After a rebalance KafkaJS would fetch again from the committed offsets: a running task
   * goes on from what it applied instead.
   */
  keepPosition(): void {
    const pos = this.positions;
    if (!pos) return;
    const topic = this.ctx.deps.config.repartitionTopic;
    this.ctx.io.consumer.seek({ topic, partition: this.task, offset: String(pos.next()) });
  }

  /** A fetched batch of one of the task's partitions (ignored unless running). */
  async consume(payload: EachBatchPayload): Promise<void> {
    if (this.state !== "running" || payload.isStale()) return;
    await this.gate.room(); // backpressure, never with half a batch applied
    if (
      this.state !== "running" || this.revoked || this.failure.failed ||
      this.ctx.deps.stop.aborted || payload.isStale()
    ) return;
    try {
      this.gate.add(this.#apply(payload.batch));
    } catch (e) {
      this.failure.fail(e);
    }
  }

  /** A batch that KafkaJS processed, maybe empty after filtering (transaction markers). */
  endBatch(lastOffset: string | null | undefined, highWatermark: string): void {
    const pos = this.positions;
    if (!pos) return;
    const tp = pos.repartition;
    const high = BigInt(highWatermark);
    tp.sawHigh(this.task, high, Date.now());
    if (lastOffset === undefined || lastOffset === null) return;
    const last = BigInt(lastOffset);
    if (last + 1n <= high && last + 1n > pos.next()) tp.processed(this.task, last);
  }

  /** Applies the records from the task's next offset on; returns how many. */
  #apply(batch: EachBatchPayload["batch"]): number {
    const pos = this.#positions!, input = this.#input!;
    const messages = batch.messages;
    const next = pos.next();
    let i = 0;
    while (i < messages.length && BigInt(messages[i].offset) < next) i++; // re-delivered
    let bytes = 0;
    let applied = 0;
    for (let k = i; k < messages.length; k++) {
      const m = messages[k];
      const outcome = input.relayed(m);
      if (outcome === "unknown") this.ctx.unknownRelayed(this.task, m.offset);
      if (outcome !== "control") applied++;
      bytes += m.value?.length ?? 0;
    }
    if (i < messages.length) {
      pos.repartition.processed(this.task, BigInt(messages[messages.length - 1].offset));
    }
    pos.repartition.sawHigh(this.task, BigInt(batch.highWatermark), Date.now());
    this.ctx.deps.metrics.consumedBytes.inc({ topic: batch.topic }, bytes);
    if (applied > 0) this.ctx.deps.metrics.recordsApplied.inc({}, applied);
    return messages.length - i;
  }

  async #connectProducer(): Promise<Producer> {
    const { config } = this.ctx.deps;
    const eos = config.delivery === "exactly-once";
    const id = eos ? taskTransactionalId(config.applicationId, "task", this.task) : undefined;
    const producer = this.ctx.io.producer(id);
    await producer.connect();
    // InitProducerId is lazy in KafkaJS: an empty transaction makes it happen now, before the
    // offsets and the changelog are read (fences the previous owner, ends its transaction).
    if (eos) await (await producer.transaction()).abort();
    return producer;
  }

  #newEngine(): Engine {
    const { config, pricer } = this.ctx.deps;
    return new Engine({
      graceSec: config.checkoutGraceSec,
      maxSessionAgeSec: config.maxSessionAgeSec,
      forceCheckoutIfEmpty: config.forceCheckoutIfEmpty,
      idleSec: config.idleSec,
      // The book of the moment: a hot reload swaps it between checkouts.
      pricer: { priceCart: (lines, atMs) => pricer().priceCart(lines, atMs) },
    });
  }

  #committer(): KafkaCommitter {
    const { config } = this.ctx.deps;
    const group = checkoutGroupId(config.applicationId);
    const consumer = this.ctx.io.consumer as Parameters<
      typeof kafkaCommitter
    >[0]["consumers"]["foot"];
    return kafkaCommitter({
      delivery: config.delivery,
      producer: this.#producer!,
      consumers: { foot: consumer, shelf: consumer },
      outputs: {
        pos: config.posTopic,
        dlq: config.dlqTopic,
        state: config.stateTopic,
        statePartition: this.task,
      },
      // The task's offsets are repartition partition p's, in the checkout group (task_positions.ts).
      inputs: {
        topics: { foot: config.repartitionTopic, shelf: config.repartitionTopic },
        groups: { foot: group, shelf: group },
      },
      transactionalId: taskTransactionalId(config.applicationId, "task", this.task),
      exitBeforeOffsetCommitAfter: this.ctx.deps.exitBeforeOffsetCommitAfter,
      onTestExit: () =>
        this.ctx.deps.log.warn(
          "test fault: exiting after writing outputs, before committing offsets",
        ),
    });
  }

  #loop(): CommitLoop<InputOffsets> {
    const { deps } = this.ctx;
    const driver = new EngineDriver<InputOffsets, KafkaCommitter>(this.#engine!, this.#committer());
    return new CommitLoop<InputOffsets>({
      driver,
      positions: this.#positions!,
      gate: this.gate,
      failure: this.failure,
      stop: AbortSignal.any([deps.stop, this.#revoked.signal]),
      intervalMs: deps.config.commitIntervalMs,
      probeAfterMs: FENCING_PROBE_MS,
      onTaken: (c, waited) => {
        deps.metrics.commitWaitSeconds.observe(waited);
        logDlq(c, this.ctx.dlqLimiter, deps.log);
      },
      onCommitted: (c, seconds) => {
        observeCheckoutDelays(c, deps.metrics);
        deps.metrics.commits.inc();
        deps.metrics.commitSeconds.observe(seconds);
        deps.onCommit?.({ transactions: c.transactions.length });
      },
    });
  }

  /** Ends the task here: nothing waits on it, its producer goes, its engine's counts are kept. */
  async #close(): Promise<void> {
    this.state = "stopped";
    this.gate.close();
    const m = this.#engine?.metrics();
    if (m) this.ctx.retire(m);
    this.#engine = undefined;
    await this.#producer?.disconnect().catch(() => {});
  }
}
