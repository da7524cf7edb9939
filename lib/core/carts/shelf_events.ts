/**
 * Where a cart changes: applying a valid pickup/putback to its customer (docs/engine.md,
 * "Carts are event logs", "Idempotent apply", "Closed markers"). Re-deliveries are ignored,
 * events of a checked-out visit are late, and a new customer starts a cart without a session.
 * @module
 */
import { type FractionCode, fractionCode } from "./fraction_code.ts";
import type { InputRecord } from "../engine_types.ts";
import type { EngineContext } from "../engine_context.ts";
import type { ShelfEvent } from "../decode/decode.ts";
import { type Customer, IN_CART_HEAP } from "./customer.ts";
import { alreadyApplied, appendEvent, orderKey, packEvent } from "./cart.ts";
import { PUTBACK } from "../decode/records.ts";
import { fractionOf } from "../decode/timestamps.ts";

/**
 * Applies shelf event `ev` of record `rec` to customer `id` (whose open state is `c`, undefined
 * when none), at event time `us`. Returns the customer's state afterwards (undefined when the
 * event was late).
 */
export function applyShelfEvent(
  ctx: EngineContext,
  rec: InputRecord,
  ev: ShelfEvent,
  id: string,
  c: Customer | undefined,
  us: number,
): Customer | undefined {
  const offset = +rec.offset;
  const visits = ctx.visits;
  let closedSlot = -2; // not looked up yet
  if (!visits.isNewOffset(rec.partition, offset)) {
    const redelivered = c !== undefined ? alreadyApplied(c, rec.partition, offset) : (
      (closedSlot = visits.closed.slotOf(id)) >= 0 &&
      visits.closed.alreadyApplied(closedSlot, rec.partition, offset)
    );
    if (redelivered) {
      ctx.counters.redelivered++; // applied before a crash, delivered again: never twice
      return c;
    }
  }
  if (ev.kind === PUTBACK) ctx.counters.putbacks++;
  else ctx.counters.pickups++;
  ctx.out.shelfTopic = rec.topic;
  ctx.schedule.observe("shelf", rec.partition, us);
  if (c === undefined) {
    const slot = closedSlot === -2 ? visits.closed.slotOf(id) : closedSlot;
    if (slot >= 0) {
      if (us < visits.closed.horizonOf(slot)) {
        ctx.counters.late++;
        ctx.out.rejected(rec, "late", "customer already checked out");
        return undefined;
      }
      visits.forgetClosed(slot); // past the visit's horizon: a new visit, expired or not yet
    }
    c = visits.open(id);
    c.firstUs = us;
    c.firstFrac = fractionFor(ev, us);
    c.cutoffUs = us + ctx.maxUs;
    ctx.schedule.schedule(c, IN_CART_HEAP);
  } else if (c.hasSession && us > c.cutoffUs) {
    // (A cart without a session keeps later events: its session may still come and move the
    // cutoff. Those past the cart's own limit are taken out at its checkout.)
    ctx.counters.late++;
    ctx.out.rejected(rec, "late", "event time after the session's exit");
    return c;
  } else if (!(us >= c.firstUs)) {
    c.firstUs = us;
    c.firstFrac = fractionFor(ev, us);
    if (!c.hasSession) { // its cutoff moves earlier with its first event
      c.cutoffUs = us + ctx.maxUs;
      ctx.schedule.schedule(c, IN_CART_HEAP);
    }
  }
  logEvent(ctx, rec.partition, offset, c, ev, us);
  return c;
}

/** Appends `ev` to `c`'s log. */
function logEvent(
  ctx: EngineContext,
  partition: number,
  offset: number,
  c: Customer,
  ev: ShelfEvent,
  us: number,
): void {
  const items = ctx.visits.items;
  const b = ev.bytes;
  const item = b !== null
    ? items.internBytes(b, ev.itemStart, ev.itemEnd, ev.itemHash)
    : items.intern(ev.itemId);
  appendEvent(
    c,
    us,
    packEvent(item, ev.kind === PUTBACK, ev.quantity),
    orderKey(partition, offset),
  );
  if (c.ev.length === 3) ctx.visits.openCarts++;
  ctx.visits.markDirty(c);
}

/** The fraction digits to keep for `ev` at time `us` (the record timestamp's when it has none). */
function fractionFor(ev: ShelfEvent, us: number): FractionCode {
  return fractionCode(us, Number.isNaN(ev.us) ? fractionOf(us) : ev.fraction());
}
