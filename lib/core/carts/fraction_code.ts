/**
 * A timestamp's fraction digits as a customer keeps them. Output repeats a producer's digits as
 * written (docs/engine.md), so they were kept as strings: two or three per customer, and a
 * backlog holds a day's sessions. Digits that are the first ones of the instant's six microsecond
 * digits (what Python's `isoformat`, milliseconds and whole seconds give) are kept as their count
 * instead; others (nanoseconds) stay as written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fractionCode, fractionText } from "./fraction_code.ts";
 * const us = 1762507930120000; // 2025-11-07T09:32:10.12
 * assert.equal(fractionCode(us, "12"), 2);
 * assert.equal(fractionText(us, 2), "12");
 * assert.equal(fractionCode(us, "120000001"), "120000001");
 * ```
 * @module
 */

import { subMicros } from "../decode/timestamps.ts";

/** A digit count (the first digits of the instant's microseconds), or the digits as written. */
export type FractionCode = number | string;

/** The code of fraction digits `frac` written for the instant `us`. */
export function fractionCode(us: number, frac: string): FractionCode {
  const n = frac.length;
  if (n > 6) return frac;
  return (n === 0 ? 0 : Number(frac) * 10 ** (6 - n)) === subMicros(us) ? n : frac;
}

/** The fraction digits that `code` stands for, for the instant `us` it was made with. */
export function fractionText(us: number, code: FractionCode): string {
  if (typeof code === "string") return code;
  if (code === 0) return "";
  return String(subMicros(us)).padStart(6, "0").slice(0, code);
}
