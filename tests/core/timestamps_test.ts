import assert from "node:assert/strict";
import {
  formatUtc,
  fractionOf,
  parseIsoMicros,
  parseTimestamp,
} from "../../lib/core/decode/timestamps.ts";

const us = (iso: string) => Date.parse(iso) * 1000;

Deno.test("§1 timestamps: Python isoformat with microseconds and +00:00", () => {
  assert.deepEqual(parseTimestamp("2025-11-07T09:32:10.123456+00:00"), {
    us: us("2025-11-07T09:32:10Z") + 123456,
    frac: "123456",
  });
});

Deno.test("§1 timestamps: T or space, Z / ±HH:MM / ±HHMM / no offset (= UTC)", () => {
  const base = us("2025-11-07T09:32:10Z");
  for (
    const s of [
      "2025-11-07T09:32:10Z",
      "2025-11-07 09:32:10Z",
      "2025-11-07T09:32:10",
      "2025-11-07 09:32:10",
      "2025-11-07T09:32:10+00:00",
      "2025-11-07T10:32:10+01:00",
      "2025-11-07T10:32:10+0100",
      "2025-11-07T04:02:10-05:30",
      "2025-11-07T04:02:10-0530",
      "2025-11-07t09:32:10z",
    ]
  ) assert.equal(parseIsoMicros(s), base, s);
});

Deno.test("§1 timestamps: 0–9 fraction digits; digits past µs truncated for ordering", () => {
  const base = us("2025-11-07T09:32:10Z");
  assert.equal(parseIsoMicros("2025-11-07T09:32:10.5Z"), base + 500000);
  assert.equal(parseIsoMicros("2025-11-07T09:32:10.12Z"), base + 120000);
  assert.equal(parseIsoMicros("2025-11-07T09:32:10.123Z"), base + 123000);
  assert.equal(parseIsoMicros("2025-11-07T09:32:10.1234567Z"), base + 123456);
  assert.equal(parseIsoMicros("2025-11-07T09:32:10.123456789"), base + 123456);
  assert.deepEqual(parseTimestamp("2025-11-07T09:32:10.123456789+02:00")?.frac, "123456789");
  assert.ok(Number.isNaN(parseIsoMicros("2025-11-07T09:32:10.1234567890Z")), "10 digits");
  assert.ok(Number.isNaN(parseIsoMicros("2025-11-07T09:32:10.Z")), "dot without digits");
});

Deno.test("§1 timestamps: unparseable times are rejected", () => {
  for (
    const s of [
      "",
      "yesterday",
      "2025-11-07",
      "2025-13-07T09:32:10Z",
      "2025-02-29T09:32:10Z",
      "2025-11-31T09:32:10Z",
      "2025-11-07T24:00:00Z",
      "2025-11-07T09:60:00Z",
      "2025-11-07T09:32:60Z",
      "2025-11-07X09:32:10Z",
      "2025-11-07T09:32:10+1",
      "2025-11-07T09:32:10+01:",
      "2025-11-07T09:32:10+25:00",
      "2025-11-07T09:32:10 ",
      "2025-11-07T09:32:10Zjunk",
      "１０２５-11-07T09:32:10Z",
    ]
  ) assert.ok(Number.isNaN(parseIsoMicros(s)), s);
  assert.equal(parseIsoMicros("2024-02-29T00:00:00Z"), us("2024-02-29T00:00:00Z"), "leap day");
});

Deno.test("§5 timestamp format: UTC, +00:00, sub-second digits as the input had them", () => {
  const t = parseTimestamp("2025-11-07T11:02:10.50+01:00")!;
  assert.equal(formatUtc(t.us, t.frac), "2025-11-07T10:02:10.50+00:00");
  const w = parseTimestamp("2025-11-07 10:02:10")!;
  assert.equal(formatUtc(w.us, w.frac), "2025-11-07T10:02:10+00:00");
  const n = parseTimestamp("2025-11-07T00:30:00.123456789+01:00")!;
  assert.equal(formatUtc(n.us, n.frac), "2025-11-06T23:30:00.123456789+00:00");
  assert.equal(fractionOf(us("2025-11-07T10:00:00Z") + 250000), "250");
  assert.equal(fractionOf(us("2025-11-07T10:00:00Z") + 7), "000007");
  assert.equal(fractionOf(us("2025-11-07T10:00:00Z")), "");
});
