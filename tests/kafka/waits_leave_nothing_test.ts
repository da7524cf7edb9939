/**
 * A service waits on the same long-lived things every commit interval for days: its stop
 * signal, its work gate, its life's failure. Each wait must leave nothing attached to them. The
 * commit loops waited with `AbortSignal.any([stop, wake])`, and Deno keeps every signal made so
 * on its long-lived source: about 1.5 KB a wait (75 MB for 50,000, measured), so an idle service's
 * live heap grew by about 4 MB a minute (50,735 promises in two minutes of a heap snapshot diff).
 * Races against the life's failure promise, once per commit, are gone with it.
 */
import assert from "node:assert/strict";
import { fullGcFunction } from "../../lib/catalog/full_gc.ts";
import { PipelineFailure } from "../../lib/kafka/failure.ts";
import { WorkGate } from "../../lib/kafka/work_gate.ts";
import { sleep } from "../../lib/sleep.ts";

const gc = fullGcFunction();

/** Live heap growth (bytes) over `n` rounds of `wait`, after full collections. */
async function growth(n: number, wait: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 1000; i++) await wait(); // warm up
  gc();
  const before = Deno.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) await wait();
  gc();
  return Deno.memoryUsage().heapUsed - before;
}

const ROUNDS = 50_000;
const LIMIT = 2_000_000; // the leak kept about 1.5 KB a wait: 75 MB here

Deno.test("an interval's wait on stop, gate and failure leaves nothing behind", async () => {
  const stop = new AbortController();
  const gate = new WorkGate(10);
  const failure = new PipelineFailure(gate);
  // Each wait ends as a commit interval's does, woken (here by a signal of its own, at once).
  const grew = await growth(ROUNDS, () => {
    const wake = new AbortController();
    const wait = sleep(60_000, stop.signal, gate.fullSignal(), failure.signal, wake.signal);
    wake.abort();
    return wait;
  });
  assert.ok(grew < LIMIT, `live heap grew by ${grew} bytes`);
});

Deno.test("a commit raced against the life's failure leaves nothing behind", async () => {
  const failure = new PipelineFailure(new WorkGate(10));
  const grew = await growth(ROUNDS, () => failure.race(Promise.resolve(1)));
  assert.ok(grew < LIMIT, `live heap grew by ${grew} bytes`);
});

Deno.test("a race against the failure still ends at the failure, with its error", async () => {
  const failure = new PipelineFailure(new WorkGate(10));
  const never = new Promise<never>(() => {});
  const raced = failure.race(never);
  failure.fail(new Error("broker gone"));
  await assert.rejects(raced, /broker gone/);
  await assert.rejects(failure.race(Promise.resolve(1)), /broker gone/, "after it: at once");
  await sleep(60_000, failure.signal); // the failure wakes an interval's wait at once
});
