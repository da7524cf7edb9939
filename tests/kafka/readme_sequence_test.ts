/**
 * The README's "Try the service in three terminals", run as a user types it (issue 22): the
 * service at its defaults with the sample price book (Terminal 2), then the README's own
 * `simulate` lines (Terminal 3), each to its end at its own pace, in the README's order and in
 * another. Whatever the service read before, every simulated visit is billed once, exactly as
 * `replay` of everything the input topics hold (dumped with kcat), and it dead-letters as `late`
 * what replay does. And the live example shows its first transaction within 30 s.
 *
 * The commands are read from README.md, so the test follows the README. The only changes: the
 * test broker's address for `localhost:9092`, and topic, group and transactional-id variables
 * named after this test (the README's commands take them as a user's shell would pass them), so
 * the README's default names meet no other test on the shared broker.
 */
import assert from "node:assert/strict";
import type { Kafka } from "kafkajs";
import { testBroker, uniqueServiceNames } from "../support/kafka.ts";
import { testKafka } from "../support/kafka_client.ts";
import {
  eventually,
  isReady,
  readAll,
  type ServiceProcess,
  startService,
  stopService,
  type Watched,
  watchTopic,
} from "../support/service_process.ts";
import { billedTwice } from "../support/service_fixture.ts";
import { canonical, counts } from "../support/canonical_json.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const ROOT = new URL("../../", import.meta.url).pathname;
const README = await Deno.readTextFile(`${ROOT}README.md`);
/** The defaults a user runs with. */
const IDLE_SEC = 5;
const GRACE_SEC = 2;
/** The README's promise for its live example. */
const FIRST_TRANSACTION_SEC = 30;

type Tx = Record<string, unknown>;

/** The README's ```sh blocks, continuation lines joined: one command per line. */
function readmeCommandLines(): string[] {
  const lines: string[] = [];
  for (const m of README.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    lines.push(...m[1].replace(/\\\n\s*/g, "").split("\n").map((l) => l.trim()));
  }
  return lines.filter((l) => l && !l.startsWith("#"));
}

/** Terminal 2's service arguments and Terminal 3's two `simulate` lines, as README.md has them. */
function readmeWalkthrough(): { serviceArgs: string[]; backfill: string; live: string } {
  const lines = readmeCommandLines();
  const start = lines.find((l) => l.startsWith("deno task start --broker localhost:9092"));
  assert.ok(start, "README.md has no `deno task start --broker localhost:9092` line");
  const sims = lines.filter((l) =>
    l.startsWith("deno run -A main.ts simulate --broker localhost:9092")
  );
  const backfill = sims.find((l) => /--as-fast-as-possible|--time-scale 0\b/.test(l));
  const live = sims.find((l) => /--time-scale [1-9]/.test(l));
  assert.ok(backfill && live, `README.md's simulate lines:\n${sims.join("\n")}`);
  const serviceArgs = start.split(/\s+/).slice(3).map((a) =>
    a.startsWith("examples/") ? `${ROOT}${a}` : a
  );
  assert.ok(serviceArgs.includes("--store") && serviceArgs.includes("--discounts"), start);
  return { serviceArgs, backfill, live };
}

/** One service of the walkthrough, on the test broker, under names of its own. */
interface Walkthrough {
  bootstrap: string;
  kafka: Kafka;
  env: Record<string, string>;
  serviceArgs: string[];
  backfill: string;
  live: string;
  store: string;
  discounts: string;
}

async function walkthrough(prefix: string): Promise<Walkthrough> {
  const { bootstrap } = await testBroker();
  const w = readmeWalkthrough();
  const at = (flag: string) => w.serviceArgs[w.serviceArgs.indexOf(flag) + 1];
  return {
    bootstrap,
    kafka: testKafka(bootstrap),
    env: uniqueServiceNames(prefix),
    serviceArgs: w.serviceArgs.map((a) => a.replaceAll("localhost:9092", bootstrap)),
    backfill: w.backfill,
    live: w.live,
    store: at("--store"),
    discounts: at("--discounts"),
  };
}

/** A README command line, spawned with bash in the checkout, as a user's shell runs it. */
function spawnLine(w: Walkthrough, line: string): Deno.ChildProcess {
  return new Deno.Command("bash", {
    args: ["-euo", "pipefail", "-c", line.replaceAll("localhost:9092", w.bootstrap)],
    cwd: ROOT,
    env: { ...w.env, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Runs a README line to its end; returns what it printed and how long it took. */
async function runLine(w: Walkthrough, line: string): Promise<{ output: string; sec: number }> {
  const t0 = Date.now();
  const out = await spawnLine(w, line).output();
  const sec = (Date.now() - t0) / 1000;
  const dec = new TextDecoder();
  const output = dec.decode(out.stdout) + dec.decode(out.stderr);
  assert.equal(out.code, 0, `${line} failed (exit ${out.code}):\n${output.slice(-3000)}`);
  return { output, sec };
}

/** Kills `pid` and every process under it (children first), by id. */
function killTree(pid: number, signal: Deno.Signal): void {
  const children = new Map<number, number[]>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e.name)]);
    } catch { /* gone */ }
  }
  const walk = (p: number): number[] => [...(children.get(p) ?? []).flatMap(walk), p];
  for (const p of walk(pid)) {
    try {
      Deno.kill(p, signal);
    } catch { /* gone */ }
  }
}

