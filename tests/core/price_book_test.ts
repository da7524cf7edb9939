import assert from "node:assert/strict";
import { CatalogError, PriceBook } from "../../lib/core/pricing/price_book.ts";
import {
  isoWeekKey,
  isoWeekLabel,
  isoWeekLabelOf,
  parseIsoWeekLabel,
  weeksInIsoYear,
} from "../../lib/core/pricing/iso_week.ts";

const at = (iso: string) => Date.parse(iso);

Deno.test("SPEC §4 examples through priceCart: 6.30 and 3.11", () => {
  const book = PriceBook.fromRows({
    items: [{ shelf_id: "A12", item_price: 3.5 }, { shelf_id: "B1", item_price: 1.15 }],
    discounts: [
      { shelf_id: "A12", week: "2025-W45", discount: 0.1 },
      { shelf_id: "B1", week: "2025-W45", discount: 0.1 },
    ],
  });
  const cart = book.priceCart(
    [{ itemId: "A12", quantity: 2 }, { itemId: "B1", quantity: 3 }],
    at("2025-11-07T10:02:10Z"),
  );
  assert.deepEqual(cart, {
    lines: [
      { item_id: "A12", quantity: 2, unit_price: 3.5, discount: 0.1, total_price: 6.3 },
      { item_id: "B1", quantity: 3, unit_price: 1.15, discount: 0.1, total_price: 3.11 },
    ],
    unknownItems: [],
    skipped: [],
  });
});

Deno.test("unit price is rounded to cents half away on its decimal form (1.005 → 1.01)", () => {
  const book = PriceBook.fromRows({ items: [{ shelf_id: "X", item_price: 1.005 }] });
  const [line] = book.priceCart([{ itemId: "X", quantity: 1 }], 0).lines;
  assert.equal(line.unit_price, 1.01);
  assert.equal(line.total_price, 1.01);
});

Deno.test("discount is clamped to 0.95 and rounded to hundredths (0.125 → 0.13)", () => {
  const book = PriceBook.fromRows({
    items: [{ shelf_id: "A", item_price: 10 }, { shelf_id: "B", item_price: 10 }],
    discounts: [
      { shelf_id: "A", week: "2025-W01", discount: 0.99 },
      { shelf_id: "B", week: "2025-W01", discount: 0.125 },
    ],
  });
  const { lines } = book.priceCart(
    [{ itemId: "A", quantity: 1 }, { itemId: "B", quantity: 1 }],
    at("2025-01-01T00:00:00Z"),
  );
  assert.equal(lines[0].discount, 0.95);
  assert.equal(lines[0].total_price, 0.5);
  assert.equal(lines[1].discount, 0.13);
  assert.equal(lines[1].total_price, 8.7);
  assert.equal(book.report.discounts.clampedRows, 1);
});

Deno.test("the discount week is the ISO week of the transaction time, in UTC", () => {
  const book = PriceBook.fromRows({
    items: [{ shelf_id: "A", item_price: 10 }],
    discounts: [
      { shelf_id: "A", week: "2025-W45", discount: 0.2 },
      { shelf_id: "A", week: "2025-W46", discount: 0.3 },
    ],
  });
  const d = (iso: string) =>
    book.priceCart([{ itemId: "A", quantity: 1 }], at(iso)).lines[0].discount;
  assert.equal(d("2025-11-03T00:00:00Z"), 0.2); // Monday of W45
  assert.equal(d("2025-11-09T23:59:59.999Z"), 0.2); // Sunday of W45
  assert.equal(d("2025-11-10T00:30:00+01:00"), 0.2); // still Sunday in UTC
  assert.equal(d("2025-11-10T00:00:00Z"), 0.3); // Monday of W46
  assert.equal(d("2025-11-17T00:00:00Z"), 0); // W47: no discount
  assert.equal(d("2024-11-05T00:00:00Z"), 0); // same week number, another year
});

