/**
 * Price book benches: loading the sample files (examples/, shaped like the upstream ones; made
 * by `pos-producer sample-data`), pricing carts of several sizes on that catalog and on a
 * synthetic 100k-SKU catalog. Each group has a baseline measured in the same
 * run, so results read as ratios (the machine is noisy).
 *
 *   deno bench --allow-all bench/price_book_bench.ts
 */
import { Float64, Table, Utf8, vectorFromArray } from "apache-arrow";
import { initParquet, loadPriceBook } from "../lib/catalog/loader.ts";
import { PriceBook } from "../lib/core/pricing/price_book.ts";
import { arrowSource } from "../lib/catalog/arrow_columns.ts";
import type { CartLine } from "../lib/core/pricing/pricing.ts";
import { isoWeekKey, isoWeekLabel } from "../lib/core/pricing/iso_week.ts";
import { mulberry32 as rng } from "../lib/sim/store_simulation.ts";

const DATA = new URL("../examples/", import.meta.url).pathname;
const STORE = `${DATA}store_inventory_final.parquet`;
const DISCOUNTS = `${DATA}all_discounts.parquet`;
const haveData = (() => {
  try {
    return Deno.statSync(STORE).isFile && Deno.statSync(DISCOUNTS).isFile;
  } catch {
    return false;
  }
})();
if (!haveData) console.warn(`SKIPPED real-data benches: no ${STORE}`);

const parquet = await initParquet();
const AT = Date.parse("2025-11-05T12:00:00Z");

function cartOf(ids: string[], size: number, seed: number): CartLine[] {
  const r = rng(seed);
  return Array.from({ length: size }, () => ({
    itemId: ids[Math.floor(r() * ids.length)],
    quantity: 1 + Math.floor(r() * 3),
  }));
}

/** The baseline: look each line up in a plain Map and add up a float total. */
function mapBaseline(map: Map<string, number>, lines: readonly CartLine[]): number {
  let sum = 0;
  for (const l of lines) sum += (map.get(l.itemId) ?? 5) * l.quantity;
  return sum;
}

let sink = 0;

// ---- loading ----
if (haveData) {
  Deno.bench({
    name: "read both files' bytes (baseline)",
    group: "load",
    baseline: true,
    async fn() {
      const [a, b] = await Promise.all([Deno.readFile(STORE), Deno.readFile(DISCOUNTS)]);
      sink += a.length + b.length;
    },
  });
  Deno.bench({
    name: "parquet → Arrow only (both files)",
    group: "load",
    async fn() {
      const [a, b] = await Promise.all([Deno.readFile(STORE), Deno.readFile(DISCOUNTS)]);
      sink += parquet.readTable(a).numRows + parquet.readTable(b).numRows;
    },
  });
  Deno.bench({
    name: "loadPriceBook (both files: read, decode, index, report)",
    group: "load",
    async fn() {
      const { book } = await loadPriceBook({ storePath: STORE, discountPath: DISCOUNTS });
      sink += book.size;
    },
  });
}

// ---- carts on the real catalog ----
if (haveData) {
  const { book } = await loadPriceBook({ storePath: STORE, discountPath: DISCOUNTS });
  const map = new Map<string, number>();
  const store = parquet.readTable(await Deno.readFile(STORE));
  const ids = store.getChild("shelf_id")!.toArray() as string[];
  const prices = store.getChild("item_price")!.toArray() as Float64Array;
  ids.forEach((id, i) => map.set(id, prices[i]));
  for (const size of [1, 5, 20, 100]) {
    const cart = cartOf(ids, size, size);
    Deno.bench({
      name: `Map lookup loop, ${size} lines (baseline)`,
      group: `real catalog, ${size}-line cart`,
      baseline: true,
      fn() {
        sink += mapBaseline(map, cart);
      },
    });
    Deno.bench({
      name: `priceCart, ${size} lines`,
      group: `real catalog, ${size}-line cart`,
      fn() {
        sink += book.priceCart(cart, AT).lines.length;
      },
    });
  }
}

// ---- a synthetic 100k-SKU catalog, 52 weeks, 20% of SKUs discounted each week ----
const SKUS = 100_000;
const skuIds = Array.from({ length: SKUS }, (_, i) => `SKU${i}`);
const synthetic = (() => {
  const r = rng(42);
  const inventory = new Table({
    shelf_id: vectorFromArray(skuIds, new Utf8()),
    item_price: vectorFromArray(skuIds.map(() => Math.round(r() * 10_000) / 100), new Float64()),
  });
  const dIds: string[] = [];
  const dWeeks: string[] = [];
  const dValues: number[] = [];
  const first = isoWeekKey(Date.parse("2025-01-01T00:00:00Z"));
  for (let w = 0; w < 52; w++) {
    const label = isoWeekLabel(first + 7 * w);
    for (let i = 0; i < SKUS / 5; i++) {
      dIds.push(skuIds[Math.floor(r() * SKUS)]);
      dWeeks.push(label);
      dValues.push(Math.round(r() * 50) / 100);
    }
  }
  const discounts = new Table({
    shelf_id: vectorFromArray(dIds, new Utf8()),
    week: vectorFromArray(dWeeks, new Utf8()),
    discount: vectorFromArray(dValues, new Float64()),
  });
  return { inventory, discounts, rows: dIds.length };
})();
const bigBook = PriceBook.fromColumns(
  arrowSource(synthetic.inventory),
  arrowSource(synthetic.discounts),
);
const bigMap = new Map(skuIds.map((id, i) => [id, i / 100]));

Deno.bench({
  name: `index 100k SKUs + ${synthetic.rows} discount rows (Arrow tables → PriceBook)`,
  group: "synthetic index",
  n: 5,
  warmup: 1,
  fn() {
    sink +=
      PriceBook.fromColumns(arrowSource(synthetic.inventory), arrowSource(synthetic.discounts))
        .size;
  },
});

for (const size of [1, 20, 100, 1000]) {
  const cart = cartOf(skuIds, size, 1000 + size);
  Deno.bench({
    name: `Map lookup loop, ${size} lines (baseline)`,
    group: `100k-SKU catalog, ${size}-line cart`,
    baseline: true,
    fn() {
      sink += mapBaseline(bigMap, cart);
    },
  });
  Deno.bench({
    name: `priceCart, ${size} lines`,
    group: `100k-SKU catalog, ${size}-line cart`,
    fn() {
      sink += bigBook.priceCart(cart, AT).lines.length;
    },
  });
}

globalThis.addEventListener("unload", () => {
  if (sink === 0.5) console.log(sink);
});
