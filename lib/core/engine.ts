/**
 * The cart engine: a pure, deterministic core shared by the Kafka service and `replay`.
 * Records in (`apply`), progress in (`advance`, `flush`), transactions, DLQ records and state
 * changes out (`drainOutput`, `drainStateChanges`). No I/O, no clock, no timers.
 *
 * See docs/engine.md for the rules and decisions.
 * @module
 */
import type { Pricer } from "./pricing.ts";
import {
  decodeFoot,
  decodeShelf,
  newFootScratch,
  newParseScratch,
  newShelfScratch,
  parseValue,
  PUTBACK,
  type Reason,
  REASONS,
  SKIPPED,
} from "./records.ts";
import { formatUtc, fractionOf, lastFraction } from "./timestamps.ts";
import {
  alreadyApplied,
  appendEvent,
  Customer,
  deserializeState,
  foldCart,
  GONE,
  ItemTable,
  type LoggedEvent,
  maxOffsetsOf,
  orderKey,
  packEvent,
  Q_CART,
  Q_NONE,
  Q_SESSION,
  serializeClosedVisit,
  serializeCustomer,
  takeEventsAfter,
  TWO40,
} from "./customer.ts";
import { DueHeap, Watermarks } from "./watermarks.ts";
import { type ClosedVisit, ClosedVisits } from "./closed_visits.ts";
import { asciiString, IdCache, ShelfScanner } from "./shelf_scanner.ts";
import { cartTransactionId, sessionTransactionId, transactionJson } from "./transaction.ts";

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
  pricer: Pricer;
}

/** Input topic kind. */
export type Source = "foot" | "shelf";

/** One input record, exactly as consumed. */
export interface InputRecord {
  source: Source;
  topic: string;
  partition: number;
  /**
   * Kafka offset, as a decimal string. A partition's records must be applied in offset order
   * (Kafka delivers them so; replay numbers its lines in the order it applies them): a record
   * at or below the highest offset already applied for its customer is a re-delivery.
   */
  offset: string;
  value: Uint8Array | null;
  /** Kafka record timestamp (the event time of a shelf event without `timestamp`). */
  timestampMs: number;
  headers?: Record<string, string>;
}

/** A record for the dead-letter topic. */
export interface DlqRecord {
  value: Uint8Array | null;
  reason: string;
  detail?: string;
  topic: string;
  partition: number;
  offset: string;
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
  customerId: string;
  /** Stream time (epoch µs) at which the checkout became due: cutoff + grace. */
  dueMicros: number;
}

/** What the engine produced since the last drain. */
export interface Output {
  transactions: TransactionOut[];
  dlq: DlqRecord[];
}

/** Counters since construction (monotonic) and gauges. */
export interface EngineMetrics {
  /** Valid records applied, by `source:event_type` (foot:foot_traffic, shelf:pickup, …). */
  records: Record<string, number>;
  /** Records skipped for their event type, by `source:event_type`. */
  skipped: Record<string, number>;
  /** Invalid records, by reason (every {@link REASONS} key present). */
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
  source: Source;
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
}

/** The progress signal: every input partition, and the wall clock when there is one. */
export interface Progress {
  wallMs?: number;
  partitions: PartitionSignal[];
}

/** The changelog key of the stream-time record (never a customer id: those are non-empty). */
export const PROGRESS_KEY = "";

/** Kafka record timestamps carry ms; stored times are µs. */
function usOfMs(ms: number): number {
  return Math.round(ms * 1000);
}

const ENCODER = new TextEncoder();

