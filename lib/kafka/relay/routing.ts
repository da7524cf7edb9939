/**
 * Where a relay task sends each shelf record (docs/service.md, "Several instances"): a pickup or
 * putback to the repartition partition of its customer (Kafka's default partitioner, as the foot
 * topic is keyed), an invalid record unchanged to partition `s mod P` (the checkout task there
 * sends it to the DLQ), another event type nowhere (only counted). Every record the task reads
 * moves its watermark by its event time. Pure: no client here, so it is tested without a broker.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Buffer } from "node:buffer";
 * import { Router, TaskWork } from "./routing.ts";
 * const work = new TaskWork();
 * const value = Buffer.from('{"event_type":"weight_change","timestamp":"2025-11-07T10:00:00Z"}');
 * new Router(4).route(1, { offset: "7", value, timestamp: "0", headers: {} }, work);
 * assert.equal(work.records.length, 0);
 * assert.equal(work.watermarkUs, Date.parse("2025-11-07T10:00:00Z") * 1000);
 * ```
 * @module
 */
import type { Buffer } from "node:buffer";
import type { IHeaders } from "kafkajs";
import { Decoder, eventTimeOf, IsoParser, newParseScratch, parseValue } from "../../core/mod.ts";
import { partitionForKey } from "../partitioner.ts";
import {
  controlRecord,
  type RelayProgress,
  SOURCE_OFFSET_HEADER,
  SOURCE_PARTITION_HEADER,
} from "../relay_records.ts";

/** A shelf record as KafkaJS delivers it (the fields the relay keeps). */
export interface ShelfRecord {
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

/** What one relay task has read and not yet committed, and its watermark. */
export class TaskWork {
  /** Records to write, in the order read. */
  records: RoutedRecord[] = [];
  /** Records not relayed for their event type, by event type. */
  skipped = new Map<string, number>();
  /** Highest event time (µs) read from the partition, skipped records included. */
  watermarkUs = -Infinity;

  /** Takes the records and skip counts read since the last take (the watermark stays). */
  take(): { records: RoutedRecord[]; skipped: Map<string, number> } {
    const out = { records: this.records, skipped: this.skipped };
    this.records = [];
    this.skipped = new Map();
    return out;
  }

  /** Moves the watermark to `us` when it is later. */
  saw(us: number): void {
    if (us > this.watermarkUs) this.watermarkUs = us;
  }
}

/** Decodes shelf records and routes them; one per relay stage (its scratch is reused). */
export class Router {
  readonly #decoder = new Decoder();
  readonly #times = new IsoParser();
  readonly #parsed = newParseScratch();

  /** `taskCount`: P, the repartition topic's partition count. */
  constructor(readonly taskCount: number) {}

  /** Routes record `rec` of shelf partition `s` into `work`. */
  route(s: number, rec: ShelfRecord, work: TaskWork): void {
    const d = this.#decoder;
    const outcome = d.decode("shelf", rec.value);
    if (outcome === "shelf") {
      const ev = d.shelf;
      work.saw(Number.isNaN(ev.us) ? recordUs(rec) : ev.us);
      const customer = ev.customerIdString();
      work.records.push(relayed(s, rec, partitionForKey(customer, this.taskCount), customer));
    } else if (outcome === "skipped") {
      // weight_change and the like: not for checkouts, but their time is the partition's time.
      work.skipped.set(d.eventType, (work.skipped.get(d.eventType) ?? 0) + 1);
      work.saw(this.#skippedUs(rec));
    } else {
      // Unchanged, keyless: the checkout task of `s mod P` rejects it to the DLQ with its reason.
      work.records.push(relayed(s, rec, s % this.taskCount, null));
    }
  }

  /** A skipped record's event time: its `timestamp`, else the record's. */
  #skippedUs(rec: ShelfRecord): number {
    const ps = this.#parsed;
    if (!parseValue(rec.value, ps) || ps.obj === null) return recordUs(rec);
    const us = eventTimeOf("shelf", ps.obj, this.#times);
    return Number.isNaN(us) ? recordUs(rec) : us;
  }
}

/** The Kafka record timestamp in µs. */
function recordUs(rec: ShelfRecord): number {
  return Math.round(Number(rec.timestamp) * 1000);
}

/** `rec` unchanged for repartition partition `partition`, with where it came from. */
function relayed(s: number, rec: ShelfRecord, partition: number, key: string | null): RoutedRecord {
  return {
    partition,
    key,
    value: rec.value,
    timestamp: rec.timestamp,
    headers: {
      ...rec.headers,
      [SOURCE_PARTITION_HEADER]: String(s),
      [SOURCE_OFFSET_HEADER]: rec.offset,
    },
  };
}

/**
 * While a caught-up partition's look-ups advance only its caught-up time, a control record at
 * most this often: it bounds what a quiet store costs (a transaction and P records per task)
 * and what it adds to a checkout's delay.
 */
export const CONTROL_HEARTBEAT_MS = 500;

/**
 * Remembers the progress a task last sent, so control records go out only when it changed
 * (an idle store's checkouts need them even when no data moves; an unchanged one says nothing),
 * and a caught-up time alone only every {@link CONTROL_HEARTBEAT_MS}.
 */
export class ControlTracker {
  #last: RelayProgress | undefined;

  /** Control records carrying `p` to every partition 0..P-1, or none when nothing to tell. */
  records(p: RelayProgress, taskCount: number): RoutedRecord[] {
    if (!this.#worthSending(p)) return [];
    const rec = controlRecord(p);
    const out: RoutedRecord[] = [];
    for (let partition = 0; partition < taskCount; partition++) {
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
      p.caughtUp !== l.caughtUp || p.idle !== l.idle || p.watermarkUs !== l.watermarkUs ||
      p.endMovedAtMs !== l.endMovedAtMs
    ) return true;
    if (p.caughtUpAtMs === l.caughtUpAtMs) return false;
    return p.caughtUpAtMs === undefined || l.caughtUpAtMs === undefined ||
      p.caughtUpAtMs - l.caughtUpAtMs >= CONTROL_HEARTBEAT_MS;
  }
}

/** A task's progress as a control record carries it, from its position and watermark. */
export function relayProgress(
  partition: number,
  signal: { caughtUp: boolean; caughtUpAtMs?: number; idle?: boolean; endMovedAtMs?: number },
  watermarkUs: number,
): RelayProgress {
  const p: RelayProgress = { partition, caughtUp: signal.caughtUp, idle: signal.idle ?? false };
  if (signal.caughtUpAtMs !== undefined) p.caughtUpAtMs = signal.caughtUpAtMs;
  if (signal.endMovedAtMs !== undefined && Number.isFinite(signal.endMovedAtMs)) {
    p.endMovedAtMs = signal.endMovedAtMs;
  }
  if (Number.isFinite(watermarkUs)) p.watermarkUs = watermarkUs;
  return p;
}