Deno.test("ISO weeks at year edges: 2024-12-30 is 2025-W01, 2021-01-03 is 2020-W53", () => {
  assert.equal(isoWeekLabelOf(at("2024-12-30T12:00:00Z")), "2025-W01");
  assert.equal(isoWeekLabelOf(at("2021-01-03T12:00:00Z")), "2020-W53");
  assert.equal(isoWeekLabelOf(at("2026-01-01T00:00:00Z")), "2026-W01");
  assert.equal(isoWeekLabelOf(at("1969-12-31T00:00:00Z")), "1970-W01");
  assert.equal(weeksInIsoYear(2020), 53);
  assert.equal(weeksInIsoYear(2025), 52);
  assert.equal(parseIsoWeekLabel("2021-W53"), undefined);
  assert.equal(parseIsoWeekLabel("2025-W00"), undefined);
  assert.equal(parseIsoWeekLabel("2025-45"), undefined);
  assert.equal(isoWeekLabel(parseIsoWeekLabel("2025w45")!), "2025-W45");
  assert.equal(parseIsoWeekLabel("2025-W01"), isoWeekKey(at("2024-12-30T00:00:00Z")));
  for (let day = -400; day < 40_000; day += 3) {
    const ms = day * 86_400_000;
    assert.equal(parseIsoWeekLabel(isoWeekLabelOf(ms)), isoWeekKey(ms), `day ${day}`);
  }
});

Deno.test("a shelf_id on several rows: the last row wins and is counted", () => {
  const book = PriceBook.fromRows({
    items: [
      { shelf_id: "A", item_price: 1 },
      { shelf_id: "B", item_price: 2 },
      { shelf_id: "A", item_price: 3 },
      { shelf_id: "A", item_price: 4.44 },
    ],
  });
  assert.equal(book.unitCents("A"), 444);
  const r = book.report.inventory;
  assert.equal(r.rows, 4);
  assert.equal(r.uniqueShelfIds, 2);
  assert.equal(r.duplicatedIds, 1);
  assert.equal(r.overriddenRows, 2);
});

Deno.test("a (shelf_id, week) pair on several rows: the last row wins and is counted", () => {
  const book = PriceBook.fromRows({
    items: [{ shelf_id: "A", item_price: 10 }],
    discounts: [
      { shelf_id: "A", week: "2025-W10", discount: 0.1 },
      { shelf_id: "A", week: "2025-W10", discount: 0.2 },
      { shelf_id: "A", week: "2025-W11", discount: 0.3 },
    ],
  });
  assert.equal(book.discountHundredths("A", at("2025-03-05T00:00:00Z")), 20);
  assert.equal(book.report.discounts.duplicatePairs, 1);
});

Deno.test("unknown item: priced at the unknown-item price (default 5.0) and listed", () => {
  const book = PriceBook.fromRows({ items: [{ shelf_id: "A", item_price: 1 }] });
  const cart = book.priceCart([{ itemId: "Z", quantity: 3 }, { itemId: "A", quantity: 1 }], 0);
  assert.deepEqual(cart.lines[0], {
    item_id: "Z",
    quantity: 3,
    unit_price: 5,
    discount: 0,
    total_price: 15,
  });
  assert.deepEqual(cart.unknownItems, ["Z"]);
  assert.deepEqual(cart.skipped, []);
  const custom = book.withUnknownItem({ kind: "price", price: 2.345 });
  assert.equal(custom.priceCart([{ itemId: "Z", quantity: 1 }], 0).lines[0].unit_price, 2.35);
});

Deno.test("unknown item under skip: the line is left out and returned in skipped", () => {
  const book = PriceBook.fromRows({
    items: [{ shelf_id: "A", item_price: 1 }],
    unknownItem: { kind: "skip" },
  });
  const cart = book.priceCart([{ itemId: "Z", quantity: 3 }, { itemId: "A", quantity: 2 }], 0);
  assert.deepEqual(cart.lines.map((l) => l.item_id), ["A"]);
  assert.deepEqual(cart.unknownItems, ["Z"]);
  assert.deepEqual(cart.skipped, [{ itemId: "Z", quantity: 3 }]);
});

