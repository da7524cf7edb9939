/**
 * The demo's own small catalog, generated here (no data file): 48 items in 8 categories with
 * shelf ids shaped like the real inventory's (`BEVWAT1`), prices, shelf visibility, unit
 * weights, and weekly discounts on about one item in six, different every ISO week.
 * Deterministic: the same weeks give the same rows. Pure.
 * @module
 */
import { DAY_MS, type DiscountRow, isoWeekKey, isoWeekLabel, type ItemRow } from "../core/mod.ts";

/** One generated item: a PriceBook row with a name, visibility and weight. */
export interface DemoItemRow extends ItemRow {
  shelf_id: string;
  item_price: number;
  name: string;
  item_category: string;
  item_visibility: number;
  item_weight: number;
}

/** [category, subcategory code, names, price range, unit weight in grams]. */
const AISLES: [string, string, string[], [number, number], number][] = [
  [
    "BEVERAGES",
    "BEVWAT",
    ["Still water 1.5l", "Sparkling water 1l", "Water 6-pack"],
    [0.6, 3.2],
    1500,
  ],
  ["BEVERAGES", "BEVJUI", ["Orange juice", "Apple juice", "Multivitamin juice"], [1.2, 3.9], 1000],
  ["DAIRY", "DAIMIL", ["Whole milk", "Semi-skimmed milk", "Oat drink"], [0.9, 2.4], 1000],
  ["DAIRY", "DAIYOG", ["Greek yoghurt", "Fruit yoghurt", "Skyr"], [0.5, 2.9], 500],
  ["BAKERY", "BAKBRE", ["Sourdough loaf", "Rye bread", "Baguette"], [1.1, 4.5], 600],
  ["BAKERY", "BAKPAS", ["Croissant", "Cinnamon roll", "Muffin"], [0.7, 2.2], 90],
  ["PRODUCE", "PROFRU", ["Bananas", "Apples", "Blueberries"], [0.9, 4.8], 800],
  ["PRODUCE", "PROVEG", ["Tomatoes", "Cucumber", "Carrots"], [0.5, 3.1], 700],
  ["SNACKS", "SNACHI", ["Salted crisps", "Paprika crisps", "Tortilla chips"], [1.3, 3.4], 175],
  ["SNACKS", "SNACHO", ["Milk chocolate", "Dark chocolate 70%", "Hazelnut bar"], [0.9, 3.6], 100],
  ["PANTRY", "PANPAS", ["Spaghetti", "Penne", "Fusilli"], [0.8, 2.6], 500],
  ["PANTRY", "PANCOF", ["Ground coffee", "Coffee beans", "Tea bags"], [2.5, 9.9], 500],
  ["HOUSEHOLD", "HOUSPO", ["Sponges", "Dish soap", "Kitchen towels"], [1.2, 5.5], 300],
  ["HOUSEHOLD", "HOULAU", ["Laundry liquid", "Softener", "Stain remover"], [3.5, 12.9], 1500],
  ["FROZEN", "FROPIZ", ["Margherita pizza", "Pepperoni pizza", "Veggie pizza"], [2.2, 5.9], 400],
  ["FROZEN", "FROICE", ["Vanilla ice cream", "Ice lollies", "Sorbet"], [1.9, 6.5], 500],
];

/** A 32-bit hash of a string (FNV-1a), for deterministic per-item and per-week values. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function unit(text: string): number {
  return hash(text) / 4294967296;
}

/** The generated inventory: 48 items (3 per subcategory, 16 subcategories). */
export function demoItems(): DemoItemRow[] {
  const rows: DemoItemRow[] = [];
  for (const [category, code, names, [lo, hi], grams] of AISLES) {
    names.forEach((name, k) => {
      const id = `${code}${k + 1}`;
      const price = Math.round((lo + (hi - lo) * unit(`price:${id}`)) * 100) / 100;
      rows.push({
        shelf_id: id,
        item_price: price,
        name,
        item_category: category,
        item_visibility: Math.round((0.02 + 0.2 * unit(`vis:${id}`)) * 1e6) / 1e6,
        item_weight: Math.round(grams * (0.8 + 0.4 * unit(`w:${id}`))),
      });
    });
  }
  return rows;
}

/**
 * Weekly discounts (`week` labels) for every ISO week that overlaps `[fromMs, toMs]`: about one
 * item in six, 5–40% off, chosen per week.
 */
export function demoDiscounts(
  items: readonly DemoItemRow[],
  fromMs: number,
  toMs: number,
): DiscountRow[] {
  const rows: DiscountRow[] = [];
  for (let key = isoWeekKey(fromMs); key * DAY_MS <= toMs; key += 7) {
    const week = isoWeekLabel(key);
    for (const it of items) {
      if (unit(`on:${week}:${it.shelf_id}`) < 1 / 6) {
        const pct = 5 + 5 * Math.floor(8 * unit(`pct:${week}:${it.shelf_id}`)); // 5..40
        rows.push({ shelf_id: it.shelf_id, week, discount: pct / 100 });
      }
    }
  }
  return rows;
}

/** The generated catalog around `atMs`: items, and discounts from a week before to 8 weeks after. */
export function demoCatalog(atMs: number): { items: DemoItemRow[]; discounts: DiscountRow[] } {
  const items = demoItems();
  return { items, discounts: demoDiscounts(items, atMs - 7 * DAY_MS, atMs + 56 * DAY_MS) };
}
