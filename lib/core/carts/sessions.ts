/**
 * Applying a foot-traffic session to its customer (docs/engine.md, "Sessions"): one open
 * session per customer, the same one again is a duplicate, a different one a conflict (or late
 * after checkout). The session sets the cutoff, and events logged beyond it become late.
 * @module
 */
import { fractionCode } from "./fraction_code.ts";
import type { InputRecord } from "../engine_types.ts";
import { type EngineContext, sessionCutoff, trimLate } from "../engine_context.ts";
import { IN_SESSION_HEAP } from "./customer.ts";
import type { FootSession } from "../decode/records.ts";

/** Applies the valid session `f` of record `rec`. */
export function applySession(ctx: EngineContext, rec: InputRecord, f: FootSession): void {
  const { visits, counters } = ctx;
  ctx.counters.sessions++;
  ctx.schedule.observe("foot", rec.partition, f.entryUs);
  const id = f.customerId;
  let c = visits.get(id);
  if (c === undefined && !checkClosedVisit(ctx, rec, f)) return;
  if (c !== undefined && c.hasSession) {
    if (c.entryUs === f.entryUs && c.exitUs === f.exitUs) counters.duplicateSessions++;
    else {
      counters.conflictingSessions++;
      ctx.out.rejected(rec, "conflicting_session", "customer already has a different open session");
    }
    return;
  }
  c ??= visits.open(id);
  c.hasSession = true;
  c.entryUs = f.entryUs;
  c.entryFrac = fractionCode(f.entryUs, f.entryFrac);
  c.exitUs = f.exitUs;
  c.exitFrac = fractionCode(f.exitUs, f.exitFrac);
  visits.openSessions++;
  c.cutoffUs = sessionCutoff(ctx, f.entryUs, f.exitUs);
  if (c.ev.length > 0) trimLate(ctx, c);
  ctx.schedule.schedule(c, IN_SESSION_HEAP);
  visits.markDirty(c);
}

/**
 * For a customer without open state: whether session `f` opens a visit. Not when it belongs to
 * the checked-out visit (the same session: a duplicate; another: late); past that visit's
 * horizon it is a new visit, and the old one is forgotten.
 */
function checkClosedVisit(ctx: EngineContext, rec: InputRecord, f: FootSession): boolean {
  const closed = ctx.visits.closed;
  const slot = closed.slotOf(f.customerId);
  if (slot < 0) return true;
  if (f.entryUs >= closed.horizonOf(slot)) {
    ctx.visits.forgetClosed(slot);
    return true;
  }
  if (closed.sameSession(slot, f.entryUs, f.exitUs)) ctx.counters.duplicateSessions++;
  else {
    ctx.counters.late++;
    ctx.out.rejected(rec, "late", "customer already checked out");
  }
  return false;
}
