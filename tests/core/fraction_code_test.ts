import assert from "node:assert/strict";
import fc from "fast-check";
import { fractionCode, fractionText } from "../../lib/core/carts/fraction_code.ts";
import { IsoParser } from "../../lib/core/decode/timestamps.ts";

Deno.test("fraction digits come back exactly as written, kept as a count where the instant gives them", () => {
  const written = fc.tuple(
    fc.integer({ min: 0, max: 4_102_444_799 }), // whole seconds, 1970..2099
    fc.oneof(fc.constant(""), fc.stringMatching(/^[0-9]{1,9}$/)),
  );
  fc.assert(fc.property(written, ([secs, digits]) => {
    const iso = new Date(secs * 1000).toISOString().slice(0, 19) + (digits ? "." + digits : "");
    const p = new IsoParser();
    const us = p.parse(iso + "Z");
    const frac = p.fraction(iso + "Z");
    assert.equal(frac, digits);
    const code = fractionCode(us, frac);
    assert.equal(fractionText(us, code), digits);
    if (digits.length <= 6) assert.equal(code, digits.length, "µs, ms and whole seconds: a count");
  }));
});

Deno.test("fraction digits that the instant does not give are kept as written", () => {
  const us = 1762507930120000; // …:10.120000
  assert.equal(fractionCode(us, "121"), "121", "not this instant's digits");
  assert.equal(fractionCode(us, "120000999"), "120000999", "past the microsecond");
  assert.equal(fractionCode(us + 5, ""), "", "no digits for an instant with some");
  assert.equal(fractionText(us, "121"), "121");
});
