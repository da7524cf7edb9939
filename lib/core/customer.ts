/**
 * Per-customer state: the open session, the cart's event log, and the "closed" marker kept after
 * checkout. Plus the cart fold (SPEC §2) and the per-customer serialization the Kafka service
 * writes to its compacted changelog topic.
 *
 * The cart is kept as a compact log of shelf events (3 doubles each) and folded into lines only
 * at checkout, in event-time order (ties: partition, then offset). That makes the result
 * independent of how events of one customer interleave across unkeyed shelf partitions, and lets
 * events after a session's exit that arrived before the session (shelf ahead of foot) be taken
 * out again when the session arrives.
 * @module
 */
import type { CartLine } from "./pricing.ts";
import { fractionOf } from "./timestamps.ts";
import { IdCache } from "./shelf_scanner.ts";
import type { ClosedVisit } from "./closed_visits.ts";

/** Customer status (a checked-out visit is no customer any more: see closed_visits.ts). */
export const OPEN = 0, GONE = 2;
/** Which due-heap a customer waits in. */
export const Q_NONE = 0, Q_SESSION = 1, Q_CART = 2;

const TWO32 = 4294967296;
/** Offsets up to 2^40 and partitions up to 2^12 keep (partition, offset) exact in one double. */
export const TWO40 = 1099511627776;
const MAX_PARTITION = 4095;

/** Packs (partition, offset) into one orderable double. */
export function orderKey(partition: number, offset: number): number {
  const p = partition > MAX_PARTITION ? MAX_PARTITION : partition < 0 ? 0 : partition;
  const o = offset >= 0 && offset < TWO40 ? offset : offset >= TWO40 ? TWO40 - 1 : 0;
  return p * TWO40 + o;
}

/** One customer's state. Field order is fixed so all instances share one hidden class. */
export class Customer {
  /** OPEN, or GONE (checked out or deleted). */
  status = OPEN;
  hasSession = false;
  entryUs = 0;
  exitUs = 0;
  entryFrac = "";
  exitFrac = "";
  /** Shelf events, stride 3: event time µs, packed (item, kind, qty), order key. */
  ev: number[] = [];
  /** Whether `ev` is already in (time, order) order. */
  sorted = true;
  /** Earliest shelf event time (µs), NaN when none. */
  firstUs = NaN;
  firstFrac = "";
  /** Events later than this are late (µs). */
  cutoffUs = 0;
  /** When the checkout is due (µs). */
  dueUs = 0;
  /** Which heap holds the live entry (Q_*). */
  queue = Q_NONE;
  /** Changed since the last drainStateChanges. */
  dirty = false;
  constructor(readonly id: string) {}

  /** Number of logged shelf events. */
  get eventCount(): number {
    return this.ev.length / 3;
  }
}

/** Item ids interned to small integers (item ids repeat across carts). */
export class ItemTable {
  private readonly index = new Map<string, number>();
  readonly names: string[] = [];

  /** Item id bytes → index. */
  private readonly byBytes = new IdCache<number>(12);

  /**
   * The index of the ASCII item id `b[s, e)` whose FNV-1a hash is `hash`, adding it when new;
   * no string is made for an id met recently.
   */
  internBytes(b: Uint8Array, s: number, e: number, hash: number): number {
    const cache = this.byBytes;
    let slot = cache.find(hash, b, s, e);
    if (slot < 0) {
      slot = cache.insert(hash, b, s, e);
      cache.values[slot] = this.intern(cache.strings[slot]!);
    }
    return cache.values[slot]!;
  }

  /** The index of `item`, adding it when new. */
  intern(item: string): number {
    let i = this.index.get(item);
    if (i === undefined) {
      i = this.names.length;
      this.names.push(item);
      this.index.set(item, i);
    }
    return i;
  }
}

/** Packs (item index, putback?, quantity) into one exact double. */
export function packEvent(item: number, putback: boolean, qty: number): number {
  return (item * 2 + (putback ? 1 : 0)) * TWO32 + qty;
}

/** Appends one shelf event to `c`'s log. */
export function appendEvent(c: Customer, us: number, packed: number, order: number): void {
  const ev = c.ev;
  const n = ev.length;
  if (n > 0 && c.sorted) {
    const lt = ev[n - 3];
    // Ties in time are ordered by item id at the fold: leave them to the sort.
    if (us <= lt) c.sorted = false;
  }
  ev.push(us, packed, order);
}

/**
 * Event indices (into stride-3 `ev`) in the fold's canonical order: event time, then item id
 * (code point order, the same as UTF-8 byte order), pickups before putbacks, then quantity. It
 * depends on the events alone, never on partitions or arrival order, so Kafka and `replay` fold
 * the same events into the same lines.
 */
