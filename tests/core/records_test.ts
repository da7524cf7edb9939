import assert from "node:assert/strict";
import {
  decodeFoot,
  newFootScratch,
  newParseScratch,
  parseValue,
  PICKUP,
  PUTBACK,
  SKIPPED,
} from "../../lib/core/decode/records.ts";
import { parseShelf } from "../fixtures/shelf_decode.ts";

const enc = new TextEncoder();

function shelf(v: unknown) {
  return parseShelf(typeof v === "string" ? enc.encode(v) : enc.encode(JSON.stringify(v)));
}
function foot(v: unknown) {
  const ps = newParseScratch();
  assert.ok(parseValue(enc.encode(JSON.stringify(v)), ps));
  const f = newFootScratch();
  return { reason: decodeFoot(ps.obj!, f), f };
}
const ok = { event_type: "pickup", customer_id: "c", item_id: "A1", quantity: 2 };

Deno.test("§1 invalid records: not UTF-8, not JSON, not an object, empty", () => {
  const ps = newParseScratch();
  assert.equal(parseValue(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), ps), false);
  assert.equal(ps.reason, "not_utf8");
  assert.equal(shelf("{nope").reason, "not_json");
  assert.equal(shelf("[1]").reason, "not_object");
  assert.equal(shelf("null").reason, "not_object");
  assert.equal(shelf("42").reason, "not_object");
  assert.equal(parseValue(null, ps), false);
  assert.equal(ps.reason, "empty_value");
  // A real U+FFFD in valid UTF-8 is fine.
  assert.equal(shelf({ ...ok, item_id: "\uFFFD" }).reason, null);
});

Deno.test("§1 shelf event: pickup/putback decoded, quantity absent = 1", () => {
  const a = shelf(ok);
  assert.equal(a.reason, null);
  assert.equal(a.s!.kind, PICKUP);
  assert.equal(a.s!.quantity, 2);
  const b = shelf({ event_type: "putback", customer_id: "c", item_id: "A1" });
  assert.equal(b.s!.kind, PUTBACK);
  assert.equal(b.s!.quantity, 1);
  assert.ok(Number.isNaN(b.s!.us), "no timestamp: record timestamp is used");
});

Deno.test("§1 shelf event: other event types are skipped, not errors", () => {
  for (const t of ["weight_change", "restock", "foot_traffic"]) {
    const r = shelf({ event_type: t, shelf_id: "X" });
    assert.equal(r.reason, null);
    assert.equal(r.s!.kind, SKIPPED);
  }
});

Deno.test("§1 shelf event: missing or wrong-type fields are rejected with a reason", () => {
  assert.equal(shelf({ customer_id: "c", item_id: "A" }).reason, "missing_field");
  assert.equal(shelf({ event_type: 7, customer_id: "c", item_id: "A" }).reason, "wrong_type");
  assert.equal(shelf({ ...ok, customer_id: undefined }).reason, "missing_field");
  assert.equal(shelf({ ...ok, customer_id: "" }).reason, "missing_field");
  assert.equal(shelf({ ...ok, customer_id: 12 }).reason, "wrong_type");
  assert.equal(shelf({ ...ok, item_id: null }).reason, "wrong_type");
  assert.equal(shelf({ ...ok, quantity: "2" }).reason, "wrong_type");
  assert.equal(shelf({ ...ok, timestamp: 1730000000 }).reason, "wrong_type");
});

Deno.test("§1 shelf event: non-positive or non-integer quantity is invalid", () => {
  for (const q of [0, -1, 1.5, 1e300]) {
    assert.equal(shelf({ ...ok, quantity: q }).reason, "invalid_quantity", String(q));
  }
  assert.equal(shelf({ ...ok, quantity: 2.0 }).reason, null);
});

Deno.test("§1 shelf event: unparseable timestamp is invalid", () => {
  assert.equal(shelf({ ...ok, timestamp: "soon" }).reason, "invalid_time");
  assert.equal(shelf({ ...ok, timestamp: "2025-11-07T09:40:01.5+00:00" }).reason, null);
});

Deno.test("§1 foot session: valid, skipped, and rejected sessions", () => {
  const s = {
    event_type: "foot_traffic",
    customer_id: "c",
    entry_time: "2025-11-07T09:00:00.25+00:00",
    exit_time: "2025-11-07T09:30:00+00:00",
    weekday: "Friday",
  };
  const a = foot(s);
  assert.equal(a.reason, null);
  assert.equal(a.f.skipped, false);
  assert.equal(a.f.entryFrac, "25");
  assert.equal(foot({ ...s, event_type: "pickup" }).f.skipped, true);
  assert.equal(foot({ ...s, customer_id: "" }).reason, "missing_field");
  assert.equal(foot({ ...s, exit_time: undefined }).reason, "missing_field");
  assert.equal(foot({ ...s, entry_time: 5 }).reason, "wrong_type");
  assert.equal(foot({ ...s, entry_time: "2025-11-07" }).reason, "invalid_time");
  assert.equal(foot({ ...s, exit_time: "2025-11-07T08:59:59Z" }).reason, "exit_before_entry");
  assert.equal(foot({ ...s, exit_time: s.entry_time }).reason, null, "exit == entry is fine");
});
