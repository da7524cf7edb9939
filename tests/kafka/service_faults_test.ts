/**
 * Small service rules that need no broker: a stop during a back-off ends it at once, only a real
 * takeover of the transactional id is fatal, and Prometheus counters never go down when the
 * pipeline (and its engine) is rebuilt.
 */
import assert from "node:assert/strict";
import { sleep } from "../../lib/sleep.ts";
import { isFencingError, retryingConcurrent } from "../../lib/kafka/fencing.ts";
import { ServiceMetrics } from "../../lib/kafka/service_metrics.ts";
import { newEngine, shelfRec } from "../fixtures/engine_fixture.ts";

Deno.test("sleep: a signal aborted before the sleep began ends it at once", async () => {
  const stop = new AbortController();
  stop.abort();
  const t0 = performance.now();
  await sleep(30_000, stop.signal);
  assert.ok(performance.now() - t0 < 1000);
});

Deno.test("sleep: an abort during the sleep ends it; without one it runs its time", async () => {
  const stop = new AbortController();
  const waiting = sleep(30_000, stop.signal);
  stop.abort();
  await waiting; // would hang the test (30 s) if the abort were missed
  await sleep(1); // no signal
});

Deno.test("fencing: PRODUCER_FENCED / INVALID_PRODUCER_EPOCH, or KafkaJS's fenced error, is a fenced producer", () => {
  for (const type of ["PRODUCER_FENCED", "INVALID_PRODUCER_EPOCH"]) {
    assert.equal(isFencingError({ type }), true, type);
    assert.equal(isFencingError({ cause: { type } }), true, `${type} as cause`);
  }
  assert.equal(isFencingError({ name: "KafkaJSProducerFenced" }), true);
});

Deno.test("fencing: other transaction errors are never a fenced producer", () => {
  for (
    const e of [{ type: "CONCURRENT_TRANSACTIONS" }, { type: "REQUEST_TIMED_OUT" }, new Error("x")]
  ) {
    assert.equal(isFencingError(e), false);
  }
  assert.equal(isFencingError(undefined), false);
});

Deno.test("metrics: counters never go down when the pipeline's engine is rebuilt", () => {
  const m = new ServiceMetrics();
  const first = newEngine();
  first.apply(shelfRec("{not json", { offset: 0 }));
  m.observeEngine(first.metrics());
  assert.equal(m.invalid.get({ reason: "not_json" }), 1);
  m.engineStopped(); // a rebuild: a new engine counts from 0 again
  const second = newEngine();
  m.observeEngine(second.metrics());
  assert.equal(m.invalid.get({ reason: "not_json" }), 1, "not reset by the new engine");
  second.apply(shelfRec("[1]", { offset: 1 }));
  second.apply(shelfRec("{oops", { offset: 2 }));
  m.observeEngine(second.metrics());
  assert.equal(m.invalid.get({ reason: "not_json" }), 2);
  assert.equal(m.invalid.get({ reason: "not_object" }), 1);
});

Deno.test("a transaction step the coordinator is still busy with (CONCURRENT_TRANSACTIONS) is retried, nothing else", async () => {
  let calls = 0;
  const busyTwice = () => {
    calls++;
    if (calls <= 2) {
      return Promise.reject(Object.assign(new Error("busy"), { type: "CONCURRENT_TRANSACTIONS" }));
    }
    return Promise.resolve("done");
  };
  assert.equal(await retryingConcurrent(busyTwice), "done");
  assert.equal(calls, 3);
  let other = 0;
  await assert.rejects(
    retryingConcurrent(() => {
      other++;
      return Promise.reject(Object.assign(new Error("fenced"), { type: "PRODUCER_FENCED" }));
    }),
    /fenced/,
  );
  assert.equal(other, 1, "another error is not retried");
});