/** The cart engine. */
export class Engine {
  private readonly cfg: EngineConfig;
  private readonly maxUs: number;
  private readonly graceUs: number;
  private readonly idleUs: number;
  private readonly customers = new Map<string, Customer>();
  private readonly items = new ItemTable();
  private readonly shelfWm = new Watermarks();
  private readonly footWm = new Watermarks();
  private readonly sessionQ = new DueHeap<Customer>();
  private readonly cartQ = new DueHeap<Customer>();
  /** Checked-out visits, remembered until they expire. */
  private readonly closed = new ClosedVisits();
  /** Closed visits by horizon (stream time), then by processing time. */
  private readonly expiryQ = new DueHeap<number>();
  /** Per shelf partition, the highest offset applied or held by restored state (-1: none). */
  private readonly highestOffset: number[] = [];
  /** Closed markers past their stream-time expiry, waiting for MAX of processing time. */
  private readonly expiryWallQ = new DueHeap<number>();
  /** Ids whose closed visit was added or removed since the last state drain. */
  private dirtyIds: string[] = [];
  /** The time every shelf partition has passed (sessions are checked out up to it). */
  private shelfLowUs = -Infinity;
  /** The time every partition of both inputs has passed (carts without a session, expiry). */
  private allLowUs = -Infinity;
  private wallUs = -Infinity;
  private shelfTopic = "";
  private out: Output = { transactions: [], dlq: [] };
  private dirty: Customer[] = [];
  // scratch
  private readonly ps = newParseScratch();
  private readonly ss = newShelfScratch();
  private readonly fs = newFootScratch();
  /** Byte-level decoder for the common shelf event (falls back to the JSON.parse path). */
  private readonly scanner = new ShelfScanner();
  /** Customer id bytes → (id string, Customer): a known customer costs no string, no Map.get. */
  private readonly idCache = new IdCache<Customer>();
  // counters
  private nFoot = 0;
  private nPickup = 0;
  private nPutback = 0;
  private readonly skipped = new Map<string, number>();
  private readonly invalid = new Map<string, number>();
  private nLate = 0;
  private nRedelivered = 0;
  private nDup = 0;
  private nConflict = 0;
  private nAnomalies = 0;
  private nUnknown = 0;
  private nTx = 0;
  private nEmpty = 0;
  private revenueCents = 0;
  private openCarts = 0;
  private openSessions = 0;

  constructor(cfg: EngineConfig) {
    if (!(cfg.graceSec >= 0) || !(cfg.maxSessionAgeSec > 0)) {
      throw new RangeError("graceSec must be >= 0 and maxSessionAgeSec > 0");
    }
    this.cfg = cfg;
    this.maxUs = Math.round(cfg.maxSessionAgeSec * 1e6);
    this.graceUs = Math.round(cfg.graceSec * 1e6);
    this.idleUs = Math.round((cfg.idleSec ?? 5) * 1e6);
  }

  // -------------------------------------------------------------------------------------------
  // apply

  /** Decodes, validates and applies one record. Synchronous; never throws on bad input. */
  apply(rec: InputRecord): void {
    if (rec.source === "shelf") {
      const v = rec.value;
      if (v !== null && this.scanner.scan(v)) {
        this.applyShelfFast(rec, v);
        return;
      }
    }
    const ps = this.ps;
    if (!parseValue(rec.value, ps)) {
      this.reject(rec, ps.reason!, ps.detail);
      return;
    }
    if (rec.source === "shelf") this.applyShelf(rec, ps.obj!);
    else this.applyFoot(rec, ps.obj!);
  }

  /** A shelf event the byte scanner accepted (valid pickup/putback; see lib/core/shelf_scanner.ts). */
  private applyShelfFast(rec: InputRecord, b: Uint8Array): void {
    const sc = this.scanner;
    const cache = this.idCache;
    let slot = cache.find(sc.custHash, b, sc.custStart, sc.custEnd);
    if (slot < 0) slot = cache.insert(sc.custHash, b, sc.custStart, sc.custEnd);
    const id = cache.strings[slot]!;
    let c = cache.values[slot];
    if (c === undefined || c.status === GONE) {
      c = this.customers.get(id);
      cache.values[slot] = c;
    }
    let us = sc.us;
    if (us !== us) us = usOfMs(rec.timestampMs);
    const c2 = this.applyShelfEvent(rec, c, id, sc.kind, sc.quantity, us, b);
    if (c2 !== c) cache.values[slot] = c2;
  }

  private applyShelf(rec: InputRecord, obj: Record<string, unknown>): void {
    const s = this.ss;
    const reason = decodeShelf(obj, s);
    if (reason !== null) {
      this.reject(rec, reason, s.detail);
      return;
    }
    if (s.kind === SKIPPED) {
      this.countSkipped("shelf", s.eventType);
      return;
    }
    let us = s.us;
    if (us !== us) us = usOfMs(rec.timestampMs);
    const id = s.customerId;
    this.applyShelfEvent(rec, this.customers.get(id), id, s.kind, s.quantity, us, null);
  }

