/**
 * The CLI as a user meets it: `main.ts` run as a subprocess (help, version, exit codes, option
 * errors, check-data), the README's generated configuration table, and the permission set of
 * `deno task compile` (the compiled binary cannot be built here, so the same permissions are
 * given to `deno run`; see docs/packaging.md).
 */
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { parseServiceConfig, SERVICE_OPTIONS } from "../../lib/cli/config.ts";
import type { OptionSpec } from "../../lib/cli/options.ts";
import { VERSION } from "../../lib/cli/version.ts";
import { BEGIN, configRows, configTable, END } from "../../deploy/config_table.ts";
import { freePort, testBroker, uniqueServiceNames } from "../support/kafka.ts";
import { readyBy } from "../support/service_process.ts";
import { SERVICE_ENV, SERVICE_V8_FLAGS, taskCommand, v8FlagsOf } from "../support/deno_tasks.ts";

const ROOT = new URL("../../", import.meta.url);
const MAIN = new URL("main.ts", ROOT).pathname;
const DATA = new URL("examples/", ROOT).pathname;
const STORE = `${DATA}store_inventory_final.parquet`;
const DISCOUNTS = `${DATA}all_discounts.parquet`;
const OPTIONS = Object.values(SERVICE_OPTIONS as Record<string, OptionSpec<unknown>>);

const denoJson = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
const compileTask = taskCommand("compile");
/**
 * The runtime flags of `deno task compile`: what the compiled binary may do (`--allow-*`) and
 * how its heap grows (`--v8-flags`).
 */
const COMPILE_FLAGS = [
  ...compileTask.split(/\s+/).filter((a) => a.startsWith("--allow-")),
  ...SERVICE_V8_FLAGS,
];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `main.ts ARGS` in a subprocess with exactly `env` (plus PATH/HOME) and `permissions`. */
async function cli(
  args: string[],
  env: Record<string, string> = {},
  permissions = ["--allow-all"],
): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, MAIN, ...args],
    env: { ...env, NO_COLOR: "1" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("--help: usage, every command, exit codes", async () => {
  const r = await cli(["--help"]);
  assert.equal(r.code, 0, r.stderr);
  for (const word of ["Usage:", "replay", "check-data", "demo", "simulate", "--version"]) {
    assert.ok(r.stdout.includes(word), `--help lacks ${word}:\n${r.stdout}`);
  }
  assert.match(r.stdout, /Exit codes: 0 ok, 1 runtime failure, 2 bad usage/);
});

Deno.test("--version prints the version of deno.json", async () => {
  assert.equal(VERSION, denoJson.version, "lib/cli/version.ts and deno.json disagree");
  for (const flag of ["--version", "-V"]) {
    const r = await cli([flag]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `pos-producer ${VERSION}`);
  }
});

Deno.test("a bad flag value exits 2 naming the flag and the variable", async () => {
  const r = await cli(["--max-session-age-sec", "abc"]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--max-session-age-sec/);
  assert.match(r.stderr, /MAX_SESSION_AGE_SEC/);
  assert.match(r.stderr, /"abc"/);
  assert.equal(r.stdout, "");
});

Deno.test("a bad variable exits 2 naming the variable and the flag", async () => {
  const r = await cli(["run"], { MAX_SESSION_AGE_SEC: "-1" });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /MAX_SESSION_AGE_SEC/);
  assert.match(r.stderr, /--max-session-age-sec/);
  const d = await cli([], { DELIVERY: "twice" });
  assert.equal(d.code, 2, d.stderr);
  assert.match(d.stderr, /--delivery \/ DELIVERY/);
});

Deno.test("a flag beats its variable: a good flag over a bad variable still parses", async () => {
  // --help after the options: parsing succeeds and prints help (exit 0), so the flag won.
  const r = await cli(["run", "--max-session-age-sec", "60", "--help"], {
    MAX_SESSION_AGE_SEC: "-1",
  });
  assert.equal(r.code, 0, r.stderr);
});

