/**
 * What a `simulate` run will write, and when: pure (no clock, no I/O; the wall clock comes in as
 * `nowUs`), so the schedule is tested without a broker.
 *
 * - **Live** (`timeScale` X > 0): the store's clock runs X times the wall clock from now, and each
 *   record is written with its time mapped onto the wall clock, the time at which it is sent. A
 *   service reading the topics sees a store that writes in real time and checks each visit out
 *   its grace period after the exit. Shoppers arrive for `durationSec` (wall seconds; unbounded
 *   without it), and the run goes on until the last of them has left.
 * - **Backfill** (X = 0): the modeled day at `date`, with that day's timestamps, all at once.
 * - `rate` R (live only): records per wall second, both topics. Shoppers arrive at R / (records
 *   per shopper) a wall second, so the store writes R records a second once it is full (the
 *   longest trip after the start), and a run of `durationSec` D writes about R × D in all.
 * @module
 */
import {
  dayStartUs,
  DEFAULT_FAULTS,
  MAX_TRIP_US,
  recordsPerCustomer,
  type SimItem,
  StoreSimulation,
  TIME_SLOTS,
} from "./store_simulation.ts";

/** The options of a run that shape its records. */
export interface PlanConfig {
  /** Simulated seconds per wall second; 0 = a backfill, as fast as possible. */
  timeScale: number;
  seed: number;
  /** Customers to simulate (a day's: its count; a rate run: stop arriving after so many). */
  customers?: number;
  /** Records per wall second, both topics, once the store is full (live only). */
  rate?: number;
  /** Wall seconds during which shoppers arrive (live only). */
  durationSec?: number;
  /** The modeled day, YYYY-MM-DD. */
  date: string;
  faults: boolean;
}

/** A run's records and schedule. */
export interface SimulationPlan {
  sim: StoreSimulation;
  /** Records are due at their event time (live) or at once (backfill). */
  live: boolean;
  /** Written µs of the run's start: a live record is due `(us - startUs) / 1000` ms after it. */
  startUs: number;
  /** Written µs after which nobody arrives (Infinity: when the customers run out, or never). */
  arrivalsEndUs: number;
  /** Written µs from which the store is full (a rate run: the longest trip after the start). */
  fullFromUs: number | null;
  /** Customers arriving per wall second (a rate run). */
  arrivalsPerSec: number | null;
}

/** The simulation a run of `cfg` writes when started at wall clock `nowUs`. */
export function planSimulation(
  cfg: PlanConfig,
  items: readonly SimItem[],
  discountOf: ((id: string, atMs: number) => number) | undefined,
  nowUs: number,
): SimulationPlan {
  const base = {
    items,
    discountOf,
    seed: cfg.seed,
    faults: cfg.faults ? DEFAULT_FAULTS : undefined,
  };
  const x = cfg.timeScale;
  const live = x > 0;
  if (!live && (cfg.rate !== undefined || cfg.durationSec !== undefined)) {
    throw new RangeError("--rate and --duration pace a live run; they need --time-scale > 0");
  }
  const durationUs = cfg.durationSec !== undefined ? cfg.durationSec * 1e6 : Infinity;
  const arrivalsEndUs = nowUs + durationUs;
  if (cfg.rate !== undefined) {
    const arrivalsPerSec = cfg.rate / recordsPerCustomer(base);
    const sim = new StoreSimulation({
      ...base,
      clock: { modeledUs: nowUs, writtenUs: nowUs, timeScale: x },
      arrivals: {
        kind: "rate",
        startUs: nowUs,
        perSecond: arrivalsPerSec / x,
        customers: cfg.customers,
        untilUs: nowUs + durationUs * x,
      },
    });
    return {
      sim,
      live,
      startUs: nowUs,
      arrivalsEndUs,
      fullFromUs: nowUs + Math.ceil(MAX_TRIP_US / x),
      arrivalsPerSec,
    };
  }
  const open = dayStartUs(cfg.date) + TIME_SLOTS[0].from * 3_600_000_000;
  const sim = new StoreSimulation({
    ...base,
    clock: live ? { modeledUs: open, writtenUs: nowUs, timeScale: x } : undefined,
    arrivals: {
      kind: "day",
      date: cfg.date,
      customers: cfg.customers,
      untilUs: open + durationUs * (live ? x : 1),
    },
  });
  return {
    sim,
    live,
    startUs: live ? nowUs : open,
    arrivalsEndUs: live ? arrivalsEndUs : Infinity,
    fullFromUs: null,
    arrivalsPerSec: null,
  };
}