  /**
   * Applies a valid pickup/putback of customer `id` (whose state is `c`, undefined when none).
   * `fast`: the record's bytes when decoded by the scanner (item and fraction are read from
   * them), null when decoded by {@link decodeShelf} (from `this.ss`). Returns the customer's
   * state afterwards (undefined when the event was late).
   */
  private applyShelfEvent(
    rec: InputRecord,
    c: Customer | undefined,
    id: string,
    kind: number,
    quantity: number,
    us: number,
    fast: Uint8Array | null,
  ): Customer | undefined {
    const offset = +rec.offset;
    // Only a record at or below the highest offset seen on its partition (applied, or held by
    // the restored state) can be a re-delivery: records of a partition arrive in offset order,
    // so in steady state this costs one comparison.
    const seen = this.highestOffset[rec.partition] ?? -1;
    let closedSlot = -2; // not looked up yet
    if (offset > seen) this.highestOffset[rec.partition] = offset;
    else if (
      c !== undefined ? alreadyApplied(c, rec.partition, offset) : (
        (closedSlot = this.closed.slotOf(id)) >= 0 &&
        this.closed.alreadyApplied(closedSlot, rec.partition, offset)
      )
    ) {
      this.nRedelivered++; // applied before a crash, delivered again: never twice
      return c;
    }
    if (kind === PUTBACK) this.nPutback++;
    else this.nPickup++;
    this.shelfTopic = rec.topic;
    this.shelfWm.observe(rec.partition, us);

    if (c === undefined) {
      const slot = closedSlot === -2 ? this.closed.slotOf(id) : closedSlot;
      if (slot >= 0) {
        if (us < this.closed.horizonOf(slot)) {
          this.late(rec, "customer already checked out");
          return undefined;
        }
        // Past the visit's horizon: a new visit, whether or not its expiry has run yet.
        this.forgetClosed(slot);
      }
    }
    if (c === undefined) {
      c = new Customer(id);
      this.customers.set(id, c);
      c.firstUs = us;
      c.firstFrac = this.eventFrac(us, fast);
      c.cutoffUs = us + this.maxUs;
      this.schedule(c, Q_CART, c.cutoffUs + this.graceUs);
    } else if (c.hasSession && us > c.cutoffUs) {
      // (A cart without a session keeps later events: its session may still come and move the
      // cutoff. Those past the cart's own limit are taken out at its checkout.)
      this.late(rec, "event time after the session's exit");
      return c;
    } else {
      if (!(us >= c.firstUs)) {
        c.firstUs = us;
        c.firstFrac = this.eventFrac(us, fast);
        if (!c.hasSession) this.setCartCutoff(c, us + this.maxUs);
      }
    }
    const sc = this.scanner;
    const item = fast !== null
      ? this.items.internBytes(fast, sc.itemStart, sc.itemEnd, sc.itemHash)
      : this.items.intern(this.ss.itemId);
    appendEvent(
      c,
      us,
      packEvent(item, kind === PUTBACK, quantity),
      orderKey(rec.partition, offset),
    );
    if (c.ev.length === 3) this.openCarts++;
    if (!c.dirty) this.markDirty(c);
    return c;
  }

  /** The fraction digits to keep for the current shelf event's time `us`. */
  private eventFrac(us: number, fast: Uint8Array | null): string {
    if (fast !== null) {
      const sc = this.scanner;
      if (sc.us !== sc.us) return fractionOf(us);
      return sc.fracEnd > sc.fracStart ? asciiString(fast, sc.fracStart, sc.fracEnd) : "";
    }
    const raw = this.ss.rawTime;
    return raw.length > 0 ? lastFraction(raw) : fractionOf(us);
  }