Deno.test("an unknown flag or command exits 2 and names it", async () => {
  const f = await cli(["--no-such-flag"]);
  assert.equal(f.code, 2, f.stderr);
  assert.match(f.stderr, /no-such-flag/);
  const c = await cli(["frobnicate"]);
  assert.equal(c.code, 2, c.stderr);
  assert.match(c.stderr, /unknown command "frobnicate"/);
});

Deno.test("APPLICATION_ID, its TRANSACTIONAL_ID stand-in, and the repartition topic's name", () => {
  const parse = (env: Record<string, string>, args: string[] = []) => {
    const c = parseServiceConfig(args, (n) => env[n]).config;
    return [c.applicationId, c.repartitionTopic, c.transactionalId];
  };
  assert.deepEqual(parse({}), [
    "pos-producer",
    "pos-producer-by-customer",
    "pos-producer",
  ]);
  // An upgrade that set TRANSACTIONAL_ID keeps its ids' prefix.
  assert.deepEqual(parse({ TRANSACTIONAL_ID: "store-7" }), [
    "store-7",
    "store-7-by-customer",
    "store-7",
  ]);
  assert.deepEqual(parse({ TRANSACTIONAL_ID: "old", APPLICATION_ID: "app" }), [
    "app",
    "app-by-customer",
    "old",
  ]);
  assert.deepEqual(parse({ APPLICATION_ID: "app" }, ["--application-id", "flag"])[0], "flag");
  assert.deepEqual(parse({ REPARTITION_TOPIC: "by-customer" })[1], "by-customer");
  assert.deepEqual(parse({}, ["--repartition-topic", "r2"])[1], "r2");
  assert.throws(() => parse({ APPLICATION_ID: " " }), /--application-id \/ APPLICATION_ID/);
});

Deno.test("run --help lists every variable with its flag, every alias and default", async () => {
  const r = await cli(["run", "--help"]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n");
  for (const o of OPTIONS) {
    const line = lines.find((l) =>
      l.includes(`--${o.flag} `) || l.trimEnd().endsWith(`--${o.flag}`) ||
      l.includes(`--${o.flag},`)
    );
    assert.ok(line, `run --help has no line for --${o.flag}`);
    for (const alias of o.aliases ?? []) {
      assert.match(line, new RegExp(`--${alias}[ ,]`), `--${o.flag} line lacks --${alias}`);
    }
    assert.ok(line.includes(o.env!), `--${o.flag} line lacks ${o.env}: ${line}`);
    if (o.default !== undefined && !o.secret) {
      const shown = o.default === "" ? '[""]' : `[${o.default}]`; // an empty default shows as [""]
      assert.ok(line.includes(shown), `--${o.flag} line lacks ${shown}: ${line}`);
    }
  }
  assert.doesNotMatch(r.stdout, /KAFKA_SASL_PASSWORD\s+\[/, "a secret shows a default");
});

Deno.test({
  name: "check-data on the sample files: exit 0 and the load report",
  fn: async () => {
    const r = await cli(["check-data", "--store", STORE, "--discounts", DISCOUNTS]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /inventory\s+.*store_inventory_final\.parquet/);
    assert.match(r.stdout, /weeks covered\s+\d+/);
    // The same through the variables, as the container sets them.
    const e = await cli(["check-data", "--json"], {
      STORE_PARQUET: STORE,
      DISCOUNT_PARQUET_PATH: DISCOUNTS,
    });
    assert.equal(e.code, 0, e.stderr);
    assert.ok(JSON.parse(e.stdout).inventory.rows > 0);
  },
});

Deno.test("check-data on a missing inventory file: exit 2 naming the file", async () => {
  const missing = `${await Deno.makeTempDir()}/nope.parquet`;
  const r = await cli(["check-data", "--store", missing, "--discounts", missing]);
  assert.equal(r.code, 2, r.stderr);
  assert.ok(r.stderr.includes(missing), r.stderr);
});

Deno.test("README's configuration table is the one SERVICE_OPTIONS generates", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const block = readme.slice(readme.indexOf(BEGIN), readme.indexOf(END));
  assert.ok(block.length > 0, `README.md has no ${BEGIN} block`);
  // Compared cell by cell, so `deno fmt` may pad the table as it likes.
  const cells = (table: string) =>
    table.split("\n").filter((l) => l.startsWith("|") && !/^\|\s*-/.test(l)).map((l) =>
      l.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim())
    );
  assert.deepEqual(
    cells(block),
    cells(configTable()),
    "README.md is stale: deno run --allow-read --allow-write deploy/config_table.ts --write",
  );
  assert.equal(configRows().length, OPTIONS.length);
});

