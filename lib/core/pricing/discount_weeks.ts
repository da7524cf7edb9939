/**
 * The weeks of discount rows (SPEC §4): each row's ISO week from its `week` label, else from a
 * date range that is exactly one ISO week, else the range itself (a partial week); label/range
 * disagreements are counted (the label wins). Also the report's summary of the weeks covered.
 * Pure.
 * @module
 */
import type { ColumnSource, TimeColumn } from "./column_source.ts";
import type { WeekCoverage } from "./load_report.ts";
import type { DiscountColumns, RejectedWhy } from "./discount_values.ts";
import { DAY_MS, isoWeekKey, isoWeekLabel, parseIsoWeekLabel } from "./iso_week.ts";

export type { ColumnSource, DiscountColumns, RejectedWhy, TimeColumn, WeekCoverage };

const WEEK_MS = 7 * DAY_MS;
const MAX_RANGE_WEEKS = 1060; // ~20 years: longer ranges are treated as unparseable

/** The week of each row: a whole ISO week (`weekKey`) or a range `[from, to)`. */
export interface RowWeeks {
  /** Week key of whole-week rows, NaN for the others. */
  weekKey: Float64Array;
  /** Range start of each row, epoch ms (NaN when it has none); used where `weekKey` is NaN. */
  from: Float64Array;
  /** Range end of each row, epoch ms, exclusive (NaN when it has none). */
  to: Float64Array;
  /** Rows whose label names another ISO week than their dates, for the report. */
  mismatches: number;
  /** The first such row, as text for the report's warning. */
  mismatchExample: string | null;
  /** Rows whose timestamp ends were all at midnight, read as dates (whole days). */
  midnightRangesAsDates: number;
}

/**
 * Reads each row's week, so that the tables get either a whole week or a range per row; a row
 * not yet rejected with neither a label nor a range is rejected as "unparseable week".
 */
export function readWeeks(
  source: ColumnSource,
  columns: DiscountColumns,
  rejectedWhy: RejectedWhy,
): RowWeeks {
  const n = source.length;
  const labels = columns.label ? source.strings("week") : undefined;
  const labelKeys = labels ? weekLabelKeys(labels, rejectedWhy) : undefined;
  const ranges = columns.range
    ? readRanges(source.times(columns.range[0]), source.times(columns.range[1]), rejectedWhy)
    : { from: new Float64Array(n).fill(NaN), to: new Float64Array(n).fill(NaN), midnight: 0 };
  const weeks: RowWeeks = {
    weekKey: new Float64Array(n).fill(NaN),
    from: ranges.from,
    to: ranges.to,
    mismatches: 0,
    mismatchExample: null,
    midnightRangesAsDates: ranges.midnight,
  };
  for (let r = 0; r < n; r++) {
    if (rejectedWhy[r] !== undefined) continue;
    const labelKey = labelKeys ? labelKeys[r] : NaN;
    const from = ranges.from[r];
    const to = ranges.to[r];
    const rangeKey = wholeWeekKey(from, to);
    if (!Number.isNaN(labelKey)) {
      weeks.weekKey[r] = labelKey;
      if (!Number.isNaN(from) && rangeKey !== labelKey) {
        weeks.mismatches++;
        weeks.mismatchExample ??= mismatchText(labels![r]!, columns.range!, from, to, rangeKey);
      }
    } else if (rangeKey !== undefined) weeks.weekKey[r] = rangeKey;
    else if (Number.isNaN(from)) rejectedWhy[r] = "unparseable week";
  }
  return weeks;
}

/** Week keys of the labels of rows not yet rejected (NaN: none or unparseable). */
function weekLabelKeys(labels: (string | null)[], rejectedWhy: RejectedWhy): Float64Array {
  const keys = new Float64Array(labels.length).fill(NaN);
  const cache = new Map<string, number>();
  for (let r = 0; r < labels.length; r++) {
    const label = labels[r];
    if (label === null || rejectedWhy[r] !== undefined) continue;
    let key = cache.get(label);
    if (key === undefined) {
      key = parseIsoWeekLabel(label) ?? NaN;
      cache.set(label, key);
    }
    keys[r] = key;
  }
  return keys;
}

/**
 * Inclusive start/end columns as ranges `[from, to)` (NaN when unusable). A date-only end
 * covers its whole day; so does every end of timestamp columns that are all at midnight (dates
 * written as timestamps, Monday 00:00 … Sunday 00:00), counted in `midnight`.
 */
function readRanges(
  starts: TimeColumn,
  ends: TimeColumn,
  rejectedWhy: RejectedWhy,
): { from: Float64Array; to: Float64Array; midnight: number } {
  const n = starts.ms.length;
  const from = new Float64Array(n).fill(NaN);
  const to = new Float64Array(n).fill(NaN);
  const endsAreDates = allAtMidnight(ends.ms);
  let midnight = 0;
  for (let r = 0; r < n; r++) {
    if (rejectedWhy[r] !== undefined) continue;
    const end = ends.ms[r];
    if (endsAreDates && ends.dateOnly[r] !== 1 && !Number.isNaN(end)) midnight++;
    const start = starts.ms[r];
    const stop = ends.dateOnly[r] === 1 || endsAreDates ? end + DAY_MS : end + 1;
    if (stop > start && (stop - start) / WEEK_MS <= MAX_RANGE_WEEKS) {
      from[r] = start;
      to[r] = stop;
    }
  }
  return { from, to, midnight };
}

/** The week key when `[from, to)` is exactly one ISO week, else undefined. */
function wholeWeekKey(from: number, to: number): number | undefined {
  if (Number.isNaN(from) || to - from !== WEEK_MS || from % DAY_MS !== 0) return undefined;
  const day = Math.floor(from / DAY_MS);
  return isoWeekKey(from) === day ? day : undefined;
}

function mismatchText(
  label: string,
  range: string[],
  from: number,
  to: number,
  rangeKey: number | undefined,
): string {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const named = rangeKey === undefined ? "not one ISO week" : isoWeekLabel(rangeKey);
  return `week ${label} but ${range[0]}..${range[1]} ${day(from)}..${day(to - 1)} (${named})`;
}

/** Whether every known value of a time column is at midnight UTC (and there is at least one). */
function allAtMidnight(ms: Float64Array): boolean {
  let any = false;
  for (let i = 0; i < ms.length; i++) {
    const v = ms[i];
    if (Number.isNaN(v)) continue;
    if (v % DAY_MS !== 0) return false;
    any = true;
  }
  return any;
}

/**
 * The weeks covered (by week key): how many, the first and last, and the gaps between, so that
 * the load report shows a discount file that skips weeks.
 */
export function weekCoverage(covered: Set<number>): WeekCoverage {
  const keys = [...covered].sort((a, b) => a - b);
  const gaps: string[] = [];
  for (let i = 1; i < keys.length; i++) {
    for (let k = keys[i - 1] + 7; k < keys[i]; k += 7) gaps.push(isoWeekLabel(k));
  }
  return {
    count: keys.length,
    first: keys.length ? isoWeekLabel(keys[0]) : null,
    last: keys.length ? isoWeekLabel(keys[keys.length - 1]) : null,
    gaps,
  };
}