Deno.test("a discount for a shelf not in the inventory applies to the unknown-item price", () => {
  const book = PriceBook.fromRows({
    items: [{ shelf_id: "A", item_price: 1 }],
    discounts: [{ shelf_id: "GHOST", week: "2025-W02", discount: 0.23 }],
  });
  const [line] = book.priceCart([{ itemId: "GHOST", quantity: 1 }], at("2025-01-07T00:00:00Z"))
    .lines;
  assert.deepEqual(line, {
    item_id: "GHOST",
    quantity: 1,
    unit_price: 5,
    discount: 0.23,
    total_price: 3.85,
  });
  assert.equal(book.has("GHOST"), false);
  assert.equal(book.report.discounts.shelvesNotInInventory.ids, 1);
});

Deno.test("cart lines keep their order and an empty cart prices to nothing", () => {
  const book = PriceBook.fromRows({
    items: [{ shelf_id: "A", item_price: 1 }, { shelf_id: "B", item_price: 2 }],
  });
  const ids = book.priceCart(
    [{ itemId: "B", quantity: 1 }, { itemId: "Q", quantity: 1 }, { itemId: "A", quantity: 1 }],
    0,
  ).lines.map((l) => l.item_id);
  assert.deepEqual(ids, ["B", "Q", "A"]);
  assert.deepEqual(book.priceCart([], 0), { lines: [], unknownItems: [], skipped: [] });
});

Deno.test("inventory rows with a null or negative price or a null id are rejected and counted", () => {
  const book = PriceBook.fromRows({
    items: [
      { shelf_id: "A", item_price: 1 },
      { shelf_id: "A", item_price: null }, // does not override the good row
      { shelf_id: "B", item_price: -1 },
      { shelf_id: null, item_price: 2 },
      { shelf_id: "C", item_price: "abc" },
      { shelf_id: "D", item_price: "2.50" },
    ],
  });
  assert.equal(book.unitCents("A"), 100);
  assert.equal(book.has("B"), false);
  assert.equal(book.unitCents("D"), 250);
  assert.deepEqual(book.report.inventory.rejected, {
    "null or non-numeric item_price": 2,
    "negative item_price": 1,
    "null shelf_id": 1,
  });
  assert.equal(book.report.inventory.acceptedRows, 2);
});

Deno.test("discount rows outside [0,1], null, or with an unparseable week are rejected", () => {
  const book = PriceBook.fromRows({
    items: [{ shelf_id: "A", item_price: 1 }],
    discounts: [
      { shelf_id: "A", week: "2025-W01", discount: 1.5 },
      { shelf_id: "A", week: "2025-W01", discount: -0.1 },
      { shelf_id: "A", week: "2025-W01", discount: null },
      { shelf_id: "A", week: "2025-W99", discount: 0.1 },
      { shelf_id: "A", week: "soon", discount: 0.1 },
      { shelf_id: "A", week: null, discount: 0.1 },
      { shelf_id: null, week: "2025-W01", discount: 0.1 },
      { shelf_id: "A", week: "2025-W02", discount: 1 }, // 1 is in [0,1]: clamped to 0.95
    ],
  });
  assert.deepEqual(book.report.discounts.rejected, {
    "discount outside [0,1]": 2,
    "null or non-numeric discount": 1,
    "unparseable week": 3,
    "null shelf_id": 1,
  });
  assert.equal(book.report.discounts.acceptedRows, 1);
  assert.equal(book.discountHundredths("A", at("2025-01-01T00:00:00Z")), 0);
  assert.equal(book.discountHundredths("A", at("2025-01-08T00:00:00Z")), 95);
});

Deno.test("discount shapes: discount_pct, and derived from original/discounted price", () => {
  const pct = PriceBook.fromRows({
    items: [{ shelf_id: "A", item_price: 10 }],
    discounts: [{ shelf_id: "A", week: "2025-W45", discount_pct: 0.25 }],
  });
  assert.equal(
    pct.priceCart([{ itemId: "A", quantity: 1 }], at("2025-11-05T00:00:00Z")).lines[0].total_price,
    7.5,
  );
  assert.equal(pct.report.discounts.discountColumn, "discount_pct");
  const derived = PriceBook.fromRows({
    items: [{ shelf_id: "A", item_price: 10 }],
    discounts: [
      { shelf_id: "A", week: "2025-W45", original_price: 10, discounted_price: 8.5 },
      { shelf_id: "A", week: "2025-W46", original_price: 10, discounted_price: 12 },
      { shelf_id: "A", week: "2025-W47", original_price: 0, discounted_price: 0 },
    ],
  });
  assert.equal(derived.discountHundredths("A", at("2025-11-05T00:00:00Z")), 15);
  assert.equal(derived.report.discounts.discountColumn, "original_price/discounted_price");
  assert.deepEqual(derived.report.discounts.rejected, { "discount outside [0,1]": 2 });
});

