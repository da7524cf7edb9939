/**
 * `pos-producer demo` (issue 6): runs without network or Kafka, its summary equals the sum of
 * the transactions it writes, the same seed gives the same day, faults are counted.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { DEFAULT_DATE, generatedCatalog, runDemo } from "../../lib/sim/demo.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const DATA = new URL("../../examples/", import.meta.url).pathname;

async function demo(
  args: string[],
  perms = ["--allow-read", "--allow-env"],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...perms, MAIN, "demo", ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

interface Tx {
  transaction_id: string;
  customer_id: string;
  timestamp: string;
  items: {
    item_id: string;
    quantity: number;
    unit_price: number;
    discount: number;
    total_price: number;
  }[];
}

const cents = (x: number) => Math.round(x * 100);

/** The summary's figures recomputed from the transactions. */
function totals(txs: Tx[]) {
  let lines = 0, items = 0, revenue = 0, list = 0;
  for (const t of txs) {
    for (const l of t.items) {
      lines++;
      items += l.quantity;
      revenue += cents(l.total_price);
      list += l.quantity * cents(l.unit_price);
    }
  }
  return {
    transactions: txs.length,
    lines,
    itemsSold: items,
    revenue: revenue / 100,
    discountGiven: (list - revenue) / 100,
  };
}

Deno.test("demo runs with only read+env (no network): summary totals equal its transactions", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pos-demo-" });
  const out = `${dir}/day.jsonl`;
  const r = await demo(
    ["--customers", "400", "--seed", "3", "--out", out, "--json"],
    ["--allow-read", "--allow-env", `--allow-write=${out}`],
  );
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  const txs: Tx[] = (await Deno.readTextFile(out)).trim().split("\n").map((l) => JSON.parse(l));
  const t = totals(txs);
  assert.equal(summary.transactions, t.transactions);
  assert.equal(summary.lines, t.lines);
  assert.equal(summary.itemsSold, t.itemsSold);
  assert.equal(summary.revenue, t.revenue);
  assert.equal(summary.discountGiven, t.discountGiven);
  assert.ok(summary.discountGiven > 0, "the generated catalog has discounts this week");
  assert.equal(summary.customers, 400);
  assert.equal(summary.leftWithoutBuying, 400 - t.transactions);
  // Sorted by timestamp, one per customer, ids unique.
  const us = txs.map((x) => Date.parse(x.timestamp));
  for (let i = 1; i < us.length; i++) assert.ok(us[i - 1] <= us[i]);
  assert.equal(new Set(txs.map((x) => x.transaction_id)).size, txs.length);
  assert.equal(new Set(txs.map((x) => x.customer_id)).size, txs.length);
  // The top items are the best sellers of the file.
  const sold = new Map<string, number>();
  for (const x of txs) {
    for (const l of x.items) sold.set(l.item_id, (sold.get(l.item_id) ?? 0) + l.quantity);
  }
  assert.equal(summary.topItems[0].quantity, Math.max(...sold.values()));
  // Faults are injected and counted.
  assert.ok(
    summary.quality.late >= 1 && summary.quality.invalid >= 1,
    JSON.stringify(summary.quality),
  );
  assert.ok(summary.quality.duplicateSessions >= 1);
  assert.ok(summary.quality.skippedEvents["shelf:weight_change"] > 0);

  // The same seed again (a second process): the same file, byte for byte.
  const out2 = `${dir}/day2.jsonl`;
  const r2 = await demo(
    ["--customers", "400", "--seed", "3", "--out", out2, "--json"],
    ["--allow-read", "--allow-env", `--allow-write=${out2}`],
  );
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(await Deno.readTextFile(out2), await Deno.readTextFile(out));
  assert.deepEqual(JSON.parse(r2.stdout), summary);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("demo's text summary: no ANSI when not a terminal, the headline figures present", async () => {
  const r = await demo([]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stdout.includes("\x1b["), "no colour codes in a pipe");
  assert.equal(r.stderr, "", "no progress bar when stderr is not a terminal");
  for (
    const word of [
      "customers",
      "transactions",
      "revenue",
      "discount given",
      "top items",
      "late shelf events",
      "invalid records",
    ]
  ) {
    assert.ok(r.stdout.includes(word), word);
  }
  assert.match(r.stdout, new RegExp(`Friday ${DEFAULT_DATE}`));
  assert.match(r.stdout, /customers\s+1,200/);
  assert.match(r.stdout, /late shelf events\s+[1-9]/);
  assert.match(r.stdout, /invalid records\s+[1-9]/);
});

Deno.test("demo --out without write permission exits 2 and says how to grant it", async () => {
  const r = await demo(["--customers", "10", "--out", "/tmp/pos-demo-denied.jsonl"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--allow-write/);
});

Deno.test("demo --out - writes JSONL on stdout and the summary on stderr", async () => {
  const r = await demo(["--customers", "50", "--out", "-", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const txs: Tx[] = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(JSON.parse(r.stderr).transactions, txs.length);
});

Deno.test("demo: bad usage exits 2 naming the flag", async () => {
  for (
    const args of [["--customers", "-1"], ["--date", "2025-13-01"], ["--discounts", "x.parquet"], [
      "--bogus",
    ]]
  ) {
    const r = await demo(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, /--customers|--date|--discounts|bogus/);
  }
});

Deno.test("property: demo with a seed gives the same day twice (in-process)", () => {
  const catalog = generatedCatalog(DEFAULT_DATE);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 31 }),
      fc.integer({ min: 1, max: 150 }),
      fc.constantFrom("2025-11-07", "2025-11-08", "2025-11-10"),
      (seed, customers, date) => {
        const cat = date === DEFAULT_DATE ? catalog : generatedCatalog(date);
        const a = runDemo({ date, seed, customers, catalog: cat });
        const b = runDemo({ date, seed, customers, catalog: generatedCatalog(date) });
        assert.deepEqual(a, b);
        assert.equal(a.summary.transactions, a.transactions.length);
        assert.equal(a.summary.customers, customers);
      },
    ),
    { numRuns: 8 },
  );
});

