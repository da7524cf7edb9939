/**
 * Scale-out figures through a real broker (issue 12), run on demand:
 *
 *   deno run -A bench/scale_out.ts [--events 300000] [--instances 1,3] [--carts 100000]
 *                                  [--skip scaling,restore,failover]
 *
 * 1. Scaling: the same backfill (6 partitions per input) processed by 1 and by 3 instances;
 *    wall time to the last transaction and the CPU seconds of all instances per million shelf
 *    events (from /proc: robust on a shared machine, where wall time is not).
 * 2. Restore: one task holding `--carts` open carts of 10 lines is restarted; its changelog
 *    restore time (`pos_task_restore_seconds`) and the time to ready.
 * 3. Fail-over: of two instances, one is SIGKILLed; the time until the other runs all tasks.
 *
 * Starts its own broker on loopback (or uses KAFKA_TEST_BROKER); every loop is bounded.
 * @module
 */
import { parseArgs } from "node:util";
import { eventually, type ServiceProcess, startService } from "../tests/support/service_process.ts";
import { createFixtureTopics, serviceArgs } from "../tests/support/service_fixture.ts";
import {
  backfill,
  benchContext,
  cpuSeconds,
  kcatProduce,
  metric,
  openCarts,
  ready,
} from "./support.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    events: { type: "string", default: "300000" },
    instances: { type: "string", default: "1,3" },
    carts: { type: "string", default: "100000" },
    skip: { type: "string", default: "" },
  },
});
const skip = new Set(values.skip!.split(",").filter(Boolean));
const { bootstrap, broker, kafka, dir, catalog } = await benchContext("pos-scale-");
const results: Record<string, unknown> = {};

/** Fresh topics with `partitions` each and the service arguments that use them. */
async function setup(tag: string, partitions: number) {
  const id = `${tag}-${crypto.randomUUID().slice(0, 6)}`;
  const topics = await createFixtureTopics(kafka, id, partitions);
  const args = [...serviceArgs(bootstrap, topics, id, catalog), "--log-level", "warn"];
  return { topics, args };
}

async function sum(svcs: ServiceProcess[], prefix: string): Promise<number> {
  return (await Promise.all(svcs.map((s) => metric(s, prefix)))).reduce((a, b) => a + b, 0);
}

/**
 * Waits until the sum of `prefix` over `svcs` is at least `atLeast` and stands still for
 * `quietMs`; when it last moved, and the longest time it stood still before that.
 */
async function settled(
  svcs: ServiceProcess[],
  prefix: string,
  quietMs: number,
  atLeast = 1,
): Promise<{ end: number; longestPauseMs: number }> {
  let last = -1, changedAt = performance.now(), longestPauseMs = 0;
  await eventually(
    `${prefix} settled`,
    async () => {
      const v = await sum(svcs, prefix);
      if (v !== last) {
        if (last > 0) longestPauseMs = Math.max(longestPauseMs, performance.now() - changedAt);
        [last, changedAt] = [v, performance.now()];
      }
      return v >= atLeast && performance.now() - changedAt > quietMs;
    },
    900_000,
    100,
  );
  return { end: changedAt, longestPauseMs: Math.round(longestPauseMs) };
}

async function stopAll(svcs: ServiceProcess[]): Promise<void> {
  for (const s of svcs) s.kill("SIGTERM");
  await Promise.all(svcs.map((s) => s.wait()));
}

