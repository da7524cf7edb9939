/**
 * Property tests of the engine against a small reference model written separately here:
 * any interleaving of the same events across topics and partitions, fed with advance()
 * progress signals, yields the reference's transactions (SPEC §2, §3, §5).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { InputRecord } from "../../lib/core/engine.ts";
import type { Commit } from "../../lib/drive/committer.ts";
import { driveRecords, EngineDriver } from "../../lib/drive/driver.ts";
import { MemoryCommitter } from "../../lib/drive/memory_committer.ts";
import { at, newEngine } from "../fixtures/engine_fixture.ts";

const ITEMS = ["A", "B", "C", "D"]; // D is unknown to the pricer (priced at 5.00)

interface Ev {
  item: string;
  putback: boolean;
  qty: number;
  t: number; // seconds after T0
  part: number;
}
interface Cust {
  id: string;
  session: { entry: number; exit: number } | null;
  dup: boolean;
  events: Ev[];
}
interface World {
  max: number;
  grace: number;
  force: boolean;
  shelfParts: number;
  footParts: number;
  customers: Cust[];
}

const arbCustomer = (i: number) =>
  fc.record({
    hasSession: fc.boolean(),
    entryQ: fc.integer({ min: 0, max: 4 * 7200 }),
    durQ: fc.integer({ min: 0, max: 4 * 5000 }),
    dup: fc.boolean(),
    events: fc.array(
      fc.record({
        item: fc.constantFrom(...ITEMS),
        putback: fc.boolean(),
        qty: fc.integer({ min: 1, max: 3 }),
        dtQ: fc.integer({ min: -4 * 60, max: 4 * 5300 }),
        part: fc.nat(),
      }),
      { maxLength: 8 },
    ),
  }).map((c): Cust => {
    const entry = c.entryQ / 4, exit = entry + c.durQ / 4;
    return {
      id: `cust-${i}`,
      session: c.hasSession ? { entry, exit } : null,
      dup: c.dup,
      events: c.events.map((e) => ({
        item: e.item,
        putback: e.putback,
        qty: e.qty,
        // Session: from 60 s before entry to 200 s after exit. No session: within 1100 s of
        // the first event, inside the customer's horizon (2 × MAX, MAX >= 600): a customer id
        // reused after its horizon is a new visit, which the reference does not model.
        t: c.hasSession
          ? Math.min(entry + e.dtQ / 4, exit + 200)
          : entry + (Math.abs(e.dtQ) % (4 * 1100)) / 4,
        part: e.part,
      })),
    };
  });

const arbWorld: fc.Arbitrary<World> = fc.record({
  max: fc.constantFrom(600, 3600),
  grace: fc.constantFrom(0, 2),
  force: fc.boolean(),
  shelfParts: fc.integer({ min: 1, max: 3 }),
  footParts: fc.integer({ min: 1, max: 2 }),
  n: fc.integer({ min: 1, max: 10 }),
}).chain((w) =>
  fc.tuple(...Array.from({ length: w.n }, (_, i) => arbCustomer(i))).map((customers) => ({
    max: w.max,
    grace: w.grace,
    force: w.force,
    shelfParts: w.shelfParts,
    footParts: w.footParts,
    customers: customers.filter((c) => c.session !== null || c.events.length > 0),
  }))
);

// ---------------------------------------------------------------------------------------------
// Topics: each partition holds its records in event-time order (ties: generation order).

interface Rec {
  source: "foot" | "shelf";
  partition: number;
  t: number;
  value: Record<string, unknown>;
}

function topics(w: World): Rec[][] {
  const foot: Rec[][] = Array.from({ length: w.footParts }, () => []);
  const shelf: Rec[][] = Array.from({ length: w.shelfParts }, () => []);
  w.customers.forEach((c, i) => {
    if (c.session) {
      const v = {
        event_type: "foot_traffic",
        customer_id: c.id,
        entry_time: at(c.session.entry),
        exit_time: at(c.session.exit),
      };
      const p = i % w.footParts;
      foot[p].push({ source: "foot", partition: p, t: c.session.entry, value: v });
      if (c.dup) {
        const q = (i + 1) % w.footParts;
        foot[q].push({ source: "foot", partition: q, t: c.session.entry, value: v });
      }
    }
    for (const e of c.events) {
      const p = e.part % w.shelfParts;
      shelf[p].push({
        source: "shelf",
        partition: p,
        t: e.t,
        value: {
          event_type: e.putback ? "putback" : "pickup",
          customer_id: c.id,
          item_id: e.item,
          quantity: e.qty,
          timestamp: at(e.t),
        },
      });
    }
  });
  // Skipped event types interleaved on the shelf topic.
  shelf[0].push({
    source: "shelf",
    partition: 0,
    t: 100,
    value: { event_type: "weight_change", timestamp: at(100) },
  });
  const all = [...foot, ...shelf];
  for (const q of all) q.sort((a, b) => a.t - b.t); // stable
  return all;
}

// ---------------------------------------------------------------------------------------------
// The reference model.

interface RefTx {
  customer_id: string;
  timestamp: string;
  items: [string, number][];
}

function reference(w: World): RefTx[] {
  const out: RefTx[] = [];
  const qs = topics(w);
  for (const c of w.customers) {
    let cutoff: number, ts: number;
    if (c.session) {
      const forced = c.session.exit - c.session.entry > w.max;
      cutoff = forced ? c.session.entry + w.max : c.session.exit;
      ts = cutoff;
    } else {
      cutoff = Math.min(...c.events.map((e) => e.t)) + w.max;
      ts = cutoff;
    }
    const evs = qs.flat().filter((r) =>
      r.source === "shelf" && r.value.customer_id === c.id && r.t <= cutoff
    );
    // Record order: event time, then partition, then offset (qs.flat() lists the partitions in
    // order, each in offset order; the sort is stable). Never arrival order.
    evs.sort((a, b) => a.t - b.t);
    const lines: [string, number, number][] = []; // item, quantity, time of first pickup
    for (const r of evs) {
      const item = r.value.item_id as string, q = r.value.quantity as number;
      const l = lines.find((x) => x[0] === item);
      if (r.value.event_type === "pickup") {
        if (l) l[1] += q;
        else lines.push([item, q, r.t]);
      } else if (l) l[1] = Math.max(0, l[1] - q);
    }
    // Lines by first pickup time, then item id (ASCII ids here).
    lines.sort((a, b) => a[2] - b[2] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const items = lines.filter((l) => l[1] > 0).map(([i, q]): [string, number] => [i, q]);
    if (items.length > 0 || w.force) out.push({ customer_id: c.id, timestamp: at(ts), items });
  }
  return out.sort((a, b) => a.customer_id < b.customer_id ? -1 : 1);
}

// ---------------------------------------------------------------------------------------------
// Running the engine over one interleaving.

type Bias = "random" | "footFirst" | "shelfFirst" | "slowPartition";
const enc = new TextEncoder();

interface Run {
  txValues: string[];
  checkedOut: Set<string>;
}

/**
 * The in-memory committer, checking at each commit that a checked-out customer's changelog
 * holds only the closed marker and that the engine never reopens it.
 */
