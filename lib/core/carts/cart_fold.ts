/**
 * Folding a cart's event log into lines at checkout (SPEC §2): events applied in record order
 * (event time, then partition and offset), lines ordered by first pickup (time, then item id).
 *
 * @example
 * ```ts
 * import { appendEvent, orderKey, packEvent } from "./cart.ts";
 * import { foldCart } from "./cart_fold.ts";
 * import { Customer } from "./customer.ts";
 * import { ItemTable } from "./item_table.ts";
 * const items = new ItemTable();
 * const c = new Customer("c-1");
 * appendEvent(c, 1, packEvent(items.intern("A"), false, 2), orderKey(0, 0));
 * appendEvent(c, 2, packEvent(items.intern("A"), true, 3), orderKey(0, 1));
 * foldCart(c, items); // { lines: [], excessPutbacks: 1, firstOrder: [] }
 * ```
 * @module
 */
import type { CartLine } from "../pricing/pricing.ts";

export type { CartLine };
import type { Customer } from "./customer.ts";
import type { ItemTable } from "./item_table.ts";
import { QUANTITY_SPAN } from "./cart.ts";

/**
 * Event indices (into stride-3 `ev`) in record order: event time, then (partition, offset).
 * That is the order a partition's records are applied in (SPEC §8: `replay`'s ties keep file
 * order, its offsets being the lines in that order), and it depends on the records alone, never
 * on arrival order: a putback and a pickup of the same item at the same instant are applied in
 * the order they were written, so the clamp at 0 sees what the shelf saw.
 */
function eventOrder(c: Customer): number[] {
  const n = c.ev.length / 3;
  const idx: number[] = new Array(n);
  for (let i = 0; i < n; i++) idx[i] = i * 3;
  if (!c.sorted) {
    const ev = c.ev;
    idx.sort((a, b) => ev[a] - ev[b] || ev[a + 2] - ev[b + 2]);
  }
  return idx;
}

/** Compares strings by code point (= UTF-8 byte order), unlike `<` on UTF-16 code units. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (a code point above U+FFFF) sorts after every BMP character.
    const sx = x >= 0xd800 && x <= 0xdfff, sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy) return sx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** The folded cart: lines in first-pickup order, and the excess putbacks met (anomalies). */
export interface Fold {
  /** The lines with a positive quantity. */
  lines: CartLine[];
  /** Item table index of each line (same order). */
  excessPutbacks: number;
  /** Order key of each line's first pickup (for DLQ records about a line). */
  firstOrder: number[];
}

/**
 * Folds the cart (SPEC §2) in record order: pickup adds, putback removes never below 0 (each
 * excess putback counted), lines with quantity 0 left out, ordered by the time of their first
 * pickup, then item id (code point order = UTF-8 byte order), whatever the partitions.
 */
export function foldCart(c: Customer, items: ItemTable): Fold {
  const ev = c.ev;
  const order = eventOrder(c);
  const lineOf = new Map<number, number>();
  const itemIdx: number[] = [];
  const qty: number[] = [];
  const firstUs: number[] = [];
  const firstOrder: number[] = [];
  let excess = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const packed = ev[i + 1];
    const q = packed % QUANTITY_SPAN;
    const rest = (packed - q) / QUANTITY_SPAN;
    const item = Math.floor(rest / 2);
    const putback = rest % 2 === 1;
    const line = lineOf.get(item);
    if (!putback) {
      if (line === undefined) {
        lineOf.set(item, qty.length);
        itemIdx.push(item);
        qty.push(q);
        firstUs.push(ev[i]);
        firstOrder.push(ev[i + 2]);
      } else qty[line] += q;
    } else if (line === undefined || qty[line] < q) {
      excess++;
      if (line !== undefined) qty[line] = 0;
    } else qty[line] -= q;
  }
  // Lines were opened in time order; those first picked up at the same instant go by item id.
  const names = items.names;
  const byFirst: number[] = [];
  for (let l = 0; l < qty.length; l++) if (qty[l] > 0) byFirst.push(l);
  byFirst.sort((a, b) =>
    firstUs[a] - firstUs[b] || compareCodePoints(names[itemIdx[a]], names[itemIdx[b]])
  );
  const lines: CartLine[] = [];
  const fo: number[] = [];
  for (const l of byFirst) {
    lines.push({ itemId: names[itemIdx[l]], quantity: qty[l] });
    fo.push(firstOrder[l]);
  }
  return { lines, excessPutbacks: excess, firstOrder: fo };
}