if (!skip.has("scaling")) {
  const { traffic, shelf } = backfill(Number(values.events));
  const instances = values.instances!.split(",").map(Number);
  for (const n of instances) {
    const { topics, args } = await setup(`x${n}`, 6);
    await kcatProduce(bootstrap, dir, topics.foot, traffic.foot);
    await kcatProduce(bootstrap, dir, topics.shelf, shelf);
    const svcs = await Promise.all(Array.from({ length: n }, () => startService(args)));
    await Promise.all(svcs.map(ready));
    const cpu0 = svcs.map((s) => cpuSeconds(s.pid));
    const t0 = performance.now();
    // Every run bills what the first did: a pause (a rebalance) is not taken for the end.
    const first = results[`instances_${instances[0]}`] as { transactions: number } | undefined;
    const { end, longestPauseMs } = await settled(
      svcs,
      "pos_transactions_total",
      3000,
      first?.transactions ?? 1,
    );
    const cpu = svcs.reduce((a, s, i) => a + cpuSeconds(s.pid) - cpu0[i], 0);
    results[`instances_${n}`] = {
      transactions: await sum(svcs, "pos_transactions_total"),
      wall_seconds: Number(((end - t0) / 1000).toFixed(2)),
      events_per_s: Math.round(shelf.length / ((end - t0) / 1000)),
      // CPU to the end of the measurement (3 s of idle heartbeats included, as for every n).
      cpu_seconds_per_million_events: Number((cpu / (shelf.length / 1e6)).toFixed(2)),
      longest_pause_ms: longestPauseMs,
    };
    await stopAll(svcs);
  }
  const [a, b] = values.instances!.split(",");
  const ra = results[`instances_${a}`] as Record<string, number> | undefined;
  const rb = results[`instances_${b}`] as Record<string, number> | undefined;
  if (ra && rb) {
    results.cpu_ratio = Number(
      (rb.cpu_seconds_per_million_events / ra.cpu_seconds_per_million_events).toFixed(2),
    );
  }
}

if (!skip.has("restore")) {
  const carts = Number(values.carts);
  const { topics, args } = await setup("restore", 1);
  const t = openCarts(carts);
  await kcatProduce(bootstrap, dir, topics.foot, t.foot);
  await kcatProduce(bootstrap, dir, topics.shelf, t.shelf);
  const first = await startService(args);
  await eventually(
    "all carts open",
    async () => await metric(first, "pos_open_carts") >= carts,
    900_000,
    500,
  );
  await stopAll([first]);
  const t0 = performance.now();
  const second = await startService(args);
  await ready(second);
  const readyAt = performance.now();
  // The open-cart gauge is refreshed by the stage's 100 ms poll, after ready.
  await eventually(
    "restored carts counted",
    async () => await metric(second, "pos_open_carts") >= carts,
    60_000,
    100,
  );
  results.restore = {
    open_carts: await metric(second, "pos_open_carts"),
    task_restore_seconds: await metric(second, "pos_task_restore_seconds"),
    start_to_ready_seconds: Number(((readyAt - t0) / 1000).toFixed(2)),
  };
  await stopAll([second]);
}

if (!skip.has("failover")) {
  const { topics, args } = await setup("failover", 6);
  const t = openCarts(2000);
  await kcatProduce(bootstrap, dir, topics.foot, t.foot);
  await kcatProduce(bootstrap, dir, topics.shelf, t.shelf);
  const [a, b] = [await startService(args), await startService(args)];
  const tasks = (s: ServiceProcess) => metric(s, 'pos_task_assigned{stage="task"');
  await eventually(
    "both running tasks",
    async () => (await tasks(a)) > 0 && (await tasks(b)) > 0,
    120_000,
    200,
  );
  await eventually(
    "all carts open",
    async () => (await metric(a, "pos_open_carts")) + (await metric(b, "pos_open_carts")) >= 2000,
    120_000,
    200,
  );
  const killedAt = performance.now();
  b.kill("SIGKILL");
  await eventually(
    "the survivor runs every task",
    async () => (await tasks(a)) === 6 && (await metric(a, "pos_open_carts")) >= 2000,
    120_000,
    100,
  );
  results.failover_seconds = Number(((performance.now() - killedAt) / 1000).toFixed(2));
  await stopAll([a]);
  await b.wait();
}

console.log(JSON.stringify(results, null, 2));
await Deno.remove(dir, { recursive: true });
if (broker) await broker.stop();
