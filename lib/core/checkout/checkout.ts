/**
 * Where a checkout is priced (docs/contract.md §3, docs/engine.md "Checkout", "Empty carts",
 * "Ids"): the cart is folded, priced at its cutoff, and emitted as a transaction (or not, when
 * empty); skipped unknown lines go to the DLQ; the visit is then remembered as checked out.
 * @module
 */
import { fractionText } from "../carts/fraction_code.ts";
import type { EngineContext } from "../engine_context.ts";
import { horizonOf, trimLate } from "../engine_context.ts";
import type { Customer } from "../carts/customer.ts";
import { maxOffsetsOf, offsetOf, partitionOf } from "../carts/cart.ts";
import { type Fold, foldCart } from "../carts/cart_fold.ts";
import type { PricedCart } from "../pricing/pricing.ts";
import { formatUtc } from "../decode/timestamps.ts";
import { cartTransactionId, sessionTransactionId, transactionJson } from "./transaction.ts";

/** The transaction's time and id for a visit. */
interface Stamp {
  /** The checkout's time: the exit, or the forced cutoff (µs). */
  us: number;
  /** Its fraction digits. */
  frac: string;
  /** The transaction id. */
  id: string;
}

/** Checks out `c`: prices and emits its transaction, then remembers the visit as closed. */
export function checkout(ctx: EngineContext, c: Customer): void {
  if (!c.hasSession) trimLate(ctx, c); // events past first + MAX: late
  const fold = foldCart(c, ctx.visits.items);
  ctx.counters.anomalies += fold.excessPutbacks;
  const stamp = stampOf(c);
  if (fold.lines.length > 0 || ctx.forceCheckoutIfEmpty) emit(ctx, c, fold, stamp);
  else ctx.counters.emptyCheckouts++;
  // close: only the visit is remembered
  const maxOffsets = maxOffsetsOf(c);
  const horizonUs = horizonOf(ctx, c.hasSession, c.exitUs, stamp.us);
  ctx.visits.close(c);
  const slot = ctx.visits.remember(c.id, {
    session: c.hasSession ? { entryUs: c.entryUs, exitUs: c.exitUs } : null,
    checkoutUs: stamp.us,
    horizonUs,
    wallUs: ctx.schedule.wallUs,
    maxOffsets,
  });
  ctx.schedule.scheduleExpiry(slot, horizonUs);
}

/** The transaction's time (the cutoff, printed with the digits it was written with) and id. */
function stampOf(c: Customer): Stamp {
  if (!c.hasSession) {
    const frac = fractionText(c.firstUs, c.firstFrac);
    return { us: c.cutoffUs, frac, id: cartTransactionId(c.id, c.firstUs) };
  }
  const id = sessionTransactionId(c.id, c.entryUs, c.exitUs);
  return c.cutoffUs === c.exitUs
    ? { us: c.exitUs, frac: fractionText(c.exitUs, c.exitFrac), id }
    : { us: c.cutoffUs, frac: fractionText(c.entryUs, c.entryFrac), id };
}

/** Prices the folded cart and emits its transaction (and DLQ records for skipped lines). */
function emit(ctx: EngineContext, c: Customer, fold: Fold, stamp: Stamp): void {
  const timestamp = formatUtc(stamp.us, stamp.frac);
  const priced = fold.lines.length > 0
    ? ctx.pricer.priceCart(fold.lines, stamp.us / 1000)
    : { lines: [], unknownItems: [], skipped: [] } satisfies PricedCart;
  ctx.counters.unknownItems += priced.unknownItems.length;
  for (const sk of priced.skipped) {
    const k = fold.lines.findIndex((l) => l.itemId === sk.itemId);
    const order = k >= 0 ? fold.firstOrder[k] : 0;
    const at = { partition: partitionOf(order), offset: offsetOf(order) };
    ctx.out.skippedLine(stamp.id, c.id, timestamp, sk, at);
  }
  if (priced.lines.length === 0 && !ctx.forceCheckoutIfEmpty) {
    ctx.counters.emptyCheckouts++;
    return;
  }
  for (const l of priced.lines) ctx.counters.revenueCents += Math.round(l.total_price * 100);
  ctx.counters.transactions++;
  ctx.out.transaction({
    key: c.id,
    value: transactionJson(stamp.id, c.id, timestamp, priced.lines),
    timestamp,
    customerId: c.id,
    dueMicros: c.cutoffUs + ctx.graceUs,
  });
}