function eventOrder(c: Customer, items: ItemTable): number[] {
  const n = c.ev.length / 3;
  const idx: number[] = new Array(n);
  for (let i = 0; i < n; i++) idx[i] = i * 3;
  if (!c.sorted) {
    const ev = c.ev;
    const names = items.names;
    idx.sort((a, b) => {
      const dt = ev[a] - ev[b];
      if (dt !== 0) return dt;
      const pa = ev[a + 1], pb = ev[b + 1];
      const ia = Math.floor(pa / TWO33), ib = Math.floor(pb / TWO33);
      if (ia !== ib) return compareCodePoints(names[ia], names[ib]);
      return pa - pb; // same item: pickup (even) before putback, then quantity
    });
  }
  return idx;
}

const TWO33 = TWO32 * 2;

/** Compares strings by code point (= UTF-8 byte order), unlike `<` on UTF-16 code units. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (a code point above U+FFFF) sorts after every BMP character.
    const sx = x >= 0xd800 && x <= 0xdfff, sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy) return sx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * Whether the record at (`partition`, `offset`) was already applied to `c`: records of one
 * partition arrive in offset order, so any offset up to the highest one seen from that
 * partition for this customer has been (a re-delivery after a crash).
 */
export function alreadyApplied(c: Customer, partition: number, offset: number): boolean {
  const ev = c.ev;
  const base = partition * TWO40;
  for (let i = ev.length - 1; i >= 0; i -= 3) {
    const order = ev[i];
    if (order >= base && order < base + TWO40) return order - base >= offset;
  }
  return false;
}

/** The highest offset per partition in `c`'s log, flat `[partition, offset, …]`, or null. */
export function maxOffsetsOf(c: Customer): number[] | null {
  const ev = c.ev;
  if (ev.length === 0) return null;
  const out: number[] = [];
  for (let i = 2; i < ev.length; i += 3) {
    const order = ev[i];
    const p = Math.floor(order / TWO40);
    const o = order - p * TWO40;
    let k = 0;
    while (k < out.length && out[k] !== p) k += 2;
    if (k === out.length) out.push(p, o);
    else if (o > out[k + 1]) out[k + 1] = o;
  }
  return out;
}

/** A shelf event unpacked from the log. */
export interface LoggedEvent {
  us: number;
  itemId: string;
  putback: boolean;
  quantity: number;
  partition: number;
  offset: number;
}

