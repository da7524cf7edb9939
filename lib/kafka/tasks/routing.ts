/**
 * Which task each input record belongs to (docs/service.md, "Tasks"): a foot session or a shelf
 * pickup/putback to the task of its customer (Kafka's default partitioner, murmur2, whatever
 * partitioner the upstream producer used), an invalid record to task `s mod P` (which sends it
 * to the DLQ), another event type to none (only counted). Records move their partition's fronts
 * by the event time the engine uses for their input (a session's entry time; a shelf event's
 * timestamp, else its record's), so stream time means the same for a record applied here and
 * one forwarded through the repartition topic. Also what a partition tells the tasks elsewhere
 * (control records). Pure: no client here, so it is tested without a broker.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Buffer } from "node:buffer";
 * import { Router, TaskWork } from "./routing.ts";
 * const work = new TaskWork({ toleranceUs: 2e6, leapUs: 10800e6 });
 * const value = Buffer.from('{"event_type":"weight_change","timestamp":"2025-11-07T10:00:00Z"}');
 * const task = new Router("shelf", 4).route(1, { offset: "7", value, timestamp: "0", headers: {} }, work);
 * assert.equal(task, -1); // not for checkouts
 * assert.equal(work.fronts.fronts[0].posUs, Date.parse("2025-11-07T10:00:00Z") * 1000);
 * ```
 * @module
 */
import type { Buffer } from "node:buffer";
import type { IHeaders } from "kafkajs";
import { Decoder, type Outcome } from "../../core/mod.ts";
import { type FrontSettings, LEAPT_BACK, PartitionFronts } from "../../core/time/fronts.ts";
import type { ReportedFront } from "../../core/time/watermarks.ts";
import { partitionForKey } from "../partitioner.ts";
import { controlRecord, type RelayProgress, type RelaySource } from "../relay_records.ts";

/** An input record as KafkaJS delivers it (the fields a forwarded record keeps). */
export interface SourceRecord {
  offset: string;
  value: Buffer | null;
  /** The Kafka record timestamp (ms, as KafkaJS gives it). */
  timestamp: string;
  headers?: IHeaders;
}

/** A record for the repartition topic, with its partition. */
export interface RoutedRecord {
  partition: number;
  key: string | null;
  value: Buffer | string | null;
  /** The original record's timestamp (absent: the producer's clock, for control records). */
  timestamp?: string;
  headers: IHeaders;
}

/** What one input partition has read and not yet committed, and its fronts. */
export class TaskWork {
  /** Records to write, in the order read. */
  records: RoutedRecord[] = [];
  /** Records for no task (their event type), by event type. */
  skipped = new Map<string, number>();
  /** The partition's fronts (lib/core/time/fronts.ts), skipped records included. */
  readonly fronts: PartitionFronts;
  /** Fronts born by a leap back in time (the checkout tasks hold every other partition). */
  readonly #leapt = new Set<number>();
  /** Wall clock (µs) of the batch being read. */
  wallUs = -Infinity;

  /**
   * A task's work, its fronts told apart with `settings`, their ids starting at `firstId` (by
   * default from the clock: each start of a partition's reader names its fronts anew).
   */
  constructor(settings: FrontSettings, firstId = Date.now() * 16) {
    this.fronts = new PartitionFronts(settings, firstId);
  }

  /** Takes the records and skip counts read since the last take (the fronts stay). */
  take(): { records: RoutedRecord[]; skipped: Map<string, number> } {
    const out = { records: this.records, skipped: this.skipped };
    this.records = [];
    this.skipped = new Map();
    return out;
  }

  /** A record with event time `us` was read. */
  saw(us: number): void {
    if (!Number.isFinite(us)) return;
    if (this.fronts.observe(us, this.wallUs) === LEAPT_BACK) {
      const f = this.fronts.fronts;
      this.#leapt.add(f[f.length - 1].id);
    }
  }

  /** The fronts as a control record reports them. */
  report(): ReportedFront[] {
    return this.fronts.fronts.map((f) => [
      f.id,
      f.posUs,
      Math.round(f.seenAtUs / 1000),
      this.#leapt.has(f.id) ? 1 : 0,
    ]);
  }
}

/**
 * Decodes one input's records and finds each one's task; one per input (its scratch is reused).
 */
export class Router {
  /** The decoder of the record last routed (its engine applies it as decoded). */
  readonly decoder = new Decoder();
  /** What the record last routed decoded to. */
  outcome: Outcome = "invalid";
  /** The customer of the record last routed to a task (null: none, an invalid record). */
  key: string | null = null;
  /** Event time (µs) of the last record routed (-Infinity: none had one). */
  lastUs = -Infinity;

  /** `source`: the input read; `taskCount`: P, the repartition topic's partition count. */
  constructor(readonly source: RelaySource, readonly taskCount: number) {}

  /**
   * The task of record `rec` of input partition `s` (its customer's, or `s mod P` for an invalid
   * record, whose task sends it to the DLQ with its reason), or -1 for a record not for
   * checkouts (only counted). Its event time moves the partition's fronts in `work`.
   */
  route(s: number, rec: SourceRecord, work: TaskWork): number {
    const d = this.decoder;
    const outcome = this.outcome = d.decode(this.source, rec.value);
    if (outcome === "shelf") {
      const ev = d.shelf;
      this.#saw(work, Number.isNaN(ev.us) ? recordUs(rec) : ev.us);
      return this.#keyed(ev.customerIdString());
    }
    if (outcome === "foot") {
      // The engine's foot watermark is the session's entry time (applySession).
      this.#saw(work, d.foot.entryUs);
      return this.#keyed(d.foot.customerId);
    }
    if (outcome === "skipped") {
      // weight_change and the like: not for checkouts, but their time is the partition's time.
      work.skipped.set(d.eventType, (work.skipped.get(d.eventType) ?? 0) + 1);
      this.#saw(work, this.#skippedUs(rec));
      return -1;
    }
    this.key = null;
    return s % this.taskCount;
  }