  private applyFoot(rec: InputRecord, obj: Record<string, unknown>): void {
    const f = this.fs;
    const reason = decodeFoot(obj, f);
    if (reason !== null) {
      this.reject(rec, reason, f.detail);
      return;
    }
    if (f.skipped) {
      this.countSkipped("foot", f.eventType);
      return;
    }
    this.nFoot++;
    this.footWm.observe(rec.partition, f.entryUs);
    const id = f.customerId;
    let c = this.customers.get(id);
    if (c === undefined) {
      const slot = this.closed.slotOf(id);
      if (slot >= 0) {
        if (f.entryUs >= this.closed.horizonOf(slot)) this.forgetClosed(slot); // a new visit
        else if (this.closed.sameSession(slot, f.entryUs, f.exitUs)) {
          this.nDup++;
          return;
        } else {
          this.late(rec, "customer already checked out");
          return;
        }
      }
    }
    if (c !== undefined && c.hasSession) {
      if (c.entryUs === f.entryUs && c.exitUs === f.exitUs) {
        this.nDup++;
        return;
      }
      this.nConflict++;
      this.dlq(
        rec.value,
        "conflicting_session",
        "customer already has a different open session",
        rec,
      );
      return;
    }
    if (c === undefined) {
      c = new Customer(id);
      this.customers.set(id, c);
    }
    c.hasSession = true;
    c.entryUs = f.entryUs;
    c.entryFrac = f.entryFrac;
    c.exitUs = f.exitUs;
    c.exitFrac = f.exitFrac;
    this.openSessions++;
    const cutoff = f.exitUs - f.entryUs > this.maxUs ? f.entryUs + this.maxUs : f.exitUs;
    c.cutoffUs = cutoff;
    if (c.ev.length > 0) this.trimLate(c);
    this.schedule(c, Q_SESSION, cutoff + this.graceUs);
    if (!c.dirty) this.markDirty(c);
  }

  /** A session-less cart's cutoff moved earlier (an earlier first event arrived). */
  private setCartCutoff(c: Customer, cutoff: number): void {
    c.cutoffUs = cutoff;
    this.schedule(c, Q_CART, cutoff + this.graceUs);
  }

  /** Events already logged beyond the cutoff are late after all (shelf ahead of foot). */
  private trimLate(c: Customer): void {
    const had = c.ev.length > 0;
    const late = takeEventsAfter(c, this.items, c.cutoffUs);
    for (const e of late) this.lateLogged(c, e);
    if (had && c.ev.length === 0) this.openCarts--;
  }

  private lateLogged(c: Customer, e: LoggedEvent): void {
    this.nLate++;
    const value = ENCODER.encode(JSON.stringify({
      event_type: e.putback ? "putback" : "pickup",
      customer_id: c.id,
      item_id: e.itemId,
      quantity: e.quantity,
      timestamp: formatUtc(e.us, fractionOf(e.us)),
    }));
    this.out.dlq.push({
      value,
      reason: "late",
      detail:
        "event time after the cutoff, found after it was logged (value re-encoded from the cart)",
      topic: this.shelfTopic,
      partition: e.partition,
      offset: String(e.offset),
    });
  }

  private schedule(c: Customer, q: number, due: number): void {
    c.queue = q;
    c.dueUs = due;
    (q === Q_SESSION ? this.sessionQ : this.cartQ).push(due, c);
  }

  private markDirty(c: Customer): void {
    c.dirty = true;
    this.dirty.push(c);
  }

  private countSkipped(source: Source, type: string): void {
    const k = source + ":" + type;
    this.skipped.set(k, (this.skipped.get(k) ?? 0) + 1);
  }

  private reject(rec: InputRecord, reason: Reason, detail: string): void {
    this.invalid.set(reason, (this.invalid.get(reason) ?? 0) + 1);
    this.dlq(rec.value, reason, detail, rec);
  }

  private late(rec: InputRecord, detail: string): void {
    this.nLate++;
    this.dlq(rec.value, "late", detail, rec);
  }

  private dlq(value: Uint8Array | null, reason: string, detail: string, rec: InputRecord): void {
    const d: DlqRecord = {
      value,
      reason,
      detail,
      topic: rec.topic,
      partition: rec.partition,
      offset: rec.offset,
    };
    if (rec.headers !== undefined) d.headers = rec.headers;
    this.out.dlq.push(d);
  }

  // -------------------------------------------------------------------------------------------
  // time

