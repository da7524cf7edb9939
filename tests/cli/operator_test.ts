/**
 * What an operator sees at the command line (issue 24): a negative number meets the option's
 * range check, an unknown flag or command gets the nearest known one, a variable one edit away
 * from one of ours is warned about at start, every command's `--help` fits 100 columns, and
 * Ctrl-C with the broker out of reach stops at once with exit 0. No broker: `main.ts` runs as a
 * subprocess with a clean environment, against a port where nothing listens.
 */
import assert from "node:assert/strict";
import { parseServiceConfig, SERVICE_OPTIONS } from "../../lib/cli/config.ts";
import {
  editDistance,
  nearest,
  nearMissVariables,
  type OptionSpec,
  UsageError,
  wrapWords,
} from "../../lib/cli/options.ts";

const ROOT = new URL("../../", import.meta.url);
const MAIN = new URL("main.ts", ROOT).pathname;
const STORE = new URL("examples/store_inventory_final.parquet", ROOT).pathname;
const DISCOUNTS = new URL("examples/all_discounts.parquet", ROOT).pathname;
const OPTIONS = Object.values(SERVICE_OPTIONS as Record<string, OptionSpec<unknown>>);
/** Where nothing listens: every connection is refused. */
const NO_BROKER = "127.0.0.1:1";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, ...args],
    env: { ...env, NO_COLOR: "1" },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** The one message line of a usage error (the line after it may only point at `--help`). */
function usageLine(r: Run): string {
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 2, `one line and the --help pointer:\n${r.stderr}`);
  assert.match(lines[1], /^\(see pos-producer .*--help\)$/);
  return lines[0];
}

/** The options of `run` whose values are numbers (a word is refused as "expected a number"). */
const NUMERIC = OPTIONS.filter((o) => {
  try {
    o.parse("many");
    return false;
  } catch (e) {
    return /number|price/.test((e as Error).message);
  }
});

Deno.test("a negative number reaches the option's range check: one line naming the range, exit 2", async () => {
  for (const args of [["--commit-interval-ms", "-5"], ["--commit-interval-ms=-5"]]) {
    const r = await cli(args);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      usageLine(r),
      /^pos-producer: invalid value "-5" for --commit-interval-ms \/ COMMIT_INTERVAL_MS .*expected 10\.\.60000; got -5$/,
    );
    assert.doesNotMatch(r.stderr, /ambiguous/);
  }
  assert.ok(NUMERIC.length >= 8, NUMERIC.map((o) => o.flag).join(" "));
  for (const o of NUMERIC) {
    for (const args of [[`--${o.flag}`, "-5"], [`--${o.flag}=-5`], [`--${o.flag}`, "-0.5"]]) {
      assert.throws(
        () => parseServiceConfig(args, () => undefined),
        (e) => {
          assert.ok(e instanceof UsageError, String(e));
          assert.match(
            e.message,
            new RegExp(`^invalid value "-0?\\.?5" for --${o.flag} / ${o.env}`),
          );
          assert.doesNotMatch(e.message, /\n/);
          return true;
        },
        args.join(" "),
      );
    }
  }
});

Deno.test("a flag without its value says so in one line, naming the flag", () => {
  const refused = (args: string[]) => {
    try {
      parseServiceConfig(args, () => undefined);
    } catch (e) {
      assert.ok(e instanceof UsageError, String(e));
      assert.doesNotMatch(e.message, /\n/);
      return e.message;
    }
    assert.fail(`${args.join(" ")} was accepted`);
  };
  assert.match(refused(["--broker", "--ssl"]), /^--broker needs a value, and --ssl after it/);
  assert.equal(refused(["--commit-interval-ms"]), "--commit-interval-ms needs a value");
  assert.equal(refused(["--ssl=1"]), "--ssl is a switch and takes no value");
});

