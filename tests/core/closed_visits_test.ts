import assert from "node:assert/strict";
import { type ClosedVisit, ClosedVisits } from "../../lib/core/carts/closed_visits.ts";

const visit = (over: Partial<ClosedVisit> = {}): ClosedVisit => ({
  session: { entryUs: 1, exitUs: 2 },
  checkoutUs: 2,
  horizonUs: 10,
  wallUs: 100,
  maxOffsets: [0, 5, 2, 7],
  ...over,
});

Deno.test("closed visits: what is added is what is read back, by id and slot", () => {
  const c = new ClosedVisits();
  const a = c.add("a", visit());
  const b = c.add("b", visit({ session: null, maxOffsets: null, wallUs: -Infinity }));
  assert.equal(c.size, 2);
  assert.deepEqual(c.get(a), visit());
  assert.deepEqual(c.get(b), visit({ session: null, maxOffsets: null, wallUs: -Infinity }));
  assert.equal(c.slotOf("a"), a);
  assert.equal(c.slotOf("nobody"), -1);
  assert.ok(c.sameSession(a, 1, 2));
  assert.ok(!c.sameSession(b, 1, 2));
});

Deno.test("closed visits: a re-delivered offset is recognised per partition, also past 4 partitions", () => {
  const c = new ClosedVisits();
  const few = c.add("few", visit());
  assert.ok(c.alreadyApplied(few, 0, 5));
  assert.ok(!c.alreadyApplied(few, 0, 6));
  assert.ok(c.alreadyApplied(few, 2, 1));
  assert.ok(!c.alreadyApplied(few, 1, 0), "no event of that partition");
  const many = c.add("many", visit({ maxOffsets: [0, 1, 1, 1, 2, 1, 3, 1, 4, 9] }));
  assert.ok(c.alreadyApplied(many, 4, 9));
  assert.ok(!c.alreadyApplied(many, 4, 10));
  assert.deepEqual(c.get(many).maxOffsets, [0, 1, 1, 1, 2, 1, 3, 1, 4, 9]);
});

Deno.test("closed visits: a removed slot is reused; adding an id again replaces its visit", () => {
  const c = new ClosedVisits();
  const a = c.add("a", visit());
  c.remove(a);
  assert.equal(c.slotOf("a"), -1);
  assert.equal(c.idOf(a), "");
  const b = c.add("b", visit({ horizonUs: 99 }));
  assert.equal(b, a, "the freed slot");
  assert.deepEqual(c.get(b), visit({ horizonUs: 99 }), "nothing of the old visit left");
  c.add("b", visit({ horizonUs: 77 }));
  assert.equal(c.size, 1);
  assert.equal(c.horizonOf(c.slotOf("b")), 77);
  for (let i = 0; i < 5000; i++) c.add(`x${i}`, visit({ checkoutUs: i })); // grows
  assert.equal(c.get(c.slotOf("x4999")).checkoutUs, 4999);
});
