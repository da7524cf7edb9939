/**
 * ISO 8601 timestamps as SPEC §1 accepts them, parsed to epoch microseconds without allocating,
 * and formatted back as SPEC §5 writes them (`YYYY-MM-DDTHH:MM:SS[.fraction]+00:00`, UTC).
 *
 * Accepted: `YYYY-MM-DD`, then `T` (or `t`, or one space), `HH:MM:SS`, an optional fraction of
 * 1–9 digits after `.` (or `,`), then `Z`/`z`, `±HH:MM`, `±HHMM` or nothing (= UTC).
 *
 * Epoch microseconds fit a double exactly for any year 0001–9999. Digits past the sixth
 * (nanoseconds) are truncated for ordering; the fraction's original digits are kept for output
 * (an offset shifts whole minutes, so converting to UTC never changes the fraction).
 * @module
 */

/** Start index (inclusive) of the fraction digits of the last successful {@link parseIsoMicros}. */
let fracStart = 0;
/** End index (exclusive) of the fraction digits of the last successful {@link parseIsoMicros}. */
let fracEnd = 0;

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Two ASCII digits at `i` as a number, or -1. */
function d2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  if (!(a >= 0 && a <= 9 && b >= 0 && b <= 9)) return -1; // NaN past the end fails too
  return a * 10 + b;
}

/**
 * Parses `s` to epoch microseconds (UTC), or returns `NaN` when it is not a timestamp SPEC §1
 * accepts. Allocation-free; the fraction's position is remembered for {@link lastFraction}.
 */