/** `topic`'s record values (read_committed), one per line, with kcat; returns the lines. */
async function kcatDump(bootstrap: string, topic: string, file: string): Promise<string[]> {
  const out = await new Deno.Command("kcat", {
    args: [
      "-b",
      bootstrap,
      "-C",
      "-t",
      topic,
      "-e",
      "-q",
      "-f",
      "%s\\n",
      "-X",
      "isolation.level=read_committed",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, `kcat ${topic}: ${new TextDecoder().decode(out.stderr)}`);
  const text = new TextDecoder().decode(out.stdout);
  await Deno.writeTextFile(file, text);
  return text.split("\n").filter(Boolean);
}

/** `pos-producer replay` of the dumps: its transactions and its DLQ lines. */
async function replay(
  w: Walkthrough,
  dir: string,
): Promise<{ txs: Tx[]; dlq: { reason: string; detail?: string; original?: string }[] }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${ROOT}main.ts`,
      "replay",
      "--foot",
      `${dir}/foot.jsonl`,
      "--shelf",
      `${dir}/shelf.jsonl`,
      "--store",
      w.store,
      "--discounts",
      w.discounts,
      "--dlq",
      `${dir}/replay-dlq.jsonl`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  assert.ok(out.success, `replay failed: ${dec.decode(out.stderr)}`);
  const lines = (text: string) => text.split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const stdout = dec.decode(out.stdout);
  await Deno.writeTextFile(`${dir}/replay.jsonl`, stdout);
  return {
    txs: lines(stdout),
    dlq: lines(await Deno.readTextFile(`${dir}/replay-dlq.jsonl`).catch(() => "")),
  };
}

/**
 * Waits until the output stops growing: 2 s once it holds `expected` transactions, else
 * IDLE_SEC + G + 3 s (the end of input is checked out IDLE_SEC after the last record).
 */
async function settled(out: Watched, expected: number, timeoutMs = 90_000): Promise<void> {
  const quietMs = (IDLE_SEC + GRACE_SEC + 3) * 1000;
  const deadline = Date.now() + timeoutMs;
  let last = out.records.length;
  let since = Date.now();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    if (out.records.length !== last) {
      last = out.records.length;
      since = Date.now();
    } else if (Date.now() - since >= (last >= expected ? 2000 : quietMs)) return;
  }
}

/** What differs between the service's transactions and replay's, with the records behind. */
function differences(
  got: Tx[],
  expected: Tx[],
  input: { foot: string[]; shelf: string[] },
  dlq: { value: string | null; headers: Record<string, string> }[],
): string {
  const byCustomer = (txs: Tx[]) => {
    const m = new Map<string, Tx[]>();
    for (const t of txs) m.set(String(t.customer_id), [...(m.get(String(t.customer_id)) ?? []), t]);
    return m;
  };
  const g = byCustomer(got);
  const e = byCustomer(expected);
  const missing = [...e.keys()].filter((c) => !g.has(c));
  const extra = [...g.keys()].filter((c) => !e.has(c));
  const different = [...e.keys()].filter((c) =>
    g.has(c) &&
    canonical(g.get(c)!.map(canonical).sort()) !== canonical(e.get(c)!.map(canonical).sort())
  );
  if (missing.length + extra.length + different.length === 0) return "";
  const of = (c: string, lines: string[]) => lines.filter((l) => l.includes(`"${c}"`));
  const dlqOf = (c: string) =>
    dlq.filter((d) => d.value?.includes(`"${c}"`)).map((d) =>
      `${d.headers["dlq.reason"]} (${d.headers["dlq.detail"] ?? ""}) ${d.value}`
    );
  const show = (c: string) =>
    [
      `  customer ${c}`,
      `    service: ${(g.get(c) ?? []).map((t) => JSON.stringify(t)).join("\n             ")}`,
      `    replay:  ${(e.get(c) ?? []).map((t) => JSON.stringify(t)).join("\n             ")}`,
      `    foot:    ${of(c, input.foot).join("\n             ")}`,
      `    shelf (${of(c, input.shelf).length}): ${of(c, input.shelf).join("\n             ")}`,
      `    dlq (${dlqOf(c).length}): ${dlqOf(c).join("\n             ")}`,
    ].join("\n");
  return [
    `service ${got.length} transactions, replay ${expected.length}: ${missing.length} customers ` +
    `missing, ${extra.length} extra, ${different.length} different`,
    ...missing.slice(0, 2).map((c) => `missing:\n${show(c)}`),
    ...extra.slice(0, 2).map((c) => `extra:\n${show(c)}`),
    ...different.slice(0, 2).map((c) => `different:\n${show(c)}`),
  ].join("\n");
}

/**
 * Starts the README's service, runs the README's simulate lines in `order`, each to its end,
 * then compares the output topic with `replay` of both input topics.
 */
async function runSequence(prefix: string, order: ("backfill" | "live")[]): Promise<void> {
  const w = await walkthrough(prefix);
  const dir = await Deno.makeTempDir({ prefix: `pos-${prefix}-` });
  const t0 = Date.now();
  const svc = await startService(w.serviceArgs, w.env);
  let out: Watched | undefined;
  let passed = false;
  try {
    await eventually("service ready", () => isReady(svc), 60_000, 100);
    out = await watchTopic(w.kafka, w.env.POS_TOPIC);
    for (const step of order) {
      const { output, sec } = await runLine(w, step === "backfill" ? w.backfill : w.live);
      const sent = /^sent .*$/m.exec(output)?.[0] ?? "";
      const seed = /^seed (\d+)/m.exec(output)?.[1] ?? "?";
      console.log(
        `${step}: ${sec.toFixed(1)} s, seed ${seed}: ${sent}; ${out.records.length} billed so far`,
      );
    }
    const foot = await kcatDump(w.bootstrap, w.env.FOOT_TOPIC, `${dir}/foot.jsonl`);
    const shelf = await kcatDump(w.bootstrap, w.env.SHELF_TOPIC, `${dir}/shelf.jsonl`);
    const expected = await replay(w, dir);
    await settled(out, expected.txs.length);
    const got = (await readAll(w.kafka, w.env.POS_TOPIC)).map((m) => JSON.parse(m.value!) as Tx);
    const dlq = await readAll(w.kafka, w.env.DLQ_TOPIC);
    const serviceDlq = counts(dlq.map((d) => d.headers["dlq.reason"]));
    const replayDlq = counts(expected.dlq.map((d) => d.reason));
    console.log(
      `${order.join(", ")}: ${foot.length} sessions, ${shelf.length} shelf events; billed ` +
        `${got.length}, replay ${expected.txs.length}; DLQ service ${
          JSON.stringify(serviceDlq)
        }, replay ${JSON.stringify(replayDlq)}; ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    assert.ok(expected.txs.length > 300, `replay gave ${expected.txs.length}`);
    assert.deepEqual(billedTwice(got), [], "customers billed twice");
    const diff = differences(got, expected.txs, { foot, shelf }, dlq);
    if (diff) assert.fail(`the output is not replay of everything written\n${diff}`);
    assert.equal(serviceDlq.late ?? 0, replayDlq.late ?? 0, "late records: service vs replay");
    assert.equal(await stopService(svc), 0);
    passed = true;
  } finally {
    await out?.stop();
    svc.kill("SIGKILL");
    if (passed) await Deno.remove(dir, { recursive: true });
    else console.log(`dumps kept in ${dir}; service log ${svc.logFile}`);
  }
}