/** Every environment variable the code reads: option tables and direct `Deno.env.get` calls. */
async function variablesRead(): Promise<Set<string>> {
  const names = new Set(OPTIONS.map((o) => o.env!).filter(Boolean));
  const files = [MAIN];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) await walk(`${dir}/${e.name}`);
      else if (e.name.endsWith(".ts")) files.push(`${dir}/${e.name}`);
    }
  };
  await walk(new URL("lib", ROOT).pathname);
  for (const f of files) {
    const text = await Deno.readTextFile(f);
    const patterns = [
      /\benv:\s*"([A-Z][A-Z0-9_]*)"/g,
      /Deno\.env\.get\(\s*"([A-Z][A-Z0-9_]*)"/g,
      /\benv\(\s*"([A-Z][A-Z0-9_]*)"\s*\)/g,
      /process\.env\.([A-Z][A-Z0-9_]*)/g,
    ];
    for (const p of patterns) for (const m of text.matchAll(p)) names.add(m[1]);
  }
  // What kafkajs@2.2.4 reads through process.env (src/env.js, src/index.js,
  // src/loggers/index.js, src/retry/index.js); an unlisted read would throw NotCapable.
  for (
    const n of [
      "KAFKAJS_DEBUG_PROTOCOL_BUFFERS",
      "KAFKAJS_DEBUG_EXTENDED_PROTOCOL_BUFFERS",
      "KAFKAJS_LOG_LEVEL",
      "KAFKAJS_NO_PARTITIONER_WARNING",
      "NODE_ENV",
    ]
  ) names.add(n);
  return names;
}

Deno.test("deno task compile: scoped permissions that cover every variable the code reads", async () => {
  assert.match(compileTask, /^deno compile /);
  assert.match(compileTask, /--output dist\/pos-producer main\.ts$/);
  assert.ok(!/--allow-all|(^|\s)-A(\s|$)|--allow-sys|--allow-run|--allow-ffi/.test(compileTask));
  const envFlag = COMPILE_FLAGS.find((p) => p.startsWith("--allow-env="));
  assert.ok(envFlag, "the compile task must list its variables (--allow-env=A,B,…)");
  const allowed = new Set(envFlag.slice("--allow-env=".length).split(","));
  const missing = [...await variablesRead()].filter((n) => !allowed.has(n));
  assert.deepEqual(missing, [], `add to --allow-env of the compile task in deno.json`);
});

Deno.test("deno task start and deno task compile give the service the same V8 flags", () => {
  // The heap's growth factor: the backfill peak RSS (docs/service.md, "Footprint").
  assert.deepEqual(SERVICE_V8_FLAGS, [
    "--v8-flags=--heap-growing-percent=50,--max-semi-space-size=8",
  ]);
  assert.deepEqual(v8FlagsOf(taskCommand("start")), SERVICE_V8_FLAGS);
});

