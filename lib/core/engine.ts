/**
 * The cart engine: a pure, deterministic core shared by the Kafka service and `replay`.
 * Records in (`apply`), progress in (`advance`, `flush`), transactions, DLQ records and state
 * changes out (`drainOutput`, `drainStateChanges`). No I/O, no clock, no timers.
 *
 * The engine only wires its units together: decode.ts (bytes → event), shelf_events.ts (where
 * a cart changes), sessions.ts, checkout_schedule.ts (when a checkout is due), checkout.ts (where
 * it is priced), visits.ts and state_codec.ts (state and its snapshots), dlq.ts, engine_metrics.ts.
 * See docs/engine.md for the rules and decisions.
 *
 * @example
 * ```ts
 * import { Engine } from "./engine.ts";
 * const engine = new Engine({
 *   graceSec: 2,
 *   maxSessionAgeSec: 10800,
 *   forceCheckoutIfEmpty: false,
 *   pricer: {
 *     priceCart: (lines) => ({
 *       lines: lines.map((l) => ({
 *         item_id: l.itemId,
 *         quantity: l.quantity,
 *         unit_price: 1,
 *         discount: 0,
 *         total_price: l.quantity,
 *       })),
 *       unknownItems: [],
 *       skipped: [],
 *     }),
 *   },
 * });
 * const record = (source: "foot" | "shelf", offset: number, value: object) => ({
 *   source,
 *   topic: source,
 *   partition: 0,
 *   offset: String(offset),
 *   value: new TextEncoder().encode(JSON.stringify(value)),
 *   timestampMs: 0,
 * });
 * engine.apply(record("foot", 0, {
 *   event_type: "foot_traffic",
 *   customer_id: "c-1",
 *   entry_time: "2025-11-07T09:30:00Z",
 *   exit_time: "2025-11-07T09:50:00Z",
 * }));
 * engine.apply(record("shelf", 0, {
 *   event_type: "pickup",
 *   customer_id: "c-1",
 *   item_id: "A",
 *   timestamp: "2025-11-07T09:40:00Z",
 * }));
 * engine.advance({
 *   partitions: [
 *     { source: "foot", partition: 0, caughtUp: true },
 *     { source: "shelf", partition: 0, caughtUp: true },
 *   ],
 * });
 * engine.drainOutput().transactions[0].timestamp; // "2025-11-07T09:50:00+00:00"
 * ```
 * @module
 */
import {
  type EngineConfig,
  type EngineMetrics,
  type InputRecord,
  type Output,
  type Progress,
  PROGRESS_KEY,
  usOfMs,
} from "./engine_types.ts";
import { type EngineContext, horizonOf, sessionCutoff, trimLate } from "./engine_context.ts";
import { Decoder, type Outcome, type ShelfEvent } from "./decode/decode.ts";
import { applyShelfEvent } from "./carts/shelf_events.ts";
import { applySession } from "./carts/sessions.ts";
import { checkout } from "./checkout/checkout.ts";
import { CheckoutSchedule } from "./time/checkout_schedule.ts";
import { IN_CART_HEAP, IN_SESSION_HEAP } from "./carts/customer.ts";
import { EngineCounters } from "./engine_metrics.ts";
import { OutputBuffer } from "./checkout/dlq.ts";
import { Visits } from "./carts/visits.ts";
import {
  deserializeState,
  deserializeStreamTime,
  serializeStreamTime,
} from "./carts/state_codec.ts";

export * from "./engine_types.ts";

/** The cart engine (see the module doc). */
export class Engine {
  private readonly ctx: EngineContext;
  private readonly visits = new Visits();
  private readonly schedule: CheckoutSchedule;
  private readonly counters = new EngineCounters();
  private readonly out = new OutputBuffer();
  private readonly decoder = new Decoder();

  /** An engine with settings `cfg`; throws a RangeError when grace < 0 or MAX ≤ 0. */
  constructor(cfg: EngineConfig) {
    if (!(cfg.graceSec >= 0) || !(cfg.maxSessionAgeSec > 0)) {
      throw new RangeError("graceSec must be >= 0 and maxSessionAgeSec > 0");
    }
    const graceUs = Math.round(cfg.graceSec * 1e6);
    const maxUs = Math.round(cfg.maxSessionAgeSec * 1e6);
    this.schedule = new CheckoutSchedule(Math.round((cfg.idleSec ?? 5) * 1e6), graceUs, maxUs);
    this.ctx = {
      maxUs,
      graceUs,
      forceCheckoutIfEmpty: cfg.forceCheckoutIfEmpty,
      pricer: cfg.pricer,
      visits: this.visits,
      schedule: this.schedule,
      counters: this.counters,
      out: this.out,
    };
  }

  /** Decodes, validates and applies one record. Synchronous; never throws on bad input. */
  apply(rec: InputRecord): void {
    const d = this.decoder;
    this.applyDecoded(rec, d, d.decode(rec.source, rec.value));
  }

