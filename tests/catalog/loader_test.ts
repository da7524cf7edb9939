import assert from "node:assert/strict";
import {
  Bool,
  DateDay,
  DateMillisecond,
  Float32,
  Float64,
  Int32,
  Int64,
  makeVector,
  Table,
  TimestampMicrosecond,
  TimestampMillisecond,
  TimestampNanosecond,
  TimestampSecond,
  Utf8,
  type Vector,
  vectorFromArray,
} from "apache-arrow";
import { initParquet, loadPriceBook } from "../../lib/catalog/loader.ts";
import { CatalogError } from "../../lib/core/pricing/price_book.ts";

const parquet = await initParquet();
const at = (iso: string) => Date.parse(iso);
const DAY = 86_400_000;

// deno-lint-ignore no-explicit-any
type TsType = new (tz?: string | null) => any;
const utf8 = (xs: (string | null)[]) => vectorFromArray(xs, new Utf8());
const f64 = (xs: (number | null)[]) => vectorFromArray(xs, new Float64());
const ts = (
  Type: TsType,
  values: bigint[],
  tz: string | null = "UTC",
) => makeVector({ type: new Type(tz), data: new BigInt64Array(values) } as never) as Vector;

function parquetFile(columns: Record<string, Vector>): Uint8Array {
  return parquet.writeTable(new Table(columns));
}

const INVENTORY = parquetFile({
  shelf_id: utf8(["A", "B", "A"]),
  item_price: f64([1.5, 2.25, 3.5]),
});

function bookWith(discounts: Record<string, Vector>) {
  return parquet.priceBook(INVENTORY, parquetFile(discounts), {
    storeName: "inv.parquet",
    discountName: "disc.parquet",
  });
}

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "pos-catalog-" });
}

Deno.test("parquet round trip: inventory last row wins, prices to cents", () => {
  const book = parquet.priceBook(INVENTORY, undefined);
  assert.equal(book.unitCents("A"), 350);
  assert.equal(book.unitCents("B"), 225);
  assert.equal(book.report.inventory.duplicatedIds, 1);
  assert.equal(book.report.discounts.present, false);
});

Deno.test("file shape: week label + discount (Utf8 and dictionary-encoded strings)", () => {
  for (const strings of [utf8, (xs: string[]) => vectorFromArray(xs)]) {
    const book = bookWith({
      shelf_id: strings(["A", "B"]),
      week: strings(["2025-W45", "2025-W45"]),
      discount: f64([0.1, 0.2]),
    });
    assert.equal(book.discountHundredths("A", at("2025-11-05T00:00:00Z")), 10);
    assert.equal(book.discountHundredths("B", at("2025-11-05T00:00:00Z")), 20);
  }
});

Deno.test("file shape: discount_pct as float32 and as text", () => {
  const a = bookWith({
    shelf_id: utf8(["A"]),
    week: utf8(["2025-W45"]),
    discount_pct: vectorFromArray([0.15], new Float32()),
  });
  // float32 0.15 prints as 0.15000000596046448: rounds to 0.15
  assert.equal(a.discountHundredths("A", at("2025-11-05T00:00:00Z")), 15);
  const b = bookWith({
    shelf_id: utf8(["A"]),
    week: utf8(["2025-W45"]),
    discount_pct: utf8(["0.125"]),
  });
  assert.equal(b.discountHundredths("A", at("2025-11-05T00:00:00Z")), 13);
});

Deno.test("file shape: original_price and discounted_price (ints and floats)", () => {
  const book = bookWith({
    shelf_id: utf8(["A", "B"]),
    week: utf8(["2025-W45", "2025-W45"]),
    original_price: vectorFromArray([10, 4], new Int32()),
    discounted_price: f64([8.5, 3]),
  });
  assert.equal(book.discountHundredths("A", at("2025-11-05T00:00:00Z")), 15);
  assert.equal(book.discountHundredths("B", at("2025-11-05T00:00:00Z")), 25);
});

