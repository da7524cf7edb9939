/**
 * The arrival model shared by the arrival property tests: generated store visits delivered to
 * the engine the way a broker would (records produced at their own moments into partitions,
 * consumed in ticks with lag, offsets looked up, state committed to a changelog), with backlogs,
 * bursts, real-time producers, several producer runs (waves), crashes, re-deliveries and broker
 * outages. The edge logic is the service's own (`BrokerContact`, `TopicProgress` →
 * `Engine.advance`); only the broker is modelled.
 * @module
 */
import fc from "fast-check";
import { Engine, type PartitionSignal } from "../../lib/core/engine.ts";
import type { Commit } from "../../lib/drive/committer.ts";
import { EngineDriver } from "../../lib/drive/driver.ts";
import { MemoryCommitter } from "../../lib/drive/memory_committer.ts";
import { BrokerContact } from "../../lib/kafka/broker_contact.ts";
import { TopicProgress } from "../../lib/kafka/progress.ts";
import { replay } from "../../lib/files/replay.ts";
import { pyIsoformat } from "../../lib/sim/store_simulation.ts";
import { testPricer } from "../fixtures/engine_fixture.ts";

export const GRACE_SEC = 2, IDLE_SEC = 5, MAX_SEC = 900, TICK_MS = 100;
export const DAY_US = Date.UTC(2025, 10, 7, 9) * 1000; // the visits' day
export const WALL0 = Date.UTC(2026, 10, 25, 12); // the service's wall clock starts here (ms)
const enc = new TextEncoder();

export interface Visit {
  id: string;
  /** Its number within its wave (its foot partition is this mod the partition count). */
  index: number;
  session: boolean;
  entryUs: number;
  exitUs: number;
  /** Distinct items, one pickup each: a line is billed or late, never half of each. */
  pickups: { item: string; us: number; part: number }[];
}

export type Schedule =
  | { kind: "backlog" }
  | { kind: "burst"; startMs: number; perRecordMs: number; delays: number[] }
  | { kind: "realtime"; jitterMs: number[] };

/**
 * The broker unreachable from `atMs` for `forMs`: nothing is written or read meanwhile; the
 * producers deliver what they held `flushMs` after it is back; the service maybe restarts.
 */
export interface Outage {
  atMs: number;
  forMs: number;
  flushMs: number;
  restart: boolean;
  /**
   * The process killed and started again this long (ms) after the broker's return, each time:
   * a new process knows nothing of the outage it follows.
   */
  kills?: number[];
}

/**
 * Another producer run beside the case's own: its visits (ids prefixed, so new shoppers), its
 * schedule, and its event times moved by `shiftUs` (a backfill of another day).
 */
export interface Wave {
  prefix: string;
  visits: Visit[];
  schedule: Schedule;
  shiftUs: number;
}

export interface Case {
  visits: Visit[];
  shelfParts: number;
  footParts: number;
  schedule: Schedule;
  crashAtTick: number | null;
  atLeastOnce: boolean;
  outage: Outage | null;
  /** More producer runs, each on its own schedule (a second backfill, yesterday beside today). */
  waves?: Wave[];
}

export const arbVisit = (i: number) =>
  fc.record({
    session: fc.boolean(),
    entryS: fc.integer({ min: 0, max: 2 * 3600 }),
    tripS: fc.integer({ min: 60, max: 20 * 60 }),
    picks: fc.array(
      fc.record({ at: fc.double({ min: 0, max: 1.1, noNaN: true }), part: fc.nat() }),
      {
        minLength: 1,
        maxLength: 5,
      },
    ),
  }).map((v): Visit => {
    const entryUs = DAY_US + v.entryS * 1e6, exitUs = entryUs + v.tripS * 1e6;
    return {
      id: `v-${i}`,
      index: i,
      session: v.session,
      entryUs,
      exitUs,
      // Mostly inside the trip; `at` > 1 is after the exit (late by the session's rule).
      pickups: v.picks.map((p, k) => ({
        item: `ITEM00${k}`,
        us: entryUs + Math.round(p.at * (exitUs - entryUs) / 1000) * 1000,
        part: p.part,
      })),
    };
  });

