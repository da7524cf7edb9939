/**
 * Sample price-book files made from the demo catalog (lib/sim/demo_catalog.ts), shaped like the
 * upstream files: an inventory with the upstream columns (a few price changes as a second,
 * later row of the same shelf id), weekly discounts with `week` labels, and the same discounts
 * with `week_start`/`week_end` midnight timestamps and `discount_pct`. Pure: tables only; the
 * `sample-data` command writes them.
 * @module
 */
import { Float64, Int64, Table, TimestampMillisecond, Utf8, vectorFromArray } from "apache-arrow";
import { demoDiscounts, type DemoItemRow, demoItems } from "./demo_catalog.ts";
import { DAY_MS, parseIsoWeekLabel } from "../core/mod.ts";

/** File names in the output folder: the service's defaults for the first two. */
export const SAMPLE_FILES = {
  inventory: "store_inventory_final.parquet",
  weekly: "all_discounts.parquet",
  dated: "discounts_by_date.parquet",
} as const;

/** The default span of the discount files: three whole years around the demo's day. */
export const SAMPLE_FROM = "2024-01-01";
export const SAMPLE_TO = "2026-12-31";

/** Every `PRICE_CHANGE_EVERY`th item also has an earlier row with its old price. */
const PRICE_CHANGE_EVERY = 8;

/** The three tables of the sample data. */
export interface SampleTables {
  inventory: Table;
  weekly: Table;
  dated: Table;
}

function hundredths(x: number): number {
  return Math.round(x * 100) / 100;
}

function stampText(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

/**
 * The inventory rows in file order: each item once, and for every eighth item an older row
 * (10% dearer, a day earlier) before it, so "the last row wins" has something to do.
 */
export function sampleInventoryRows(
  items: readonly DemoItemRow[] = demoItems(),
): (DemoItemRow & { time_stamp: string; aisle: number })[] {
  const stockedAt = Date.UTC(2025, 10, 5, 10, 0, 0);
  const aisles = [...new Set(items.map((i) => i.item_category))];
  const rows: (DemoItemRow & { time_stamp: string; aisle: number })[] = [];
  items.forEach((item, i) => {
    const aisle = aisles.indexOf(item.item_category) + 1;
    const at = stockedAt + i * 60_000;
    if (i % PRICE_CHANGE_EVERY === 0) {
      const old = hundredths(item.item_price * 1.1);
      rows.push({ ...item, item_price: old, aisle, time_stamp: stampText(at - DAY_MS) });
    }
    rows.push({ ...item, aisle, time_stamp: stampText(at) });
  });
  return rows;
}

/** Builds the three sample tables; discounts cover every ISO week touching `[from, to]`. */
export function sampleTables(from = SAMPLE_FROM, to = SAMPLE_TO): SampleTables {
  const items = demoItems();
  const inv = sampleInventoryRows(items);
  const big = (xs: number[]) => vectorFromArray(xs.map((x) => BigInt(x)), new Int64());
  const stock = (id: string, k: number) => 10 + ((id.charCodeAt(id.length - 1) * 7 + k) % 40);
  const inventory = new Table({
    shelf_id: vectorFromArray(inv.map((r) => r.shelf_id), new Utf8()),
    aisle: big(inv.map((r) => r.aisle)),
    item_weight: big(inv.map((r) => r.item_weight)),
    shelf_weight: big(inv.map((r) => r.item_weight * stock(r.shelf_id, 40))),
    item_category: vectorFromArray(inv.map((r) => r.item_category), new Utf8()),
    item_subcategory: vectorFromArray(inv.map((r) => r.name), new Utf8()),
    item_visibility: vectorFromArray(inv.map((r) => r.item_visibility), new Float64()),
    maximum_stock: big(inv.map((r) => stock(r.shelf_id, 40))),
    current_stock: big(inv.map((r) => stock(r.shelf_id, 3))),
    item_price: vectorFromArray(inv.map((r) => r.item_price), new Float64()),
    time_stamp: vectorFromArray(inv.map((r) => r.time_stamp), new Utf8()),
  });

  const discounts = demoDiscounts(
    items,
    Date.parse(`${from}T00:00:00Z`),
    Date.parse(`${to}T00:00:00Z`),
  );
  const monday = discounts.map((d) => parseIsoWeekLabel(d.week!)! * DAY_MS);
  const dateText = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const weekly = new Table({
    shelf_id: vectorFromArray(discounts.map((d) => d.shelf_id), new Utf8()),
    week: vectorFromArray(discounts.map((d) => d.week!), new Utf8()),
    discount: vectorFromArray(discounts.map((d) => Number(d.discount)), new Float64()),
    start_date: vectorFromArray(monday.map(dateText), new Utf8()),
    end_date: vectorFromArray(monday.map((m) => dateText(m + 6 * DAY_MS)), new Utf8()),
  });
  // Midnight timestamps are dates: the end (Sunday 00:00) covers all of Sunday.
  const dated = new Table({
    shelf_id: vectorFromArray(discounts.map((d) => d.shelf_id), new Utf8()),
    week_start: vectorFromArray(monday, new TimestampMillisecond()),
    week_end: vectorFromArray(monday.map((m) => m + 6 * DAY_MS), new TimestampMillisecond()),
    discount_pct: vectorFromArray(discounts.map((d) => Number(d.discount)), new Float64()),
  });
  return { inventory, weekly, dated };
}
