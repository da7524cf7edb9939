/**
 * Exact money arithmetic (SPEC §4). Amounts are held as integers in their smallest unit
 * (cents for prices, hundredths for discounts); rounding is half away from zero on the decimal
 * value a number prints as (its shortest round-trip form, so `1.005` rounds to `1.01`), never
 * on its binary approximation.
 * @module
 */

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * `value` × 10^`decimals`, rounded half away from zero on the decimal value `value` prints as
 * (`String(value)` for a number, the text itself for a string), as a safe integer.
 * Throws a `RangeError` for a non-finite number, text that is not a decimal number, or a result
 * beyond `Number.MAX_SAFE_INTEGER`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scaleDecimal } from "./money.ts";
 * assert.ok(scaleDecimal(1.005, 2) === 101);
 * assert.ok(scaleDecimal("-2.5", 0) === -3);
 * ```
 */
export function scaleDecimal(value: number | string, decimals: number): number {
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new RangeError(`not a finite number: ${value}`);
  }
  const text = typeof value === "number" ? String(value) : value.trim();
  const m = DECIMAL.exec(text);
  const intDigits = m?.[2] ?? "";
  const fracDigits = m?.[3] ?? "";
  if (!m || (intDigits === "" && fracDigits === "")) {
    throw new RangeError(`not a decimal number: ${JSON.stringify(text)}`);
  }
  const digits = intDigits + fracDigits;
  // value = digits × 10^exp; scaled = digits × 10^shift
  const exp = (m[4] === undefined ? 0 : parseInt(m[4], 10)) - fracDigits.length;
  const shift = exp + decimals;
  let n: number;
  if (shift >= 0) {
    const significant = digits.replace(/^0+/, "");
    if (significant === "") return 0;
    if (significant.length + shift > 16) throw new RangeError(`too large: ${text}`);
    n = Number(significant + "0".repeat(shift));
  } else {
    const cut = digits.length + shift; // digits kept
    const kept = cut > 0 ? digits.slice(0, cut) : "0";
    const roundUp = cut >= 0 && cut < digits.length && digits.charCodeAt(cut) >= 53; // >= '5'
    const significant = kept.replace(/^0+/, "");
    if (significant.length > 16) throw new RangeError(`too large: ${text}`);
    n = (significant === "" ? 0 : Number(significant)) + (roundUp ? 1 : 0);
  }
  if (!Number.isSafeInteger(n)) throw new RangeError(`too large: ${text}`);
  return m[1] === "-" && n !== 0 ? -n : n;
}

/**
 * `value` rounded half away from zero to `decimals` places (on its decimal form), as a number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { roundHalfAway } from "./money.ts";
 * assert.ok(roundHalfAway(2.675, 2) === 2.68);
 * ```
 */
export function roundHalfAway(value: number | string, decimals: number): number {
  return scaleDecimal(value, decimals) / 10 ** decimals;
}

/**
 * Price in integer cents (`2.405` → `241`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toCents } from "./money.ts";
 * assert.ok(toCents(2.405) === 241 && toCents("3.1") === 310);
 * ```
 */
export function toCents(price: number | string): number {
  return scaleDecimal(price, 2);
}

/**
 * Integer cents as a JS number of currency units (`311` → `3.11`, exact to print).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromCents } from "./money.ts";
 * assert.ok(fromCents(311) === 3.11);
 * ```
 */
export function fromCents(cents: number): number {
  return cents / 100;
}

/** Integer `n` ÷ 100, rounded half away from zero, for a safe integer `n`. */
function divRound100(n: number): number {
  const r = n % 100; // sign of n
  const q = (n - r) / 100;
  if (r >= 50) return q + 1;
  if (r <= -50) return q - 1;
  return q;
}

/**
 * `quantity × unitCents × (100 − discountHundredths) / 100`, rounded half away from zero, in
 * integer cents: the exact line total (SPEC §4). Falls back to BigInt when the product would
 * leave the safe-integer range. All arguments must be integers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lineTotalCents } from "./money.ts";
 * // 3 × 2.91 with 30% off: 6.111 → 611 cents
 * assert.ok(lineTotalCents(3, 291, 30) === 611);
 * ```
 */
export function lineTotalCents(
  quantity: number,
  unitCents: number,
  discountHundredths: number,
): number {
  if (
    !Number.isSafeInteger(quantity) || !Number.isSafeInteger(unitCents) ||
    !Number.isInteger(discountHundredths) || discountHundredths < 0 || discountHundredths > 100
  ) {
    throw new RangeError(
      `lineTotalCents needs integers (quantity ${quantity}, cents ${unitCents}, ` +
        `hundredths ${discountHundredths})`,
    );
  }
  const n = quantity * unitCents * (100 - discountHundredths);
  // Every factor is an integer >= 0 in magnitude, so a product that looks safe is exact.
  if (Number.isSafeInteger(n)) return divRound100(n);
  const big = BigInt(quantity) * BigInt(unitCents) * BigInt(100 - discountHundredths);
  const r = big % 100n;
  let q = (big - r) / 100n;
  if (r >= 50n) q += 1n;
  else if (r <= -50n) q -= 1n;
  const out = Number(q);
  if (!Number.isSafeInteger(out)) throw new RangeError(`line total too large: ${q} cents`);
  return out;
}

/**
 * Exact decimal parts of a number's printed form: value = mantissa × 10^exponent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decimalParts } from "./money.ts";
 * const { mantissa, exponent } = decimalParts(12.5);
 * assert.ok(mantissa === 125n && exponent === -1);
 * ```
 */
export function decimalParts(value: number | string): { mantissa: bigint; exponent: number } {
  const text = typeof value === "number" ? String(value) : value.trim();
  const m = DECIMAL.exec(text);
  if (!m || (m[2] === "" && (m[3] ?? "") === "") || !Number.isFinite(Number(text))) {
    throw new RangeError(`not a decimal number: ${JSON.stringify(text)}`);
  }
  const frac = m[3] ?? "";
  const mantissa = BigInt(`${m[1] === "-" ? "-" : ""}${m[2] + frac || "0"}`);
  return { mantissa, exponent: (m[4] === undefined ? 0 : parseInt(m[4], 10)) - frac.length };
}

/**
 * The discount fraction `1 − discounted / original` in hundredths, computed exactly on the
 * printed decimals, clamped to at most 95 (0.95) and rounded half away from zero. `undefined`
 * when it is not a fraction in [0, 1] (original ≤ 0, discounted < 0 or above original).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { discountHundredthsFromPrices } from "./money.ts";
 * assert.ok(discountHundredthsFromPrices(10, 8.5) === 15);
 * assert.ok(discountHundredthsFromPrices(10, 0) === 95); // clamped
 * assert.ok(discountHundredthsFromPrices(10, 11) === undefined);
 * ```
 */
export function discountHundredthsFromPrices(
  original: number | string,
  discounted: number | string,
  maxHundredths = 95,
): number | undefined {
  const o = decimalParts(original);
  const d = decimalParts(discounted);
  const e = Math.min(o.exponent, d.exponent);
  const oi = o.mantissa * 10n ** BigInt(o.exponent - e);
  const di = d.mantissa * 10n ** BigInt(d.exponent - e);
  if (oi <= 0n || di < 0n || di > oi) return undefined;
  const scaled = (oi - di) * 100n; // hundredths × oi
  if (scaled >= BigInt(maxHundredths) * oi) return maxHundredths;
  const q = scaled / oi;
  const r = scaled - q * oi;
  return Number(2n * r >= oi ? q + 1n : q);
}
