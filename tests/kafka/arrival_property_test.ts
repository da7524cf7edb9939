/**
 * Property tests of the time model over arrival schedules: generated store visits delivered to
 * the engine the way a broker would (records produced at their own moments into partitions,
 * consumed in ticks with lag, offsets looked up, state committed to a changelog), with backlogs,
 * bursts racing the service, per-partition delays, real-time producers, a crash and restart at a
 * random moment, re-delivery of already-applied records (at-least-once), and broker outages
 * (producers hold their records and deliver them when it is back; the service loses contact, and
 * maybe restarts). The edge logic is the service's own (`BrokerContact`, `TopicProgress` →
 * `Engine.advance`); only the broker is modelled.
 *
 * Invariants: every visit is billed at most once; billed lines and `late` DLQ records are
 * exactly the shelf events, never both; when nothing was late the output equals `replay`; and a
 * schedule that is in time (a backlog, or a burst with no pause longer than the idle time, its
 * partitions lagging one another by less than that, even after a quiet time and across a broker
 * outage whose held records arrive within the idle time) has nothing late.
 */
import assert from "node:assert/strict";
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

const GRACE_SEC = 2, IDLE_SEC = 5, MAX_SEC = 900, TICK_MS = 100;
const DAY_US = Date.UTC(2025, 10, 7, 9) * 1000; // the visits' day
const WALL0 = Date.UTC(2026, 10, 25, 12); // the service's wall clock starts here (ms)
const enc = new TextEncoder();

interface Visit {
  id: string;
  session: boolean;
  entryUs: number;
  exitUs: number;
  /** Distinct items, one pickup each: a line is billed or late, never half of each. */
  pickups: { item: string; us: number; part: number }[];
}

type Schedule =
  | { kind: "backlog" }
  | { kind: "burst"; startMs: number; perRecordMs: number; delays: number[] }
  | { kind: "realtime"; jitterMs: number[] };

/**
 * The broker unreachable from `atMs` for `forMs`: nothing is written or read meanwhile; the
 * producers deliver what they held `flushMs` after it is back; the service maybe restarts.
 */
interface Outage {
  atMs: number;
  forMs: number;
  flushMs: number;
  restart: boolean;
}

interface Case {
  visits: Visit[];
  shelfParts: number;
  footParts: number;
  schedule: Schedule;
  crashAtTick: number | null;
  atLeastOnce: boolean;
  outage: Outage | null;
}

const arbVisit = (i: number) =>
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

