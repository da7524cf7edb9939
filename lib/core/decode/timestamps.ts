/**
 * ISO 8601 timestamps as SPEC §1 accepts them, parsed to epoch microseconds without allocating,
 * and formatted back as SPEC §5 writes them (`YYYY-MM-DDTHH:MM:SS[.fraction]+00:00`, UTC).
 *
 * Accepted: `YYYY-MM-DD`, then `T` (or `t`, or one space), `HH:MM:SS`, an optional fraction of
 * 1–9 digits after `.` (or `,`), then `Z`/`z`, `±HH:MM`, `±HHMM` or nothing (= UTC).
 *
 * One grammar serves strings and bytes: {@link IsoParser.parseBytes} is the implementation, and
 * a string is parsed by copying its (at most {@link MAX_ISO_LENGTH}) char codes into the parser's
 * byte scratch first.
 *
 * Epoch microseconds fit a double exactly for any year 0001–9999. Digits past the sixth
 * (nanoseconds) are truncated for ordering; the fraction's original digits are kept for output
 * (an offset shifts whole minutes, so converting to UTC never changes the fraction).
 *
 * @example
 * ```ts
 * import { formatUtc, IsoParser } from "./timestamps.ts";
 * const p = new IsoParser();
 * const us = p.parse("2025-11-07T10:32:10.5+01:00");
 * formatUtc(us, p.fraction("2025-11-07T10:32:10.5+01:00")); // "2025-11-07T09:32:10.5+00:00"
 * ```
 * @module
 */

/** The longest accepted timestamp: 19 + `.` + 9 digits + `+HH:MM`. */
export const MAX_ISO_LENGTH = 35;

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const DASH = 45, COLON = 58, DOT = 46, COMMA = 44, PLUS = 43;

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
 *
 * @param y Year. @param m Month 1–12. @param d Day of the month.
 * @returns Days since the epoch (negative before 1970).
 */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Two ASCII digits at `i` of `b` (below `end`) as a number, or -1. */
function twoDigits(b: Uint8Array, i: number, end: number): number {
  if (i + 1 >= end) return -1;
  const x = b[i] - 48;
  const y = b[i + 1] - 48;
  if (!(x >= 0 && x <= 9 && y >= 0 && y <= 9)) return -1;
  return x * 10 + y;
}

/**
 * Epoch seconds of the minute `b[start, start + 16)` (`YYYY-MM-DDTHH:MM`, UTC before any
 * offset), or NaN when it is not one.
 */
function minuteSeconds(b: Uint8Array, start: number, end: number): number {
  const y1 = twoDigits(b, start, end), y2 = twoDigits(b, start + 2, end);
  if (y1 < 0 || y2 < 0 || b[start + 4] !== DASH || b[start + 7] !== DASH) return NaN;
  const year = y1 * 100 + y2;
  const month = twoDigits(b, start + 5, end), day = twoDigits(b, start + 8, end);
  if (year < 1 || month < 1 || month > 12 || day < 1) return NaN;
  if (day > DAYS_IN_MONTH[month] && !(month === 2 && day === 29 && isLeap(year))) return NaN;
  const sep = b[start + 10];
  if (sep !== 84 && sep !== 32 && sep !== 116) return NaN; // 'T', ' ', 't'
  const hh = twoDigits(b, start + 11, end), mi = twoDigits(b, start + 14, end);
  if (b[start + 13] !== COLON) return NaN;
  if (hh < 0 || hh > 23 || mi < 0 || mi > 59) return NaN;
  return daysFromCivil(year, month, day) * 86400 + hh * 3600 + mi * 60;
}

/**
 * The timestamp parser. Keeps the last minute parsed (shelf events arrive in near time order, so
 * consecutive timestamps mostly share it) and, after a successful parse, where the timestamp
 * ended and where its fraction digits are. One instance per caller (an engine, a replay).
 *
 * @example
 * ```ts
 * import { IsoParser } from "./timestamps.ts";
 * const p = new IsoParser();
 * const b = new TextEncoder().encode('"2025-11-07T09:32:10.123Z"');
 * const us = p.parsePrefix(b, 1, b.length); // 1762507930123000
 * b[p.end]; // 34: the closing quote
 * ```
 */
