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
import type { FractionCode } from "./fraction_code.ts";

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

/** Bits of {@link Customer}'s flags. */
const GONE_BIT = 1, HAS_SESSION = 2, UNSORTED = 4, DIRTY = 8, QUEUE_SHIFT = 4;

/**
 * One customer's state. Field order is fixed so all instances share one hidden class. A backlog
 * holds a day's sessions at once, so a customer is kept small: its flags share one integer
 * (each field takes 8 bytes), and its fractions are digit counts where they can be (see
 * {@link FractionCode}), not strings.
 */
export class Customer {
  /** Status, session, order, dirty and heap, packed (the accessors below). */
  #flags = 0;
  /** Session entry (µs). */
  entryUs = 0;
  /** Session exit (µs). */
  exitUs = 0;
  /** Entry's fraction digits as written, coded against `entryUs`. */
  entryFrac: FractionCode = 0;
  /** Exit's fraction digits as written, coded against `exitUs`. */
  exitFrac: FractionCode = 0;
  /** Shelf events, stride 3: event time µs, packed (item, kind, qty), order key. */
  ev: number[] = NO_EVENTS;
  /** Earliest shelf event time (µs), NaN when none. */
  firstUs: number = NaN;
  /** The earliest event's fraction digits, coded against `firstUs`. */
  firstFrac: FractionCode = 0;
  /** Events later than this are late (µs); the checkout is due at this + grace. */
  cutoffUs = 0;
  /** A customer without session or events. */
  constructor(readonly id: string) {}

  /** OPEN, or GONE (checked out or deleted). */
  get status(): number {
    return this.#flags & GONE_BIT ? GONE : OPEN;
  }
  set status(s: number) {
    this.#flags = s === GONE ? this.#flags | GONE_BIT : this.#flags & ~GONE_BIT;
  }

  /** Whether the session arrived (then `entry*`/`exit*` are set). */
  get hasSession(): boolean {
    return (this.#flags & HAS_SESSION) !== 0;
  }
  set hasSession(on: boolean) {
    this.#flags = on ? this.#flags | HAS_SESSION : this.#flags & ~HAS_SESSION;
  }

  /** Whether `ev` is already in (time, order) order. */
  get sorted(): boolean {
    return (this.#flags & UNSORTED) === 0;
  }
  set sorted(on: boolean) {
    this.#flags = on ? this.#flags & ~UNSORTED : this.#flags | UNSORTED;
  }

  /** Changed since the last drainStateChanges. */
  get dirty(): boolean {
    return (this.#flags & DIRTY) !== 0;
  }
  set dirty(on: boolean) {
    this.#flags = on ? this.#flags | DIRTY : this.#flags & ~DIRTY;
  }

  /** Which heap holds the live entry (IN_*_HEAP). */
  get queue(): number {
    return this.#flags >> QUEUE_SHIFT;
  }
  set queue(heap: number) {
    this.#flags = (this.#flags & ((1 << QUEUE_SHIFT) - 1)) | (heap << QUEUE_SHIFT);
  }

  /** Number of logged shelf events. */
  get eventCount(): number {
    return this.ev.length / 3;
  }
}
