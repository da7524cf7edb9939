/**
 * What the engine's rules share: the settings in µs and the units they change. Built once per
 * engine; the rules (shelf_events.ts, sessions.ts, checkout.ts) take it as their first argument.
 * @module
 */
import type { Pricer } from "./pricing/pricing.ts";
import type { Customer } from "./carts/customer.ts";
import type { CheckoutSchedule } from "./time/checkout_schedule.ts";
import type { EngineCounters } from "./engine_metrics.ts";
import type { OutputBuffer } from "./checkout/dlq.ts";
import type { Visits } from "./carts/visits.ts";
import { takeEventsAfter } from "./carts/cart.ts";

/** The engine's settings and units, for its rules. */
export interface EngineContext {
  /** MAX_SESSION_AGE_SEC in µs. */
  readonly maxUs: number;
  /** CHECKOUT_GRACE_SEC in µs. */
  readonly graceUs: number;
  /** FORCE_CHECKOUT_IF_EMPTY. */
  readonly forceCheckoutIfEmpty: boolean;
  /** Prices a checkout's lines. */
  readonly pricer: Pricer;
  /** Every customer's state. */
  readonly visits: Visits;
  /** Stream time and due times. */
  readonly schedule: CheckoutSchedule;
  /** Counters. */
  readonly counters: EngineCounters;
  /** Transactions and DLQ records. */
  readonly out: OutputBuffer;
}

/** A session's cutoff: its exit, or entry + MAX for a session longer than MAX. */
export function sessionCutoff(ctx: EngineContext, entryUs: number, exitUs: number): number {
  return exitUs - entryUs > ctx.maxUs ? entryUs + ctx.maxUs : exitUs;
}

/**
 * A visit's horizon: MAX_SESSION_AGE_SEC after the checkout's time, or after the session's
 * exit when that is later (a forced checkout), so every event of the session that arrives after
 * checkout is still recognised as late.
 */
export function horizonOf(
  ctx: EngineContext,
  hasSession: boolean,
  exitUs: number,
  checkoutUs: number,
): number {
  return (hasSession && exitUs > checkoutUs ? exitUs : checkoutUs) + ctx.maxUs;
}

/** Events already logged beyond `c`'s cutoff are late after all (shelf ahead of foot). */
export function trimLate(ctx: EngineContext, c: Customer): void {
  const had = c.ev.length > 0;
  const late = takeEventsAfter(c, ctx.visits.items, c.cutoffUs);
  for (const e of late) {
    ctx.counters.late++;
    ctx.out.lateLogged(c.id, e);
  }
  if (had && c.ev.length === 0) ctx.visits.openCarts--;
}
