/**
 * The engine's counters, in one object: every unit counts here, and
 * {@link EngineCounters.snapshot} turns them (with the gauges) into {@link EngineMetrics}.
 *
 * @example
 * ```ts
 * import { EngineCounters } from "./engine_metrics.ts";
 * const n = new EngineCounters();
 * n.countInvalid("not_json");
 * n.snapshot({ openCarts: 0, openSessions: 0, closedMarkers: 0, streamTimeUs: -Infinity })
 *   .invalid.not_json; // 1
 * ```
 * @module
 */
import type { EngineMetrics, Source } from "./engine_types.ts";
import { type Reason, REASONS } from "./decode/records.ts";

/** The gauges a snapshot reads from the state. */
export type Gauges = Pick<
  EngineMetrics,
  "openCarts" | "openSessions" | "closedMarkers" | "streamTimeUs"
>;

/** Reasons the engine decides itself; the rest are validation failures (`invalid`). */
const DECISIONS: readonly Reason[] = ["late", "conflicting_session", "unknown_item"];

/** Counters since construction (see {@link EngineMetrics} for what each one counts). */
export class EngineCounters {
  /** Sessions applied. */
  sessions = 0;
  /** Pickups applied. */
  pickups = 0;
  /** Putbacks applied. */
  putbacks = 0;
  /** Late events and sessions. */
  late = 0;
  /** Re-delivered shelf records ignored. */
  redelivered = 0;
  /** The same session again. */
  duplicateSessions = 0;
  /** A different session while one is open. */
  conflictingSessions = 0;
  /** Excess putbacks. */
  anomalies = 0;
  /** Lines with an item not in the inventory. */
  unknownItems = 0;
  /** Transactions emitted. */
  transactions = 0;
  /** Checkouts that emitted nothing. */
  emptyCheckouts = 0;
  /** Sum of emitted lines' totals, in cents. */
  revenueCents = 0;
  private readonly skipped = new Map<string, number>();
  private readonly invalid = new Map<string, number>();

  /** Counts a record skipped for its event type. */
  countSkipped(source: Source, eventType: string): void {
    const k = source + ":" + eventType;
    this.skipped.set(k, (this.skipped.get(k) ?? 0) + 1);
  }

  /** Counts an invalid record. */
  countInvalid(reason: Reason): void {
    this.invalid.set(reason, (this.invalid.get(reason) ?? 0) + 1);
  }

  /** The counters and `gauges` as {@link EngineMetrics}. */
  snapshot(gauges: Gauges): EngineMetrics {
    const invalid: Record<string, number> = {};
    for (const r of REASONS) if (!DECISIONS.includes(r)) invalid[r] = this.invalid.get(r) ?? 0;
    return {
      records: {
        "foot:foot_traffic": this.sessions,
        "shelf:pickup": this.pickups,
        "shelf:putback": this.putbacks,
      },
      skipped: Object.fromEntries(this.skipped),
      invalid,
      late: this.late,
      redelivered: this.redelivered,
      duplicateSessions: this.duplicateSessions,
      conflictingSessions: this.conflictingSessions,
      anomalies: this.anomalies,
      unknownItems: this.unknownItems,
      transactions: this.transactions,
      emptyCheckouts: this.emptyCheckouts,
      revenueCents: this.revenueCents,
      ...gauges,
    };
  }
}