  /**
   * Progress signal: what the edge knows of every input partition, and the wall clock. Runs the
   * checkouts and expiries it makes due.
   */
  advance(p: Progress): void {
    if (p.wallMs !== undefined) this.wallUs = usOfMs(p.wallMs);
    const parts = p.partitions;
    for (let i = 0; i < parts.length; i++) {
      const x = parts[i];
      const w = x.source === "shelf" ? this.shelfWm : this.footWm;
      const complete = x.caughtUp && x.caughtUpAtMs === undefined;
      w.signal(
        x.partition,
        !x.caughtUp ? NaN : complete ? Infinity : usOfMs(x.caughtUpAtMs!),
        x.idle ?? complete,
        x.endMovedAtMs === undefined ? NaN : usOfMs(x.endMovedAtMs),
      );
    }
    this.runDue();
  }

  /** Stream time (µs): the time every shelf partition has passed; -Infinity before any. */
  streamTimeUs(): number {
    return this.shelfLowUs;
  }

  private runDue(): void {
    const idle = this.idleUs;
    const atRest = this.shelfWm.atRest(idle) && this.footWm.atRest(idle);
    const shelfLow = this.shelfWm.low(idle, atRest);
    const footLow = this.footWm.low(idle, atRest);
    // Not monotonic: an input at rest passes the wall clock, and a burst of old events arriving
    // afterwards brings stream time back to their watermarks (what was checked out stays so).
    this.shelfLowUs = shelfLow;
    this.allLowUs = shelfLow < footLow ? shelfLow : footLow;
    // A session waits for the shelf input; a cart without a session and a closed marker's
    // expiry wait for the foot input too (its session may still be on the way).
    this.drainHeap(this.sessionQ, Q_SESSION, this.shelfLowUs);
    this.drainHeap(this.cartQ, Q_CART, this.allLowUs);
    this.expireClosed();
  }

  private drainHeap(h: DueHeap<Customer>, q: number, limit: number): void {
    while (h.size > 0 && h.peekDue() <= limit) {
      const due = h.peekDue();
      const c = h.peekItem();
      h.pop();
      if (c.queue !== q || c.dueUs !== due) continue; // stale entry
      this.checkout(c);
    }
  }

  /**
   * Forgets closed visits whose horizon stream time has passed and which were checked out
   * MAX of processing time ago: a burst of old events arriving an hour after a fast-forwarded
   * checkout is still recognised as late.
   */
  private expireClosed(): void {
    const closed = this.closed, byStream = this.expiryQ, byWall = this.expiryWallQ;
    while (byStream.size > 0 && byStream.peekDue() <= this.allLowUs) {
      const due = byStream.peekDue(), slot = byStream.peekItem();
      byStream.pop();
      if (closed.idOf(slot) === "" || closed.horizonOf(slot) !== due) continue; // stale
      const until = closed.wallOf(slot) + this.maxUs;
      if (this.wallUs < until) byWall.push(until, slot);
      else this.forgetClosed(slot);
    }
    while (byWall.size > 0 && byWall.peekDue() <= this.wallUs) {
      const due = byWall.peekDue(), slot = byWall.peekItem();
      byWall.pop();
      if (closed.idOf(slot) === "" || closed.wallOf(slot) + this.maxUs !== due) continue;
      this.forgetClosed(slot);
    }
  }

  /** Forgets a closed visit (expired, or replaced by a new visit); writes a tombstone. */
  private forgetClosed(slot: number): void {
    this.dirtyIds.push(this.closed.idOf(slot));
    this.closed.remove(slot);
  }

  /** Remembers a checked-out visit. */
  private rememberClosed(id: string, v: ClosedVisit): void {
    const slot = this.closed.add(id, v);
    this.expiryQ.push(v.horizonUs, slot);
    this.dirtyIds.push(id);
  }

  /** End of input: checks out every open session and cart now. */
  flush(): void {
    for (const [h, q] of [[this.sessionQ, Q_SESSION], [this.cartQ, Q_CART]] as const) {
      this.drainHeap(h, q, Infinity);
    }
  }