export const arbCase: fc.Arbitrary<Case> = fc.record({
  n: fc.integer({ min: 1, max: 16 }),
  shelfParts: fc.integer({ min: 1, max: 3 }),
  footParts: fc.integer({ min: 1, max: 2 }),
  kind: fc.constantFrom("backlog", "burst", "realtime"),
  startMs: fc.integer({ min: 0, max: 20_000 }), // into a service idle for a while, or not
  perRecordMs: fc.integer({ min: 0, max: 40 }),
  delays: fc.array(fc.integer({ min: 0, max: 4000 }), { minLength: 5, maxLength: 5 }),
  jitter: fc.array(fc.integer({ min: 0, max: 1500 }), { minLength: 5, maxLength: 5 }),
  crash: fc.option(fc.integer({ min: 1, max: 120 })),
  atLeastOnce: fc.boolean(),
  outage: fc.option(fc.record({
    // After the schedule's first record (below), so that it often cuts a burst in two.
    atMs: fc.integer({ min: 0, max: 6000 }),
    forMs: fc.integer({ min: 1500, max: 20_000 }),
    // Producers deliver what they held within the idle time of the broker's return.
    flushMs: fc.integer({ min: 0, max: IDLE_SEC * 1000 - 1000 }),
    restart: fc.boolean(),
  })),
}).chain((c) =>
  fc.tuple(...Array.from({ length: c.n }, (_, i) => arbVisit(i))).map((visits): Case => ({
    visits,
    shelfParts: c.shelfParts,
    footParts: c.footParts,
    schedule: c.kind === "backlog"
      ? { kind: "backlog" }
      : c.kind === "burst"
      ? { kind: "burst", startMs: c.startMs, perRecordMs: c.perRecordMs, delays: c.delays }
      : { kind: "realtime", jitterMs: c.jitter },
    crashAtTick: c.crash,
    atLeastOnce: c.atLeastOnce,
    outage: c.outage && {
      ...c.outage,
      atMs: c.outage.atMs + (c.kind === "burst" ? c.startMs : c.kind === "realtime" ? 5000 : 0),
    },
  }))
);

export interface Rec {
  source: "foot" | "shelf";
  partition: number;
  value: string;
  eventUs: number;
  produceMs: number;
}

/** The records of one producer run, with the moments they are produced. */
function runRecords(
  c: Case,
  visits: Visit[],
  s: Schedule,
  shiftUs: number,
  prefix: string,
): Rec[] {
  // Real time: the day is moved to the wall clock, each record produced at its event time.
  const shift = s.kind === "realtime" ? WALL0 * 1000 + 5e6 - DAY_US : shiftUs;
  const all: Rec[] = [];
  for (const v of visits) {
    const id = prefix + v.id;
    if (v.session) {
      all.push({
        source: "foot",
        partition: v.index % c.footParts,
        eventUs: v.entryUs + shift,
        produceMs: 0,
        value: JSON.stringify({
          event_type: "foot_traffic",
          customer_id: id,
          entry_time: pyIsoformat(v.entryUs + shift),
          exit_time: pyIsoformat(v.exitUs + shift),
        }),
      });
    }
    for (const p of v.pickups) {
      all.push({
        source: "shelf",
        partition: p.part % c.shelfParts,
        eventUs: p.us + shift,
        produceMs: 0,
        value: JSON.stringify({
          event_type: "pickup",
          customer_id: id,
          item_id: p.item,
          quantity: 1,
          timestamp: pyIsoformat(p.us + shift),
        }),
      });
    }
  }
  all.sort((a, b) => a.eventUs - b.eventUs || (a.source === "foot" ? -1 : 1));
  all.forEach((r, i) => {
    const key = (r.source === "foot" ? 3 : 0) + r.partition;
    r.produceMs = s.kind === "backlog"
      ? -1
      : s.kind === "burst"
      ? s.startMs + i * s.perRecordMs + s.delays[key % s.delays.length]
      : r.eventUs / 1000 - WALL0 + s.jitterMs[key % s.jitterMs.length];
  });
  return all;
}