class CheckingCommitter extends MemoryCommitter {
  readonly checkedOut = new Set<string>();
  constructor(readonly driver: () => EngineDriver<void>) {
    super(true);
  }
  override commit(c: Commit<void>): void {
    super.commit(c);
    for (const t of c.transactions) this.checkedOut.add(t.customerId);
    for (const [k, v] of c.state) {
      if (v !== null && this.checkedOut.has(k)) {
        const s = JSON.parse(v);
        assert.equal(s.st, "closed");
        assert.equal(s.ev, undefined);
      }
    }
    for (const id of this.checkedOut) assert.notEqual(this.driver().engine.stateOf(id), "open");
  }
}

/** The records of `qs`, one at a time, from the queue `bias` and `picks` choose. */
function* interleaved(w: World, qs: Rec[][], bias: Bias, picks: number[]): Generator<InputRecord> {
  const offsets = qs.map(() => 0);
  const isFoot = (i: number) => i < w.footParts;
  for (let step = 0;; step++) {
    const live = qs.map((_q, i) => i).filter((i) => qs[i].length > 0);
    if (live.length === 0) return;
    let cands = live;
    if (bias === "footFirst" && live.some(isFoot)) cands = live.filter(isFoot);
    if (bias === "shelfFirst" && live.some((i) => !isFoot(i))) {
      cands = live.filter((i) => !isFoot(i));
    }
    if (bias === "slowPartition" && live.some((i) => i !== w.footParts)) {
      cands = live.filter((i) => i !== w.footParts);
    }
    const qi = cands[picks[step % picks.length] % cands.length];
    const r = qs[qi].shift()!;
    yield {
      source: r.source,
      topic: r.source,
      partition: r.partition,
      offset: String(offsets[qi]++),
      value: enc.encode(JSON.stringify(r.value)),
      timestampMs: 0,
    };
  }
}

