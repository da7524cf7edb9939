/**
 * What a checkout task reads, as the engine wants it. Every record comes from the repartition
 * topic: either a foot or shelf record forwarded unchanged (it goes in as the record it was: its
 * input topic, source partition and offset, its own headers), or a control record: how far one
 * foot or shelf partition has got upstream, kept here and handed to the engine as that
 * partition's progress (lib/kafka/relay_records.ts). Pure: no client here.
 * @module
 */
import type { KafkaMessage } from "kafkajs";
import type { InputRecord, PartitionSignal } from "../../core/mod.ts";
import {
  ORIGIN_HEADER,
  readRelayed,
  type RelayProgress,
  type RelaySource,
} from "../relay_records.ts";

/** Where a task's records go: the engine (through the driver). */
export interface RecordSink {
  apply(rec: InputRecord): void;
}

/** What one repartition message turned out to be. */
export type RelayedOutcome = "data" | "control" | "unknown";

/** The partition counts of both inputs (from the topology, read at the stage's start). */
export type InputPartitions = Record<RelaySource, number>;

/**
 * The latest progress of every foot and shelf partition read elsewhere, as its reader reported
 * it. A task's own records are only its customers' share of each input partition, so the reader's
 * control records are the only way it learns how far an input partition has got.
 */
export class RelayedProgress {
  readonly #latest: Record<RelaySource, Map<number, RelayProgress>> = {
    foot: new Map(),
    shelf: new Map(),
  };

  /** `counts`: the inputs' partition counts (those not heard of are behind). */
  constructor(private readonly counts: InputPartitions) {}

  /** A control record was read (later ones replace earlier ones). */
  update(p: RelayProgress): void {
    this.#latest[p.source].set(p.partition, p);
  }

  /** The latest report of `partition` of `source`, if any. */
  get(source: RelaySource, partition: number): RelayProgress | undefined {
    return this.#latest[source].get(partition);
  }

  /**
   * Every foot partition's signal, then every shelf partition's. One not heard of yet is not
   * caught up: the task must not pass a time the partition's reader has not proved.
   */
  signals(): PartitionSignal[] {
    const out: PartitionSignal[] = [];
    for (const source of ["foot", "shelf"] as const) {
      const latest = this.#latest[source];
      const n = Math.max(this.counts[source], ...[...latest.keys()].map((p) => p + 1));
      for (let s = 0; s < n; s++) out.push(relayedSignal(source, s, latest.get(s)));
    }
    return out;
  }
}

/** An input partition's signal from its reader's report (none: not caught up). */
export function relayedSignal(
  source: RelaySource,
  partition: number,
  p: RelayProgress | undefined,
): PartitionSignal {
  if (p === undefined) return { source, partition, caughtUp: false };
  const s: PartitionSignal = { source, partition, caughtUp: p.caughtUp, idle: p.idle };
  if (p.caughtUpAtMs !== undefined) s.caughtUpAtMs = p.caughtUpAtMs;
  if (p.endMovedAtMs !== undefined) s.endMovedAtMs = p.endMovedAtMs;
  if (p.fronts !== undefined) s.fronts = p.fronts;
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

  /** `topics`: the input topics' names, which forwarded records go in as. */
  constructor(
    private readonly sink: RecordSink,
    private readonly topics: Record<RelaySource, string>,
    readonly progress: RelayedProgress,
  ) {}

  /** A repartition record: a forwarded foot or shelf record, a control record, or neither. */
  relayed(m: KafkaMessage): RelayedOutcome {
    const r = readRelayed(m.headers, m.value);
    if (r.kind === "control") {
      this.progress.update(r.progress);
      return "control";
    }
    if (r.kind === "unknown") return "unknown";
    const rec = this.#rec;
    rec.source = r.source;
    rec.topic = this.topics[r.source];
    rec.partition = r.partition;
    rec.offset = r.offset;
    rec.value = m.value;
    rec.timestampMs = Number(m.timestamp);
    rec.headers = headerStrings(m.headers, this.#decoder, true);
    this.sink.apply(rec);
    return "data";
  }
}

/** The forwarding headers (`pos-src`, and earlier versions' `pos-src-*`), not the record's. */
function isRelayHeader(k: string): boolean {
  return k === ORIGIN_HEADER || k.startsWith("pos-src-");
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
