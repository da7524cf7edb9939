/**
 * JSON lexing over UTF-8 bytes, for the shelf fast path: plain strings (no escapes, ASCII only),
 * whitespace, and scalar values to skip. Each returns an index, or -1 when the input is not what
 * the fast path accepts.
 *
 * @example
 * ```ts
 * import { scanString, skipScalar } from "./json_bytes.ts";
 * const b = new TextEncoder().encode('"abc" 12.5e3');
 * scanString(b, 1, b.length); // 4: the closing quote
 * skipScalar(b, 6, b.length); // 12
 * ```
 * @module
 */

const QUOTE = 34, BACKSLASH = 92;

/**
 * Scans a JSON string body starting at `i` (after the opening quote). Returns the index of the
 * closing quote, or -1 when the string has an escape, a control character or a non-ASCII byte
 * (or is unterminated).
 */
export function scanString(b: Uint8Array, i: number, n: number): number {
  for (; i < n; i++) {
    const c = b[i];
    if (c === QUOTE) return i;
    if (c < 32 || c === BACKSLASH || c > 127) return -1;
  }
  return -1;
}

/** Skips JSON whitespace from `i`; returns the next index. */
export function skipWs(b: Uint8Array, i: number, n: number): number {
  while (i < n) {
    const c = b[i];
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) break;
    i++;
  }
  return i;
}

/** A JSON number per RFC 8259 from `i`; returns its end, or -1. */
function skipNumber(b: Uint8Array, i: number, n: number): number {
  if (i < n && b[i] === 45) i++; // '-'
  if (i >= n) return -1;
  let c = b[i];
  if (c === 48) i++;
  else if (c >= 49 && c <= 57) {
    i++;
    while (i < n && (c = b[i]) >= 48 && c <= 57) i++;
  } else return -1;
  if (i < n && b[i] === 46) { // '.'
    i++;
    const s = i;
    while (i < n && (c = b[i]) >= 48 && c <= 57) i++;
    if (i === s) return -1;
  }
  if (i < n && (b[i] === 101 || b[i] === 69)) { // 'e' / 'E'
    i++;
    if (i < n && (b[i] === 43 || b[i] === 45)) i++;
    const s = i;
    while (i < n && (c = b[i]) >= 48 && c <= 57) i++;
    if (i === s) return -1;
  }
  return i;
}

/** `b[i, i+4)` (or 5) is `true` / `null` / `false`: returns the end, or -1. */
function skipLiteral(b: Uint8Array, i: number, n: number): number {
  const c = b[i];
  if (c === 116) { // true
    return i + 3 < n && b[i + 1] === 114 && b[i + 2] === 117 && b[i + 3] === 101 ? i + 4 : -1;
  }
  if (c === 110) { // null
    return i + 3 < n && b[i + 1] === 117 && b[i + 2] === 108 && b[i + 3] === 108 ? i + 4 : -1;
  }
  if (c === 102) { // false
    return i + 4 < n && b[i + 1] === 97 && b[i + 2] === 108 && b[i + 3] === 115 &&
        b[i + 4] === 101
      ? i + 5
      : -1;
  }
  return -1;
}

/** A scalar value of another key at `b[i]` (string, number, literal); its end, or -1. */
export function skipScalar(b: Uint8Array, i: number, n: number): number {
  const c = b[i];
  if (c === QUOTE) {
    const e = scanString(b, i + 1, n);
    return e < 0 ? -1 : e + 1;
  }
  if (c === 45 || (c >= 48 && c <= 57)) return skipNumber(b, i, n);
  return skipLiteral(b, i, n);
}