Deno.test(
  "the README's walkthrough, run as a user types it (backfill, live, backfill again), bills every simulated visit exactly once, as replay of everything written",
  opts,
  () => runSequence("readme-seq", ["backfill", "live", "backfill"]),
);

Deno.test(
  "the README's walkthrough in another order (live, backfill, backfill again) bills every simulated visit exactly once, as replay of everything written",
  opts,
  () => runSequence("readme-seq-live-first", ["live", "backfill", "backfill"]),
);

Deno.test(
  "the README's live example gives its first transaction within 30 s",
  opts,
  async () => {
    const w = await walkthrough("readme-live");
    const svc: ServiceProcess = await startService(w.serviceArgs, w.env);
    let sim: Deno.ChildProcess | undefined;
    let out: Watched | undefined;
    try {
      await eventually("service ready", () => isReady(svc), 60_000, 100);
      out = await watchTopic(w.kafka, w.env.POS_TOPIC);
      const t0 = Date.now();
      sim = spawnLine(w, w.live);
      const o = out;
      await eventually(
        `a first transaction within ${FIRST_TRANSACTION_SEC} s of the live example's start`,
        () => o.records.length > 0,
        FIRST_TRANSACTION_SEC * 1000,
        50,
      );
      const first = (o.records[0].atMs - t0) / 1000;
      console.log(`the live example's first transaction ${first.toFixed(1)} s after its start`);
      assert.ok(first <= FIRST_TRANSACTION_SEC, `${first} s`);
      assert.equal(await stopService(svc), 0);
    } finally {
      if (sim) {
        killTree(sim.pid, "SIGINT");
        const ended = await Promise.race([
          sim.output().then(() => true),
          new Promise<boolean>((r) => setTimeout(() => r(false), 10_000)),
        ]);
        if (!ended) {
          killTree(sim.pid, "SIGKILL");
          await sim.status;
        }
      }
      await out?.stop();
      svc.kill("SIGKILL");
    }
  },
);
