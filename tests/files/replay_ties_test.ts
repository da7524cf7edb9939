/**
 * Replay's ties (SPEC §8, issue 22): lines of equal event time are applied in file order, also
 * lines without `timestamp` that take the time of the line before them. Checked against a small
 * reference fold written here, and against the engine fed the same records as a Kafka topic of
 * several partitions (partitions concatenated in the file: partition, then offset).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { InputRecord } from "../../lib/core/engine.ts";
import { driveRecords, EngineDriver } from "../../lib/drive/driver.ts";
import { MemoryCommitter } from "../../lib/drive/memory_committer.ts";
import { replay } from "../../lib/files/replay.ts";
import { newEngine, testPricer } from "../fixtures/engine_fixture.ts";

const CUSTOMERS = ["c0", "c1", "c2"];
const ITEMS = ["A", "B", "C"];
/** A few instants (µs after 09:40:00Z), each in several spellings of the same instant. */
const TIMES: { us: number; spellings: string[] }[] = [
  {
    us: 0,
    spellings: [
      "2025-11-07T09:40:00+00:00",
      "2025-11-07T10:40:00+01:00",
      "2025-11-07 09:40:00.000Z",
    ],
  },
  { us: 1, spellings: ["2025-11-07T09:40:00.000001+00:00", "2025-11-07T09:40:00.000001Z"] },
  { us: 1_500_000, spellings: ["2025-11-07T09:40:01.5+00:00", "2025-11-07T09:40:01.500000"] },
];
const BASE_MS = Date.parse("2025-11-07T09:40:00Z");
const SESSION = { entry: "2025-11-07T09:30:00+00:00", exit: "2025-11-07T09:50:00+00:00" };

interface Line {
  kind: "pickup" | "putback" | "weight_change";
  customer: string;
  item: string;
  qty: number;
  /** Index into TIMES, or null: no `timestamp` (the line before it gives the time). */
  time: number | null;
  spelling: number;
  /** The shelf partition of the Kafka leg. */
  part: number;
}

const arbLine: fc.Arbitrary<Line> = fc.record({
  kind: fc.constantFrom<Line["kind"]>("pickup", "pickup", "putback", "putback", "weight_change"),
  customer: fc.constantFrom(...CUSTOMERS),
  item: fc.constantFrom(...ITEMS),
  qty: fc.integer({ min: 1, max: 3 }),
  time: fc.option(fc.nat({ max: TIMES.length - 1 }), { freq: 2 }),
  spelling: fc.nat(),
  part: fc.nat({ max: 2 }),
});

interface Case {
  /** The shelf file, in file order (for the Kafka leg: partitions concatenated). */
  lines: Line[];
  /** Customers with a session (foot file order). */
  sessions: string[];
}

const arbCase: fc.Arbitrary<Case> = fc.record({
  lines: fc.array(arbLine, { minLength: 1, maxLength: 24 }),
  sessions: fc.subarray(CUSTOMERS).chain((s) => fc.shuffledSubarray(s, { minLength: s.length })),
}).map((c) => {
  // At least one line with a time (else every line would take the epoch, an unrelated case).
  const lines = c.lines.map((l) => ({ ...l }));
  if (lines.every((l) => l.time === null)) lines[lines.length - 1].time = 0;
  // The Kafka leg's topic dumped partition by partition: file order = (partition, offset).
  lines.sort((a, b) => a.part - b.part);
  return { lines, sessions: c.sessions };
});

function lineValue(l: Line): string {
  const v: Record<string, unknown> = { event_type: l.kind };
  if (l.kind !== "weight_change") {
    v.customer_id = l.customer;
    v.item_id = l.item;
    v.quantity = l.qty;
  }
  if (l.time !== null) {
    const s = TIMES[l.time].spellings;
    v.timestamp = s[l.spelling % s.length];
  }
  return JSON.stringify(v);
}

function footValue(customer: string): string {
  return JSON.stringify({
    event_type: "foot_traffic",
    customer_id: customer,
    entry_time: SESSION.entry,
    exit_time: SESSION.exit,
  });
}

/** Each line's event time (µs after BASE): its own, else the line before's, else the first. */
function effectiveTimes(lines: Line[]): number[] {
  const first = lines.find((l) => l.time !== null)!;
  let prev = TIMES[first.time!].us;
  return lines.map((l) => (prev = l.time !== null ? TIMES[l.time].us : prev));
}

interface Outcome {
  /** Per billed customer (sorted): lines as [item, quantity]. */
  carts: [string, [string, number][]][];
  /** Putbacks beyond what was in the cart. */
  excess: number;
}

/**
 * The reference: lines in event-time order, ties in file order (a stable sort); per customer
 * and item, pickups add and putbacks subtract, never below 0; lines by first pickup time, then
 * item id; carts with no quantity left are not billed.
 */
function reference(c: Case): Outcome {
  const times = effectiveTimes(c.lines);
  const order = c.lines.map((_l, i) => i).sort((a, b) => times[a] - times[b]);
  const carts = new Map<string, Map<string, { qty: number; first: number }>>();
  let excess = 0;
  for (const i of order) {
    const l = c.lines[i];
    if (l.kind === "weight_change") continue;
    const cart = carts.get(l.customer) ?? new Map();
    carts.set(l.customer, cart);
    const line = cart.get(l.item);
    if (l.kind === "pickup") {
      if (line) line.qty += l.qty;
      else cart.set(l.item, { qty: l.qty, first: times[i] });
    } else if (!line || line.qty < l.qty) {
      excess++;
      if (line) line.qty = 0;
    } else line.qty -= l.qty;
  }
  const out: Outcome["carts"] = [];
  for (const id of [...carts.keys()].sort()) {
    const lines = [...carts.get(id)!]
      .filter(([, l]) => l.qty > 0)
      .sort(([a, x], [b, y]) => x.first - y.first || (a < b ? -1 : a > b ? 1 : 0))
      .map(([item, l]): [string, number] => [item, l.qty]);
    if (lines.length > 0) out.push([id, lines]);
  }
  return { carts: out, excess };
}

