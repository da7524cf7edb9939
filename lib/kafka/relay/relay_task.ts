/**
 * One relay task: partition *s* of the relay's input (foot or shelf), its own producer
 * (transactional id `<APPLICATION_ID>-foot-relay-<s>` or `<APPLICATION_ID>-shelf-relay-<s>`),
 * what it has read and not yet committed, and its position
 * (lib/kafka/progress.ts). Starting it fences the previous owner before the committed offset is
 * read (docs/service.md, "Exactly once across rebalances"); each commit is one transaction of its
 * relayed records, control records when its progress changed, and its offset.
 * @module
 */
import type { Admin, Consumer, EachBatchPayload, Kafka, Producer } from "kafkajs";
import { Partitioners } from "../kafkajs.ts";
import type { RelayDeps } from "../stage.ts";
import { taskTransactionalId } from "../stage.ts";
import { asFenced, retryingConcurrent, TRANSACTION_TIMEOUT_MS } from "../fencing.ts";
import { TopicProgress } from "../progress.ts";
import type { RelayProgress } from "../relay_records.ts";
import {
  ControlTracker,
  relayProgress,
  type RoutedRecord,
  type Router,
  TaskWork,
} from "./routing.ts";
import { chunks } from "./chunks.ts";
import { type RelayInput, relayStageKind } from "./input.ts";

/** What a task's commit takes, at one synchronous moment (records and progress agree). */
export interface TakenWork {
  records: RoutedRecord[];
  skipped: Map<string, number>;
  progress: RelayProgress;
  /** The next offset to read, when it moved since the last commit. */
  offset?: string;
}

/** A task's life: starting (fencing, seeking), running, or stopped. */
export type TaskState = "starting" | "running" | "stopped";

/** One input partition's relay. */
export class RelayTask {
  state: TaskState = "starting";
  readonly work: TaskWork;
  readonly progress: TopicProgress;
  readonly control: ControlTracker;
  readonly transactionalId: string;
  readonly #producer: Producer;
  readonly #eos: boolean;
  /** The commit in flight, which a stop lets finish (commit or abort) first. */
  #inflight: Promise<unknown> = Promise.resolve();