export function parseIsoMicros(s: string): number {
  const n = s.length;
  if (n < 19) return NaN;
  const y1 = d2(s, 0), y2 = d2(s, 2);
  if (y1 < 0 || y2 < 0 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return NaN;
  const year = y1 * 100 + y2;
  const month = d2(s, 5), day = d2(s, 8);
  if (year < 1 || month < 1 || month > 12 || day < 1) return NaN;
  if (day > DAYS_IN_MONTH[month] && !(month === 2 && day === 29 && isLeap(year))) return NaN;
  const sep = s.charCodeAt(10);
  if (sep !== 84 && sep !== 32 && sep !== 116) return NaN; // 'T', ' ', 't'
  const hh = d2(s, 11), mi = d2(s, 14), ss = d2(s, 17);
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return NaN;
  if (hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 59) return NaN;
  let i = 19;
  let fracUs = 0;
  let fs = 19, fe = 19;
  let c = i < n ? s.charCodeAt(i) : -1;
  if (c === 46 || c === 44) { // '.' or ','
    i++;
    fs = i;
    while (i < n) {
      const dgt = s.charCodeAt(i) - 48;
      if (dgt < 0 || dgt > 9) break;
      if (i - fs < 6) fracUs = fracUs * 10 + dgt;
      i++;
    }
    fe = i;
    const len = fe - fs;
    if (len === 0 || len > 9) return NaN;
    for (let k = len; k < 6; k++) fracUs *= 10;
    c = i < n ? s.charCodeAt(i) : -1;
  }
  let offsetMin = 0;
  if (c === 90 || c === 122) { // 'Z' / 'z'
    i++;
  } else if (c === 43 || c === 45) { // '+' / '-'
    const oh = d2(s, i + 1);
    let om: number;
    if (s.charCodeAt(i + 3) === 58) {
      om = d2(s, i + 4);
      i += 6;
    } else {
      om = d2(s, i + 3);
      i += 5;
    }
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return NaN;
    offsetMin = (oh * 60 + om) * (c === 45 ? -1 : 1);
  }
  if (i !== n) return NaN;
  fracStart = fs;
  fracEnd = fe;
  const days = daysFromCivil(year, month, day);
  const secs = days * 86400 + hh * 3600 + mi * 60 + ss - offsetMin * 60;
  return secs * 1e6 + fracUs;
}

/** Two ASCII digits at `i` of `b` (below `end`) as a number, or -1. */
function b2(b: Uint8Array, i: number, end: number): number {
  if (i + 1 >= end) return -1;
  const x = b[i] - 48;
  const y = b[i + 1] - 48;
  if (!(x >= 0 && x <= 9 && y >= 0 && y <= 9)) return -1;
  return x * 10 + y;
}

/**
 * Cache of the last minute parsed by {@link parseIsoMicrosBytes}: the 16 bytes
 * `YYYY-MM-DDTHH:MM` (separator included) and the epoch seconds of that minute (UTC, before the
 * offset). Shelf events arrive in near time order, so consecutive timestamps mostly share it.
 */
const minuteKey = new Uint8Array(16);
let minuteSecs = NaN;

/**
 * {@link parseIsoMicros} over the UTF-8 bytes `b[start, end)` (the same grammar and result; no
 * string made). On success the fraction digits are `b[bytesFracStart(), bytesFracEnd())`.
 */
export function parseIsoMicrosBytes(b: Uint8Array, start: number, end: number): number {
  const us = parseIsoMicrosPrefix(b, start, end);
  return bEnd === end ? us : NaN;
}

/** Where the last successful {@link parseIsoMicrosPrefix} stopped. */
let bEnd = -1;

/**
 * Parses the longest timestamp {@link parseIsoMicrosBytes} would accept at `b[start, …)` (below
 * `limit`) and returns it (NaN when none); {@link bytesIsoEnd} tells where it ends. The grammar
 * has fixed characters and digits up to the seconds, then digits and offset characters only,
 * so a JSON string value is exactly a timestamp when the parse ends at its closing quote.
 */
export function parseIsoMicrosPrefix(b: Uint8Array, start: number, limit: number): number {
  bEnd = -1;
  const end = limit;
  if (end - start < 19) return NaN;
  let base: number;
  const k = minuteKey;
  if (
    minuteSecs === minuteSecs && b[start + 15] === k[15] && b[start + 14] === k[14] &&
    b[start + 12] === k[12] && b[start + 11] === k[11] && b[start + 9] === k[9] &&
    b[start + 8] === k[8] && b[start + 6] === k[6] && b[start + 5] === k[5] &&
    b[start + 3] === k[3] && b[start + 2] === k[2] && b[start + 1] === k[1] &&
    b[start] === k[0] && b[start + 4] === k[4] && b[start + 7] === k[7] &&
    b[start + 10] === k[10] && b[start + 13] === k[13]
  ) {
    base = minuteSecs;
  } else {
    const y1 = b2(b, start, end), y2 = b2(b, start + 2, end);
    if (y1 < 0 || y2 < 0 || b[start + 4] !== 45 || b[start + 7] !== 45) return NaN;
    const year = y1 * 100 + y2;
    const month = b2(b, start + 5, end), day = b2(b, start + 8, end);
    if (year < 1 || month < 1 || month > 12 || day < 1) return NaN;
    if (day > DAYS_IN_MONTH[month] && !(month === 2 && day === 29 && isLeap(year))) return NaN;
    const sep = b[start + 10];
    if (sep !== 84 && sep !== 32 && sep !== 116) return NaN; // 'T', ' ', 't'
    const hh = b2(b, start + 11, end), mi = b2(b, start + 14, end);
    if (b[start + 13] !== 58) return NaN;
    if (hh < 0 || hh > 23 || mi < 0 || mi > 59) return NaN;
    base = daysFromCivil(year, month, day) * 86400 + hh * 3600 + mi * 60;
    for (let j = 0; j < 16; j++) k[j] = b[start + j];
    minuteSecs = base;
  }
  const ss = b2(b, start + 17, end);
  if (b[start + 16] !== 58 || ss < 0 || ss > 59) return NaN;
  let i = start + 19;
  let fracUs = 0;
  let fs = i, fe = i;
  let c = i < end ? b[i] : -1;
  if (c === 46 || c === 44) { // '.' or ','
    i++;
    fs = i;
    while (i < end) {
      const dgt = b[i] - 48;
      if (dgt < 0 || dgt > 9) break;
      if (i - fs < 6) fracUs = fracUs * 10 + dgt;
      i++;
    }
    fe = i;
    const len = fe - fs;
    if (len === 0 || len > 9) return NaN;
    for (let q = len; q < 6; q++) fracUs *= 10;
    c = i < end ? b[i] : -1;
  }
  let offsetMin = 0;
  if (c === 90 || c === 122) { // 'Z' / 'z'
    i++;
  } else if (c === 43 || c === 45) { // '+' / '-'
    const oh = b2(b, i + 1, end);
    let om: number;
    if (i + 3 < end && b[i + 3] === 58) {
      om = b2(b, i + 4, end);
      i += 6;
    } else {
      om = b2(b, i + 3, end);
      i += 5;
    }
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return NaN;
    offsetMin = (oh * 60 + om) * (c === 45 ? -1 : 1);
  }
  if (i > end) return NaN;
  bEnd = i;
  bFracStart = fs;
  bFracEnd = fe;
  return (base + ss - offsetMin * 60) * 1e6 + fracUs;
}

let bFracStart = 0;
let bFracEnd = 0;

/** End (exclusive) of the last successful {@link parseIsoMicrosPrefix}. */
export function bytesIsoEnd(): number {
  return bEnd;
}

/** Start (inclusive) of the fraction digits of the last successful {@link parseIsoMicrosBytes}. */
export function bytesFracStart(): number {
  return bFracStart;
}

/** End (exclusive) of the fraction digits of the last successful {@link parseIsoMicrosBytes}. */
export function bytesFracEnd(): number {
  return bFracEnd;
}

/** The fraction digits ("" when none) of `s`, which must be the string last parsed successfully. */
export function lastFraction(s: string): string {
  return fracEnd > fracStart ? s.slice(fracStart, fracEnd) : "";
}

/** A parsed instant: epoch microseconds plus the sub-second digits to print. */
export interface Instant {
  /** Epoch microseconds, UTC. */
  us: number;
  /** Sub-second digits as written in the input ("" when none), 0–9 digits. */
  frac: string;
}

/** Parses `s` (SPEC §1), or returns null. */
export function parseTimestamp(s: string): Instant | null {
  const us = parseIsoMicros(s);
  if (us !== us) return null;
  return { us, frac: lastFraction(s) };
}

/**
 * Fraction digits to print for an instant that was not written by a producer (the Kafka record
 * timestamp): none when whole seconds, 3 digits when whole milliseconds, else 6.
 */
export function fractionOf(us: number): string {
  const sub = us - Math.floor(us / 1e6) * 1e6;
  if (sub === 0) return "";
  if (sub % 1000 === 0) return String(sub / 1000).padStart(3, "0");
  return String(sub).padStart(6, "0");
}

/**
 * Formats an instant as SPEC §5 writes it: `YYYY-MM-DDTHH:MM:SS[.frac]+00:00` in UTC. `frac` is
 * printed as given (it must describe the same sub-second part as `us`).
 */
export function formatUtc(us: number, frac: string): string {
  const secs = Math.floor(us / 1e6);
  const iso = new Date(secs * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  return iso.slice(0, 19) + (frac.length > 0 ? "." + frac : "") + "+00:00";
}