  private checkout(c: Customer): void {
    if (!c.hasSession) this.trimLate(c); // events past first + MAX: late
    const fold = foldCart(c, this.items);
    this.nAnomalies += fold.excessPutbacks;
    let txUs: number, txFrac: string, txId: string;
    if (c.hasSession) {
      if (c.cutoffUs === c.exitUs) {
        txUs = c.exitUs;
        txFrac = c.exitFrac;
      } else {
        txUs = c.cutoffUs;
        txFrac = c.entryFrac;
      }
      txId = sessionTransactionId(c.id, c.entryUs, c.exitUs);
    } else {
      txUs = c.cutoffUs;
      txFrac = c.firstFrac;
      txId = cartTransactionId(c.id, c.firstUs);
    }
    const due = c.dueUs;
    if (fold.lines.length > 0 || this.cfg.forceCheckoutIfEmpty) {
      const timestamp = formatUtc(txUs, txFrac);
      const priced = fold.lines.length > 0
        ? this.cfg.pricer.priceCart(fold.lines, txUs / 1000)
        : { lines: [], unknownItems: [], skipped: [] };
      this.nUnknown += priced.unknownItems.length;
      for (const sk of priced.skipped) {
        const k = fold.lines.findIndex((l) => l.itemId === sk.itemId);
        const order = k >= 0 ? fold.firstOrder[k] : 0;
        const partition = Math.floor(order / TWO40);
        this.out.dlq.push({
          value: ENCODER.encode(JSON.stringify({
            event_type: "pos_line_skipped",
            transaction_id: txId,
            customer_id: c.id,
            timestamp,
            item_id: sk.itemId,
            quantity: sk.quantity,
          })),
          reason: "unknown_item",
          detail: "item not in the inventory; line left out (UNKNOWN_ITEM_PRICE=skip)",
          topic: this.shelfTopic,
          partition,
          offset: String(order - partition * TWO40),
        });
      }
      if (priced.lines.length > 0 || this.cfg.forceCheckoutIfEmpty) {
        for (const l of priced.lines) this.revenueCents += Math.round(l.total_price * 100);
        this.nTx++;
        this.out.transactions.push({
          key: c.id,
          value: transactionJson(txId, c.id, timestamp, priced.lines),
          timestamp,
          customerId: c.id,
          dueMicros: due,
        });
      } else this.nEmpty++;
    } else this.nEmpty++;
    // close: only the visit is remembered
    if (c.ev.length > 0) this.openCarts--;
    if (c.hasSession) this.openSessions--;
    this.customers.delete(c.id);
    c.status = GONE;
    c.queue = Q_NONE;
    this.rememberClosed(c.id, {
      session: c.hasSession ? { entryUs: c.entryUs, exitUs: c.exitUs } : null,
      checkoutUs: txUs,
      horizonUs: this.horizonOf(c.hasSession, c.exitUs, txUs),
      wallUs: this.wallUs,
      maxOffsets: maxOffsetsOf(c),
    });
  }

  /**
   * A visit's horizon: MAX_SESSION_AGE_SEC after the checkout's time, or after the session's
   * exit when that is later (a forced checkout), so every event of the session that arrives after
   * checkout is still recognised as late.
   */
  private horizonOf(hasSession: boolean, exitUs: number, checkoutUs: number): number {
    return (hasSession && exitUs > checkoutUs ? exitUs : checkoutUs) + this.maxUs;
  }

  // -------------------------------------------------------------------------------------------
  // output and state

  /** Takes and clears what was produced since the last drain. */
  drainOutput(): Output {
    const o = this.out;
    this.out = { transactions: [], dlq: [] };
    return o;
  }

  /**
   * Customers whose persisted state changed since the last call, with their serialized state or
   * null (deleted: write a tombstone). One entry per customer. Clears the set.
   */
  drainStateChanges(): Map<string, string | null> {
    const ids = new Set<string>(this.dirtyIds);
    for (const c of this.dirty) {
      c.dirty = false;
      ids.add(c.id);
    }
    this.dirty = [];
    this.dirtyIds = [];
    const m = new Map<string, string | null>();
    // A customer deleted and re-created since the last drain: the live object wins.
    for (const id of ids) {
      const live = this.customers.get(id);
      const slot = live === undefined ? this.closed.slotOf(id) : -1;
      m.set(
        id,
        live !== undefined
          ? serializeCustomer(live, this.items)
          : slot >= 0
          ? serializeClosedVisit(this.closed.get(slot))
          : null,
      );
    }
    const foot = this.footWm.takeChanged();
    const shelf = this.shelfWm.takeChanged();
    if (foot !== null || shelf !== null) {
      // Stream time survives a restart: the watermarks go to the changelog with the carts.
      m.set(
        PROGRESS_KEY,
        JSON.stringify({ v: 1, foot: this.footWm.snapshot(), shelf: this.shelfWm.snapshot() }),
      );
    }
    return m;
  }

