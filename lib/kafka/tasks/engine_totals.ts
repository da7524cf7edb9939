/**
 * One set of engine figures for the whole stage: every checkout task has its own engine, and the
 * service's Prometheus families are per process. Counters add up over the live engines and the
 * engines of tasks that moved away (so they never go down); gauges are the live engines' (open
 * carts and sessions summed, stream time the lowest).
 * @module
 */
import type { EngineMetrics } from "../../core/mod.ts";

/** Engine figures with every counter at zero and no gauge. */
export function zeroMetrics(): EngineMetrics {
  return {
    records: {},
    skipped: {},
    invalid: {},
    late: 0,
    redelivered: 0,
    duplicateSessions: 0,
    conflictingSessions: 0,
    anomalies: 0,
    unknownItems: 0,
    transactions: 0,
    emptyCheckouts: 0,
    revenueCents: 0,
    openCarts: 0,
    openSessions: 0,
    closedMarkers: 0,
    streamTimeUs: -Infinity,
  };
}

const COUNTERS = [
  "late",
  "redelivered",
  "duplicateSessions",
  "conflictingSessions",
  "anomalies",
  "unknownItems",
  "transactions",
  "emptyCheckouts",
  "revenueCents",
] as const;

function addTable(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
}

/** Adds `m`'s counters into `into` (gauges untouched). */
export function addCounters(into: EngineMetrics, m: EngineMetrics): void {
  addTable(into.records, m.records);
  addTable(into.skipped, m.skipped);
  addTable(into.invalid, m.invalid);
  for (const k of COUNTERS) into[k] += m[k];
}

/** The stage's figures: `retired` counters plus every live engine's counters and gauges. */
export function stageMetrics(retired: EngineMetrics, live: EngineMetrics[]): EngineMetrics {
  const out = zeroMetrics();
  addCounters(out, retired);
  let low = Infinity;
  for (const m of live) {
    addCounters(out, m);
    out.openCarts += m.openCarts;
    out.openSessions += m.openSessions;
    out.closedMarkers += m.closedMarkers;
    if (m.streamTimeUs < low) low = m.streamTimeUs;
  }
  out.streamTimeUs = live.length === 0 ? -Infinity : low;
  return out;
}