const arbCase: fc.Arbitrary<Case> = fc.record({
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

interface Rec {
  source: "foot" | "shelf";
  partition: number;
  value: string;
  eventUs: number;
  produceMs: number;
}

/** The records of a case, each partition a log in produce order. */
function logs(c: Case): { foot: Rec[][]; shelf: Rec[][] } {
  // Real time: the day is moved to the wall clock, each record produced at its event time.
  const shiftUs = c.schedule.kind === "realtime" ? WALL0 * 1000 + 5e6 - DAY_US : 0;
  const all: Rec[] = [];
  for (const v of c.visits) {
    if (v.session) {
      all.push({
        source: "foot",
        partition: Number(v.id.slice(2)) % c.footParts,
        eventUs: v.entryUs + shiftUs,
        produceMs: 0,
        value: JSON.stringify({
          event_type: "foot_traffic",
          customer_id: v.id,
          entry_time: pyIsoformat(v.entryUs + shiftUs),
          exit_time: pyIsoformat(v.exitUs + shiftUs),
        }),
      });
    }
    for (const p of v.pickups) {
      all.push({
        source: "shelf",
        partition: p.part % c.shelfParts,
        eventUs: p.us + shiftUs,
        produceMs: 0,
        value: JSON.stringify({
          event_type: "pickup",
          customer_id: v.id,
          item_id: p.item,
          quantity: 1,
          timestamp: pyIsoformat(p.us + shiftUs),
        }),
      });
    }
  }
  all.sort((a, b) => a.eventUs - b.eventUs || (a.source === "foot" ? -1 : 1));
  const s = c.schedule;
  all.forEach((r, i) => {
    const key = (r.source === "foot" ? 3 : 0) + r.partition;
    r.produceMs = s.kind === "backlog"
      ? -1
      : s.kind === "burst"
      ? s.startMs + i * s.perRecordMs + s.delays[key % s.delays.length]
      : r.eventUs / 1000 - WALL0 + s.jitterMs[key % s.jitterMs.length];
    const o = c.outage;
    // Held by its producer through the outage, then delivered in order.
    if (o && r.produceMs >= o.atMs && r.produceMs < o.atMs + o.forMs + o.flushMs) {
      r.produceMs = o.atMs + o.forMs + o.flushMs;
    }
  });
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

interface Outcome {
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
  /** The process's contact with the broker: it outlives a restart. */
  readonly contact = new BrokerContact();

  constructor(readonly l: { foot: Rec[][]; shelf: Rec[][] }) {
    this.previous = { foot: l.foot.map(() => 0), shelf: l.shelf.map(() => 0) };
    this.start(WALL0, this.previous);
  }

  /**
   * A (re)start: a new engine from the changelog, positions from `offsets`. `produced`: the
   * logs' ends at a restart, for the relay's look-back (a backlog produced more than the idle
   * time ago is idle once read).
   */
  start(nowMs: number, offsets: Offsets, produced?: Offsets): void {
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
      this.l[s].forEach((log, p) => {
        this.progress[s].seed(p, BigInt(this.pos[s][p]), BigInt(produced?.[s][p] ?? 0));
        if (produced === undefined) return;
        const sinceMs = nowMs - IDLE_SEC * 1000;
        const end = produced[s][p];
        let first = log.findIndex((r) => WALL0 + r.produceMs >= sinceMs);
        if (first < 0 || first > end) first = end;
        this.progress[s].endQuietSince(p, BigInt(first), sinceMs);
      });
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
function serve(c: Case, l: { foot: Rec[][]; shelf: Rec[][] }): Outcome {
  const svc = new ModelledService(l);
  const lastProduce = Math.max(0, ...[...l.foot, ...l.shelf].flat().map((r) => r.produceMs));
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
    if (o?.restart && t >= o.atMs + o.forMs && t - TICK_MS < o.atMs + o.forMs) {
      // The failed life starts again from the last commit once the broker answers.
      svc.start(
        now,
        c.atLeastOnce ? svc.previous : svc.committer.offsets ?? svc.previous,
        produced,
      );
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

async function replayed(l: { foot: Rec[][]; shelf: Rec[][] }): Promise<string[]> {
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
  );
  return r.transactions;
}

Deno.test("property: any arrival schedule bills each visit at most once; billed + late = all events", async () => {
  await fc.assert(
    fc.asyncProperty(arbCase, async (c) => {
      const l = logs(c);
      const o = serve(c, l);
      const txs = o.transactions.map((v) => JSON.parse(v));
      const customers = txs.map((t) => t.customer_id);
      assert.equal(new Set(customers).size, customers.length, "a visit billed twice");
      const billed = new Set<string>();
      for (const t of txs) {
        for (const line of t.items) billed.add(`${t.customer_id} ${line.item_id}`);
      }
      const late = new Set(o.late.map((x) => `${x.customer} ${x.item}`));
      const all = new Set(c.visits.flatMap((v) => v.pickups.map((p) => `${v.id} ${p.item}`)));
      for (const k of billed) assert.ok(!late.has(k), `${k} billed and late`);
      assert.deepEqual(new Set([...billed, ...late]), all, "every event billed or late");
      if (o.lateCount === 0) {
        assert.deepEqual(
          [...o.transactions].sort(),
          (await replayed(l)).sort(),
          "nothing late: replay",
        );
      }
    }),
    { numRuns: 150 },
  );
});

Deno.test("property: a backlog, or a burst whose partitions lag one another less than the idle time, is in time, across a broker outage too: nothing late, replay's output", async () => {
  await fc.assert(
    fc.asyncProperty(arbCase, async (c0) => {
      // A burst's partitions may lag one another by less than the idle time (its producers reach
      // them one after the other), also after a quiet time: still in time.
      const c: Case = c0.schedule.kind === "realtime"
        ? { ...c0, schedule: { kind: "backlog" } }
        : c0;
      const l = logs(c);
      const o = serve(c, l);
      // A session's own late pickups (after its exit) are late in replay too; nothing else.
      const expected = await replayed(l);
      assert.deepEqual([...o.transactions].sort(), expected.sort());
    }),
    { numRuns: 100 },
  );
});
