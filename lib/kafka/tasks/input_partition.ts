/**
 * One foot or shelf partition *s* this instance reads (docs/service.md, "Tasks"): its position
 * (lib/kafka/progress.ts), its fronts (lib/core/time/fronts.ts) and what it read and has not
 * committed. Each record goes to the task of its customer (murmur2, the producers' partitioner):
 * applied at once when that task runs here, else kept for the repartition partition of its
 * customer, with `pos-src` naming where it came from. A commit takes the forwarded records, the
 * partition's progress (for the tasks here, and as control records for the tasks elsewhere when
 * it changed) and its offset. Pure: no client here.
 * @module
 */
import type { EachBatchPayload } from "kafkajs";
import type { Engine, InputRecord } from "../../core/mod.ts";
import { TopicProgress } from "../progress.ts";
import type { RelayProgress, RelaySource } from "../relay_records.ts";
import { ORIGIN_HEADER, originOf } from "../relay_records.ts";
import {
  ControlTracker,
  relayProgress,
  type RoutedRecord,
  type Router,
  TaskWork,
} from "./routing.ts";
import { headerStrings } from "./task_input.ts";

/** Where a record of a local task goes: its engine. */
export type LocalSink = (task: number) => { applyDecoded: Engine["applyDecoded"] } | undefined;

/** The settings a partition reads with. */
export interface InputPartitionSettings {
  source: RelaySource;
  topic: string;
  idleMs: number;
  toleranceUs: number;
  leapUs: number;
}

/** What a commit takes from one input partition, at one synchronous moment. */
export interface PartitionTake {
  /** Records for tasks elsewhere, then control records when the progress changed. */
  records: RoutedRecord[];
  /** Records not for checkouts, by event type. */
  skipped: Map<string, number>;
  /** The partition's progress now (the local tasks' signal). */
  progress: RelayProgress;
  /** Whether `records` carry `progress` as control records (a heartbeat counts from those). */
  told: boolean;
  /** The next offset to read, when it moved since the last commit. */
  offset?: string;
}

/** One input partition read by this instance. */
export class InputPartition {
  readonly work: TaskWork;
  readonly position: TopicProgress;
  readonly control: ControlTracker;
  readonly #rec: InputRecord;
  readonly #decoder = new TextDecoder();
  /** Records applied to a task here, so far (a counter the caller reads and resets). */
  appliedHere = 0;
  /** Event time (µs) of the last record read: where the partition stands (event-time steps). */
  headUs = -Infinity;

  constructor(
    readonly s: number,
    readonly settings: InputPartitionSettings,
    next: bigint,
    high: bigint,
    startedMs = Date.now(),
  ) {
    this.work = new TaskWork({ toleranceUs: settings.toleranceUs, leapUs: settings.leapUs });
    this.control = new ControlTracker(settings.idleMs);
    this.position = new TopicProgress(settings.topic, startedMs);
    this.position.seed(s, next, high);
    this.#rec = {
      source: settings.source,
      topic: settings.topic,
      partition: s,
      offset: "0",
      value: null,
      timestampMs: 0,
    };
  }

  /** The next offset to read. */
  get next(): bigint {
    return this.position.partitions.get(this.s)?.next ?? 0n;
  }

  /** Records not yet read (end − position). */
  lag(): bigint {
    return this.position.lag().get(this.s) ?? 0n;
  }

  /**
   * Reads a fetched batch (synchronously: a commit never sees half of it): each record to its
   * task here (`local`) or kept for the repartition topic. Records below the position were read
   * already; a batch that starts past it is not ours (fetched before a seek). Returns the
   * records read, or -1 when the batch does not follow the position.
   */
  read(batch: EachBatchPayload["batch"], router: Router, local: LocalSink): number {
    const first = batch.firstOffset();
    if (first === null) return 0;
    const next = this.next;
    if (BigInt(first) > next) return -1;
    const messages = batch.messages;
    let i = 0;
    while (i < messages.length && BigInt(messages[i].offset) < next) i++;
    const work = this.work;
    work.wallUs = Date.now() * 1000;
    // The router is its input's, shared by its partitions: only this batch's times count here.
    router.lastUs = -Infinity;
    const rec = this.#rec;
    for (let k = i; k < messages.length; k++) {
      const m = messages[k];
      const task = router.route(this.s, m, work);
      if (task < 0) continue;
      const sink = local(task);
      if (sink === undefined) {
        work.records.push({
          partition: task,
          key: router.key,
          value: m.value,
          timestamp: m.timestamp,
          headers: {
            ...m.headers,
            [ORIGIN_HEADER]: originOf(this.settings.source, this.s, m.offset),
          },
        });
        continue;
      }
      rec.offset = m.offset;
      rec.value = m.value;
      rec.timestampMs = Number(m.timestamp);
      rec.headers = headerStrings(m.headers, this.#decoder);
      sink.applyDecoded(rec, router.decoder, router.outcome);
      this.appliedHere++;
    }
    if (router.lastUs > -Infinity) this.headUs = router.lastUs;
    this.position.processed(this.s, BigInt(batch.lastOffset()));
    this.position.sawHigh(this.s, BigInt(batch.highWatermark), Date.now());
    return messages.length - i;
  }

  /** A batch of only control or aborted records moved the position (when it follows it). */
  readEmpty(firstOffset: string | null, lastOffset: string, highWatermark: string): void {
    if (firstOffset === null || BigInt(firstOffset) > this.next) return;
    const last = BigInt(lastOffset);
    if (last + 1n <= BigInt(highWatermark)) this.position.processed(this.s, last);
    this.position.sawHigh(this.s, BigInt(highWatermark), Date.now());
  }

  /**
   * The partition's progress now: its caught-up proof (unless the broker was regained within
   * the idle time, `contactSinceMs`) and its fronts, retired where caught up and idle.
   */
  progress(contactSinceMs: number): RelayProgress {
    const { idleMs } = this.settings;
    const signal = this.position.signal(this.s, idleMs, contactSinceMs);
    this.work.fronts.retire(
      signal.caughtUp ? signal.caughtUpAtMs! * 1000 : NaN,
      signal.idle ?? false,
      idleMs * 1000,
      Date.now() * 1000,
    );
    return relayProgress(this.settings.source, this.s, signal, this.work.report());
  }

  /**
   * What the next commit writes: the forwarded records, control records to `remote` (the
   * repartition partitions of tasks elsewhere) when the progress changed, the offset when it
   * moved. Synchronous.
   */
  take(progress: RelayProgress, remote: number[]): PartitionTake {
    const moved = this.position.uncommitted();
    const { records, skipped } = this.work.take();
    const controls = this.control.records(progress, remote);
    const t: PartitionTake = {
      records: controls.length > 0 ? records.concat(controls) : records,
      skipped,
      progress,
      told: controls.length > 0,
    };
    if (moved.length > 0) t.offset = moved[0].offset;
    return t;
  }

  /** `t` was committed. */
  committed(t: PartitionTake): void {
    if (t.offset !== undefined) {
      this.position.markCommitted([{ partition: this.s, offset: t.offset }]);
    }
    // Only what went out: a commit for the instance's other parts tells the tasks elsewhere
    // nothing of this partition, and must not put its next heartbeat off.
    if (t.told) this.control.sent(t.progress);
  }
}
