/**
 * `pos-producer simulate` (issue 6) against a real broker: a backfill through the service gives
 * every simulated checkout once, priced as `replay` prices the same records; a paced run keeps
 * its rate, timestamps start now, and SIGINT stops it cleanly with everything it counted sent.
 */
import assert from "node:assert/strict";
import { testBroker } from "../support/kafka.ts";
import { testKafka } from "../support/kafka_client.ts";
import { eventually, readAll, startService } from "../support/service_process.ts";
import {
  byId,
  makeFixture,
  outputTransactions,
  replayExpected,
  simulateCommand,
} from "../support/service_fixture.ts";
import type { TrafficRecord } from "../support/test_store.ts";
import { registerCodecs } from "../../lib/kafka/codecs.ts";

registerCodecs(); // the test reads zstd batches back

const opts = { sanitizeOps: false, sanitizeResources: false };
const MAIN = new URL("../../main.ts", import.meta.url).pathname;

function simulate(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "simulate", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function finished(child: Deno.ChildProcess) {
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Event time (µs) of a record value; an unreadable one takes the time before it. */
function withTimes(values: (string | null)[], field: (o: Record<string, unknown>) => unknown) {
  const out: TrafficRecord[] = [];
  let last = 0;
  for (const v of values) {
    if (v === null) continue;
    let us = last;
    try {
      const t = Date.parse(String(field(JSON.parse(v))));
      if (Number.isFinite(t)) us = t * 1000;
    } catch { /* invalid on purpose */ }
    last = us;
    out.push({ key: null, value: v, us });
  }
  return out.sort((a, b) => a.us - b.us);
}

Deno.test(
  "simulate (backfill) → service: every simulated checkout once, priced like replay",
  opts,
  async () => {
    const { bootstrap } = await testBroker();
    const kafka = testKafka(bootstrap);
    const fx = await makeFixture(kafka, bootstrap, 3);
    const sim = await finished(
      simulateCommand(fx, [
        "--customers",
        "400",
        "--seed",
        "21",
        "--faults",
        "--compression",
        "gzip",
        "--as-fast-as-possible",
        "--json",
      ]).spawn(),
    );
    assert.equal(sim.code, 0, sim.stderr);
    const summary = JSON.parse(sim.stdout);
    assert.equal(summary.customers, 400);
    assert.equal(summary.ended, "done");

    const foot = await readAll(kafka, fx.topics.foot);
    const shelf = await readAll(kafka, fx.topics.shelf);
    assert.equal(foot.length, summary.records.foot);
    assert.equal(shelf.length, summary.records.shelf);
    // Shaped like the real producers: sessions keyed by customer, shelf events unkeyed.
    for (const m of foot) assert.equal(m.key, JSON.parse(m.value!).customer_id);
    assert.ok(shelf.every((m) => m.key === null));
    assert.ok(shelf.some((m) => m.value!.includes('"weight_change"')));

    const traffic = {
      foot: withTimes(foot.map((m) => m.value), (o) => o.entry_time),
      shelf: withTimes(shelf.map((m) => m.value), (o) => o.timestamp),
    };
    const expected = await replayExpected(fx, traffic);
    // Everyone who kept something in the cart checks out: most of the 400.
    assert.ok(expected.length > 300 && expected.length <= 400, `${expected.length} transactions`);

    const svc = await startService(fx.args);
    try {
      await eventually(
        "all transactions",
        async () => (await outputTransactions(kafka, fx)).length >= expected.length,
        90_000,
        500,
      );
      await new Promise((r) => setTimeout(r, 1000)); // nothing more may arrive
      const got = await outputTransactions(kafka, fx);
      assert.deepEqual(byId(got), byId(expected));
      assert.equal(new Set(got.map((t) => t.customer_id)).size, got.length);
      svc.kill("SIGTERM");
      assert.equal(await svc.wait(), 0);
    } finally {
      svc.kill("SIGKILL");
    }
  },
);

Deno.test("simulate --rate paces sends from now, and SIGINT stops it cleanly", opts, async () => {
  const { bootstrap } = await testBroker();
  const kafka = testKafka(bootstrap);
  const fx = await makeFixture(kafka, bootstrap, 2);
  const started = Date.now();
  const child = simulate([
    "--broker",
    bootstrap,
    "--foot-topic",
    fx.topics.foot,
    "--shelf-topic",
    fx.topics.shelf,
    "--rate",
    "400",
    "--time-scale",
    "600",
    "--compression",
    "zstd",
    "--json",
  ]);
  await new Promise((r) => setTimeout(r, 8000));
  child.kill("SIGINT");
  const r = await finished(child);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.ended, "signal");
  assert.equal(s.mode, "rate");
  // The store fills up over the first trips (75 simulated minutes = 7.5 s here), so the
  // average is below the target, but not by much, and never above it by much.
  assert.ok(s.shelfPerSec > 150 && s.shelfPerSec < 480, `${s.shelfPerSec} shelf events/s`);
  // Timestamps start now and run 600x faster than the wall clock.
  const first = Date.parse(s.firstEvent);
  // (the first arrival comes a simulated minute or so after the start)
  assert.ok(first >= started && first - started < 180_000, `first event ${s.firstEvent}`);
  assert.ok(Date.parse(s.lastEvent) - first > 600 * 5_000);
  // Everything it counted as sent is on the topics.
  assert.equal((await readAll(kafka, fx.topics.foot)).length, s.records.foot);
  assert.equal((await readAll(kafka, fx.topics.shelf)).length, s.records.shelf);
});

Deno.test("simulate: --rate with --as-fast-as-possible is bad usage (exit 2)", async () => {
  const r = await finished(
    simulate(["--broker", "127.0.0.1:1", "--rate", "10", "--as-fast-as-possible"]),
  );
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--rate/);
  const bad = await finished(simulate(["--broker", "127.0.0.1:1", "--compression", "brotli"]));
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--compression/);
});

Deno.test(
  "simulate run twice with the default seed: a new day, no customer of the first run",
  opts,
  async () => {
    const { bootstrap } = await testBroker();
    const kafka = testKafka(bootstrap);
    const id = crypto.randomUUID().slice(0, 8);
    const foot = `sim-again-foot-${id}`;
    const args = [
      ...["--broker", bootstrap, "--foot-topic", foot, "--shelf-topic", `sim-again-shelf-${id}`],
      ...[
        "--create-topics",
        "--topic-partitions",
        "1",
        "--customers",
        "30",
        "--as-fast-as-possible",
      ],
    ];
    const customers = async () =>
      new Set(
        (await readAll(kafka, foot)).map((m) => JSON.parse(m.value!.toString()).customer_id),
      );
    const first = await finished(simulate(args));
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /seed \d+ \(--seed \d+ sends the same shoppers again\)/);
    const before = await customers();
    const second = await finished(simulate(args));
    assert.equal(second.code, 0, second.stderr);
    const after = await customers();
    assert.equal(after.size, before.size * 2, "the second run reused customer ids");
  },
);