  constructor(
    readonly s: number,
    kafka: Kafka,
    private readonly deps: RelayDeps,
    readonly input: RelayInput,
  ) {
    const { config } = deps;
    this.#eos = config.delivery === "exactly-once";
    this.control = new ControlTracker(config.idleSec * 1000);
    this.work = new TaskWork({
      toleranceUs: Math.max(config.checkoutGraceSec, 1) * 1e6,
      leapUs: config.maxSessionAgeSec * 1e6,
    });
    const stage = relayStageKind(input.source);
    this.transactionalId = taskTransactionalId(config.applicationId, stage, s);
    this.progress = new TopicProgress(input.topic, Date.now());
    this.#producer = kafka.producer({
      ...(this.#eos ? { transactionalId: this.transactionalId } : {}),
      idempotent: true,
      maxInFlightRequests: 1,
      // The repartition topic is made by the service only (P partitions, not compacted).
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 5000 },
      transactionTimeout: TRANSACTION_TIMEOUT_MS,
    });
  }

  /**
   * Fences the previous owner (InitProducerId, lazy in KafkaJS: an empty transaction forces it,
   * completing or aborting the predecessor's open one), THEN reads the committed offset, so what
   * it reads is final; seeks there. The caller paused the partition and resumes it after.
   */
  async start(admin: Admin, consumer: Consumer): Promise<void> {
    const { topic, groupId } = this.input;
    const openedAt = Date.now();
    await this.#producer.connect();
    if (this.#eos) {
      try {
        await (await this.#producer.transaction()).abort();
      } catch (e) {
        throw asFenced(e, openedAt, this.transactionalId);
      }
    }
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    const end = ends.find((e) => e.partition === this.s);
    if (end === undefined) throw new Error(`${topic} has no partition ${this.s}`);
    const c = BigInt(committed?.partitions.find((p) => p.partition === this.s)?.offset ?? -1);
    // Never below the log start: records deleted by retention cannot be read.
    const next = c >= BigInt(end.low) ? c : BigInt(end.low);
    this.progress.seed(this.s, next, BigInt(end.high));
    consumer.seek({ topic, partition: this.s, offset: next.toString() });
    // Unless an assignment took it meanwhile (the next one stops it).
    if (this.state === "starting") this.state = "running";
  }

  /** The next offset to read. */
  get next(): bigint {
    return this.progress.partitions.get(this.s)?.next ?? 0n;
  }

  /**
   * Routes a fetched batch (synchronously: a commit never sees half of it). Records below the
   * position were relayed already (KafkaJS re-fetches from the group's offset after a rejoin);
   * a batch that starts past the position is not ours to read (fetched before our seek).
   * Returns the records routed, or -1 when the batch does not follow the position.
   */
  read(batch: EachBatchPayload["batch"], router: Router): number {
    const first = batch.firstOffset();
    if (this.state !== "running" || first === null) return 0;
    const next = this.next;
    if (BigInt(first) > next) return -1;
    const messages = batch.messages;
    // Offsets ascend: only the re-fetched head below the position is compared (no BigInt per
    // record on the per-event path).
    let i = 0;
    while (i < messages.length && BigInt(messages[i].offset) < next) i++;
    this.work.wallUs = Date.now() * 1000;
    for (let k = i; k < messages.length; k++) router.route(this.s, messages[k], this.work);
    this.progress.processed(this.s, BigInt(batch.lastOffset()));
    this.progress.sawHigh(this.s, BigInt(batch.highWatermark), Date.now());
    return messages.length - i;
  }

  /** A batch of only control or aborted records moved the position (when it follows it). */
  readEmpty(firstOffset: string | null, lastOffset: string, highWatermark: string): void {
    if (this.state !== "running" || firstOffset === null) return;
    if (BigInt(firstOffset) > this.next) return;
    const last = BigInt(lastOffset);
    if (last + 1n <= BigInt(highWatermark)) this.progress.processed(this.s, last);
    this.progress.sawHigh(this.s, BigInt(highWatermark), Date.now());
  }

  /** What the next commit writes; undefined when nothing moved. Synchronous. */
  take(): TakenWork | undefined {
    const { config, contact } = this.deps;
    const signal = this.progress.signal(this.s, config.idleSec * 1000, contact.regainedAtMs);
    const nowUs = Date.now() * 1000;
    const fronts = this.work.fronts;
    fronts.retire(
      signal.caughtUp ? signal.caughtUpAtMs! * 1000 : NaN,
      signal.idle ?? false,
      config.idleSec * 1e6,
      nowUs,
    );
    const progress = relayProgress(this.input.source, this.s, signal, this.work.report());
    const moved = this.progress.uncommitted();
    const { records, skipped } = this.work.take();
    const offset = moved.length > 0 ? moved[0].offset : undefined;
    const controls = this.control.records(progress, this.deps.taskCount);
    if (records.length === 0 && offset === undefined && controls.length === 0) return undefined;
    return { records: records.concat(controls), skipped, progress, offset };
  }

  /**
   * One transaction (exactly-once): the records, control records after them, the offset.
   * At-least-once: the writes, then the offset through the consumer. Throws a FencedError when
   * another owner took the task.
   */
  commit(t: TakenWork, consumer: Consumer): Promise<void> {
    const done = this.#commit(t, consumer);
    this.#inflight = done.catch(() => {});
    return done;
  }

  async #commit(t: TakenWork, consumer: Consumer): Promise<void> {
    const { config } = this.deps;
    const topic = config.repartitionTopic;
    const offsets = t.offset === undefined ? [] : [{ partition: this.s, offset: t.offset }];
    if (!this.#eos) {
      for (const c of chunks(t.records)) {
        await this.#producer.sendBatch({ topicMessages: [{ topic, messages: c }], acks: -1 });
      }
      if (offsets.length > 0) {
        await consumer.commitOffsets([{ topic: this.input.topic, ...offsets[0] }]);
      }
    } else {
      const openedAt = Date.now();
      const tx = await this.#producer.transaction();
      try {
        for (const c of chunks(t.records)) {
          await tx.sendBatch({ topicMessages: [{ topic, messages: c }], acks: -1 });
        }
        if (offsets.length > 0) {
          await retryingConcurrent(() =>
            tx.sendOffsets({
              consumerGroupId: this.input.groupId,
              topics: [{ topic: this.input.topic, partitions: offsets }],
            })
          );
        }
        await tx.commit();
      } catch (e) {
        await tx.abort().catch(() => {});
        throw asFenced(e, openedAt, this.transactionalId);
      }
    }
    this.progress.markCommitted(offsets);
    this.control.sent(t.progress);
  }

  /** Stops the task: nothing more is read or committed; the producer disconnects. */
  async stop(): Promise<void> {
    this.state = "stopped";
    await this.#inflight;
    await this.#producer.disconnect().catch(() => {});
  }
}
