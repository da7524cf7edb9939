/**
 * What a checkout task reads, as the engine wants it. A foot record goes in as it is. A record
 * of the repartition topic is either a shelf record relayed unchanged (it goes in as the shelf
 * record it was: the shelf topic, its source partition and offset, its own headers), or a control
 * record: how far one shelf partition has got upstream, kept here and handed to the engine as
 * that partition's progress (lib/kafka/relay_records.ts). Pure: no client here.
 * @module
 */
import type { KafkaMessage } from "kafkajs";
import type { InputRecord, PartitionSignal } from "../../core/mod.ts";
import {
  readRelayed,
  type RelayProgress,
  SOURCE_OFFSET_HEADER,
  SOURCE_PARTITION_HEADER,
} from "../relay_records.ts";

/** Where a task's records go: the engine (through the driver). */
export interface RecordSink {
  apply(rec: InputRecord): void;
}

/** What one repartition message turned out to be. */
export type RelayedOutcome = "data" | "control" | "unknown";

/** The latest progress of every shelf partition, as the relay tasks reported it. */
export class ShelfProgress {
  readonly #latest = new Map<number, RelayProgress>();

  /** `shelfPartitions`: the shelf topic's partition count (those not heard of are behind). */
  constructor(private readonly shelfPartitions: number) {}

  /** A control record was read (later ones replace earlier ones). */
  update(p: RelayProgress): void {
    this.#latest.set(p.partition, p);
  }

  /** The latest report of `partition`, if any. */
  get(partition: number): RelayProgress | undefined {
    return this.#latest.get(partition);
  }

  /**
   * Every shelf partition's signal. One not heard of yet is not caught up: the task must not
   * pass a time its relay has not proved.
   */
  signals(): PartitionSignal[] {
    const out: PartitionSignal[] = [];
    const n = Math.max(this.shelfPartitions, ...[...this.#latest.keys()].map((p) => p + 1));
    for (let s = 0; s < n; s++) out.push(shelfSignal(s, this.#latest.get(s)));
    return out;
  }
}

/** A shelf partition's signal from its relay's report (none: not caught up). */
export function shelfSignal(partition: number, p: RelayProgress | undefined): PartitionSignal {
  if (p === undefined) return { source: "shelf", partition, caughtUp: false };
  const s: PartitionSignal = { source: "shelf", partition, caughtUp: p.caughtUp, idle: p.idle };
  if (p.caughtUpAtMs !== undefined) s.caughtUpAtMs = p.caughtUpAtMs;
  if (p.endMovedAtMs !== undefined) s.endMovedAtMs = p.endMovedAtMs;
  if (p.watermarkUs !== undefined) s.watermarkUs = p.watermarkUs;
  // "Caught up" without a look-up time would read as a complete input (a file's end).
  if (s.caughtUp && s.caughtUpAtMs === undefined) s.caughtUp = false;
  return s;
}

/**
 * Applies a task's messages: one record object reused for every message (the engine copies
 * what it keeps).
 */
export class TaskInput {
  readonly #decoder = new TextDecoder();
  readonly #rec: InputRecord = {
    source: "foot",
    topic: "",
    partition: 0,
    offset: "0",
    value: null,
    timestampMs: 0,
  };

  constructor(
    private readonly sink: RecordSink,
    private readonly shelfTopic: string,
    readonly shelf: ShelfProgress,
  ) {}

  /** A foot record, as today's consumers apply it. */
  foot(topic: string, partition: number, m: KafkaMessage): void {
    const rec = this.#rec;
    rec.source = "foot";
    rec.topic = topic;
    rec.partition = partition;
    rec.offset = m.offset;
    rec.value = m.value;
    rec.timestampMs = Number(m.timestamp);
    rec.headers = headerStrings(m.headers, this.#decoder);
    this.sink.apply(rec);
  }

  /** A repartition record: a relayed shelf record, a control record, or neither. */
  relayed(m: KafkaMessage): RelayedOutcome {
    const r = readRelayed(m.headers, m.value);
    if (r.kind === "control") {
      this.shelf.update(r.progress);
      return "control";
    }
    if (r.kind === "unknown") return "unknown";
    const rec = this.#rec;
    rec.source = "shelf";
    rec.topic = this.shelfTopic;
    rec.partition = r.partition;
    rec.offset = r.offset;
    rec.value = m.value;
    rec.timestampMs = Number(m.timestamp);
    rec.headers = headerStrings(m.headers, this.#decoder, true);
    this.sink.apply(rec);
    return "data";
  }
}

/** The relay's own headers, not the record's. */
function isRelayHeader(k: string): boolean {
  return k === SOURCE_PARTITION_HEADER || k === SOURCE_OFFSET_HEADER || k.startsWith("pos-src-");
}

/** Headers as strings (undefined when none); `dropRelay`: without the pos-src-* ones. */
export function headerStrings(
  headers: KafkaMessage["headers"],
  decoder: TextDecoder,
  dropRelay = false,
): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const k in headers) {
    const v = headers[k];
    if (v === undefined || (dropRelay && isRelayHeader(k))) continue;
    const one = Array.isArray(v) ? v[v.length - 1] : v;
    (out ??= {})[k] = typeof one === "string" ? one : decoder.decode(one as Uint8Array);
  }
  return out;
}