  /** Restores one customer's state from its serialized form (the changelog), before any apply. */
  restore(customerId: string, state: string): void {
    if (customerId === PROGRESS_KEY) {
      const o = JSON.parse(state) as { v?: number; foot?: unknown; shelf?: unknown };
      if (o?.v !== 1) throw new Error("unsupported stream-time record");
      if (Array.isArray(o.foot)) this.footWm.restore(o.foot as [number, number][]);
      if (Array.isArray(o.shelf)) this.shelfWm.restore(o.shelf as [number, number][]);
      return;
    }
    const old = this.customers.get(customerId);
    if (old !== undefined) this.forget(old);
    const oldClosed = this.closed.slotOf(customerId);
    if (oldClosed >= 0) this.closed.remove(oldClosed);
    const saved = deserializeState(customerId, state, this.items);
    const held = saved.closed ? saved.closed.maxOffsets : maxOffsetsOf(saved.open);
    for (let i = 0; held !== null && i < held.length; i += 2) {
      const p = held[i];
      if (!(held[i + 1] <= (this.highestOffset[p] ?? -1))) this.highestOffset[p] = held[i + 1];
    }
    if (saved.closed) {
      const v = saved.closed;
      const horizonUs = this.horizonOf(v.session !== null, v.session?.exitUs ?? 0, v.checkoutUs);
      this.expiryQ.push(horizonUs, this.closed.add(customerId, { ...v, horizonUs }));
      return;
    }
    const c = saved.open;
    this.customers.set(customerId, c);
    if (c.ev.length > 0) this.openCarts++;
    if (c.hasSession) {
      this.openSessions++;
      c.cutoffUs = c.exitUs - c.entryUs > this.maxUs ? c.entryUs + this.maxUs : c.exitUs;
      this.schedule(c, Q_SESSION, c.cutoffUs + this.graceUs);
    } else {
      c.cutoffUs = c.firstUs + this.maxUs;
      this.schedule(c, Q_CART, c.cutoffUs + this.graceUs);
    }
    if (c.hasSession && c.ev.length > 0) this.trimLate(c); // a smaller MAX after a restart
  }

  private forget(c: Customer): void {
    if (c.ev.length > 0) this.openCarts--;
    if (c.hasSession) this.openSessions--;
    c.status = GONE;
    c.queue = Q_NONE;
    this.customers.delete(c.id);
  }

  /** Number of customers with state (open or closed marker). */
  get stateSize(): number {
    return this.customers.size + this.closed.size;
  }

  /** Whether any state exists for `customerId`, and which. For tests and diagnostics. */
  stateOf(customerId: string): "open" | "closed" | null {
    if (this.customers.has(customerId)) return "open";
    return this.closed.slotOf(customerId) >= 0 ? "closed" : null;
  }

  /** Counters since construction, and gauges. */
  metrics(): EngineMetrics {
    const invalid: Record<string, number> = {};
    for (const r of REASONS) {
      if (r !== "late" && r !== "conflicting_session" && r !== "unknown_item") {
        invalid[r] = this.invalid.get(r) ?? 0;
      }
    }
    return {
      records: {
        "foot:foot_traffic": this.nFoot,
        "shelf:pickup": this.nPickup,
        "shelf:putback": this.nPutback,
      },
      skipped: Object.fromEntries(this.skipped),
      invalid,
      late: this.nLate,
      redelivered: this.nRedelivered,
      duplicateSessions: this.nDup,
      conflictingSessions: this.nConflict,
      anomalies: this.nAnomalies,
      unknownItems: this.nUnknown,
      transactions: this.nTx,
      emptyCheckouts: this.nEmpty,
      revenueCents: this.revenueCents,
      openCarts: this.openCarts,
      openSessions: this.openSessions,
      closedMarkers: this.closed.size,
      streamTimeUs: this.shelfLowUs,
    };
  }
}
