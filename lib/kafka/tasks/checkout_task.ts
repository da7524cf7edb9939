/**
 * One checkout task *p* on this instance (docs/service.md, "Tasks"): an engine holding the carts
 * of the customers murmur2 puts in *p*, changelog partition *p* (its state), and repartition
 * partition *p* (its customers' records forwarded by the input partitions read elsewhere, and
 * their control records: how far each has got). Records of the input partitions read here come
 * in directly (lib/kafka/tasks/input_partition.ts). The instance decides when it commits; the
 * task gives what it drained and where it stands. Pure: no client here.
 * @module
 */
import type { EachBatchPayload } from "kafkajs";
import type {
  Decoder,
  Engine,
  EngineMetrics,
  InputRecord,
  Outcome,
  PartitionSignal,
  TransactionOut,
} from "../../core/mod.ts";
import { TopicProgress } from "../progress.ts";
import type { RelayProgress, RelaySource } from "../relay_records.ts";
import { type InputPartitions, RelayedProgress, relayedSignal, TaskInput } from "./task_input.ts";

/** How long a task's start waits for a trailing transaction marker of its backlog. */
export const MARKER_WAIT_MS = 3000;

/** What a task drained for one commit. */
export interface TaskTake {
  task: number;
  transactions: TransactionOut[];
  dlq: ReturnType<Engine["drainOutput"]>["dlq"];
  state: Map<string, string | null>;
  /** The repartition partition's next offset, when it moved since the last commit. */
  offset?: string;
}

/** Where the task's view of an input partition comes from: read here, or reported. */
export type LocalReports = Record<RelaySource, Map<number, RelayProgress>>;

/** One checkout task. */
export class CheckoutTask {
  readonly repartition: TopicProgress;
  readonly relayed: RelayedProgress;
  readonly #input: TaskInput;
  /**
   * The repartition partition's end when the task started: until it has read that far, what
   * was forwarded from an input partition read here now (before it moved here) may still be
   * unread, so that partition's own progress does not count and its records wait.
   */
  #backlogEnd: bigint;
  /** Wall clock (ms) when the repartition position last moved (or the task started). */
  #movedAtMs = Date.now();

  constructor(
    readonly task: number,
    readonly engine: Engine,
    topics: Record<RelaySource, string>,
    repartitionTopic: string,
    inputs: InputPartitions,
    seed: { next: bigint; high: bigint },
  ) {
    this.repartition = new TopicProgress(repartitionTopic, Date.now());
    this.repartition.seed(task, seed.next, seed.high);
    this.relayed = new RelayedProgress(inputs);
    this.#input = new TaskInput(engine, topics, this.relayed);
    this.#backlogEnd = seed.high;
  }

  /**
   * Applies a record of an input partition read here, as the partition's router decoded it (the
   * engine copies what it keeps).
   */
  applyDecoded(rec: InputRecord, d: Decoder, outcome: Outcome): void {
    this.engine.applyDecoded(rec, d, outcome);
  }

  /** The repartition partition's next offset. */
  next(): bigint {
    return this.repartition.partitions.get(this.task)?.next ?? 0n;
  }

  /**
   * Whether the repartition backlog of the task's start has been read. Its last offset may be a
   * transaction marker, which KafkaJS does not always hand over after a seek (seen once in a
   * fail-over: every gained partition one offset short for good): one offset short with nothing
   * read for {@link MARKER_WAIT_MS} counts as read (a record there would have come by then).
   */
  get backlogRead(): boolean {
    const next = this.next();
    return next >= this.#backlogEnd ||
      (next + 1n === this.#backlogEnd && Date.now() - this.#movedAtMs >= MARKER_WAIT_MS);
  }

  /**
   * Applies a fetched repartition batch from the task's position on: forwarded records and
   * control records. Returns how many records were applied, and unknown ones by offset.
   */
  read(batch: EachBatchPayload["batch"], unknown: (offset: string) => void): number {
    const messages = batch.messages;
    const next = this.next();
    let i = 0;
    while (i < messages.length && BigInt(messages[i].offset) < next) i++; // re-delivered
    let applied = 0;
    for (let k = i; k < messages.length; k++) {
      const outcome = this.#input.relayed(messages[k]);
      if (outcome === "unknown") unknown(messages[k].offset);
      if (outcome === "data") applied++;
    }
    // The batch's last offset, not its last message's: a transaction's commit marker fetched
    // with its records is read with them (no empty batch follows to read it by), and the
    // partition's end is always one.
    this.repartition.processed(this.task, BigInt(batch.lastOffset()));
    if (this.next() > next) this.#movedAtMs = Date.now();
    this.repartition.sawHigh(this.task, BigInt(batch.highWatermark), Date.now());
    return applied;
  }

  /** A batch of only control or aborted records (transaction markers) moved the position. */
  readEmpty(lastOffset: string | null | undefined, highWatermark: string): void {
    const high = BigInt(highWatermark);
    this.repartition.sawHigh(this.task, high, Date.now());
    if (lastOffset === undefined || lastOffset === null) return;
    const last = BigInt(lastOffset);
    if (last + 1n <= high && last + 1n > this.next()) {
      this.repartition.processed(this.task, last);
      this.#movedAtMs = Date.now();
    }
  }

  /**
   * Every foot and shelf partition's signal: the progress of a partition read here (`local`)
   * once the start's repartition backlog is read, else the latest control record's.
   */
  signals(local: LocalReports): PartitionSignal[] {
    const out: PartitionSignal[] = [];
    const backlogRead = this.backlogRead;
    for (const s of this.relayed.signals()) {
      const mine = local[s.source as RelaySource].get(s.partition);
      if (mine === undefined) out.push(s);
      else if (backlogRead) out.push(relayedSignal(mine.source, mine.partition, mine));
      else out.push({ source: s.source, partition: s.partition, caughtUp: false });
    }
    return out;
  }

  /** Advances the engine with `signals` and drains it, with the offset when it moved. */
  take(signals: PartitionSignal[], wallMs: number): TaskTake {
    const engine = this.engine;
    engine.advance({ wallMs, partitions: signals });
    const out = engine.drainOutput();
    const t: TaskTake = {
      task: this.task,
      transactions: out.transactions,
      dlq: out.dlq,
      state: engine.drainStateChanges(),
    };
    const moved = this.repartition.uncommitted();
    if (moved.length > 0) t.offset = moved[0].offset;
    return t;
  }

  /** Whether `t` carries nothing to write. */
  static isEmpty(t: TaskTake): boolean {
    return t.transactions.length === 0 && t.dlq.length === 0 && t.state.size === 0 &&
      t.offset === undefined;
  }

  /** `t` was committed. */
  committed(t: TaskTake): void {
    if (t.offset !== undefined) {
      this.repartition.markCommitted([{ partition: this.task, offset: t.offset }]);
    }
  }

  /** The task's engine figures. */
  metrics(): EngineMetrics {
    return this.engine.metrics();
  }

  /** Records of the repartition partition not yet read. */
  lag(): number {
    return Number(this.repartition.lag().get(this.task) ?? 0n);
  }
}