export class IsoParser {
  /** End (exclusive) of the last successful parse. */
  end: number = -1;
  /** Start (inclusive) of the fraction digits of the last successful parse. */
  fracStart = 0;
  /** End (exclusive) of the fraction digits (= {@link IsoParser.fracStart} when none). */
  fracEnd = 0;
  /** The last minute parsed: its 16 bytes `YYYY-MM-DDTHH:MM` and its epoch seconds. */
  private readonly minuteKey = new Uint8Array(16);
  private minuteSecs = NaN;
  /** A string's char codes, for {@link IsoParser.parse}. */
  private readonly chars = new Uint8Array(MAX_ISO_LENGTH);

  /** Parses `s` to epoch µs (UTC), or NaN when SPEC §1 does not accept it. */
  parse(s: string): number {
    const n = s.length;
    if (n > MAX_ISO_LENGTH) return NaN;
    const b = this.chars;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      b[i] = c < 128 ? c : 0; // no accepted character is outside ASCII
    }
    return this.parseBytes(b, 0, n);
  }

  /** The fraction digits ("" when none) of `s`, the string this parser parsed last. */
  fraction(s: string): string {
    return this.fracEnd > this.fracStart ? s.slice(this.fracStart, this.fracEnd) : "";
  }

  /** {@link IsoParser.parse} over the UTF-8 bytes `b[start, end)`; no string made. */
  parseBytes(b: Uint8Array, start: number, end: number): number {
    const us = this.parsePrefix(b, start, end);
    return this.end === end ? us : NaN;
  }

  /**
   * Parses the longest accepted timestamp at `b[start, …)` (below `limit`); NaN when none.
   * {@link IsoParser.end} tells where it ends. The grammar has fixed characters and digits up to
   * the seconds, then digits and offset characters only, so a JSON string value is exactly a
   * timestamp when the parse ends at its closing quote.
   */
  parsePrefix(b: Uint8Array, start: number, limit: number): number {
    this.end = -1;
    if (limit - start < 19) return NaN;
    const base = this.minuteOf(b, start, limit);
    if (Number.isNaN(base)) return NaN;
    const ss = twoDigits(b, start + 17, limit);
    if (b[start + 16] !== COLON || ss < 0 || ss > 59) return NaN;
    let i = start + 19;
    let fracUs = 0;
    let fs = i, fe = i;
    let c = i < limit ? b[i] : -1;
    if (c === DOT || c === COMMA) {
      i++;
      fs = i;
      while (i < limit) {
        const digit = b[i] - 48;
        if (digit < 0 || digit > 9) break;
        if (i - fs < 6) fracUs = fracUs * 10 + digit;
        i++;
      }
      fe = i;
      const len = fe - fs;
      if (len === 0 || len > 9) return NaN;
      for (let q = len; q < 6; q++) fracUs *= 10;
      c = i < limit ? b[i] : -1;
    }
    const offsetMin = this.offsetAt(b, i, limit, c);
    if (Number.isNaN(offsetMin)) return NaN;
    this.fracStart = fs;
    this.fracEnd = fe;
    return (base + ss - offsetMin * 60) * 1e6 + fracUs;
  }

  /** The minute at `b[start, …)`, from the cache when it is the last one parsed. */
  private minuteOf(b: Uint8Array, start: number, end: number): number {
    const k = this.minuteKey;
    if (
      !Number.isNaN(this.minuteSecs) && b[start + 15] === k[15] && b[start + 14] === k[14] &&
      b[start + 12] === k[12] && b[start + 11] === k[11] && b[start + 9] === k[9] &&
      b[start + 8] === k[8] && b[start + 6] === k[6] && b[start + 5] === k[5] &&
      b[start + 3] === k[3] && b[start + 2] === k[2] && b[start + 1] === k[1] &&
      b[start] === k[0] && b[start + 4] === k[4] && b[start + 7] === k[7] &&
      b[start + 10] === k[10] && b[start + 13] === k[13]
    ) return this.minuteSecs;
    const secs = minuteSeconds(b, start, end);
    if (!Number.isNaN(secs)) {
      for (let j = 0; j < 16; j++) k[j] = b[start + j];
      this.minuteSecs = secs;
    }
    return secs;
  }

  /**
   * The UTC offset (minutes) starting at `b[i]` (= `c`, -1 past the end), setting
   * {@link IsoParser.end} past it; NaN when malformed.
   */
  private offsetAt(b: Uint8Array, i: number, limit: number, c: number): number {
    let offsetMin = 0;
    if (c === 90 || c === 122) { // 'Z' / 'z'
      i++;
    } else if (c === PLUS || c === DASH) {
      const oh = twoDigits(b, i + 1, limit);
      let om: number;
      if (i + 3 < limit && b[i + 3] === COLON) {
        om = twoDigits(b, i + 4, limit);
        i += 6;
      } else {
        om = twoDigits(b, i + 3, limit);
        i += 5;
      }
      if (oh < 0 || oh > 23 || om < 0 || om > 59) return NaN;
      offsetMin = (oh * 60 + om) * (c === DASH ? -1 : 1);
    }
    if (i > limit) return NaN;
    this.end = i;
    return offsetMin;
  }
}