/** The records of a case (all its runs), each partition a log in produce order. */
export function logs(c: Case): { foot: Rec[][]; shelf: Rec[][] } {
  const all = runRecords(c, c.visits, c.schedule, 0, "");
  for (const w of c.waves ?? []) {
    all.push(...runRecords(c, w.visits, w.schedule, w.shiftUs, w.prefix));
  }
  const o = c.outage;
  for (const r of all) {
    // Held by its producer through the outage, then delivered in order.
    if (o && r.produceMs >= o.atMs && r.produceMs < o.atMs + o.forMs + o.flushMs) {
      r.produceMs = o.atMs + o.forMs + o.flushMs;
    }
  }
  const byPart = (src: "foot" | "shelf", n: number) =>
    Array.from(
      { length: n },
      (_, p) =>
        all.filter((r) => r.source === src && r.partition === p).sort((a, b) =>
          a.produceMs - b.produceMs
        ),
    );
  return { foot: byPart("foot", c.footParts), shelf: byPart("shelf", c.shelfParts) };
}

export interface Outcome {
  transactions: string[];
  late: { customer: string; item: string }[];
  lateCount: number;
}

/** Next offset to read per partition, per input. */
type Offsets = { foot: number[]; shelf: number[] };
const SOURCES = ["foot", "shelf"] as const;

/** The committed side: transactions and late records out, changelog and offsets kept. */
class ModelCommitter extends MemoryCommitter<Offsets> {
  readonly late: { customer: string; item: string }[] = [];
  lateCount = 0;
  override commit(c: Commit<Offsets>): void {
    super.commit(c);
    for (const d of c.dlq) {
      if (d.reason !== "late") continue;
      this.lateCount++;
      const v = JSON.parse(new TextDecoder().decode(d.value!));
      if (v.item_id) this.late.push({ customer: v.customer_id, item: v.item_id });
    }
  }
}

/**
 * The service over the modelled broker, through the shared engine driver: consume in ticks,
 * look up ends, commit every tick, maybe crash and restart from the last commit.
 */
class ModelledService {
  readonly committer = new ModelCommitter(true);
  driver!: EngineDriver<Offsets, ModelCommitter>;
  pos!: Offsets;
  progress!: Record<"foot" | "shelf", TopicProgress>;
  /** Offsets of the commit before the last (what at-least-once has after a crash). */
  previous: Offsets;
  /** The process's contact with the broker: it outlives a restart of the pipeline, not of the process. */
  contact = new BrokerContact();

  constructor(readonly l: { foot: Rec[][]; shelf: Rec[][] }) {
    this.previous = { foot: l.foot.map(() => 0), shelf: l.shelf.map(() => 0) };
    this.start(WALL0, this.previous);
  }

  /**
   * A (re)start: a new engine from the changelog, positions from `offsets`. A new process
   * (`process`) also has a new contact with the broker: it knows nothing of an outage before it.
   * Its start counts as the inputs' ends moving (TopicProgress): it takes no silence it did not
   * see for idleness.
   */
  start(nowMs: number, offsets: Offsets, process = false): void {
    if (process) this.contact = new BrokerContact();
    const engine = new Engine({
      graceSec: GRACE_SEC,
      maxSessionAgeSec: MAX_SEC,
      forceCheckoutIfEmpty: false,
      idleSec: IDLE_SEC,
      pricer: testPricer(),
    });
    for (const [k, v] of this.committer.changelog) engine.restore(k, v);
    this.driver = new EngineDriver<Offsets, ModelCommitter>(engine, this.committer);
    this.pos = { foot: [...offsets.foot], shelf: [...offsets.shelf] };
    this.progress = {
      foot: new TopicProgress("foot", nowMs),
      shelf: new TopicProgress("shelf", nowMs),
    };
    for (const s of SOURCES) {
      this.l[s].forEach((_, p) => this.progress[s].seed(p, BigInt(this.pos[s][p]), 0n));
    }
  }

  /** One tick of consuming: a fetch takes up to 7 records a partition; then the ends. */
  consume(produced: Offsets, now: number): void {
    for (const s of SOURCES) {
      this.l[s].forEach((log, p) => {
        const upTo = Math.min(produced[s][p], this.pos[s][p] + 7);
        for (; this.pos[s][p] < upTo; this.pos[s][p]++) {
          const r = log[this.pos[s][p]];
          this.driver.apply({
            source: s,
            topic: s,
            partition: p,
            offset: String(this.pos[s][p]),
            value: enc.encode(r.value),
            timestampMs: r.eventUs / 1000,
          });
          this.progress[s].processed(p, BigInt(this.pos[s][p]));
        }
        this.progress[s].verify(p, BigInt(produced[s][p]), now);
      });
    }
    this.contact.answered(now, now);
  }