function outcomeOf(transactions: string[], excess: number): Outcome {
  const carts = transactions
    .map((v) => JSON.parse(v))
    .map((t): [string, [string, number][]] => [
      t.customer_id,
      t.items.map((l: { item_id: string; quantity: number }) => [l.item_id, l.quantity]),
    ])
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return { carts, excess };
}

const enc = new TextEncoder();
const CONFIG = {
  graceSec: 2,
  maxSessionAgeSec: 10800,
  forceCheckoutIfEmpty: false,
  pricer: testPricer(),
};

async function replayed(c: Case): Promise<{ out: Outcome; transactions: string[] }> {
  const file = (ls: string[]) => enc.encode(ls.map((l) => l + "\n").join(""));
  const r = await replay(
    { name: "foot", bytes: file(c.sessions.map(footValue)) },
    { name: "shelf", bytes: file(c.lines.map(lineValue)) },
    CONFIG,
  );
  return { out: outcomeOf(r.transactions, r.engine.anomalies), transactions: r.transactions };
}

/**
 * The same records as Kafka topics: one foot partition, shelf partitions by `part` (each in
 * file order; a line without `timestamp` carries its time as the record timestamp), applied in
 * the interleaving `picks` chooses.
 */
function viaKafka(c: Case, picks: number[]): string[] {
  const times = effectiveTimes(c.lines);
  const rec = (
    source: "foot" | "shelf",
    partition: number,
    offset: number,
    value: string,
    us: number,
  ): InputRecord => ({
    source,
    topic: source,
    partition,
    offset: String(offset),
    value: enc.encode(value),
    timestampMs: BASE_MS + us / 1000,
  });
  const queues: InputRecord[][] = [c.sessions.map((id, o) => rec("foot", 0, o, footValue(id), 0))];
  const parts = Math.max(...c.lines.map((l) => l.part)) + 1;
  for (let p = 0; p < parts; p++) {
    const q: InputRecord[] = [];
    c.lines.forEach((l, i) => {
      if (l.part === p) q.push(rec("shelf", p, q.length, lineValue(l), times[i]));
    });
    queues.push(q);
  }
  const progress = () => ({
    partitions: queues.map((q, i) => ({
      source: i === 0 ? "foot" as const : "shelf" as const,
      partition: i === 0 ? 0 : i - 1,
      caughtUp: q.length === 0,
    })),
  });
  function* interleaved(): Generator<InputRecord> {
    for (let step = 0;; step++) {
      const live = queues.filter((q) => q.length > 0);
      if (live.length === 0) return;
      yield live[picks[step % picks.length] % live.length].shift()!;
    }
  }
  const committer = new MemoryCommitter();
  const driver = new EngineDriver<void, MemoryCommitter>(newEngine(), committer);
  const cadence = { advanceEvery: 1, commitEvery: 1 };
  for (const _ of driveRecords(driver, interleaved(), progress, progress, cadence));
  return committer.transactions.map((t) => t.value);
}

Deno.test("§8 replay property: ties keep file order, lines without timestamp included (reference fold)", async () => {
  await fc.assert(
    fc.asyncProperty(arbCase, async (c) => {
      assert.deepEqual((await replayed(c)).out, reference(c));
    }),
    { numRuns: 400 },
  );
});

/**
 * A transaction without the spelling of its timestamp (kept: the instant, to the ms; the µs are
 * in a cart's transaction_id). A sessionless cart's timestamp keeps the fraction digits of its
 * first event, and of two first events at the same instant (two spellings, or a record without
 * `timestamp` whose Kafka timestamp gives ".500"), the one that arrives first gives them
 * (lib/core/carts/shelf_events.ts): through Kafka that is arrival order, not record order.
 */
function digitless(value: string): string {
  const t = JSON.parse(value);
  t.timestamp = Date.parse(t.timestamp);
  return JSON.stringify(t);
}

Deno.test("§8 replay property: a shelf topic of several partitions, in any interleaving, gives the replay of its partitions concatenated", async () => {
  await fc.assert(
    fc.asyncProperty(
      arbCase,
      fc.array(fc.nat(), { minLength: 1, maxLength: 30 }),
      async (c, picks) => {
        const kafka = viaKafka(c, picks).map(digitless).sort();
        assert.deepEqual(kafka, (await replayed(c)).transactions.map(digitless).sort());
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("§8 replay: a pickup without timestamp after a putback of the same item at the same time is billed", async () => {
  const c: Case = {
    sessions: ["c0"],
    lines: [
      { kind: "putback", customer: "c0", item: "A", qty: 1, time: 0, spelling: 0, part: 0 },
      // no timestamp: 09:40:00 like the putback before it, and after it in the file
      { kind: "pickup", customer: "c0", item: "A", qty: 1, time: null, spelling: 0, part: 0 },
    ],
  };
  const { out, transactions } = await replayed(c);
  assert.deepEqual(out, { carts: [["c0", [["A", 1]]]], excess: 1 });
  assert.deepEqual(out, reference(c));
  assert.equal(JSON.parse(transactions[0]).timestamp, "2025-11-07T09:50:00+00:00");
});
