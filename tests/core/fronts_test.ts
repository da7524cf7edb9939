/** The producers behind one partition (lib/core/time/fronts.ts), rule by rule. */
import assert from "node:assert/strict";
import {
  BORN,
  JOINED,
  LEAPT_BACK,
  MAX_FRONTS,
  PartitionFronts,
} from "../../lib/core/time/fronts.ts";

const S = 1e6, MIN = 60 * S, HOUR = 60 * MIN, IDLE = 5 * S;
const settings = { toleranceUs: 2 * S, leapUs: 3 * HOUR };
const day = (h: number) => h * HOUR;

Deno.test("fronts: a partition has passed the lowest of its fronts, not the most it ever delivered", () => {
  const p = new PartitionFronts(settings);
  assert.equal(p.observe(day(10), 0), BORN);
  assert.equal(p.observe(day(11), 1), JOINED);
  assert.equal(p.observe(day(9), 2), LEAPT_BACK, "the same day again: a producer went back");
  assert.equal(p.lowUs(NaN, IDLE), day(9));
  assert.equal(p.observe(day(9) + MIN, 3), JOINED, "it goes on from where it went back to");
  assert.deepEqual(p.positions(), [day(11), day(9) + MIN]);
});

Deno.test("fronts: disorder within the tolerance joins the run; more than that starts a front", () => {
  const p = new PartitionFronts(settings);
  p.observe(day(10), 0);
  assert.equal(p.observe(day(10) - S, 1), JOINED);
  assert.equal(p.observe(day(10) - 3 * S, 2), LEAPT_BACK);
});

Deno.test("fronts: a step forward of more than the leap is another producer, when a wall clock can end the old one", () => {
  const p = new PartitionFronts(settings);
  p.observe(day(1), 0);
  assert.equal(p.observe(day(30), 1), BORN, "a live store starting beside a backfill");
  assert.equal(p.lowUs(NaN, IDLE), day(1), "the backfill still holds the partition");
  const file = new PartitionFronts(settings);
  file.observe(day(1), NaN);
  assert.equal(file.observe(day(30), NaN), JOINED, "without a wall clock: the same run");
});

Deno.test("fronts: a front silent for the idle time while caught up is over; idle ends them all and leaves the floor", () => {
  const p = new PartitionFronts(settings);
  p.observe(day(9), 0);
  p.observe(day(12), 0); // within the leap: one front
  p.observe(day(8), 4 * S); // a second producer, seen later
  p.retire(6 * S, false, IDLE, 6 * S);
  assert.deepEqual(p.positions(), [day(8)], "the first went silent 6 s before the look-up");
  p.retire(NaN, false, IDLE, 20 * S);
  assert.deepEqual(p.positions(), [day(8)], "not caught up: a reader behind proves nothing");
  p.retire(7 * S, true, IDLE, 7 * S);
  assert.deepEqual(p.positions(), []);
  assert.equal(p.floorUs, day(8), "where its producers stood");
});

Deno.test("fronts: a front that got nothing while another got records for the idle time is over, caught up or not", () => {
  const p = new PartitionFronts(settings);
  p.observe(day(9), 0);
  p.observe(day(5), 1 * S);
  p.observe(day(5) + S, 7 * S);
  p.retire(NaN, false, IDLE, 7 * S);
  assert.deepEqual(p.positions(), [day(5) + S]);
});

Deno.test("fronts: a hold lasts until the partition starts a front at or before its time + the leap, or its idle time passes while caught up", () => {
  const p = new PartitionFronts(settings);
  p.observe(day(30), 0);
  p.hold(day(9), 0);
  assert.equal(p.lowUs(NaN, IDLE), day(9));
  p.observe(day(20), 1); // another producer's front, far after the hold: not an answer
  assert.equal(p.lowUs(NaN, IDLE), day(9));
  p.observe(day(9) + HOUR, 2); // this partition's own records of that time
  assert.equal(p.holds.length, 0);
  const q = new PartitionFronts(settings);
  q.observe(day(30), 0);
  q.hold(day(9), 0);
  q.retire(4 * S, true, IDLE, 4 * S);
  assert.equal(q.holds.length, 1, "idle, but the hold is younger than the idle time");
  q.retire(5 * S, true, IDLE, 5 * S);
  assert.equal(q.holds.length, 0);
});

Deno.test("fronts: a real-time front of a caught-up partition has passed the look-up's wall clock", () => {
  const now = day(24 * 400);
  const p = new PartitionFronts(settings);
  p.observe(now - S, now);
  assert.equal(p.lowUs(now + 2 * S, IDLE), now + 2 * S);
  assert.equal(p.lowUs(NaN, IDLE), now - S, "not caught up: its own position");
  const backfill = new PartitionFronts(settings);
  backfill.observe(day(9), now);
  assert.equal(backfill.lowUs(now + 2 * S, IDLE), day(9), "a backfill is not real time");
});

Deno.test(`fronts: at most ${MAX_FRONTS} a partition; the closest merge at the lower position`, () => {
  const p = new PartitionFronts(settings);
  for (let k = 0; k < MAX_FRONTS + 3; k++) p.observe(day(100 - k * 5), k);
  assert.equal(p.fronts.length, MAX_FRONTS);
  assert.equal(p.lowUs(NaN, IDLE), day(100 - (MAX_FRONTS + 2) * 5));
});

Deno.test("fronts: ids start where the owner says (a relay's new life names its fronts anew)", () => {
  const p = new PartitionFronts(settings, 1000);
  p.observe(day(1), 0);
  assert.equal(p.fronts[0].id, 1000);
});