Deno.test("week shapes: week_start/week_end and start_date/end_date pairs, inclusive", () => {
  for (const [s, e] of [["week_start", "week_end"], ["start_date", "end_date"]]) {
    const book = PriceBook.fromRows({
      items: [{ shelf_id: "A", item_price: 10 }],
      discounts: [{ shelf_id: "A", discount: 0.1, [s]: "2025-11-03", [e]: "2025-11-09" }],
    });
    const d = (iso: string) => book.discountHundredths("A", at(iso));
    assert.equal(d("2025-11-03T00:00:00Z"), 10, s);
    assert.equal(d("2025-11-09T23:59:59.999Z"), 10, s); // end date inclusive: the whole day
    assert.equal(d("2025-11-10T00:00:00Z"), 0, s);
    assert.equal(d("2025-11-02T23:59:59Z"), 0, s);
    assert.equal(book.report.discounts.weekColumn, `${s}/${e}`);
    assert.equal(book.report.discounts.weeks.first, "2025-W45");
  }
});

Deno.test("a range not aligned to ISO weeks applies to exactly its days (timestamps inclusive)", () => {
  const book = PriceBook.fromRows({
    items: [{ shelf_id: "A", item_price: 10 }],
    discounts: [
      { shelf_id: "A", week: "2025-W45", discount: 0.1 },
      // Sunday-to-Saturday promo, later row: overrides W45's Sunday and W46 Mon..Sat
      { shelf_id: "A", discount: 0.3, week_start: "2025-11-09", week_end: "2025-11-15" },
      // A timestamp range: inclusive of its end instant
      {
        shelf_id: "A",
        discount: 0.5,
        week_start: new Date("2025-12-01T10:00:00Z"),
        week_end: new Date("2025-12-01T12:00:00Z"),
      },
    ],
  });
  const d = (iso: string) => book.discountHundredths("A", at(iso));
  assert.equal(d("2025-11-08T12:00:00Z"), 10); // Saturday of W45: the week row
  assert.equal(d("2025-11-09T12:00:00Z"), 30); // Sunday: the later range
  assert.equal(d("2025-11-15T23:00:00Z"), 30);
  assert.equal(d("2025-11-16T01:00:00Z"), 0);
  assert.equal(d("2025-12-01T09:59:59.999Z"), 0);
  assert.equal(d("2025-12-01T12:00:00Z"), 50);
  assert.equal(d("2025-12-01T12:00:00.001Z"), 0);
  assert.equal(book.report.discounts.duplicatePairs, 1);
});

Deno.test("a later whole-week row overrides an earlier partial range in that week", () => {
  const book = PriceBook.fromRows({
    items: [{ shelf_id: "A", item_price: 10 }],
    discounts: [
      { shelf_id: "A", discount: 0.3, week_start: "2025-11-05", week_end: "2025-11-06" },
      { shelf_id: "A", discount: 0.1, week_start: "2025-11-03", week_end: "2025-11-09" },
    ],
  });
  assert.equal(book.discountHundredths("A", at("2025-11-05T12:00:00Z")), 10);
  assert.equal(book.report.discounts.duplicatePairs, 1);
});

