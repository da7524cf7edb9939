/**
 * Every failure a user can cause ends in one line that names the flag or variable and the fix:
 * exit 2 for bad usage or data, 1 for runtime failures. `main.ts` runs as a subprocess with a
 * clean environment, from a temp folder (as a fresh checkout would be used).
 */
import assert from "node:assert/strict";
import { freePort } from "../support/kafka.ts";

const ROOT = new URL("../../", import.meta.url);
const MAIN = new URL("main.ts", ROOT).pathname;
const STORE = new URL("examples/store_inventory_final.parquet", ROOT).pathname;
const FOOT_LINE = JSON.stringify({
  event_type: "foot_traffic",
  customer_id: "c-1",
  entry_time: "2025-11-07T09:30:00+00:00",
  exit_time: "2025-11-07T09:50:00+00:00",
});
const SHELF_LINE = JSON.stringify({
  event_type: "pickup",
  customer_id: "c-1",
  item_id: "BEVWAT1",
  timestamp: "2025-11-07T09:40:00+00:00",
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, ...args],
    env: { ...env, NO_COLOR: "1" },
    clearEnv: true,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** The message's first line; the rest may only point at `--help`. */
function message(r: Run): string {
  const lines = r.stderr.trim().split("\n").filter((l) => !l.startsWith("{"));
  assert.ok(lines.length >= 1, `no message on stderr: ${r.stderr}`);
  for (const l of lines.slice(1)) assert.match(l, /^\(see pos-producer .*--help\)$/, r.stderr);
  assert.doesNotMatch(r.stderr, /^\s+at /m, "a stack trace");
  return lines[0];
}

async function replayFiles(): Promise<{ dir: string; foot: string; shelf: string }> {
  const dir = await Deno.makeTempDir({ prefix: "pos-cli-errors-" });
  await Deno.writeTextFile(`${dir}/foot.jsonl`, FOOT_LINE + "\n");
  await Deno.writeTextFile(`${dir}/shelf.jsonl`, SHELF_LINE + "\n");
  return { dir, foot: `${dir}/foot.jsonl`, shelf: `${dir}/shelf.jsonl` };
}

Deno.test("metrics port in use: exit 1 naming the port and --metrics-port / METRICS_PORT", async () => {
  const port = freePort();
  const taken = Deno.listen({ hostname: "0.0.0.0", port });
  try {
    const r = await cli(["--store", STORE, "--log-level", "error", "--broker", "127.0.0.1:1"], {
      METRICS_PORT: String(port),
    });
    assert.equal(r.code, 1, r.stderr);
    const m = message(r);
    assert.match(m, new RegExp(`port ${port} is in use`));
    assert.match(m, /--metrics-port \/ METRICS_PORT/);
  } finally {
    taken.close();
  }
});

Deno.test("replay --out into a missing folder or onto a folder: exit 2 naming --out", async () => {
  const { dir, foot, shelf } = await replayFiles();
  try {
    const base = ["replay", "--foot", foot, "--shelf", shelf, "--store", STORE];
    const missing = await cli([...base, "--out", `${dir}/nope/out.jsonl`]);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(message(missing), /--out .*nope.* does not exist; create it first/);
    const folder = await cli([...base, "--out", dir]);
    assert.equal(folder.code, 2, folder.stderr);
    assert.match(message(folder), /--out .* is a folder; give a file path/);
    const dlq = await cli([...base, "--dlq", `${dir}/nope/dlq.jsonl`]);
    assert.equal(dlq.code, 2, dlq.stderr);
    assert.match(message(dlq), /--dlq .* does not exist/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("replay on a folder exits 2 like a missing file, naming the flag", async () => {
  const { dir, foot, shelf } = await replayFiles();
  try {
    const onDir = await cli(["replay", "--foot", dir, "--shelf", shelf, "--store", STORE]);
    assert.equal(onDir.code, 2, onDir.stderr);
    assert.match(message(onDir), /--foot .* is a folder; give a JSONL file/);
    const gone = await cli(["replay", "--foot", foot, "--shelf", `${dir}/gone`, "--store", STORE]);
    assert.equal(gone.code, 2, gone.stderr);
    assert.match(message(gone), /--shelf .*gone: no such file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("missing inventory: exit 2 naming --store / STORE_PARQUET and the examples", async () => {
  const { dir, foot, shelf } = await replayFiles();
  try {
    for (
      const args of [
        ["replay", "--foot", foot, "--shelf", shelf],
        ["check-data"],
        ["--broker", "127.0.0.1:1", "--metrics-port", "0"],
      ]
    ) {
      const r = await cli(args, {}, dir);
      assert.equal(r.code, 2, `${args[0]}: ${r.stderr}`);
      const m = message(r);
      assert.match(m, /\/data\/store_inventory_final\.parquet/, args[0]);
      assert.match(m, /--store \(or STORE_PARQUET\)/, args[0]);
      assert.match(m, /examples\/store_inventory_final\.parquet/, args[0]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("-h works for every command; version is a command", async () => {
  for (const cmd of ["run", "replay", "check-data", "demo", "simulate", "tail", "sample-data"]) {
    const r = await cli([cmd, "-h"]);
    assert.equal(r.code, 0, `${cmd} -h: ${r.stderr}`);
    assert.match(r.stdout, /Usage|pos-producer/, cmd);
  }
  const v = await cli(["version"]);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /^pos-producer \d+\.\d+\.\d+/);
});

Deno.test("bad values name the flag, the variable and what is accepted", async () => {
  const price = await cli(["--unknown-item-price", "free"]);
  assert.equal(price.code, 2, price.stderr);
  assert.match(message(price), /--unknown-item-price \/ UNKNOWN_ITEM_PRICE.*or skip/);
  const force = await cli([], { FORCE_CHECKOUT_IF_EMPTY: "maybe" });
  assert.equal(force.code, 2, force.stderr);
  assert.match(message(force), /FORCE_CHECKOUT_IF_EMPTY.*on\/off/);
  const out = await cli(["sample-data", "--out", STORE]);
  assert.equal(out.code, 2, out.stderr);
  assert.match(message(out), /--out .* is a file; give a folder/);
});

Deno.test("replay's summary counts in words: 1 transaction, 1 foot line", async () => {
  const { dir, foot, shelf } = await replayFiles();
  try {
    const r = await cli(["replay", "--foot", foot, "--shelf", shelf, "--store", STORE]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /1 foot line, 1 shelf line → 1 transaction;/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
