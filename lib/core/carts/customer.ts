/**
 * One customer's open visit: the session (when it arrived), the cart as a log of shelf events,
 * and where its checkout waits. A checked-out visit is no customer any more: see
 * closed_visits.ts. The log itself (append, fold, re-delivery check) is cart.ts.
 *
 * @example
 * ```ts
 * import { Customer } from "./customer.ts";
 * const c = new Customer("c-1");
 * c.eventCount; // 0
 * ```
 * @module
 */

/** Customer status: open. */
export const OPEN = 0;
/** Customer status: checked out or deleted (a cached reference to it is stale). */
export const GONE = 2;
/** Which due-heap a customer waits in: none. */
export const IN_NO_HEAP = 0;
/** Which due-heap a customer waits in: sessions (checked out once the shelf input passed). */
export const IN_SESSION_HEAP = 1;
/** Which due-heap a customer waits in: carts without a session (both inputs must pass). */
export const IN_CART_HEAP = 2;

/**
 * The log of a customer without shelf events: one shared, frozen array (a backlog's sessions
 * arrive long before their events, and an empty array each cost 32 bytes); `appendEvent` gives
 * a customer its own at its first event.
 */
export const NO_EVENTS: number[] = Object.freeze([]) as unknown as number[];

/** One customer's state. Field order is fixed so all instances share one hidden class. */
export class Customer {
  /** OPEN, or GONE (checked out or deleted). */
  status: number = OPEN;
  /** Whether the session arrived (then `entry*`/`exit*` are set). */
  hasSession = false;
  /** Session entry (µs). */
  entryUs = 0;
  /** Session exit (µs). */
  exitUs = 0;
  /** Entry's fraction digits as written. */
  entryFrac = "";
  /** Exit's fraction digits as written. */
  exitFrac = "";
  /** Shelf events, stride 3: event time µs, packed (item, kind, qty), order key. */
  ev: number[] = NO_EVENTS;
  /** Whether `ev` is already in (time, order) order. */
  sorted = true;
  /** Earliest shelf event time (µs), NaN when none. */
  firstUs: number = NaN;
  /** The earliest event's fraction digits. */
  firstFrac = "";
  /** Events later than this are late (µs). */
  cutoffUs = 0;
  /** When the checkout is due (µs). */
  dueUs = 0;
  /** Which heap holds the live entry (Q_*). */
  queue: number = IN_NO_HEAP;
  /** Changed since the last drainStateChanges. */
  dirty = false;
  /** A customer without session or events. */
  constructor(readonly id: string) {}

  /** Number of logged shelf events. */
  get eventCount(): number {
    return this.ev.length / 3;
  }
}
