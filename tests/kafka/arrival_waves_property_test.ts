/**
 * Property tests of the time model when producers go back in time (issue 22): a second backfill
 * of the same day with new shoppers, an earlier day after a later one, yesterday's backfill
 * beside today's real-time stream, the README's walkthrough (backfill, live, backfill again),
 * and a broker outage followed by kills while the service recovers. Each run of records comes
 * from the arrival model (tests/support/arrival_model.ts), with the service's own edge logic.
 *
 * Invariants: the output is `replay` of everything written; nobody is billed twice; a `late`
 * DLQ record only where `replay` has one too (an event after its own visit's exit), never because
 * of other shoppers' times.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  arbVisit,
  type Case,
  DAY_US,
  IDLE_SEC,
  logs,
  replayedWithLate,
  type Schedule,
  serve,
  type Visit,
  WALL0,
  type Wave,
} from "../support/arrival_model.ts";

const DAY = 86_400e6;
/** Today, as the real-time schedule writes it: the visits' day moved to the wall clock. */
const TODAY_SHIFT = WALL0 * 1000 + 5e6 - DAY_US;

const arbVisits = (min: number, max: number): fc.Arbitrary<Visit[]> =>
  fc.integer({ min, max }).chain((n) =>
    fc.tuple(...Array.from({ length: n }, (_, i) => arbVisit(i)))
  );

/** A visit entering `entryS` after the day's start, 10 minutes long, one pickup midway. */
function anchor(i: number, entryS: number): Visit {
  const entryUs = DAY_US + entryS * 1e6;
  return {
    id: `v-${i}`,
    index: i,
    session: true,
    entryUs,
    exitUs: entryUs + 600e6,
    pickups: [{ item: "ITEM009", us: entryUs + 300e6, part: i }],
  };
}

/**
 * A backfill of the day as a store writes it: open from its first shopper (at 0 s) to its last
 * (at 2 h), a shopper entering every 4 minutes besides the generated ones (a store's traffic has
 * no gap of MAX_SESSION_AGE_SEC, 15 minutes here, in its opening hours), so that the same day
 * written again starts well behind where this one ended. (A run that begins where the previous
 * one's records stood, within the idle time of its end, is that run's continuation to the
 * model: docs/engine.md, "What the model does not tell apart".)
 */
const arbDay = (min: number, max: number): fc.Arbitrary<Visit[]> =>
  arbVisits(min, max).map((vs) => [
    ...vs,
    ...Array.from({ length: 31 }, (_, k) => anchor(vs.length + k, k * 240)),
  ]);

const arbBurst = (minStart: number, maxStart: number): fc.Arbitrary<Schedule> =>
  fc.record({
    startMs: fc.integer({ min: minStart, max: maxStart }),
    perRecordMs: fc.integer({ min: 0, max: 40 }),
    delays: fc.array(fc.integer({ min: 0, max: 4000 }), { minLength: 5, maxLength: 5 }),
  }).map((b): Schedule => ({ kind: "burst", ...b }));

const arbRealtime: fc.Arbitrary<Schedule> = fc.array(fc.integer({ min: 0, max: 1500 }), {
  minLength: 5,
  maxLength: 5,
}).map((jitterMs): Schedule => ({ kind: "realtime", jitterMs }));

type Scenario = "same day again" | "earlier day after" | "yesterday beside live" | "readme";

/** The case's own run and the runs that follow it, as the scenario writes them. */
function arbRuns(s: Scenario): fc.Arbitrary<{ main: Schedule; waves: Wave[] }> {
  const wave = (prefix: string, visits: Visit[], schedule: Schedule, shiftUs: number): Wave => ({
    prefix,
    visits,
    schedule,
    shiftUs,
  });
  switch (s) {
    case "same day again": // the first run written, the same day again, new shoppers
      // (Both at once, writing the same stretch of time, would be one run to the model: the
      // first run's burst ends by 20 s here.)
      return fc.record({
        main: fc.oneof(fc.constant<Schedule>({ kind: "backlog" }), arbBurst(0, 5000)),
        visits: arbDay(1, 12),
        again: arbBurst(20_000, 60_000),
      }).map((r) => ({ main: r.main, waves: [wave("b-", r.visits, r.again, 0)] }));
    case "earlier day after": // a later day, then an earlier one, maybe while the first runs
      return fc.record({
        main: arbBurst(0, 5000),
        visits: arbVisits(1, 12),
        earlier: arbBurst(0, 40_000),
        days: fc.integer({ min: 1, max: 7 }),
      }).map((r) => ({
        main: r.main,
        waves: [wave("e-", r.visits, r.earlier, -r.days * DAY)],
      }));
    case "yesterday beside live": // today in real time, yesterday's backfill written meanwhile
      return fc.record({
        main: arbRealtime,
        visits: arbVisits(1, 12),
        yesterday: arbBurst(2_000, 120_000),
      }).map((r) => ({
        main: r.main,
        waves: [wave("y-", r.visits, r.yesterday, TODAY_SHIFT - DAY)],
      }));
    case "readme": // a backfill of a day, a live store, the same day's backfill again
      return fc.record({
        live: arbRealtime,
        liveVisits: arbVisits(1, 8),
        visits: arbDay(1, 12),
        again: arbBurst(2_000, 200_000),
      }).map((r) => ({
        main: { kind: "backlog" } as Schedule,
        waves: [wave("l-", r.liveVisits, r.live, 0), wave("b-", r.visits, r.again, 0)],
      }));
  }
}

