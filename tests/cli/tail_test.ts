/** `pos-producer tail`'s line per transaction: time, customer, counts, exact total, items. */
import assert from "node:assert/strict";
import { formatTransaction } from "../../lib/cli/tail.ts";

Deno.test("tail prints one line per transaction with its total in cents-exact money", () => {
  const tx = {
    event_type: "pos_transaction",
    transaction_id: "t",
    customer_id: "c-1",
    timestamp: "2025-11-07T09:50:00+00:00",
    items: [
      { item_id: "A", quantity: 3, unit_price: 0.1, discount: 0, total_price: 0.3 },
      { item_id: "B", quantity: 1, unit_price: 0.2, discount: 0, total_price: 0.2 },
    ],
  };
  assert.equal(
    formatTransaction(JSON.stringify(tx)),
    "2025-11-07T09:50:00+00:00  c-1  2 lines, 4 items  total 0.50  3×A 1×B",
  );
  assert.match(
    formatTransaction(JSON.stringify({ ...tx, items: [tx.items[1]] })),
    /1 line, 1 item/,
  );
});

Deno.test("tail prints a value that is not a transaction as it is", () => {
  assert.equal(formatTransaction("not json"), "not json");
  assert.equal(formatTransaction('{"a":1}'), '{"a":1}');
});