Deno.test("demo without faults: nothing late, invalid or duplicate", () => {
  const r = runDemo({
    date: DEFAULT_DATE,
    seed: 2,
    customers: 300,
    catalog: generatedCatalog(DEFAULT_DATE),
    faults: false,
  });
  assert.equal(r.summary.quality.late, 0);
  assert.equal(r.summary.quality.invalid, 0);
  assert.equal(r.summary.quality.duplicateSessions, 0);
  assert.equal(r.summary.quality.excessPutbacks, 0);
});

Deno.test({
  name: "demo with the sample parquet files: 2025-W45 discounts apply, prices are the inventory's",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "pos-demo-" });
    const out = `${dir}/real.jsonl`;
    const r = await demo(
      [
        "--customers",
        "300",
        "--store",
        `${DATA}/store_inventory_final.parquet`,
        "--discounts",
        `${DATA}/all_discounts.parquet`,
        "--out",
        out,
        "--json",
      ],
      ["--allow-read", "--allow-env", `--allow-write=${out}`],
    );
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.ok(s.catalog.items === 48 && s.catalog.discountedItems > 0, JSON.stringify(s.catalog));
    assert.ok(s.discountGiven > 0 && s.discountedLines > 0);
    assert.equal(s.quality.unknownItems, 0);
    const txs: Tx[] = (await Deno.readTextFile(out)).trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(
      {
        transactions: s.transactions,
        lines: s.lines,
        itemsSold: s.itemsSold,
        revenue: s.revenue,
        discountGiven: s.discountGiven,
      },
      totals(txs),
    );
    await Deno.remove(dir, { recursive: true });
  },
});