Deno.test("week label wins over a disagreeing date pair, and the mismatch is reported", () => {
  const book = PriceBook.fromRows({
    items: [{ shelf_id: "A", item_price: 10 }],
    discounts: [{
      shelf_id: "A",
      week: "2025-W01",
      discount: 0.15,
      start_date: "2025-01-06",
      end_date: "2025-01-12",
    }],
  });
  assert.equal(book.discountHundredths("A", at("2025-01-01T12:00:00Z")), 15);
  assert.equal(book.discountHundredths("A", at("2025-01-07T12:00:00Z")), 0);
  assert.equal(book.report.discounts.weekLabelMismatches.rows, 1);
  assert.match(book.report.warnings.join("\n"), /2025-W01.*2025-W02/);
});

Deno.test("a row with a bad week label falls back to its date pair", () => {
  const book = PriceBook.fromRows({
    items: [{ shelf_id: "A", item_price: 10 }],
    discounts: [{
      shelf_id: "A",
      week: "n/a",
      discount: 0.2,
      start_date: "2025-01-06",
      end_date: "2025-01-12",
    }],
  });
  assert.equal(book.discountHundredths("A", at("2025-01-07T12:00:00Z")), 20);
});

Deno.test("weeks covered: first, last and the gaps between", () => {
  const book = PriceBook.fromRows({
    items: [{ shelf_id: "A", item_price: 1 }],
    discounts: ["2024-W51", "2025-W02", "2024-W52"].map((week) => ({
      shelf_id: "A",
      week,
      discount: 0.1,
    })),
  });
  assert.deepEqual(book.report.discounts.weeks, {
    count: 3,
    first: "2024-W51",
    last: "2025-W02",
    gaps: ["2025-W01"],
  });
});

Deno.test("missing columns are a CatalogError naming them", () => {
  assert.throws(
    () => PriceBook.fromRows({ items: [{ shelf_id: "A", price: 1 } as never] }),
    (e: unknown) =>
      e instanceof CatalogError && e.missingColumns.includes("item_price") &&
      /item_price/.test(e.message),
  );
  assert.throws(
    () =>
      PriceBook.fromRows({
        items: [{ shelf_id: "A", item_price: 1 }],
        discounts: [{ shelf_id: "A", pct: 0.1 } as never],
      }),
    (e: unknown) =>
      e instanceof CatalogError && e.missingColumns.length === 2 && /discount/.test(e.message) &&
      /week/.test(e.message),
  );
});

Deno.test("an inventory without a usable row is a CatalogError", () => {
  assert.throws(() => PriceBook.fromRows({ items: [] }), CatalogError);
  assert.throws(
    () => PriceBook.fromRows({ items: [{ shelf_id: "A", item_price: null }] }),
    /no usable row/,
  );
});

Deno.test("an empty discount table means no discounts, with a warning", () => {
  const book = PriceBook.fromRows({ items: [{ shelf_id: "A", item_price: 1 }], discounts: [] });
  assert.equal(book.report.discounts.rows, 0);
  assert.equal(book.discountHundredths("A", 0), 0);
  assert.ok(book.report.warnings.some((w) => /no rows/.test(w)));
  const none = PriceBook.fromRows({ items: [{ shelf_id: "A", item_price: 1 }] });
  assert.equal(none.report.discounts.present, false);
});

Deno.test("a bad unknown-item price or transaction time is refused", () => {
  assert.throws(
    () =>
      PriceBook.fromRows({
        items: [{ shelf_id: "A", item_price: 1 }],
        unknownItem: { kind: "price", price: -1 },
      }),
    RangeError,
  );
  const book = PriceBook.fromRows({ items: [{ shelf_id: "A", item_price: 1 }] });
  assert.throws(() => book.priceCart([{ itemId: "A", quantity: 1 }], NaN), RangeError);
});

Deno.test("pricing is pure: the same cart and time give the same lines", () => {
  const book = PriceBook.fromRows({
    items: [{ shelf_id: "A", item_price: 2.5 }],
    discounts: [{ shelf_id: "A", week: "2025-W45", discount: 0.09 }],
  });
  const t = at("2025-11-05T00:00:00Z");
  const a = book.priceCart([{ itemId: "A", quantity: 3 }], t);
  const b = book.priceCart([{ itemId: "A", quantity: 3 }], t);
  assert.deepEqual(a, b);
  assert.equal(a.lines[0].total_price, 6.83); // 6.825 half away
});
