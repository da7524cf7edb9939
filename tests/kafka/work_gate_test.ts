import assert from "node:assert/strict";
import { WorkGate } from "../../lib/kafka/work_gate.ts";

Deno.test("backpressure: below the limit the consumers go on; at it they wait for a commit", async () => {
  const gate = new WorkGate(3);
  gate.add(2);
  await gate.room(); // room left: at once
  gate.add(1);
  let released = false;
  const waiting = gate.room().then(() => released = true);
  await Promise.resolve();
  assert.equal(released, false, "a full gate holds the next batch");
  gate.taken(); // the commit drained the work…
  await Promise.resolve();
  assert.equal(released, false, "…but the consumers wait until it is committed");
  gate.committed();
  await waiting;
  assert.equal(gate.pending, 0);
});

Deno.test("backpressure: the commit loop learns the gate is full, and close frees every waiter", async () => {
  const gate = new WorkGate(2);
  const full = gate.fullSignal();
  gate.add(5);
  assert.ok(full.aborted, "the limit reached");
  const waiting = gate.room();
  gate.close(); // the pipeline ends: nobody may stay blocked
  await waiting;
  assert.ok(gate.fullSignal().aborted);
});

Deno.test("backpressure: asking whether the gate is full every interval shares one signal", () => {
  const gate = new WorkGate(10);
  // A quiet service asks every 50 ms for days: every ask shares one signal, and a wait on it
  // removes its listener when it ends (lib/sleep.ts).
  const asks = Array.from({ length: 1000 }, () => gate.fullSignal());
  assert.ok(asks.every((s) => s === asks[0]), "one signal for every waiter");
  gate.add(10);
  assert.ok(asks[0].aborted);
  gate.taken();
  assert.ok(!gate.fullSignal().aborted, "after a commit: a new one");
});

Deno.test("backpressure: once a commit is due, consumers with work applied wait until it is taken", async () => {
  const gate = new WorkGate(1000);
  gate.commitDueAt(performance.now() - 1); // the interval is over, the timer has not run yet
  await gate.room(); // nothing applied: nothing to wait for
  gate.add(1);
  let released = false;
  const waiting = gate.room().then(() => released = true);
  await Promise.resolve();
  assert.equal(released, false, "the next batch waits for the due commit");
  gate.taken(); // the commit loop took it: no need to wait until it is written
  await waiting;
  gate.add(1);
  await gate.room(); // no commit due until the loop says when the next one is
  gate.commitDueAt(performance.now() + 60_000);
  await gate.room(); // due in a minute: go on
});

Deno.test("backpressure: close frees consumers waiting for a due commit", async () => {
  const gate = new WorkGate(1000);
  gate.add(1);
  gate.commitDueAt(0);
  const waiting = gate.room();
  gate.close();
  await waiting;
});