  /** Commits output, changelog and the positions, as one. */
  commit(now: number): void {
    const partitions: PartitionSignal[] = [];
    for (const s of SOURCES) {
      this.l[s].forEach((_, p) =>
        partitions.push({
          source: s,
          partition: p,
          ...this.progress[s].signal(p, IDLE_SEC * 1000, this.contact.regainedAtMs),
        })
      );
    }
    this.previous = this.committer.offsets ?? this.previous;
    this.driver.commitNow(
      { wallMs: now, partitions },
      { foot: [...this.pos.foot], shelf: [...this.pos.shelf] },
    );
  }
}

/** The service over the modelled broker: consume in ticks, look up ends, commit, maybe crash. */
export function serve(c: Case, l: { foot: Rec[][]; shelf: Rec[][] }): Outcome {
  const svc = new ModelledService(l);
  const lastProduce = Math.max(
    0,
    ...[...l.foot, ...l.shelf].flat().map((r) => r.produceMs),
    ...(c.outage ? [c.outage.atMs + c.outage.forMs + Math.max(0, ...(c.outage.kills ?? []))] : []),
  );
  const endMs = lastProduce + (MAX_SEC + IDLE_SEC + GRACE_SEC + 10) * 1000;
  const produced: Offsets = { foot: l.foot.map(() => 0), shelf: l.shelf.map(() => 0) };
  // Ticks of 100 ms while records arrive, then of a second until every cart is due.
  for (let t = 0, tick = 0; t <= endMs; t += t < lastProduce + 30_000 ? TICK_MS : 1000, tick++) {
    const now = WALL0 + t;
    for (const s of SOURCES) {
      l[s].forEach((log, p) => {
        while (produced[s][p] < log.length && log[produced[s][p]].produceMs <= t) produced[s][p]++;
      });
    }
    const o = c.outage;
    if (o && t >= o.atMs && t < o.atMs + o.forMs) continue; // no read, no look-up, no commit
    const back = o ? o.atMs + o.forMs : NaN;
    if (o?.restart && t >= back && t - TICK_MS < back) {
      // The failed life starts again from the last commit once the broker answers.
      svc.start(now, c.atLeastOnce ? svc.previous : svc.committer.offsets ?? svc.previous);
    }
    for (const k of o?.kills ?? []) {
      // SIGKILL and a new process, from the last commit.
      if (t >= back + k && t - TICK_MS < back + k) {
        svc.start(now, c.atLeastOnce ? svc.previous : svc.committer.offsets ?? svc.previous, true);
      }
    }
    svc.consume(produced, now);
    svc.commit(now);
    if (tick === c.crashAtTick) {
      // Exactly once: state and offsets were committed together. At least once: the state
      // was written, the offsets of that last commit were not: its records come again.
      svc.start(now, c.atLeastOnce ? svc.previous : svc.committer.offsets!);
    }
  }
  const { committer } = svc;
  return {
    transactions: committer.transactions.map((t) => t.value),
    late: committer.late,
    lateCount: committer.lateCount,
  };
}

export async function replayed(l: { foot: Rec[][]; shelf: Rec[][] }): Promise<string[]> {
  return (await replayedWithLate(l)).transactions;
}

/** Replay of everything written: its transactions and its late (customer, item) pairs. */
export async function replayedWithLate(
  l: { foot: Rec[][]; shelf: Rec[][] },
): Promise<{ transactions: string[]; late: string[] }> {
  const late: string[] = [];
  const file = (rs: Rec[][]) => enc.encode(rs.flat().map((r) => r.value).join("\n") + "\n");
  const r = await replay(
    { name: "foot", bytes: file(l.foot) },
    { name: "shelf", bytes: file(l.shelf) },
    {
      graceSec: GRACE_SEC,
      maxSessionAgeSec: MAX_SEC,
      forceCheckoutIfEmpty: false,
      pricer: testPricer(),
    },
    (lines) => {
      for (const d of lines) {
        if (d.reason !== "late") continue;
        const v = JSON.parse(d.original);
        if (v.item_id) late.push(`${v.customer_id} ${v.item_id}`);
      }
    },
  );
  return { transactions: r.transactions, late };
}
