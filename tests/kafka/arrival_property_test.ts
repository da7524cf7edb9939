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
import { arbCase, type Case, logs, replayed, serve } from "../support/arrival_model.ts";

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