Deno.test("file shape: start_date/end_date as text", () => {
  const book = bookWith({
    shelf_id: utf8(["A"]),
    discount: f64([0.3]),
    start_date: utf8(["2025-11-03"]),
    end_date: utf8(["2025-11-09"]),
  });
  assert.equal(book.discountHundredths("A", at("2025-11-09T23:00:00Z")), 30);
  assert.equal(book.discountHundredths("A", at("2025-11-10T00:00:00Z")), 0);
});

Deno.test("file shape: week_start/week_end as date32 and as date64", () => {
  const days = [Date.UTC(2025, 10, 3), Date.UTC(2025, 10, 9)].map((ms) => new Date(ms));
  for (const Type of [DateDay, DateMillisecond]) {
    const book = bookWith({
      shelf_id: utf8(["A"]),
      discount: f64([0.3]),
      week_start: vectorFromArray([days[0]], new Type()),
      week_end: vectorFromArray([days[1]], new Type()),
    });
    assert.equal(book.discountHundredths("A", at("2025-11-09T23:59:00Z")), 30, Type.name);
    assert.equal(book.discountHundredths("A", at("2025-11-10T00:00:00Z")), 0, Type.name);
    assert.equal(book.report.discounts.weeks.first, "2025-W45");
  }
});

Deno.test("file shape: week_start/week_end as timestamps of every unit, with and without tz", () => {
  const start = BigInt(Date.UTC(2025, 10, 3)); // ms
  const end = BigInt(Date.UTC(2025, 10, 9, 23, 59, 59)); // inclusive instant
  const units: [TsType, bigint][] = [
    [TimestampSecond, 1n],
    [TimestampMillisecond, 1000n],
    [TimestampMicrosecond, 1_000_000n],
    [TimestampNanosecond, 1_000_000_000n],
  ];
  for (const [Type, perSecond] of units) {
    for (const tz of ["UTC", null]) {
      const scale = (ms: bigint) => ms * perSecond / 1000n;
      const book = bookWith({
        shelf_id: utf8(["A"]),
        discount: f64([0.4]),
        week_start: ts(Type, [scale(start)], tz),
        week_end: ts(Type, [scale(end)], tz),
      });
      const d = (iso: string) => book.discountHundredths("A", at(iso));
      assert.equal(d("2025-11-03T00:00:00Z"), 40, `${Type.name} ${tz}`);
      assert.equal(d("2025-11-09T23:59:59Z"), 40, `${Type.name} ${tz}`);
      assert.equal(d("2025-11-09T23:59:59.5Z"), 0, `${Type.name} ${tz}`);
    }
  }
});

Deno.test("midnight timestamps are dates: a week_end of Sunday 00:00 covers all of Sunday", () => {
  // The later upstream files: TIMESTAMP columns, Monday 00:00 … Sunday 00:00, discount_pct.
  const mondays = [Date.UTC(2025, 10, 3), Date.UTC(2025, 10, 10)];
  for (
    const [Type, perSecond] of [[TimestampMillisecond, 1000n], [
      TimestampMicrosecond,
      1_000_000n,
    ]] as [TsType, bigint][]
  ) {
    const scale = (ms: number) => BigInt(ms) * perSecond / 1000n;
    const book = bookWith({
      shelf_id: utf8(["A", "B"]),
      discount_pct: f64([0.2, 0.3]),
      week_start: ts(Type, mondays.map(scale)),
      week_end: ts(Type, mondays.map((m) => scale(m + 6 * DAY))),
    });
    const d = (id: string, iso: string) => book.discountHundredths(id, at(iso));
    assert.equal(d("A", "2025-11-09T00:00:00Z"), 20, Type.name); // Sunday, first instant
    assert.equal(d("A", "2025-11-09T18:30:00Z"), 20, Type.name); // a Sunday afternoon sale
    assert.equal(d("A", "2025-11-09T23:59:59.999Z"), 20, Type.name);
    assert.equal(d("A", "2025-11-10T00:00:00Z"), 0, Type.name); // next Monday
    assert.equal(d("B", "2025-11-16T12:00:00Z"), 30, Type.name);
    assert.equal(book.report.discounts.midnightRangesAsDates, 2, Type.name);
    assert.equal(book.report.discounts.weeks.first, "2025-W45");
    assert.equal(book.report.discounts.weeks.last, "2025-W46");
  }
});

