/**
 * The "one bill per visit" run of issue 10, as a user would do it: a service with the default
 * configuration, then `simulate --as-fast-as-possible` writing a store day into its topics while
 * it runs. Reports transactions, customers billed more than once, late events, and whether the
 * output equals `replay` of the records the topics hold.
 *
 *   deno run -A bench/one_bill.ts [--customers 20000] [--seed 42]
 *
 * Uses `KAFKA_TEST_BROKER=host:port` when set, else starts a broker.
 * @module
 */
import { parseArgs } from "node:util";
import { benchBroker } from "./support.ts";
import { testKafka } from "../tests/support/kafka_client.ts";
import {
  billedTwice,
  makeFixture,
  outputTransactions,
  replayExpected,
  simulateInto,
  topicsAsTraffic,
} from "../tests/support/service_fixture.ts";
import {
  eventually,
  isReady,
  metricsText,
  metricValue,
  startService,
} from "../tests/support/service_process.ts";

const { values } = parseArgs({
  options: {
    customers: { type: "string", default: "20000" },
    seed: { type: "string", default: "42" },
  },
});
const { bootstrap, broker } = await benchBroker();
const kafka = testKafka(bootstrap);
const fx = await makeFixture(kafka, bootstrap, 3);
const svc = await startService(fx.args);
try {
  await eventually("service ready", () => isReady(svc), 60_000, 100);
  const t0 = performance.now();
  await simulateInto(fx, [
    "--as-fast-as-possible",
    "--customers",
    values.customers!,
    "--seed",
    values.seed!,
  ]);
  const sent = performance.now();
  const expected = await replayExpected(fx, await topicsAsTraffic(kafka, fx));
  // Done when the output stops growing for 15 s (the idle time is 5 s).
  let last = -1, stableSince = Date.now();
  await eventually(
    "the output to settle",
    async () => {
      const n = (await outputTransactions(kafka, fx)).length;
      if (n !== last) [last, stableSince] = [n, Date.now()];
      return Date.now() - stableSince > 15_000;
    },
    600_000,
    1000,
  );
  const got = await outputTransactions(kafka, fx);
  const key = (t: Record<string, unknown>) => JSON.stringify(t);
  const want = new Set(expected.map(key));
  const have = new Set(got.map(key));
  const m = await metricsText(svc);
  console.log(JSON.stringify(
    {
      customers: Number(values.customers),
      simulateSeconds: +((sent - t0) / 1000).toFixed(1),
      transactions: got.length,
      distinctCustomers: new Set(got.map((t) => t.customer_id)).size,
      billedMoreThanOnce: billedTwice(got).length,
      replayTransactions: expected.length,
      equalToReplay: got.length === expected.length && expected.every((t) => have.has(key(t))),
      missing: expected.filter((t) => !have.has(key(t))).length,
      extra: got.filter((t) => !want.has(key(t))).length,
      lateEvents: metricValue(m, "pos_late_events_total"),
    },
    null,
    2,
  ));
} finally {
  svc.kill("SIGTERM");
  await svc.wait();
  await broker?.stop();
}
