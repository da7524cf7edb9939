/**
 * The sample price book (`pos-producer sample-data`, lib/sim/sample_data.ts) loaded as the service
 * loads it: the report, last-row-wins prices, the same discounts from both discount shapes, and
 * the committed examples/ being exactly what the command writes. Expected values come from the
 * demo catalog's rows, not from the price book.
 */
import assert from "node:assert/strict";
import { initParquet } from "../../lib/catalog/loader.ts";
import { demoDiscounts, demoItems } from "../../lib/sim/demo_catalog.ts";
import { DAY_MS, isoWeekLabelOf } from "../../lib/core/pricing/iso_week.ts";
import { SAMPLE_FILES, sampleInventoryRows, sampleTables } from "../../lib/sim/sample_data.ts";

const parquet = await initParquet();
const ROOT = new URL("../../", import.meta.url);
const MAIN = new URL("main.ts", ROOT).pathname;
const tables = sampleTables();
const bytes = {
  inventory: parquet.writeTable(tables.inventory),
  weekly: parquet.writeTable(tables.weekly),
  dated: parquet.writeTable(tables.dated),
};
const weeklyBook = parquet.priceBook(bytes.inventory, bytes.weekly);
const datedBook = parquet.priceBook(bytes.inventory, bytes.dated);
const items = demoItems();
const cents = (x: number) => Math.round(x * 100);

Deno.test("sample inventory: every demo item, price changes as earlier rows, last row wins", () => {
  const r = weeklyBook.report.inventory;
  const rows = sampleInventoryRows();
  assert.equal(r.rows, rows.length);
  assert.equal(r.acceptedRows, rows.length);
  assert.equal(r.uniqueShelfIds, items.length);
  assert.ok(r.duplicatedIds > 0, "no price change to exercise last-row-wins");
  assert.equal(r.overriddenRows, rows.length - items.length);
  for (const it of items) assert.equal(weeklyBook.unitCents(it.shelf_id), cents(it.item_price));
  // The overridden rows carry another price, so a first-row-wins reader would differ.
  const first = new Map<string, number>();
  for (const row of rows) if (!first.has(row.shelf_id)) first.set(row.shelf_id, row.item_price);
  assert.ok(items.some((it) => first.get(it.shelf_id) !== it.item_price));
});

Deno.test("sample discounts: 2024-W01..2026-W53, the demo catalog's discount in its ISO week", () => {
  const d = weeklyBook.report.discounts;
  assert.equal(d.acceptedRows, d.rows);
  assert.equal(d.weeks.first, "2024-W01");
  assert.equal(d.weeks.last, "2026-W53");
  assert.equal(d.weekLabelMismatches.rows, 0);
  assert.equal(d.shelvesNotInInventory.ids, 0);
  const from = Date.UTC(2024, 0, 1), to = Date.UTC(2026, 11, 31);
  const expected = new Map(
    demoDiscounts(items, from, to).map((r) => [`${r.shelf_id} ${r.week}`, Number(r.discount)]),
  );
  assert.equal(d.rows, expected.size);
  // Every item in every week (2024-01-01 is a Monday): midday of a varying weekday, and the
  // last minute of Sunday.
  for (let k = 0, monday = from; monday <= to; k++, monday += 7 * DAY_MS) {
    for (const t of [monday + (k % 7) * DAY_MS + DAY_MS / 2, monday + 7 * DAY_MS - 60_000]) {
      for (const it of items) {
        const want = expected.get(`${it.shelf_id} ${isoWeekLabelOf(t)}`) ?? 0;
        assert.equal(weeklyBook.discountHundredths(it.shelf_id, t), cents(want), `${it.shelf_id}`);
      }
    }
  }
});

Deno.test("sample discounts by date (midnight week_start/week_end, discount_pct) = by week label", () => {
  assert.equal(datedBook.report.discounts.rows, weeklyBook.report.discounts.rows);
  assert.deepEqual(datedBook.report.discounts.weeks, weeklyBook.report.discounts.weeks);
  // Hourly through a stretch of weeks: the Sunday end date covers the whole Sunday.
  for (let t = Date.UTC(2025, 9, 27); t < Date.UTC(2025, 11, 1); t += 3_600_000) {
    for (const it of items) {
      assert.equal(
        datedBook.discountHundredths(it.shelf_id, t),
        weeklyBook.discountHundredths(it.shelf_id, t),
        `${it.shelf_id} at ${new Date(t).toISOString()}`,
      );
    }
  }
});

Deno.test("examples/ holds exactly what `pos-producer sample-data` writes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pos-sample-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", `--allow-write=${dir}`, MAIN, "sample-data", "--out", dir],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    for (const [key, name] of Object.entries(SAMPLE_FILES)) {
      const written = await Deno.readFile(`${dir}/${name}`);
      assert.deepEqual(
        written,
        bytes[key as keyof typeof bytes],
        `${name} differs from sampleTables()`,
      );
      assert.deepEqual(
        await Deno.readFile(new URL(`examples/${name}`, ROOT)),
        written,
        `examples/${name} is stale: deno run -A main.ts sample-data --out examples`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