  #saw(work: TaskWork, us: number): void {
    work.saw(us);
    if (Number.isFinite(us)) this.lastUs = us;
  }

  #keyed(customer: string): number {
    this.key = customer;
    return partitionForKey(customer, this.taskCount);
  }

  /**
   * A skipped record's event time as its input defines it (`eventTimeOf`: a foot record's
   * entry_time, a shelf record's timestamp); a shelf record without one has its Kafka
   * timestamp, as a shelf event has in the engine; a foot record without one has none.
   */
  #skippedUs(rec: SourceRecord): number {
    const fallback = this.source === "shelf" ? recordUs(rec) : -Infinity;
    const us = this.decoder.lastEventTimeUs(this.source); // the decoder's parse, not another
    return Number.isNaN(us) ? fallback : us;
  }
}

/** The Kafka record timestamp in µs. */
function recordUs(rec: SourceRecord): number {
  return Math.round(Number(rec.timestamp) * 1000);
}

/**
 * While a partition idle for more than twice the idle time only advances its caught-up time, a
 * control record at most this often, for {@link SETTLING_MS}: the last shoppers of a stopped
 * producer are checked out by the wall clock the tasks elsewhere learn this way. A partition
 * written to within twice the idle time sends its caught-up time with every commit: in a lull
 * between shoppers, checkouts wait for that proof.
 */
export const CONTROL_HEARTBEAT_MS = 500;
/** How long after its end last moved a partition sends {@link CONTROL_HEARTBEAT_MS} reports. */
export const SETTLING_MS = 60_000;
/**
 * After that, its caught-up time alone at most this often: a quiet store costs a transaction a
 * minute per instance (none with one instance: no task is elsewhere), and a cart without a
 * session, due by the wall clock hours after its first event, waits at most this long more.
 */
export const QUIET_HEARTBEAT_MS = 60_000;

/**
 * Remembers the progress a partition last sent, so control records go out only when it changed
 * (an idle store's checkouts need them even when no data moves; an unchanged one says nothing),
 * and a long-idle partition's caught-up time alone only every {@link CONTROL_HEARTBEAT_MS}, then
 * every {@link QUIET_HEARTBEAT_MS}.
 */
export class ControlTracker {
  #last: RelayProgress | undefined;

  /** `idleMs`: the idle time (`IDLE_SEC`); written within twice that, a partition is recent. */
  constructor(private readonly idleMs: number) {}

  /**
   * Control records carrying `p` to each of `partitions` (the repartition partitions of the
   * tasks elsewhere), or none when nothing to tell.
   */
  records(p: RelayProgress, partitions: readonly number[]): RoutedRecord[] {
    if (partitions.length === 0 || !this.#worthSending(p)) return [];
    const rec = controlRecord(p);
    const out: RoutedRecord[] = [];
    for (const partition of partitions) {
      out.push({ partition, key: null, value: rec.value, headers: rec.headers });
    }
    return out;
  }

  /** `p` was committed. */
  sent(p: RelayProgress): void {
    this.#last = p;
  }

  #worthSending(p: RelayProgress): boolean {
    const l = this.#last;
    if (l === undefined) return true;
    if (
      p.caughtUp !== l.caughtUp || p.idle !== l.idle || !sameFronts(p.fronts, l.fronts) ||
      p.endMovedAtMs !== l.endMovedAtMs
    ) return true;
    if (p.caughtUpAtMs === l.caughtUpAtMs) return false;
    if (this.#recentlyWritten(p)) return true;
    if (p.caughtUpAtMs === undefined || l.caughtUpAtMs === undefined) return true;
    const quietMs = p.caughtUpAtMs - (p.endMovedAtMs ?? -Infinity);
    const every = quietMs < 2 * this.idleMs + SETTLING_MS
      ? CONTROL_HEARTBEAT_MS
      : QUIET_HEARTBEAT_MS;
    return p.caughtUpAtMs - l.caughtUpAtMs >= every;
  }

  /** Whether the partition's end moved within twice the idle time before this look-up. */
  #recentlyWritten(p: RelayProgress): boolean {
    if (!p.idle) return true;
    if (p.caughtUpAtMs === undefined || p.endMovedAtMs === undefined) return false;
    return p.caughtUpAtMs - p.endMovedAtMs < 2 * this.idleMs;
  }
}

/** Whether two reports of fronts are the same. */
function sameFronts(a: ReportedFront[] | undefined, b: ReportedFront[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    for (let k = 0; k < 4; k++) if (a[i][k] !== b[i][k]) return false;
  }
  return true;
}

/** A task's progress as a control record carries it, from its position and fronts. */
export function relayProgress(
  source: RelaySource,
  partition: number,
  signal: { caughtUp: boolean; caughtUpAtMs?: number; idle?: boolean; endMovedAtMs?: number },
  fronts: ReportedFront[],
): RelayProgress {
  const p: RelayProgress = {
    source,
    partition,
    caughtUp: signal.caughtUp,
    idle: signal.idle ?? false,
  };
  if (signal.caughtUpAtMs !== undefined) p.caughtUpAtMs = signal.caughtUpAtMs;
  if (signal.endMovedAtMs !== undefined && Number.isFinite(signal.endMovedAtMs)) {
    p.endMovedAtMs = signal.endMovedAtMs;
  }
  p.fronts = fronts;
  return p;
}
