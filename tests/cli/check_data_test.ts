import assert from "node:assert/strict";
import { Float64, Table, Utf8, vectorFromArray } from "apache-arrow";
import { initParquet } from "../../lib/catalog/loader.ts";
import { main } from "../../lib/cli/check_data.ts";
import { captureConsole } from "../support/console_capture.ts";

const parquet = await initParquet();
const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const DATA = new URL("../../examples/", import.meta.url).pathname;

/** Runs `pos-producer check-data ARGS` as a subprocess. */
async function cli(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", MAIN, "check-data", ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Runs main in-process with console output captured. */
async function inProcess(args: string[]) {
  const { result, out, err } = await captureConsole(() => main(args));
  return { code: result, stdout: out.join("\n"), stderr: err.join("\n") };
}

async function fixtures() {
  const dir = await Deno.makeTempDir({ prefix: "pos-check-" });
  const store = `${dir}/inv.parquet`;
  const disc = `${dir}/disc.parquet`;
  await Deno.writeFile(
    store,
    parquet.writeTable(
      new Table({
        shelf_id: vectorFromArray(["A", "B", "A", "C"], new Utf8()),
        item_price: vectorFromArray([1, 2, 3, null], new Float64()),
      }),
    ),
  );
  await Deno.writeFile(
    disc,
    parquet.writeTable(
      new Table({
        shelf_id: vectorFromArray(["A", "A", "Z", "B"], new Utf8()),
        week: vectorFromArray(["2025-W01", "2025-W03", "2025-W03", "bad"], new Utf8()),
        discount: vectorFromArray([0.1, 0.2, 0.3, 0.4], new Float64()),
      }),
    ),
  );
  return { dir, store, disc };
}

Deno.test("check-data --json on good files: exit 0 and the report", async () => {
  const { dir, store, disc } = await fixtures();
  try {
    const r = await inProcess(["--store", store, "--discounts", disc, "--json"]);
    assert.equal(r.code, 0);
    const report = JSON.parse(r.stdout);
    assert.equal(report.inventory.rows, 4);
    assert.equal(report.inventory.duplicatedIds, 1);
    assert.deepEqual(report.inventory.rejected, { "null or non-numeric item_price": 1 });
    assert.deepEqual(report.discounts.weeks, {
      count: 2,
      first: "2025-W01",
      last: "2025-W03",
      gaps: ["2025-W02"],
    });
    assert.deepEqual(report.discounts.rejected, { "unparseable week": 1 });
    assert.equal(report.discounts.shelvesNotInInventory.ids, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check-data prints a readable table", async () => {
  const { dir, store, disc } = await fixtures();
  try {
    const r = await inProcess(["--store", store, "--discounts", disc]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /unique shelf ids\s+2/);
    assert.match(r.stdout, /week gaps\s+1: 2025-W02/);
    assert.match(r.stdout, /rows rejected\s+1 \(unparseable week\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check-data: a missing discount file is usable (exit 0) with a warning", async () => {
  const { dir, store } = await fixtures();
  try {
    const r = await inProcess(["--store", store, "--discounts", `${dir}/none.parquet`]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /discount file not found/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check-data: a missing inventory file exits 2 naming it", async () => {
  const r = await inProcess(["--store", "/nonexistent/inv.parquet", "--discounts", "/x"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /\/nonexistent\/inv\.parquet/);
});

Deno.test("check-data: missing columns exit 2 naming the file and the columns", async () => {
  const { dir, disc } = await fixtures();
  try {
    const r = await inProcess(["--store", disc, "--discounts", disc, "--json"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /disc\.parquet.*item_price/);
    assert.deepEqual(JSON.parse(r.stdout).missingColumns, ["item_price"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check-data: a file that is not parquet exits 2", async () => {
  const { dir, store } = await fixtures();
  try {
    await Deno.writeTextFile(`${dir}/bad.parquet`, "hello");
    const r = await inProcess(["--store", store, "--discounts", `${dir}/bad.parquet`]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.parquet.*not a readable parquet/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check-data: --help exits 0, an unknown flag exits 2", async () => {
  const help = await inProcess(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: pos-producer check-data/);
  const bad = await inProcess(["--nope"]);
  assert.equal(bad.code, 2);
});

Deno.test("check-data via main.ts: env STORE_PARQUET/DISCOUNT_PARQUET_PATH, exit codes", async () => {
  const { dir, store, disc } = await fixtures();
  try {
    const ok = await cli(["--json"], { STORE_PARQUET: store, DISCOUNT_PARQUET_PATH: disc });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).inventory.source, store);
    const flagWins = await cli(["--store", `${dir}/missing.parquet`], { STORE_PARQUET: store });
    assert.equal(flagWins.code, 2);
    assert.match(flagWins.stderr, /missing\.parquet/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "check-data via main.ts on the sample files: exit 0",
  fn: async () => {
    const r = await cli([
      "--store",
      `${DATA}store_inventory_final.parquet`,
      "--discounts",
      `${DATA}all_discounts.parquet`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /weeks covered\s+151 \(2024-W01 \.\. 2026-W53\)/);
  },
});