Deno.test("timestamps not all at midnight keep their instants (end inclusive to the instant)", () => {
  const book = bookWith({
    shelf_id: utf8(["A", "B"]),
    discount: f64([0.2, 0.3]),
    week_start: ts(TimestampMillisecond, [
      BigInt(Date.UTC(2025, 10, 3)),
      BigInt(Date.UTC(2025, 10, 3)),
    ]),
    week_end: ts(TimestampMillisecond, [
      BigInt(Date.UTC(2025, 10, 9)),
      BigInt(Date.UTC(2025, 10, 9, 12)),
    ]),
  });
  assert.equal(book.discountHundredths("A", at("2025-11-09T00:00:00Z")), 20);
  assert.equal(book.discountHundredths("A", at("2025-11-09T00:00:00.001Z")), 0);
  assert.equal(book.report.discounts.midnightRangesAsDates, 0);
});

Deno.test("file shape: week plus a disagreeing date pair (the real file's shape)", () => {
  const book = bookWith({
    shelf_id: utf8(["A"]),
    week: utf8(["2025-W01"]),
    discount: f64([0.15]),
    start_date: utf8(["2025-01-06"]),
    end_date: utf8(["2025-01-12"]),
  });
  assert.equal(book.discountHundredths("A", at("2025-01-01T00:00:00Z")), 15);
  assert.equal(book.report.discounts.weekLabelMismatches.rows, 1);
});

Deno.test("nulls in every column are rejected rows, not errors", () => {
  const inv = parquetFile({
    shelf_id: utf8(["A", null, "C", "D"]),
    item_price: f64([1, 2, null, -3]),
  });
  const disc = parquetFile({
    shelf_id: utf8(["A", null, "A", "A"]),
    week: utf8(["2025-W45", "2025-W45", null, "2025-W46"]),
    discount: f64([0.1, 0.1, 0.1, null]),
  });
  const book = parquet.priceBook(inv, disc);
  assert.deepEqual(book.report.inventory.rejected, {
    "null shelf_id": 1,
    "null or non-numeric item_price": 1,
    "negative item_price": 1,
  });
  assert.deepEqual(book.report.discounts.rejected, {
    "null shelf_id": 1,
    "unparseable week": 1,
    "null or non-numeric discount": 1,
  });
  assert.equal(book.discountHundredths("A", at("2025-11-05T00:00:00Z")), 10);
});

Deno.test("integer prices (int64) and numeric text prices are read exactly", () => {
  const inv = parquetFile({
    shelf_id: utf8(["A", "B"]),
    item_price: makeVector({ type: new Int64(), data: new BigInt64Array([3n, 7n]) } as never),
  });
  assert.equal(parquet.priceBook(inv, undefined).unitCents("B"), 700);
  const text = parquetFile({ shelf_id: utf8(["A"]), item_price: utf8(["1.005"]) });
  assert.equal(parquet.priceBook(text, undefined).unitCents("A"), 101);
});

Deno.test("a column of the wrong type is a CatalogError naming file, column and type", () => {
  const inv = parquetFile({
    shelf_id: utf8(["A"]),
    item_price: vectorFromArray([true], new Bool()),
  });
  assert.throws(
    () => parquet.priceBook(inv, undefined, { storeName: "inv.parquet" }),
    (e: unknown) =>
      e instanceof CatalogError && /inv\.parquet/.test(e.message) &&
      /item_price/.test(e.message) && /Bool/.test(e.message),
  );
  const disc = parquetFile({
    shelf_id: utf8(["A"]),
    week: utf8(["2025-W45"]),
    discount: vectorFromArray([true], new Bool()),
  });
  assert.throws(
    () => parquet.priceBook(INVENTORY, disc, { discountName: "disc.parquet" }),
    (e: unknown) => e instanceof CatalogError && /disc\.parquet.*discount/.test(e.message),
  );
});