  /**
   * Applies `rec` as `d` has just decoded it (`outcome`, from `d.decode(rec.source, rec.value)`):
   * an edge that decodes a record to find its customer's engine does not decode it twice.
   */
  applyDecoded(rec: InputRecord, d: Decoder, outcome: Outcome): void {
    if (outcome === "shelf") this.applyShelf(rec, d.shelf);
    else if (outcome === "foot") applySession(this.ctx, rec, d.foot);
    else if (outcome === "skipped") this.counters.countSkipped(rec.source, d.eventType);
    else {
      this.counters.countInvalid(d.reason!);
      this.out.rejected(rec, d.reason!, d.detail);
    }
  }

  /** A valid shelf event: its customer found by id bytes (fast path) or id string. */
  private applyShelf(rec: InputRecord, ev: ShelfEvent): void {
    const us = Number.isNaN(ev.us) ? usOfMs(rec.timestampMs) : ev.us;
    const b = ev.bytes, v = this.visits;
    if (b === null) {
      applyShelfEvent(this.ctx, rec, ev, ev.customerId, v.get(ev.customerId), us);
      return;
    }
    const slot = v.slotOfIdBytes(ev.custHash, b, ev.custStart, ev.custEnd);
    const c = v.customerAt(slot);
    const after = applyShelfEvent(this.ctx, rec, ev, v.idAt(slot), c, us);
    if (after !== c) v.cacheAt(slot, after);
  }

  /**
   * Progress signal: what the edge knows of every input partition, and the wall clock. Runs the
   * checkouts and expiries it makes due.
   */
  advance(p: Progress): void {
    this.schedule.progress(p);
    for (let c = this.schedule.nextDue(false); c !== null; c = this.schedule.nextDue(false)) {
      checkout(this.ctx, c);
    }
    const closed = this.visits.closed, maxUs = this.ctx.maxUs;
    for (let s = this.schedule.nextExpired(closed, maxUs); s >= 0;) {
      this.visits.forgetClosed(s);
      s = this.schedule.nextExpired(closed, maxUs);
    }
  }

  /** End of input: checks out every open session and cart now. */
  flush(): void {
    for (let c = this.schedule.nextDue(true); c !== null; c = this.schedule.nextDue(true)) {
      checkout(this.ctx, c);
    }
  }

  /** Stream time (µs): the time every shelf partition has passed; -Infinity before any. */
  streamTimeUs(): number {
    return this.schedule.shelfLowUs;
  }

  /** Takes and clears what was produced since the last drain. */
  drainOutput(): Output {
    return this.out.drain();
  }

  /**
   * Customers whose persisted state changed since the last call, with their serialized state or
   * null (deleted: write a tombstone), and the stream time under {@link PROGRESS_KEY} when it
   * moved. One entry per customer. Clears the set.
   */
  drainStateChanges(): Map<string, string | null> {
    const m = new Map<string, string | null>();
    this.visits.drainChanges(m);
    const { foot, shelf } = this.schedule;
    const footMoved = foot.takeChanged() !== null, shelfMoved = shelf.takeChanged() !== null;
    if (footMoved || shelfMoved) {
      // Stream time survives a restart: the fronts go to the changelog with the carts.
      m.set(
        PROGRESS_KEY,
        serializeStreamTime({
          foot: foot.snapshot(),
          shelf: shelf.snapshot(),
          holds: { foot: foot.holdsSnapshot(), shelf: shelf.holdsSnapshot() },
        }),
      );
    }
    return m;
  }

  /** Restores one customer's state from its serialized form (the changelog), before any apply. */
  restore(customerId: string, state: string): void {
    const ctx = this.ctx, v = this.visits, schedule = this.schedule;
    if (customerId === PROGRESS_KEY) {
      const t = deserializeStreamTime(state);
      schedule.foot.restore(t.foot ?? [], t.holds?.foot);
      schedule.shelf.restore(t.shelf ?? [], t.holds?.shelf);
      return;
    }
    v.drop(customerId);
    const saved = deserializeState(customerId, state, v.items);
    if (saved.closed) {
      const s = saved.closed;
      const horizonUs = horizonOf(ctx, s.session !== null, s.session?.exitUs ?? 0, s.checkoutUs);
      schedule.scheduleExpiry(v.adoptClosed(customerId, { ...s, horizonUs }), horizonUs);
      return;
    }
    // Cutoffs and due times come from the current settings, not the saved state.
    const c = saved.open;
    v.adopt(c);
    if (c.hasSession) {
      c.cutoffUs = sessionCutoff(ctx, c.entryUs, c.exitUs);
      schedule.schedule(c, IN_SESSION_HEAP);
      if (c.ev.length > 0) trimLate(ctx, c); // a smaller MAX after a restart
    } else {
      c.cutoffUs = c.firstUs + ctx.maxUs;
      schedule.schedule(c, IN_CART_HEAP);
    }
  }

  /** Number of customers with state (open or closed marker). */
  get stateSize(): number {
    return this.visits.size;
  }

  /** Whether any state exists for `customerId`, and which. For tests and diagnostics. */
  stateOf(customerId: string): "open" | "closed" | null {
    return this.visits.stateOf(customerId);
  }

  /** Counters since construction, and gauges. */
  metrics(): EngineMetrics {
    const v = this.visits;
    return this.counters.snapshot({
      openCarts: v.openCarts,
      openSessions: v.openSessions,
      closedMarkers: v.closed.size,
      streamTimeUs: this.schedule.shelfLowUs,
    });
  }
}