Deno.test("an unknown flag: one line with the known flag at most two edits away, exit 2", async () => {
  const r = await cli(["--brokr", "localhost:9092"]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(usageLine(r), "pos-producer: unknown option --brokr; did you mean --broker?");
  const t = await cli(["tail", "--from-begining"]);
  assert.equal(t.code, 2, t.stderr);
  assert.equal(
    usageLine(t),
    "pos-producer tail: unknown option --from-begining; did you mean --from-beginning?",
  );
  const far = await cli(["--no-such-flag"]);
  assert.equal(far.code, 2, far.stderr);
  assert.equal(usageLine(far), "pos-producer: unknown option --no-such-flag");
  const cmd = await cli(["simulte"]);
  assert.equal(cmd.code, 2, cmd.stderr);
  assert.match(cmd.stderr, /^pos-producer: unknown command "simulte"; did you mean simulate\?\n/);
});

Deno.test("edit distance: insertions, deletions, substitutions and swaps count one each", () => {
  assert.equal(editDistance("brokr", "broker"), 1);
  assert.equal(editDistance("borker", "broker"), 1);
  assert.equal(editDistance("KAFKA_BROKERS", "KAFKA_BROKER"), 1);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(nearest("--brker", ["--broker", "--brokers"], 2), "--broker");
  assert.equal(nearest("--zzz", ["--broker"], 2), undefined);
});

Deno.test("a variable one edit from one of ours is named with the one meant; others are not looked at", () => {
  const known = OPTIONS.map((o) => o.env!);
  const found = nearMissVariables(
    ["KAFKA_BROKERS", "FOOT_TOPICS", "kafka_broker", "KAFKA_BROKER", "PATH", "HOME", "JAVA_HOME"],
    known,
  );
  assert.deepEqual(found.map((f) => f.line), [
    "KAFKA_BROKERS is not a pos-producer variable; did you mean KAFKA_BROKER?",
    "FOOT_TOPICS is not a pos-producer variable; did you mean FOOT_TOPIC?",
    "kafka_broker is not a pos-producer variable; did you mean KAFKA_BROKER?",
  ]);
});

/** `main.ts run` against a port where nothing listens, with the sample price book. */
function startRun(env: Record<string, string> = {}) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      MAIN,
      "run",
      "--broker",
      NO_BROKER,
      "--metrics-port",
      "0",
      "--store",
      STORE,
      "--discounts",
      DISCOUNTS,
    ],
    env: { ...env, NO_COLOR: "1" },
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const dec = new TextDecoder();
  const read = (async () => {
    for await (const c of child.stderr) stderr += dec.decode(c, { stream: true });
  })();
  return { child, stderr: () => stderr, read };
}

/** Waits until `ok()`, at most `ms`. */
async function until(ok: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

Deno.test("KAFKA_BROKERS, FOOT_TOPICS: warned about once at start, naming the variable meant", async () => {
  const svc = startRun({ KAFKA_BROKERS: "edge:9092", FOOT_TOPICS: "foot", FOOT_TRAFFIC: "1" });
  let exited = false;
  svc.child.status.then(() => exited = true);
  await until(() => exited || svc.stderr().includes("price book loaded"), 30_000);
  if (!exited) svc.child.kill("SIGINT");
  await svc.child.status;
  await svc.read;
  assert.match(svc.stderr(), /price book loaded/);
  const warnings = svc.stderr().split("\n").filter((l) => l.includes("not a pos-producer variable"))
    .map((l) => JSON.parse(l));
  assert.deepEqual(warnings.map((w) => [w.level, w.msg]).sort(), [
    ["warn", "FOOT_TOPICS is not a pos-producer variable; did you mean FOOT_TOPIC?"],
    ["warn", "KAFKA_BROKERS is not a pos-producer variable; did you mean KAFKA_BROKER?"],
  ]);
});

Deno.test({
  name: "Ctrl-C with the broker out of reach: exit 0 within seconds (nothing was in flight)",
  fn: async () => {
    const svc = startRun();
    // Until KafkaJS is retrying its first connection, then some more of its retries.
    await until(() => svc.stderr().includes("ECONNREFUSED"), 30_000);
    await new Promise((r) => setTimeout(r, 2000));
    const sent = Date.now();
    svc.child.kill("SIGINT");
    const { code } = await svc.child.status;
    const tookMs = Date.now() - sent;
    await svc.read;
    assert.equal(code, 0, svc.stderr().slice(-3000));
    assert.ok(tookMs < 5000, `took ${tookMs} ms`);
    assert.doesNotMatch(svc.stderr(), /stop took too long/);
  },
});

Deno.test("every command's --help fits in 100 columns", async () => {
  for (const cmd of ["run", "replay", "check-data", "demo", "simulate", "tail", "sample-data"]) {
    const r = await cli([cmd, "-h"]);
    assert.equal(r.code, 0, `${cmd} -h: ${r.stderr}`);
    const long = r.stdout.split("\n").filter((l) => l.length > 100);
    assert.deepEqual(long, [], `${cmd} -h`);
  }
  const top = await cli(["--help"]);
  assert.deepEqual(top.stdout.split("\n").filter((l) => l.length > 100), []);
});

Deno.test("wrapWords: lines within the width, broken between words, a long word alone", () => {
  const words = "a bb ccc dddd eeeee".split(" ");
  assert.deepEqual(wrapWords(words, " ", "> ", "  ", 10), ["> a bb ccc", "  dddd", "  eeeee"]);
  assert.deepEqual(wrapWords(["x".repeat(12)], " ", "", "", 10), ["x".repeat(12)]);
  assert.deepEqual(wrapWords([], " ", "  ", "  ", 10), ["  "]);
});

Deno.test("simulate against a broker it cannot reach names the broker and what sets it", async () => {
  const r = await cli([
    "simulate",
    "--broker",
    NO_BROKER,
    "--customers",
    "2",
    "--as-fast-as-possible",
  ]);
  assert.equal(r.code, 1);
  const last = r.stderr.trim().split("\n").at(-1)!;
  assert.match(
    last,
    /^pos-producer simulate: .*\(broker 127\.0\.0\.1:1: check --broker \/ KAFKA_BROKER\)$/,
  );
});
