/**
 * ISO 8601 weeks (UTC) and the date/timestamp text found in discount files. A week is keyed by
 * the day number (days since 1970-01-01) of its Monday, so every way a file names a week
 * (`"2025-W45"`, a start/end pair, a date) meets on one integer.
 * @module
 */

/** Milliseconds in a day. */
export const DAY_MS = 86_400_000;

/**
 * Days since 1970-01-01 (UTC) of the instant `epochMs`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dayNumber } from "./iso_week.ts";
 * assert.ok(dayNumber(Date.parse("1970-01-02T12:00:00Z")) === 1);
 * ```
 */
export function dayNumber(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS);
}

/**
 * The week key (Monday's day number) of the ISO week holding day `day`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dayNumber, weekKeyOfDay } from "./iso_week.ts";
 * const friday = dayNumber(Date.parse("2025-11-07T00:00:00Z"));
 * assert.ok(weekKeyOfDay(friday) === friday - 4);
 * ```
 */
export function weekKeyOfDay(day: number): number {
  const weekday = (((day + 3) % 7) + 7) % 7; // 1970-01-01 was a Thursday; Monday = 0
  return day - weekday;
}

/**
 * The week key (Monday's day number) of the ISO week (UTC) holding the instant `epochMs`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isoWeekKey, isoWeekLabel } from "./iso_week.ts";
 * assert.ok(isoWeekLabel(isoWeekKey(Date.parse("2025-11-07T10:00:00Z"))) === "2025-W45");
 * ```
 */
export function isoWeekKey(epochMs: number): number {
  return weekKeyOfDay(dayNumber(epochMs));
}

/**
 * Day number of the Monday of ISO week 1 of `isoYear`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { firstWeekKey, isoWeekLabel } from "./iso_week.ts";
 * assert.ok(isoWeekLabel(firstWeekKey(2026)) === "2026-W01");
 * ```
 */
export function firstWeekKey(isoYear: number): number {
  return weekKeyOfDay(dayNumber(Date.UTC(isoYear, 0, 4)));
}

/**
 * Number of ISO weeks (52 or 53) in `isoYear`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { weeksInIsoYear } from "./iso_week.ts";
 * assert.ok(weeksInIsoYear(2026) === 53 && weeksInIsoYear(2025) === 52);
 * ```
 */
export function weeksInIsoYear(isoYear: number): number {
  return (firstWeekKey(isoYear + 1) - firstWeekKey(isoYear)) / 7;
}

/**
 * ISO year and week number of a week key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isoWeekOfKey, parseIsoWeekLabel } from "./iso_week.ts";
 * const { year, week } = isoWeekOfKey(parseIsoWeekLabel("2025-W45")!);
 * assert.ok(year === 2025 && week === 45);
 * ```
 */
export function isoWeekOfKey(key: number): { year: number; week: number } {
  const year = new Date((key + 3) * DAY_MS).getUTCFullYear(); // the Thursday decides the year
  return { year, week: (key - firstWeekKey(year)) / 7 + 1 };
}

/**
 * `"2025-W45"` for a week key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isoWeekLabel, parseIsoWeekLabel } from "./iso_week.ts";
 * assert.ok(isoWeekLabel(parseIsoWeekLabel("2025w1")!) === "2025-W01");
 * ```
 */
export function isoWeekLabel(key: number): string {
  const { year, week } = isoWeekOfKey(key);
  return `${String(year).padStart(4, "0")}-W${String(week).padStart(2, "0")}`;
}

/**
 * The ISO week label (`"2025-W45"`) of the instant `epochMs` (UTC).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isoWeekLabelOf } from "./iso_week.ts";
 * assert.ok(isoWeekLabelOf(Date.parse("2024-12-30T08:00:00Z")) === "2025-W01");
 * ```
 */
export function isoWeekLabelOf(epochMs: number): string {
  return isoWeekLabel(isoWeekKey(epochMs));
}

const WEEK_LABEL = /^\s*(\d{4})-?W(\d{1,2})(?:-?[1-7])?\s*$/i;

/**
 * Week key of an ISO week label: `2025-W45`, `2025W45`, `2025-W45-3` (case-insensitive);
 * `undefined` when the text is not one or the week does not exist in that year.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIsoWeekLabel } from "./iso_week.ts";
 * assert.ok(parseIsoWeekLabel("2025-W45") === parseIsoWeekLabel("2025W45-3"));
 * assert.ok(parseIsoWeekLabel("2025-W53") === undefined);
 * ```
 */
export function parseIsoWeekLabel(text: string): number | undefined {
  const m = WEEK_LABEL.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const week = Number(m[2]);
  if (week < 1 || week > weeksInIsoYear(year)) return undefined;
  return firstWeekKey(year) + (week - 1) * 7;
}

const DATE_TIME =
  /^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?\s*$/i;

/** A point in time read from text: a calendar date, or an instant. */
export interface ParsedTime {
  /** Epoch milliseconds (UTC midnight for a date). */
  ms: number;
  /** True when the text held only a date (an inclusive end then covers that whole day). */
  dateOnly: boolean;
}

/**
 * Parses `YYYY-MM-DD` or an ISO 8601 timestamp (`T` or space, 0–9 fraction digits, `Z`,
 * `±HH:MM`, `±HHMM`, `±HH` or no offset = UTC). `undefined` when invalid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDateTime } from "./iso_week.ts";
 * assert.ok(parseDateTime("2025-11-07")?.dateOnly === true);
 * assert.ok(parseDateTime("2025-11-07 10:00:00+01:00")?.ms === Date.parse("2025-11-07T09:00:00Z"));
 * ```
 */
export function parseDateTime(text: string): ParsedTime | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dayMs = Date.UTC(y, mo - 1, d);
  const check = new Date(dayMs);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) {
    return undefined;
  }
  if (m[4] === undefined) return { ms: dayMs, dateOnly: true };
  const [h, mi, s] = [Number(m[4]), Number(m[5]), Number(m[6] ?? "0")];
  if (h > 23 || mi > 59 || s > 59) return undefined;
  const frac = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  let offsetMin = 0;
  const tz = m[8];
  if (tz !== undefined && tz.toUpperCase() !== "Z") {
    const digits = tz.slice(1).replace(":", "");
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (oh > 23 || om > 59) return undefined;
    offsetMin = (tz[0] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  return {
    ms: dayMs + ((h * 60 + mi) * 60 + s) * 1000 + frac - offsetMin * 60_000,
    dateOnly: false,
  };
}
