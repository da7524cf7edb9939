/**
 * Where a cart changes: the log of a customer's shelf events (3 doubles each: event time,
 * packed item/kind/quantity, packed partition/offset), appended on apply, trimmed of late
 * events, checked for re-deliveries. It is folded into lines only at checkout (cart_fold.ts),
 * so the result never depends on how one customer's events interleave across partitions.
 *
 * @example
 * ```ts
 * import { appendEvent, orderKey, packEvent } from "./cart.ts";
 * import { Customer } from "./customer.ts";
 * const c = new Customer("c-1");
 * appendEvent(c, 1_000_000, packEvent(0, false, 2), orderKey(1, 41));
 * c.eventCount; // 1
 * ```
 * @module
 */
import { type Customer, NO_EVENTS } from "./customer.ts";
import type { ItemTable } from "./item_table.ts";

/** Quantities up to 2^32 pack below the item and kind in one event double. */
export const QUANTITY_SPAN = 4294967296;
/** Offsets up to 2^40 and partitions up to 2^12 keep (partition, offset) exact in one double. */
export const OFFSET_SPAN = 1099511627776;
const MAX_PARTITION = 4095;

/** Packs (partition, offset) into one orderable double. */
export function orderKey(partition: number, offset: number): number {
  const p = partition > MAX_PARTITION ? MAX_PARTITION : partition < 0 ? 0 : partition;
  const o = offset >= 0 && offset < OFFSET_SPAN
    ? offset
    : offset >= OFFSET_SPAN
    ? OFFSET_SPAN - 1
    : 0;
  return p * OFFSET_SPAN + o;
}

/** The partition of an order key. */
export function partitionOf(order: number): number {
  return Math.floor(order / OFFSET_SPAN);
}

/** The offset of an order key. */
export function offsetOf(order: number): number {
  return order - partitionOf(order) * OFFSET_SPAN;
}

/** Packs (item index, putback?, quantity) into one exact double. */
export function packEvent(item: number, putback: boolean, qty: number): number {
  return (item * 2 + (putback ? 1 : 0)) * QUANTITY_SPAN + qty;
}

/** Appends one shelf event to `c`'s log. */
export function appendEvent(c: Customer, us: number, packed: number, order: number): void {
  let ev = c.ev;
  if (ev === NO_EVENTS) ev = c.ev = [];
  const n = ev.length;
  if (n > 0 && c.sorted) {
    const lt = ev[n - 3];
    // The fold applies events in (time, partition/offset) order.
    if (us < lt || (us === lt && order < ev[n - 1])) c.sorted = false;
  }
  ev.push(us, packed, order);
}

/**
 * Whether the record at (`partition`, `offset`) was already applied to `c`: records of one
 * partition arrive in offset order, so any offset up to the highest one seen from that
 * partition for this customer has been (a re-delivery after a crash).
 */
export function alreadyApplied(c: Customer, partition: number, offset: number): boolean {
  const ev = c.ev;
  const base = partition * OFFSET_SPAN;
  for (let i = ev.length - 1; i >= 0; i -= 3) {
    const order = ev[i];
    if (order >= base && order < base + OFFSET_SPAN) return order - base >= offset;
  }
  return false;
}

/** The highest offset per partition in `c`'s log, flat `[partition, offset, …]`, or null. */
export function maxOffsetsOf(c: Customer): number[] | null {
  const ev = c.ev;
  if (ev.length === 0) return null;
  const out: number[] = [];
  for (let i = 2; i < ev.length; i += 3) {
    const p = partitionOf(ev[i]);
    const o = offsetOf(ev[i]);
    let k = 0;
    while (k < out.length && out[k] !== p) k += 2;
    if (k === out.length) out.push(p, o);
    else if (o > out[k + 1]) out[k + 1] = o;
  }
  return out;
}

/** A shelf event unpacked from the log. */
export interface LoggedEvent {
  /** Event time (µs). */
  us: number;
  /** The item id. */
  itemId: string;
  /** A putback (else a pickup). */
  putback: boolean;
  /** The event's quantity. */
  quantity: number;
  /** The record's partition. */
  partition: number;
  /** The record's offset. */
  offset: number;
}

/** Unpacks event at stride index `i`. */
export function eventAt(c: Customer, items: ItemTable, i: number): LoggedEvent {
  const packed = c.ev[i + 1];
  const qty = packed % QUANTITY_SPAN;
  const rest = (packed - qty) / QUANTITY_SPAN;
  const order = c.ev[i + 2];
  return {
    us: c.ev[i],
    itemId: items.names[Math.floor(rest / 2)],
    putback: rest % 2 === 1,
    quantity: qty,
    partition: partitionOf(order),
    offset: offsetOf(order),
  };
}

/**
 * Removes the events later than `cutoffUs` from `c`'s log and returns them (they are late).
 */
export function takeEventsAfter(c: Customer, items: ItemTable, cutoffUs: number): LoggedEvent[] {
  const ev = c.ev;
  let late: LoggedEvent[] | null = null;
  let w = 0;
  for (let i = 0; i < ev.length; i += 3) {
    if (ev[i] > cutoffUs) {
      (late ??= []).push(eventAt(c, items, i));
    } else {
      if (w !== i) {
        ev[w] = ev[i];
        ev[w + 1] = ev[i + 1];
        ev[w + 2] = ev[i + 2];
      }
      w += 3;
    }
  }
  if (late === null) return [];
  ev.length = w;
  late.sort((a, b) => a.us - b.us || a.partition - b.partition || a.offset - b.offset);
  return late;
}

/** Lowest event time in the log (NaN when empty). */
export function earliestEvent(c: Customer): number {
  let min = NaN;
  const ev = c.ev;
  for (let i = 0; i < ev.length; i += 3) if (!(ev[i] >= min)) min = ev[i];
  return min;
}
