/**
 * The state codec: one changelog value per customer (docs/engine.md, "State serialization"), and
 * the stream-time record. Snapshot on drain, restore before any apply.
 *
 * @example
 * ```ts
 * import { deserializeState, serializeCustomer } from "./state_codec.ts";
 * import { Customer } from "./customer.ts";
 * import { ItemTable } from "./item_table.ts";
 * const items = new ItemTable();
 * const json = serializeCustomer(new Customer("c-1"), items);
 * deserializeState("c-1", json, items).open?.id; // "c-1"
 * ```
 * @module
 */
import { fractionCode, fractionText } from "./fraction_code.ts";
import { fractionOf } from "../decode/timestamps.ts";
import { appendEvent, earliestEvent, eventAt, orderKey, packEvent } from "./cart.ts";
import { Customer } from "./customer.ts";
import type { ItemTable } from "./item_table.ts";
import type { ClosedVisit } from "./closed_visits.ts";

/**
 * Serialized form, version 1 (JSON):
 * - open:   `{"v":1,"st":"open","s":[entryUs,entryFrac,exitUs,exitFrac]|null,
 *            "f":[firstUs,firstFrac]|null,"ev":[us,item,signedQty,partition,offset,…]}`
 * - closed: `{"v":1,"st":"closed","c":checkoutUs,"s":[…]|null,"w":checkoutWallUs?,
 *            "o":[partition,maxOffset,…]?}`
 * `signedQty` is negative for a putback. Event times are epoch µs.
 */
export interface SerializedCustomer {
  /** Version: 1. */
  v: 1;
  /** Open visit, or checked out. */
  st: "open" | "closed";
  /** The session: entry µs, its fraction digits, exit µs, its fraction digits. */
  s: [number, string, number, string] | null;
  /** Open: the earliest event, µs and fraction digits. */
  f?: [number, string] | null;
  /** Open: the event log, `[us, item, signedQty, partition, offset, …]`. */
  ev?: (number | string)[];
  /** Closed: the checkout's time (µs). */
  c?: number;
  /** Closed: the wall clock of the checkout (µs). */
  w?: number;
  /** Closed: highest applied offset per shelf partition, flat. */
  o?: number[];
}

/** Serializes an open customer. */
export function serializeCustomer(c: Customer, items: ItemTable): string {
  const s: SerializedCustomer["s"] = c.hasSession
    ? [
      c.entryUs,
      fractionText(c.entryUs, c.entryFrac),
      c.exitUs,
      fractionText(c.exitUs, c.exitFrac),
    ]
    : null;
  const ev: (number | string)[] = [];
  for (let i = 0; i < c.ev.length; i += 3) {
    const e = eventAt(c, items, i);
    ev.push(e.us, e.itemId, e.putback ? -e.quantity : e.quantity, e.partition, e.offset);
  }
  const f: [number, string] | null = !Number.isNaN(c.firstUs)
    ? [c.firstUs, fractionText(c.firstUs, c.firstFrac)]
    : null;
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
    c.entryFrac = fractionCode(c.entryUs, String(o.s[1] ?? ""));
    c.exitUs = num(o.s[2]);
    c.exitFrac = fractionCode(c.exitUs, String(o.s[3] ?? ""));
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
    c.firstFrac = fractionCode(c.firstUs, String(o.f[1] ?? ""));
  } else {
    c.firstUs = earliestEvent(c);
    c.firstFrac = !Number.isNaN(c.firstUs) ? fractionCode(c.firstUs, fractionOf(c.firstUs)) : 0;
  }
  return { open: c };
}

function num(v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new Error("malformed state");
  return v;
}

/**
 * Stream time, per input: each partition's front positions as `[partition, µs, …]` rows, and the
 * holds placed on it (fronts.ts). Records written before fronts were kept have one position.
 */
export interface StreamTime {
  /** Foot partitions' fronts (null: absent from the record). */
  foot: number[][] | null;
  /** Shelf partitions' fronts (null: absent from the record). */
  shelf: number[][] | null;
  /** Holds, per input (absent: none). */
  holds?: { foot: number[][]; shelf: number[][] };
}

/** The stream-time record's value (changelog key `""`). */
export function serializeStreamTime(t: StreamTime): string {
  return JSON.stringify({ v: 1, foot: t.foot, shelf: t.shelf, holds: t.holds });
}

/** Reads {@link serializeStreamTime}'s output. Throws when unknown. */
export function deserializeStreamTime(state: string): StreamTime {
  const o = JSON.parse(state) as { v?: number; foot?: unknown; shelf?: unknown; holds?: unknown };
  if (o?.v !== 1) throw new Error("unsupported stream-time record");
  const rows = (v: unknown) => Array.isArray(v) ? v.filter(Array.isArray) as number[][] : null;
  const h = o.holds as { foot?: unknown; shelf?: unknown } | undefined;
  return {
    foot: rows(o.foot),
    shelf: rows(o.shelf),
    holds: { foot: rows(h?.foot) ?? [], shelf: rows(h?.shelf) ?? [] },
  };
}