/** The engine over one interleaving, through the shared drive loop, committing every record. */
function run(w: World, bias: Bias, picks: number[], snapshotAt: number | null): Run {
  const qs = topics(w).map((q) => [...q]);
  const mk = () =>
    newEngine({ maxSessionAgeSec: w.max, graceSec: w.grace, forceCheckoutIfEmpty: w.force });
  const committer: CheckingCommitter = new CheckingCommitter(() => driver);
  const driver = new EngineDriver<void, CheckingCommitter>(mk(), committer);
  const progress = () => ({
    partitions: qs.map((q, i) => ({
      source: i < w.footParts ? "foot" as const : "shelf" as const,
      partition: i < w.footParts ? i : i - w.footParts,
      caughtUp: q.length === 0,
    })),
  });
  const cadence = { advanceEvery: 1, commitEvery: 1 };
  for (
    const n of driveRecords(driver, interleaved(w, qs, bias, picks), progress, progress, cadence)
  ) {
    if (snapshotAt !== null && n === snapshotAt + 1) {
      // A restart: a new engine from the changelog alone.
      driver.engine = mk();
      for (const [k, v] of committer.changelog) driver.engine.restore(k, v);
      driver.commitNow(progress());
    }
  }
  // No state outlives MAX: with every input complete, every marker expires.
  driver.advance(progress());
  assert.equal(driver.engine.stateSize, 0, "no customer state is left");
  return { txValues: committer.transactions.map((t) => t.value), checkedOut: committer.checkedOut };
}

function summary(values: string[]): RefTx[] {
  return values.map((v) => JSON.parse(v)).map((t) => ({
    customer_id: t.customer_id,
    timestamp: t.timestamp,
    items: t.items.map((l: { item_id: string; quantity: number }) => [l.item_id, l.quantity]),
  })).sort((a, b) => a.customer_id < b.customer_id ? -1 : 1);
}

const arbRun = fc.record({
  bias: fc.constantFrom<Bias>("random", "footFirst", "shelfFirst", "slowPartition"),
  picks: fc.array(fc.nat(), { minLength: 1, maxLength: 50 }),
  snapshot: fc.option(fc.nat({ max: 60 })),
});

Deno.test("property: any interleaving yields the reference model's transactions", () => {
  fc.assert(
    fc.property(arbWorld, arbRun, (w, r) => {
      const got = run(w, r.bias, r.picks, null);
      assert.deepEqual(summary(got.txValues), reference(w));
    }),
    { numRuns: 300 },
  );
});

Deno.test("property: two interleavings give byte-identical transactions (ids included)", () => {
  fc.assert(
    fc.property(arbWorld, arbRun, arbRun, (w, r1, r2) => {
      const a = run(w, r1.bias, r1.picks, null).txValues.sort();
      const b = run(w, r2.bias, r2.picks, null).txValues.sort();
      assert.deepEqual(a, b);
    }),
    { numRuns: 150 },
  );
});

Deno.test("property: putbacks never below zero, no transaction twice", () => {
  fc.assert(
    fc.property(arbWorld, arbRun, (w, r) => {
      const txs = run(w, r.bias, r.picks, null).txValues.map((v) => JSON.parse(v));
      for (const t of txs) {
        for (const l of t.items) assert.ok(Number.isInteger(l.quantity) && l.quantity > 0);
      }
      assert.equal(new Set(txs.map((t) => t.transaction_id)).size, txs.length);
      assert.equal(new Set(txs.map((t) => t.customer_id)).size, txs.length);
    }),
    { numRuns: 150 },
  );
});

Deno.test("property: snapshot/restore mid-stream yields the same final transactions", () => {
  fc.assert(
    fc.property(arbWorld, arbRun, fc.nat({ max: 80 }), (w, r, at) => {
      const plain = run(w, r.bias, r.picks, null).txValues.sort();
      const restored = run(w, r.bias, r.picks, at).txValues.sort();
      assert.deepEqual(restored, plain);
    }),
    { numRuns: 200 },
  );
});