/** A parsed instant: epoch microseconds plus the sub-second digits to print. */
export interface Instant {
  /** Epoch microseconds, UTC. */
  us: number;
  /** Sub-second digits as written in the input ("" when none), 0–9 digits. */
  frac: string;
}

/**
 * Parses `s` (SPEC §1) to an instant, or returns null.
 *
 * @example
 * ```ts
 * import { parseTimestamp } from "./timestamps.ts";
 * parseTimestamp("2025-11-07T09:32:10.120+00:00"); // { us: 1762507930120000, frac: "120" }
 * ```
 */
export function parseTimestamp(s: string): Instant | null {
  const p = new IsoParser();
  const us = p.parse(s);
  return Number.isNaN(us) ? null : { us, frac: p.fraction(s) };
}

/**
 * Parses `s` to epoch microseconds (UTC), or NaN. A convenience for one-off parses (it makes a
 * parser per call); a loop keeps an {@link IsoParser}.
 *
 * @example
 * ```ts
 * import { parseIsoMicros } from "./timestamps.ts";
 * parseIsoMicros("2025-11-07T09:32:10Z"); // 1762507930000000
 * ```
 */
export function parseIsoMicros(s: string): number {
  return new IsoParser().parse(s);
}

/** The microseconds of `us` past its whole second (0–999,999, also before 1970). */
export function subMicros(us: number): number {
  return us - Math.floor(us / 1e6) * 1e6;
}

/**
 * Fraction digits to print for an instant that was not written by a producer (the Kafka record
 * timestamp): none when whole seconds, 3 digits when whole milliseconds, else 6.
 */
export function fractionOf(us: number): string {
  const sub = subMicros(us);
  if (sub === 0) return "";
  if (sub % 1000 === 0) return String(sub / 1000).padStart(3, "0");
  return String(sub).padStart(6, "0");
}

/**
 * Formats an instant as SPEC §5 writes it: `YYYY-MM-DDTHH:MM:SS[.frac]+00:00` in UTC. `frac` is
 * printed as given (it must describe the same sub-second part as `us`).
 *
 * @example
 * ```ts
 * import { formatUtc } from "./timestamps.ts";
 * formatUtc(1762507930120000, "12"); // "2025-11-07T09:32:10.12+00:00"
 * ```
 */
export function formatUtc(us: number, frac: string): string {
  const secs = Math.floor(us / 1e6);
  const iso = new Date(secs * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  return iso.slice(0, 19) + (frac.length > 0 ? "." + frac : "") + "+00:00";
}
