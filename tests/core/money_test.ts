import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decimalParts,
  discountHundredthsFromPrices,
  fromCents,
  lineTotalCents,
  roundHalfAway,
  scaleDecimal,
  toCents,
} from "../../lib/core/pricing/money.ts";

/** Reference: round half away from zero of the exact decimal `text` × 10^d, by BigInt. */
function refScale(text: string, d: number): bigint {
  const { mantissa, exponent } = decimalParts(text);
  const e = exponent + d;
  if (e >= 0) return mantissa * 10n ** BigInt(e);
  const div = 10n ** BigInt(-e);
  const neg = mantissa < 0n;
  const abs = neg ? -mantissa : mantissa;
  const q = abs / div;
  const r = abs % div;
  const out = 2n * r >= div ? q + 1n : q;
  return neg ? -out : out;
}

Deno.test("SPEC §4 example: 2 × 3.50 × (1 − 0.10) = 6.30", () => {
  assert.equal(fromCents(lineTotalCents(2, toCents(3.5), 10)), 6.3);
});

Deno.test("SPEC §4 example: 3 × 1.15 × (1 − 0.10) = 3.105 → 3.11 (half away, not binary)", () => {
  // The binary value of 3.105 lies below it: toFixed (binary rounding) gives 3.10.
  assert.equal((3 * 1.15 * 0.9).toFixed(2), "3.10");
  assert.equal(fromCents(lineTotalCents(3, toCents(1.15), 10)), 3.11);
});

Deno.test("rounding is on the printed decimal: 1.005 → 1.01, 2.675 → 2.68, 1.045 → 1.05", () => {
  assert.equal(roundHalfAway(1.005, 2), 1.01);
  assert.equal(roundHalfAway(2.675, 2), 2.68);
  assert.equal(roundHalfAway(1.045, 2), 1.05);
  assert.equal(roundHalfAway(0.125, 2), 0.13);
  assert.equal(roundHalfAway(0.124999, 2), 0.12);
});

Deno.test("rounding is half away from zero for negatives: -1.005 → -1.01, -0.004 → 0", () => {
  assert.equal(scaleDecimal(-1.005, 2), -101);
  assert.equal(scaleDecimal(-0.015, 2), -2);
  assert.ok(Object.is(scaleDecimal(-0.004, 2), 0));
});

Deno.test("scaleDecimal reads exponent forms and decimal text", () => {
  assert.equal(scaleDecimal(1e-7, 2), 0);
  assert.equal(scaleDecimal(5e-3, 2), 1);
  assert.equal(scaleDecimal(1.5e3, 2), 150000);
  assert.equal(scaleDecimal("3.145", 2), 315);
  assert.equal(scaleDecimal(" 0.955 ", 2), 96);
  assert.equal(scaleDecimal("1E2", 0), 100);
  assert.equal(scaleDecimal(".5", 0), 1);
  assert.equal(scaleDecimal("5.", 0), 5);
});

Deno.test("scaleDecimal rejects non-finite, non-numeric and unsafe values", () => {
  assert.throws(() => scaleDecimal(NaN, 2), RangeError);
  assert.throws(() => scaleDecimal(Infinity, 2), RangeError);
  assert.throws(() => scaleDecimal("abc", 2), RangeError);
  assert.throws(() => scaleDecimal("", 2), RangeError);
  assert.throws(() => scaleDecimal(1e21, 2), RangeError);
  assert.throws(() => scaleDecimal(9007199254740991, 2), RangeError);
});

Deno.test("lineTotalCents rounds half away from zero: 3 × 2.50 × 0.91 = 6.825 → 6.83", () => {
  assert.equal(lineTotalCents(3, 250, 9), 683);
  assert.equal(lineTotalCents(3, 510, 45), 842); // 8.415
  assert.equal(lineTotalCents(1, 1, 50), 1); // 0.005 → 0.01
  assert.equal(lineTotalCents(1, 1, 51), 0); // 0.0049 → 0.00
  assert.equal(lineTotalCents(1, -1, 50), -1); // -0.005 → -0.01
  assert.equal(lineTotalCents(5, 0, 0), 0);
});

Deno.test("lineTotalCents stays exact past 2^53 intermediate products (BigInt path)", () => {
  // 1e8 × 1e7 cents × 95 overflows the safe range; the result still fits.
  const q = 100_000_000;
  const c = 10_000_000;
  assert.equal(lineTotalCents(q, c, 5), Number((BigInt(q) * BigInt(c) * 95n + 50n) / 100n));
  assert.throws(() => lineTotalCents(2 ** 40, 2 ** 40, 0), RangeError);
});

Deno.test("lineTotalCents refuses non-integer inputs", () => {
  assert.throws(() => lineTotalCents(1.5, 100, 0), RangeError);
  assert.throws(() => lineTotalCents(1, 100.5, 0), RangeError);
  assert.throws(() => lineTotalCents(1, 100, 101), RangeError);
});

Deno.test("property: scaleDecimal matches a BigInt decimal reference on any double", () => {
  fc.assert(
    fc.property(
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }),
      fc.integer({ min: 0, max: 4 }),
      (x, d) => {
        assert.equal(BigInt(scaleDecimal(x, d)), refScale(String(x), d));
      },
    ),
    { numRuns: 3000 },
  );
});

Deno.test("property: prices with up to 4 decimals round like the decimal reference", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 100_000_000 }), (tenThousandths) => {
      const text = (tenThousandths / 10_000).toString();
      assert.equal(BigInt(toCents(Number(text))), refScale(text, 2));
    }),
    { numRuns: 3000 },
  );
});

Deno.test("property: line total equals the exact decimal product rounded half away", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 10_000 }),
      fc.integer({ min: 0, max: 10_000_000 }),
      fc.integer({ min: 0, max: 95 }),
      (q, cents, h) => {
        // Reference: decimal string of q × (cents/100) × ((100 − h)/100), rounded to 2 places.
        const exact = BigInt(q) * BigInt(cents) * BigInt(100 - h); // × 10^-4
        const s = exact.toString().padStart(5, "0");
        const text = `${s.slice(0, -4)}.${s.slice(-4)}`;
        assert.equal(BigInt(lineTotalCents(q, cents, h)), refScale(text, 2));
      },
    ),
    { numRuns: 5000 },
  );
});

Deno.test("property: cents print back as the decimal they stand for", () => {
  fc.assert(
    fc.property(fc.integer({ min: -1e12, max: 1e12 }), (c) => {
      const text = String(fromCents(c));
      assert.equal(BigInt(scaleDecimal(text, 2)), BigInt(c));
    }),
  );
});

Deno.test("discount from original and discounted price is exact: 1 − 8.5/10 = 0.15", () => {
  assert.equal(discountHundredthsFromPrices(10, 8.5), 15);
  assert.equal(discountHundredthsFromPrices(10, 9), 10); // binary 1 − 0.9 = 0.09999999999999998
  assert.equal(discountHundredthsFromPrices(3, 2.985), 1); // 0.005 → 0.01
  assert.equal(discountHundredthsFromPrices(1, 0), 95); // clamped
  assert.equal(discountHundredthsFromPrices(4, 4), 0);
  assert.equal(discountHundredthsFromPrices(2, 3), undefined); // negative discount
  assert.equal(discountHundredthsFromPrices(0, 0), undefined);
  assert.equal(discountHundredthsFromPrices(5, -1), undefined);
});
