/**
 * The load report and chosen prices on the real files in /work/shared/data. Expected values
 * were computed independently with pandas (last row per shelf_id, week label lookup by Python's
 * isocalendar(), decimal.ROUND_HALF_UP on repr()).
 */
import assert from "node:assert/strict";
import { loadPriceBook } from "../lib/catalog_loader.ts";
import type { PriceBook } from "../lib/price_book.ts";

const DATA = new URL("../../shared/data/", import.meta.url);
const STORE = new URL("store_inventory_final.parquet", DATA).pathname;
const DISCOUNTS = new URL("all_discounts.parquet", DATA).pathname;

function present(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

const available = present(STORE) && present(DISCOUNTS);
if (!available) {
  console.warn(`SKIPPED real-data tests: ${STORE} or ${DISCOUNTS} is missing`);
}

let cached: PriceBook | undefined;
async function book(): Promise<PriceBook> {
  cached ??= (await loadPriceBook({ storePath: STORE, discountPath: DISCOUNTS })).book;
  return cached;
}
const at = (iso: string) => Date.parse(iso);

Deno.test({
  name: "real inventory report: 6700 rows, 6040 ids, 550 duplicated ids (660 rows overridden)",
  ignore: !available,
  fn: async () => {
    const r = (await book()).report.inventory;
    assert.equal(r.rows, 6700);
    assert.equal(r.acceptedRows, 6700);
    assert.equal(r.uniqueShelfIds, 6040);
    assert.equal(r.duplicatedIds, 550);
    assert.equal(r.overriddenRows, 660);
    assert.deepEqual(r.rejected, {});
  },
});

Deno.test({
  name: "real discount report: 117266 rows, 104 weeks 2024-W01..2025-W52, no gaps, 18 ghost ids",
  ignore: !available,
  fn: async () => {
    const r = (await book()).report.discounts;
    assert.equal(r.rows, 117266);
    assert.equal(r.acceptedRows, 117266);
    assert.deepEqual(r.rejected, {});
    assert.equal(r.discountColumn, "discount");
    assert.deepEqual(r.weeks, { count: 104, first: "2024-W01", last: "2025-W52", gaps: [] });
    assert.equal(r.duplicatePairs, 0);
    assert.equal(r.clampedRows, 0);
    assert.equal(r.shelvesNotInInventory.rows, 367);
    assert.equal(r.shelvesNotInInventory.ids, 18);
    // Every 2025 row's start_date..end_date is the ISO week after its label (%W-style dates).
    assert.equal(r.weekLabelMismatches.rows, 59957);
  },
});

Deno.test({
  name: "real prices: last row wins for a duplicated id (WINSPA1 = 34.02)",
  ignore: !available,
  fn: async () => {
    const b = await book();
    assert.equal(b.unitCents("WINSPA1"), 3402); // rows: 23.16, 15.98, 6.20, 34.02
    assert.equal(b.unitCents("BEVWAT1"), 240);
  },
});

Deno.test({
  name: "real carts: prices and discounts of chosen items in chosen weeks",
  ignore: !available,
  fn: async () => {
    const b = await book();
    const line = (itemId: string, quantity: number, iso: string) => {
      const { lines } = b.priceCart([{ itemId, quantity }], at(iso));
      const l = lines[0];
      return [l.unit_price, l.discount, l.total_price];
    };
    assert.deepEqual(line("BEVWAT1", 3, "2024-01-03T10:00:00+00:00"), [2.4, 0, 7.2]);
    assert.deepEqual(line("WINSPA1", 2, "2024-01-03T10:00:00+00:00"), [34.02, 0, 68.04]);
    assert.deepEqual(line("WINRED27", 2, "2024-01-03T10:00:00+00:00"), [33.46, 0.37, 42.16]);
    // 2025-01-01 is in ISO 2025-W01 (label row 0.15); 2025-01-06 in 2025-W02 (0.26)
    assert.deepEqual(line("REFFRE26", 4, "2025-01-01T12:00:00+00:00"), [4.71, 0.15, 16.01]);
    assert.deepEqual(line("REFFRE26", 4, "2025-01-06T00:00:00+00:00"), [4.71, 0.26, 13.94]);
    // Week edge in UTC: 00:30+01:00 on Monday is still Sunday of 2025-W45
    assert.deepEqual(line("BATRAZ38", 3, "2025-11-10T00:30:00+01:00"), [9.24, 0.25, 20.79]);
    assert.deepEqual(line("BATRAZ38", 3, "2025-11-10T00:00:00+00:00"), [9.24, 0, 27.72]);
    // Half-cent totals round away from zero: 6.825 → 6.83, 8.415 → 8.42
    assert.deepEqual(line("BATINT1", 3, "2024-01-03T10:00:00+00:00"), [2.5, 0.09, 6.83]);
    assert.deepEqual(line("BATTRA16", 3, "2024-01-03T10:00:00+00:00"), [5.1, 0.45, 8.42]);
    // A shelf only the discount file knows: unknown price 5.0 with its discount
    assert.deepEqual(line("PETDOG12", 1, "2024-01-01T12:00:00+00:00"), [5, 0.23, 3.85]);
  },
});
