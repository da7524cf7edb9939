/**
 * The engine's public types: its configuration, what goes in (records, progress) and what comes
 * out (transactions, DLQ records, metrics). `engine.ts` re-exports them all.
 * @module
 */
import type { CartLine, PricedCart, PricedLine, Pricer } from "./pricing/pricing.ts";

export type { CartLine, PricedCart, PricedLine, Pricer };

/** Engine settings. */
export interface EngineConfig {
  /** CHECKOUT_GRACE_SEC, default 2. */
  graceSec: number;
  /** MAX_SESSION_AGE_SEC, default 10800. */
  maxSessionAgeSec: number;
  /** FORCE_CHECKOUT_IF_EMPTY. */
  forceCheckoutIfEmpty: boolean;
  /**
   * IDLE_SEC, default 5: an input with nothing produced for this long is idle (at the end of
   * input it passes the wall clock); a partition whose records were produced within this long of
   * their event times is real time (caught up, it passes the wall clock).
   */
  idleSec?: number;
  /** Prices a cart's lines at checkout. */
  pricer: Pricer;
}

/** Input topic kind. */
export type Source = "foot" | "shelf";

/** One input record, exactly as consumed. */
export interface InputRecord {
  /** Which input it came from. */
  source: Source;
  /** The Kafka topic (DLQ records name it). */
  topic: string;
  /** The Kafka partition. */
  partition: number;
  /**
   * Kafka offset, as a decimal string. A partition's records must be applied in offset order
   * (Kafka delivers them so; replay numbers its lines in the order it applies them): a record
   * at or below the highest offset already applied for its customer is a re-delivery.
   */
  offset: string;
  /** The record's value (null: a tombstone). */
  value: Uint8Array | null;
  /** Kafka record timestamp (the event time of a shelf event without `timestamp`). */
  timestampMs: number;
  /** Kafka headers, copied to a DLQ record. */
  headers?: Record<string, string>;
}

/** A record for the dead-letter topic. */
export interface DlqRecord {
  /** The original value (or a re-encoded one, see `detail`). */
  value: Uint8Array | null;
  /** Why (a stable code: docs/engine.md, "Validation reasons"). */
  reason: string;
  /** Why, for humans. */
  detail?: string;
  /** The original record's topic. */
  topic: string;
  /** The original record's partition. */
  partition: number;
  /** The original record's offset. */
  offset: string;
  /** The original record's headers. */
  headers?: Record<string, string>;
}

/** One transaction for the output topic. */
export interface TransactionOut {
  /** Record key (= customer id). */
  key: string;
  /** JSON value, SPEC §5. */
  value: string;
  /** The transaction's `timestamp` field. */
  timestamp: string;
  /** The customer id. */
  customerId: string;
  /** Stream time (epoch µs) at which the checkout became due: cutoff + grace. */
  dueMicros: number;
}

/** What the engine produced since the last drain. */
export interface Output {
  /** Transactions, in checkout order. */
  transactions: TransactionOut[];
  /** Dead-letter records, in the order they arose. */
  dlq: DlqRecord[];
}

/** Counters since construction (monotonic) and gauges. */
export interface EngineMetrics {
  /** Valid records applied, by `source:event_type` (foot:foot_traffic, shelf:pickup, …). */
  records: Record<string, number>;
  /** Records skipped for their event type, by `source:event_type`. */
  skipped: Record<string, number>;
  /** Invalid records, by reason (every validation reason present, zero or not). */
  invalid: Record<string, number>;
  /** Late shelf events (and sessions for customers already checked out). */
  late: number;
  /** Shelf records already applied, delivered again (after a crash) and ignored. */
  redelivered: number;
  /** Sessions delivered again (ignored). */
  duplicateSessions: number;
  /** A different session for a customer whose session is open (DLQ). */
  conflictingSessions: number;
  /** Excess putbacks (quantity would have gone below 0). */
  anomalies: number;
  /** Lines whose item is not in the inventory (priced at the default, or skipped). */
  unknownItems: number;
  /** Transactions emitted. */
  transactions: number;
  /** Checkouts that emitted nothing (empty cart, FORCE_CHECKOUT_IF_EMPTY off). */
  emptyCheckouts: number;
  /** Sum of `total_price` of all emitted lines, in cents. */
  revenueCents: number;
  /** Gauge: open customers with at least one shelf event. */
  openCarts: number;
  /** Gauge: open customers with a session. */
  openSessions: number;
  /** Gauge: closed markers kept (until expiry). */
  closedMarkers: number;
  /** Gauge: stream time (µs), the time every shelf partition has passed; -Infinity before. */
  streamTimeUs: number;
}

/** What the edge knows about one input partition, for {@link Engine.advance}. */
export interface PartitionSignal {
  /** The input. */
  source: Source;
  /** The partition. */
  partition: number;
  /** Whether everything the partition held at the last look-up has been applied. */
  caughtUp: boolean;
  /**
   * Wall clock (ms) when that look-up began. Absent with `caughtUp`: the input is complete (a
   * file's end), which passes every time.
   */
  caughtUpAtMs?: number;
  /** Nothing produced for the idle time up to that look-up (absent: true when complete). */
  idle?: boolean;
  /**
   * Wall clock (ms) when the partition's end last moved (absent: unknown). With the watermark it
   * tells a real-time producer (records produced near their event time) from a backfill.
   */
  endMovedAtMs?: number;
  /**
   * The partition's fronts as the instance reading it saw them (`[id, posUs, seenAtMs, leaptBack]`, lib/core/time/fronts.ts), when this engine sees only part of it: an input
   * partition whose records go by customer to several tasks. Absent: the records applied here
   * are the whole partition.
   */
  fronts?: [number, number, number, number][];
}

/** The progress signal: every input partition, and the wall clock when there is one. */
export interface Progress {
  /** The wall clock (ms), when the edge has one (replay has none). */
  wallMs?: number;
  /** Every input partition the edge knows. */
  partitions: PartitionSignal[];
}

/** The changelog key of the stream-time record (never a customer id: those are non-empty). */
export const PROGRESS_KEY = "";

/** Kafka record timestamps carry ms; stored times are µs. */
export function usOfMs(ms: number): number {
  return Math.round(ms * 1000);
}
