/**
 * `/readyz` follows broker contact (issue 24): it said 200 for 16 s and more after the broker
 * stopped during a backlog. Readiness now also needs an answered end look-up (the relays ask
 * every 100 ms) within the last 3 s. On a broker of the test's own, SIGKILLed under a backlog,
 * down for 30 s: the outage's log is a few lines (repeats once a minute, with their count).
 */
import assert from "node:assert/strict";
import { startBroker } from "../support/kafka.ts";
import { testKafka } from "../support/kafka_client.ts";
import { makeFixture, simulateInto } from "../support/service_fixture.ts";
import {
  metricsText,
  metricValue,
  readyBy,
  type ServiceProcess,
  startService,
} from "../support/service_process.ts";
import { BrokerContact } from "../../lib/kafka/broker_contact.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("broker contact: answered within the bound after an answer, not before any or after a gap", () => {
  const c = new BrokerContact();
  assert.equal(c.answeredWithin(3000, 10_000), false, "no answer yet");
  c.answered(10_000, 10_005);
  assert.equal(c.answeredWithin(3000, 12_000), true);
  assert.equal(c.answeredWithin(3000, 13_006), false, "3 s without an answer");
  c.answered(13_100, 13_120);
  assert.equal(c.answeredWithin(3000, 13_200), true, "answers again");
});

/** /readyz's status (0: no answer). */
async function readyz(svc: ServiceProcess): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${svc.metricsPort}/readyz`, {
    signal: AbortSignal.timeout(1000),
  }).catch(() => undefined);
  await r?.body?.cancel();
  return r?.status ?? 0;
}

/** Polls /readyz every 100 ms until it answers `status`; the seconds it took. */
async function secondsUntil(svc: ServiceProcess, status: number, maxS: number): Promise<number> {
  const start = performance.now();
  while ((await readyz(svc)) !== status) {
    const s = (performance.now() - start) / 1000;
    assert.ok(s < maxS, `/readyz not ${status} after ${maxS} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return (performance.now() - start) / 1000;
}

Deno.test(
  "/readyz is 503 within 5 s of the broker's SIGKILL under a backlog, and 200 again once it is back; a 30 s outage logs a few lines",
  opts,
  async () => {
    const broker = await startBroker();
    const kafka = testKafka(broker.bootstrap);
    const fx = await makeFixture(kafka, broker.bootstrap, 3);
    // A backlog written before the start: the service is busy with it when the broker dies.
    await simulateInto(fx, ["--customers", "400", "--as-fast-as-possible", "--seed", "24"]);
    const svc = await startService(fx.args);
    try {
      await readyBy(svc.metricsPort, Date.now() + 90_000);
      const busy = async () => metricValue(await metricsText(svc), "pos_records_applied_total");
      const before = await busy();
      await new Promise((r) => setTimeout(r, 1500));
      const applied = await busy();
      assert.ok(applied > before, "busy with the backlog when the broker dies");
      assert.equal(await readyz(svc), 200);
      const linesBefore = (await svc.log()).split("\n").length - 1;
      await broker.kill();
      const killedAt = Date.now();
      const down = await secondsUntil(svc, 503, 5);
      console.log(`/readyz 503 ${down.toFixed(1)} s after the broker's SIGKILL`);
      // Which line tells the operator depends on whether KafkaJS gives up before the look-ups'
      // 3 s (a failed life) or not: printed, not asserted (the 503 above is the rule).
      const told =
        /"level":"(warn|error)","msg":"(the broker has not answered for 3 s: \/readyz says 503|pipeline failed; restarting)/;
      console.log(`told at warn/error: ${told.test(await svc.log())}`);
      // A 30 s outage: its log is a few lines, not one per KafkaJS retry (96 in 25 s before).
      await new Promise((r) => setTimeout(r, 30_000 - (Date.now() - killedAt)));
      const outage = (await svc.log()).split("\n").slice(linesBefore).filter((l) => l !== "");
      const loud = outage.filter((l) => /"level":"(warn|error)"/.test(l));
      console.log(`${outage.length} log lines in the 30 s outage, ${loud.length} warn/error`);
      assert.ok(loud.length <= 20, `at most 20 warn/error lines:\n${loud.join("\n")}`);
      await broker.start();
      const up = await secondsUntil(svc, 200, 90);
      console.log(`/readyz 200 ${up.toFixed(1)} s after the broker was back`);
      // Said once it is back, by the look-ups or by the new life's ready line: printed, not
      // asserted (the 200 above is the rule).
      const back = /"msg":"(the broker answers again: ready|ready again: consuming)/;
      console.log(`told it is back: ${back.test(await svc.log())}`);
    } finally {
      svc.kill("SIGKILL");
      await svc.wait();
      await broker.stop();
    }
  },
);