Deno.test("missing columns: CatalogError naming the file and the columns", () => {
  const inv = parquetFile({ shelf_id: utf8(["A"]), price: f64([1]) });
  assert.throws(
    () => parquet.priceBook(inv, undefined, { storeName: "inv.parquet" }),
    (e: unknown) =>
      e instanceof CatalogError && e.file === "inv.parquet" &&
      e.missingColumns.join() === "item_price",
  );
  const disc = parquetFile({ shelf_id: utf8(["A"]), discount: f64([0.1]) });
  assert.throws(
    () => parquet.priceBook(INVENTORY, disc, { discountName: "disc.parquet" }),
    (e: unknown) =>
      e instanceof CatalogError && e.file === "disc.parquet" && /week/.test(e.message),
  );
});

Deno.test("an empty file (0 bytes) and a file that is not parquet are CatalogErrors", () => {
  for (const bytes of [new Uint8Array(0), new TextEncoder().encode("shelf_id,item_price\nA,1\n")]) {
    assert.throws(
      () => parquet.priceBook(bytes, undefined, { storeName: "x.parquet" }),
      (e: unknown) =>
        e instanceof CatalogError && /x\.parquet.*not a readable parquet/.test(e.message),
    );
  }
});

Deno.test("a parquet file with no rows: inventory unusable, discounts empty (a warning)", () => {
  const emptyInv = parquetFile({ shelf_id: utf8([]), item_price: f64([]) });
  assert.throws(() => parquet.priceBook(emptyInv, undefined), /no rows/);
  const emptyDisc = parquetFile({ shelf_id: utf8([]), week: utf8([]), discount: f64([]) });
  const book = parquet.priceBook(INVENTORY, emptyDisc);
  assert.equal(book.report.discounts.rows, 0);
  assert.ok(book.report.warnings.some((w) => /no rows/.test(w)));
});

Deno.test("readTable reads the asked columns (parquet-wasm 0.8 may return all)", () => {
  const t = parquet.readTable(INVENTORY, ["item_price"]);
  assert.ok(t.schema.fields.some((f) => f.name === "item_price"));
  assert.equal(t.numRows, 3);
});

Deno.test("loadPriceBook: a missing discount file means no discounts, with a warning", async () => {
  const dir = await tempDir();
  try {
    await Deno.writeFile(`${dir}/inv.parquet`, INVENTORY);
    const { book, report } = await loadPriceBook({
      storePath: `${dir}/inv.parquet`,
      discountPath: `${dir}/none.parquet`,
    });
    assert.equal(book.unitCents("A"), 350);
    assert.equal(report.discounts.present, false);
    assert.match(report.warnings[0], /discount file not found: .*none\.parquet/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadPriceBook: a missing inventory file is a CatalogError naming it", async () => {
  await assert.rejects(
    loadPriceBook({ storePath: "/nonexistent/inv.parquet", discountPath: "/nonexistent/d" }),
    (e: unknown) =>
      e instanceof CatalogError && e.file === "/nonexistent/inv.parquet" &&
      /not found/.test(e.message),
  );
});

Deno.test("loadPriceBook honours the unknown-item policy", async () => {
  const dir = await tempDir();
  try {
    await Deno.writeFile(`${dir}/inv.parquet`, INVENTORY);
    const { book } = await loadPriceBook({
      storePath: `${dir}/inv.parquet`,
      discountPath: `${dir}/none.parquet`,
      unknownItem: { kind: "skip" },
    });
    const cart = book.priceCart([{ itemId: "Q", quantity: 1 }], at("2025-01-01T00:00:00Z"));
    assert.deepEqual(cart.skipped, [{ itemId: "Q", quantity: 1 }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("many record batches and a large catalog index the same as one", () => {
  const n = 5000;
  const ids = Array.from({ length: n }, (_, i) => `S${i}`);
  const inv = parquet.writeTable(
    new Table({ shelf_id: utf8(ids), item_price: f64(ids.map((_, i) => (i % 997) / 100)) }),
  );
  const book = parquet.priceBook(inv, undefined);
  assert.equal(book.size, n);
  assert.equal(book.unitCents("S1234"), 1234 % 997);
  assert.equal(DAY, 86_400_000);
});
