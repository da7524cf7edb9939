/** When the process regained the broker (lib/kafka/broker_contact.ts), and what it holds back. */
import assert from "node:assert/strict";
import { BrokerContact, CONTACT_GAP_MS } from "../../lib/kafka/broker_contact.ts";
import { TopicProgress } from "../../lib/kafka/progress.ts";

Deno.test("look-ups every 100 ms are no gap, and the process's start is none", () => {
  const c = new BrokerContact();
  for (let t = 5000; t < 60_000; t += 100) c.answered(t, t + 20);
  assert.equal(c.regainedAtMs, -Infinity);
});

Deno.test("a look-up after a silence longer than the gap: contact regained at its answer", () => {
  const c = new BrokerContact();
  c.answered(1000, 1010);
  c.answered(1000 + CONTACT_GAP_MS + 500, 1000 + CONTACT_GAP_MS + 510);
  assert.equal(c.regainedAtMs, 1000 + CONTACT_GAP_MS + 510);
});

Deno.test("a look-up that took longer than the gap (retries inside the client): regained", () => {
  const c = new BrokerContact();
  c.answered(1000, 1010);
  c.answered(1100, 9000);
  assert.equal(c.regainedAtMs, 9000);
});

Deno.test("a quiet instance's look-ups, a second apart by its own choice, are no gap; a silence past that is", () => {
  const c = new BrokerContact();
  const pause = 1100;
  for (let t = 5000; t < 60_000; t += pause + 30) c.answered(t, t + 20, pause);
  assert.equal(c.regainedAtMs, -Infinity);
  c.answered(60_000 + pause + CONTACT_GAP_MS + 500, 62_700, pause);
  assert.equal(c.regainedAtMs, 62_700);
});

Deno.test("two stages' look-ups interleaved are no gap", () => {
  const c = new BrokerContact();
  c.answered(1000, 1900); // slow, but under the gap
  c.answered(1050, 1060); // asked before the other's answer
  c.answered(1950, 1960);
  assert.equal(c.regainedAtMs, -Infinity);
});

Deno.test("for the idle time after contact is regained a partition is not caught up, then it is", () => {
  const p = new TopicProgress("shelf", 0);
  p.seed(0, 10n, 10n);
  p.verify(0, 10n, 20_000);
  assert.equal(p.signal(0, 5000, -Infinity).idle, true); // 20 s without a record
  const regained = 18_000;
  assert.deepEqual(p.signal(0, 5000, regained), { caughtUp: false });
  p.verify(0, 10n, regained + 5000);
  const s = p.signal(0, 5000, regained);
  assert.equal(s.caughtUp, true);
  assert.equal(s.idle, true); // nothing came in the idle time the producers had after the outage
});