Deno.test("the Dockerfile gives the binary deno task start's malloc settings", async () => {
  const dockerfile = await Deno.readTextFile(new URL("Dockerfile", ROOT));
  assert.deepEqual(SERVICE_ENV, { MALLOC_MMAP_THRESHOLD_: "131072" });
  for (const [name, value] of Object.entries(SERVICE_ENV)) {
    assert.match(dockerfile, new RegExp(`^ENV ${name}=${value}$`, "m"));
  }
});

Deno.test("the compile task's permissions run --help, run --help, a bad value", async () => {
  const h = await cli(["--help"], {}, COMPILE_FLAGS);
  assert.equal(h.code, 0, h.stderr);
  const r = await cli(["run", "--help"], { KAFKA_BROKER: "edge:9092" }, COMPILE_FLAGS);
  assert.equal(r.code, 0, r.stderr);
  const b = await cli([], { METRICS_PORT: "http" }, COMPILE_FLAGS);
  assert.equal(b.code, 2, b.stderr);
  assert.match(b.stderr, /--metrics-port \/ METRICS_PORT/);
});

Deno.test({
  name: "the compile task's permissions: check-data reads parquet (parquet-wasm loads its .wasm)",
  fn: async () => {
    const r = await cli(
      ["check-data"],
      { STORE_PARQUET: STORE, DISCOUNT_PARQUET_PATH: DISCOUNTS },
      COMPILE_FLAGS,
    );
    assert.equal(r.code, 0, r.stderr);
  },
});

Deno.test({
  name: "the compile task's permissions: the service against a real broker",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const { bootstrap } = await testBroker();
    const port = freePort();
    const env: Record<string, string> = {
      KAFKA_BROKER: bootstrap,
      ...uniqueServiceNames("cli"),
      CREATE_TOPICS: "1",
      TOPIC_PARTITIONS: "1",
      METRICS_PORT: String(port),
      STORE_PARQUET: STORE,
      DISCOUNT_PARQUET_PATH: DISCOUNTS,
      LOG_LEVEL: "warn",
    };
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...COMPILE_FLAGS, MAIN],
      env: { ...env, ...SERVICE_ENV, NO_COLOR: "1" },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = child.output();
    const metric = async (name: string): Promise<number | undefined> => {
      try {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        const m = new RegExp(`^${name} (\\d+)`, "m").exec(text);
        return m ? Number(m[1]) : undefined;
      } catch {
        return undefined;
      }
    };
    try {
      const deadline = Date.now() + 60_000;
      await readyBy(port, deadline);
      const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic: env.SHELF_TOPIC,
        messages: [{
          value: JSON.stringify({
            event_type: "pickup",
            customer_id: "c1",
            item_id: "BEVWAT1",
            quantity: 2,
            timestamp: "2025-11-07T09:40:01+00:00",
          }),
        }],
      });
      // A second session far later moves event time past the first one's exit + grace.
      await producer.send({
        topic: env.FOOT_TOPIC,
        messages: [
          ["c1", "2025-11-07T09:30:00+00:00", "2025-11-07T09:50:00+00:00"],
          ["c2", "2025-11-07T11:30:00+00:00", "2025-11-07T11:50:00+00:00"],
        ].map(([c, entry, exit]) => ({
          key: c,
          value: JSON.stringify({
            event_type: "foot_traffic",
            customer_id: c,
            entry_time: entry,
            exit_time: exit,
          }),
        })),
      });
      await producer.disconnect();
      while ((await metric("pos_transactions_total") ?? 0) < 1) {
        assert.ok(Date.now() < deadline, "no transaction was committed");
        await new Promise((r) => setTimeout(r, 200));
      }
    } catch (e) {
      // What the service said is what explains a wait that ran out.
      child.kill("SIGTERM");
      const log = new TextDecoder().decode((await output).stderr).split("\n").slice(-40);
      throw new Error(
        `${(e as Error).message}\n--- the service's log, last lines ---\n${log.join("\n")}`,
      );
    }
    child.kill("SIGTERM");
    const out = await output;
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.doesNotMatch(stderr, /NotCapable|Requires \w+ access/);
  },
});