/** Unpacks event at stride index `i`. */
export function eventAt(c: Customer, items: ItemTable, i: number): LoggedEvent {
  const packed = c.ev[i + 1];
  const qty = packed % TWO32;
  const rest = (packed - qty) / TWO32;
  const order = c.ev[i + 2];
  const partition = Math.floor(order / TWO40);
  return {
    us: c.ev[i],
    itemId: items.names[Math.floor(rest / 2)],
    putback: rest % 2 === 1,
    quantity: qty,
    partition,
    offset: order - partition * TWO40,
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

/** The folded cart: lines in first-pickup order, and the excess putbacks met (anomalies). */
export interface Fold {
  lines: CartLine[];
  /** Item table index of each line (same order). */
  excessPutbacks: number;
  /** Order key of each line's first pickup (for DLQ records about a line). */
  firstOrder: number[];
}

/**
 * Folds the cart (SPEC §2) in event-time order: pickup adds, putback removes never below 0
 * (each excess putback counted), lines with quantity 0 left out, order of first pickup.
 */
export function foldCart(c: Customer, items: ItemTable): Fold {
  const ev = c.ev;
  const order = eventOrder(c, items);
  const lineOf = new Map<number, number>();
  const itemIdx: number[] = [];
  const qty: number[] = [];
  const firstOrder: number[] = [];
  let excess = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const packed = ev[i + 1];
    const q = packed % TWO32;
    const rest = (packed - q) / TWO32;
    const item = Math.floor(rest / 2);
    const putback = rest % 2 === 1;
    const line = lineOf.get(item);
    if (!putback) {
      if (line === undefined) {
        lineOf.set(item, qty.length);
        itemIdx.push(item);
        qty.push(q);
        firstOrder.push(ev[i + 2]);
      } else qty[line] += q;
    } else if (line === undefined || qty[line] < q) {
      excess++;
      if (line !== undefined) qty[line] = 0;
    } else qty[line] -= q;
  }
  const lines: CartLine[] = [];
  const fo: number[] = [];
  for (let l = 0; l < qty.length; l++) {
    if (qty[l] > 0) {
      lines.push({ itemId: items.names[itemIdx[l]], quantity: qty[l] });
      fo.push(firstOrder[l]);
    }
  }
  return { lines, excessPutbacks: excess, firstOrder: fo };
}

/** Lowest event time in the log with its fraction digits (NaN when empty). */
export function earliestEvent(c: Customer): number {
  let min = NaN;
  const ev = c.ev;
  for (let i = 0; i < ev.length; i += 3) if (!(ev[i] >= min)) min = ev[i];
  return min;
}

// ---------------------------------------------------------------------------------------------
// Serialization (the changelog value, one per customer)

/**
 * Serialized form, version 1 (JSON):
 * - open:   `{"v":1,"st":"open","s":[entryUs,entryFrac,exitUs,exitFrac]|null,
 *            "f":[firstUs,firstFrac]|null,"ev":[us,item,signedQty,partition,offset,…]}`
 * - closed: `{"v":1,"st":"closed","c":checkoutUs,"s":[…]|null,"w":checkoutWallUs?,
 *            "o":[partition,maxOffset,…]?}`
 * `signedQty` is negative for a putback. Event times are epoch µs.
 */
export interface SerializedCustomer {
  v: 1;
  st: "open" | "closed";
  s: [number, string, number, string] | null;
  f?: [number, string] | null;
  ev?: (number | string)[];
  c?: number;
  /** Closed: the wall clock of the checkout (µs). */
  w?: number;
  /** Closed: highest applied offset per shelf partition, flat. */
  o?: number[];
}

/** Serializes an open customer. */
export function serializeCustomer(c: Customer, items: ItemTable): string {
  const s: SerializedCustomer["s"] = c.hasSession
    ? [c.entryUs, c.entryFrac, c.exitUs, c.exitFrac]
    : null;
  const ev: (number | string)[] = [];
  for (let i = 0; i < c.ev.length; i += 3) {
    const e = eventAt(c, items, i);
    ev.push(e.us, e.itemId, e.putback ? -e.quantity : e.quantity, e.partition, e.offset);
  }
  const f: [number, string] | null = c.firstUs === c.firstUs ? [c.firstUs, c.firstFrac] : null;
  return JSON.stringify({ v: 1, st: "open", s, f, ev });
}

/** Serializes a checked-out visit in the `closed` form {@link deserializeState} reads. */
export function serializeClosedVisit(v: ClosedVisit): string {
  const closed: SerializedCustomer = {
    v: 1,
    st: "closed",
    c: v.checkoutUs,
    s: v.session === null ? null : [v.session.entryUs, "", v.session.exitUs, ""],
  };
  if (Number.isFinite(v.wallUs)) closed.w = v.wallUs;
  if (v.maxOffsets !== null) closed.o = v.maxOffsets;
  return JSON.stringify(closed);
}

/** A customer's saved state: an open customer, or a checked-out visit (its horizon unset). */
export type SavedState =
  | { open: Customer; closed?: undefined }
  | { open?: undefined; closed: Omit<ClosedVisit, "horizonUs"> };

/**
 * Rebuilds a customer's state from {@link serializeCustomer}'s or {@link serializeClosedVisit}'s
 * output. Throws on a malformed state.
 */
export function deserializeState(id: string, state: string, items: ItemTable): SavedState {
  const o = JSON.parse(state) as SerializedCustomer;
  if (o === null || typeof o !== "object" || o.v !== 1) {
    throw new Error(`unsupported state for customer ${id}`);
  }
  if (o.st === "closed") {
    return {
      closed: {
        session: Array.isArray(o.s) ? { entryUs: num(o.s[0]), exitUs: num(o.s[2]) } : null,
        checkoutUs: num(o.c),
        wallUs: o.w === undefined ? -Infinity : num(o.w),
        maxOffsets: Array.isArray(o.o) ? o.o.map(num) : null,
      },
    };
  }
  const c = new Customer(id);
  if (Array.isArray(o.s)) {
    c.hasSession = true;
    c.entryUs = num(o.s[0]);
    c.entryFrac = String(o.s[1] ?? "");
    c.exitUs = num(o.s[2]);
    c.exitFrac = String(o.s[3] ?? "");
  }
  if (o.st !== "open") throw new Error(`unsupported state for customer ${id}`);
  const ev = Array.isArray(o.ev) ? o.ev : [];
  for (let i = 0; i + 4 < ev.length; i += 5) {
    const us = num(ev[i]);
    const item = items.intern(String(ev[i + 1]));
    const q = num(ev[i + 2]);
    appendEvent(
      c,
      us,
      packEvent(item, q < 0, Math.abs(q)),
      orderKey(num(ev[i + 3]), num(ev[i + 4])),
    );
  }
  if (Array.isArray(o.f)) {
    c.firstUs = num(o.f[0]);
    c.firstFrac = String(o.f[1] ?? "");
  } else {
    c.firstUs = earliestEvent(c);
    c.firstFrac = c.firstUs === c.firstUs ? fractionOf(c.firstUs) : "";
  }
  return { open: c };
}

function num(v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new Error("malformed state");
  return v;
}