const arbWaveCase = (s: Scenario): fc.Arbitrary<Case> =>
  fc.record({
    visits: s === "same day again" || s === "readme" ? arbDay(1, 12) : arbVisits(1, 12),
    runs: arbRuns(s),
    shelfParts: fc.integer({ min: 1, max: 3 }),
    footParts: fc.integer({ min: 1, max: 2 }),
    crash: fc.option(fc.integer({ min: 1, max: 400 })),
    atLeastOnce: fc.boolean(),
  }).map((c): Case => ({
    visits: c.visits,
    shelfParts: c.shelfParts,
    footParts: c.footParts,
    schedule: c.runs.main,
    crashAtTick: c.crash,
    atLeastOnce: c.atLeastOnce,
    outage: null,
    waves: c.runs.waves,
  }));

/** Output equals replay of everything written; nobody billed twice; late only as replay's. */
async function assertAsReplay(c: Case): Promise<void> {
  const l = logs(c);
  const o = serve(c, l);
  const customers = o.transactions.map((v) => JSON.parse(v).customer_id);
  assert.equal(new Set(customers).size, customers.length, "a visit billed twice");
  const expected = await replayedWithLate(l);
  assert.deepEqual([...o.transactions].sort(), [...expected.transactions].sort(), "replay");
  assert.deepEqual(
    new Set(o.late.map((x) => `${x.customer} ${x.item}`)),
    new Set(expected.late),
    "late only where replay has it late (an event after its own visit's exit)",
  );
}

for (
  const s of [
    "same day again",
    "earlier day after",
    "yesterday beside live",
    "readme",
  ] as const
) {
  Deno.test(`property: producers going back in time (${s}) give replay's output`, async () => {
    await fc.assert(fc.asyncProperty(arbWaveCase(s), assertAsReplay), { numRuns: 40 });
  });
}

Deno.test("property: a broker outage, its records held and delivered at its end, and kills while the service recovers: replay's output", async () => {
  const arbOutageCase = fc.record({
    visits: arbVisits(4, 16),
    perRecordMs: fc.integer({ min: 20, max: 80 }), // a paced backfill
    delays: fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 5, maxLength: 5 }),
    shelfParts: fc.integer({ min: 1, max: 3 }),
    atFraction: fc.double({ min: 0.1, max: 0.5, noNaN: true }),
    forMs: fc.integer({ min: 8_000, max: 20_000 }),
    flushMs: fc.integer({ min: 0, max: 1000 }),
    kills: fc.tuple(
      fc.integer({ min: 0, max: 1500 }), // as it recovers
      fc.integer({ min: 2000, max: 8000 }),
      fc.integer({ min: 9000, max: 20_000 }),
    ),
    restart: fc.boolean(),
  }).map((r): Case => {
    const records = r.visits.reduce((n, v) => n + v.pickups.length + (v.session ? 1 : 0), 0);
    return {
      visits: r.visits,
      shelfParts: r.shelfParts,
      footParts: 1,
      schedule: { kind: "burst", startMs: 1000, perRecordMs: r.perRecordMs, delays: r.delays },
      crashAtTick: null,
      atLeastOnce: false,
      outage: {
        atMs: 1000 + Math.round(records * r.perRecordMs * r.atFraction),
        forMs: r.forMs,
        flushMs: r.flushMs,
        restart: r.restart,
        kills: [...r.kills],
      },
    };
  });
  await fc.assert(fc.asyncProperty(arbOutageCase, assertAsReplay), { numRuns: 60 });
});

Deno.test("the README's sequence: a backfill, a live store, the same day's backfill again, bills every visit as replay", async () => {
  // One fixed case of the "readme" scenario, so that a failure names it.
  const visits = (n: number, part: number): Visit[] =>
    Array.from({ length: n }, (_, i) => {
      const entryUs = DAY_US + i * 240e6;
      return {
        id: `v-${i}`,
        index: i,
        session: true,
        entryUs,
        exitUs: entryUs + 1200e6,
        pickups: [0, 1, 2].map((k) => ({
          item: `ITEM00${k}`,
          us: entryUs + (k + 1) * 300e6,
          part: part + k,
        })),
      };
    });
  const c: Case = {
    visits: visits(20, 0),
    shelfParts: 3,
    footParts: 2,
    schedule: { kind: "backlog" },
    crashAtTick: null,
    atLeastOnce: false,
    outage: null,
    waves: [
      {
        prefix: "l-",
        visits: visits(3, 1),
        schedule: { kind: "realtime", jitterMs: [0, 300, 600, 900, 1200] },
        shiftUs: 0,
      },
      {
        prefix: "b-",
        visits: visits(20, 2),
        schedule: {
          kind: "burst",
          startMs: 30_000,
          perRecordMs: 5,
          delays: [0, IDLE_SEC * 100, 0, 0, 0],
        },
        shiftUs: 0,
      },
    ],
  };
  await assertAsReplay(c);
});
