import assert from "node:assert/strict";
import { ColumnTypeError, rowSource } from "../../lib/core/pricing/column_source.ts";

Deno.test("rowSource: columns are the keys of any row; null, missing and text values", () => {
  const source = rowSource([
    { shelf_id: "A1", item_price: 3.5, week_start: "2025-11-03" },
    { shelf_id: 7, item_price: " 2e1 ", extra: true },
    { shelf_id: null, item_price: "n/a", week_start: new Date(Date.UTC(2025, 10, 3, 12)) },
  ]);
  assert.equal(source.length, 3);
  assert.deepEqual([...source.names].sort(), ["extra", "item_price", "shelf_id", "week_start"]);
  assert.deepEqual(source.strings("shelf_id"), ["A1", "7", null]);
  assert.deepEqual([...source.numbers("item_price")], [3.5, 20, NaN]);
  const times = source.times("week_start");
  assert.deepEqual([...times.ms], [Date.UTC(2025, 10, 3), NaN, Date.UTC(2025, 10, 3, 12)]);
  assert.deepEqual([...times.dateOnly], [1, 0, 0]);
});

Deno.test("rowSource: a value of the wrong kind is a ColumnTypeError naming the column", () => {
  const source = rowSource([{ shelf_id: { id: 1 }, item_price: [1] }]);
  assert.throws(() => source.strings("shelf_id"), (e) => {
    assert.ok(e instanceof ColumnTypeError);
    assert.equal(e.column, "shelf_id");
    assert.match(e.message, /column "shelf_id" has type object, expected text/);
    return true;
  });
  assert.throws(() => source.numbers("item_price"), ColumnTypeError);
});
