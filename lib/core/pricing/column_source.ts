/**
 * Named columns the price book indexes, as plain JS arrays: strings, numbers (NaN for null or
 * unreadable) and points in time. The core only sees this interface; Arrow tables are adapted
 * to it in lib/catalog/arrow_columns.ts, plain rows by {@link rowSource} here. Pure.
 * @module
 */
import { parseDateTime } from "./iso_week.ts";

/**
 * A column whose type the price book cannot use; names the column and its type.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ColumnTypeError } from "./column_source.ts";
 * const err = new ColumnTypeError("item_price", "Bool", "a number");
 * assert.ok(err.message === 'column "item_price" has type Bool, expected a number');
 * ```
 */
export class ColumnTypeError extends Error {
  /** The column, by name. */
  readonly column: string;
  /** The type the column has (an Arrow type name, or a JS `typeof`). */
  readonly arrowType: string;
  /** Makes the error for `column` of type `arrowType`, which should have been `expected`. */
  constructor(column: string, arrowType: string, expected: string) {
    super(`column "${column}" has type ${arrowType}, expected ${expected}`);
    this.name = "ColumnTypeError";
    this.column = column;
    this.arrowType = arrowType;
  }
}

/** Points in time of a column: epoch ms (NaN when null or unreadable) and date-only flags. */
export interface TimeColumn {
  /** Epoch milliseconds by row; NaN when null or unreadable. */
  ms: Float64Array;
  /** 1 where the value is a calendar date (no time of day). */
  dateOnly: Uint8Array;
}

/** Named columns the price book indexes, from an Arrow table or from plain rows. */
export interface ColumnSource {
  /** Number of rows. */
  readonly length: number;
  /** Column names. */
  readonly names: readonly string[];
  /** Column `name` as text (null for null). */
  strings(name: string): (string | null)[];
  /** Column `name` as numbers (NaN for null or unreadable). */
  numbers(name: string): Float64Array;
  /** Column `name` as points in time. */
  times(name: string): TimeColumn;
}

/** Numeric text as the price book accepts it (`"3.5"`, `" -2e3 "`, `".5"`). */
export const NUMERIC_TEXT: RegExp = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

function wrongType(name: string, value: unknown, expected: string): never {
  throw new ColumnTypeError(name, typeof value, expected);
}

function textOf(name: string, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  return wrongType(name, value, "text");
}

function numberOf(name: string, value: unknown): number {
  if (value === null || value === undefined) return NaN;
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string") return NUMERIC_TEXT.test(value) ? Number(value) : NaN;
  return wrongType(name, value, "a number");
}

function timesOf(rows: readonly Record<string, unknown>[], name: string): TimeColumn {
  const ms = new Float64Array(rows.length);
  const dateOnly = new Uint8Array(rows.length);
  rows.forEach((row, i) => {
    const value = row[name];
    if (value === null || value === undefined) ms[i] = NaN;
    else if (value instanceof Date) ms[i] = value.getTime();
    else if (typeof value === "number") ms[i] = value;
    else if (typeof value === "string") {
      const parsed = parseDateTime(value);
      ms[i] = parsed ? parsed.ms : NaN;
      dateOnly[i] = parsed?.dateOnly ? 1 : 0;
    } else wrongType(name, value, "a date, a timestamp or date text");
  });
  return { ms, dateOnly };
}

/**
 * Columns of plain objects (one per row); a column exists when any row has the key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rowSource } from "./column_source.ts";
 * const source = rowSource([{ shelf_id: "A1", item_price: "3.50" }, { shelf_id: 7 }]);
 * assert.ok(source.length === 2);
 * assert.ok(source.strings("shelf_id")[1] === "7");
 * assert.ok(Number.isNaN(source.numbers("item_price")[1]));
 * ```
 */
export function rowSource(rows: readonly Record<string, unknown>[]): ColumnSource {
  const names = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) names.add(key);
  return {
    length: rows.length,
    names: [...names],
    strings: (name) => rows.map((row) => textOf(name, row[name])),
    numbers: (name) => Float64Array.from(rows, (row) => numberOf(name, row[name])),
    times: (name) => timesOf(rows, name),
  };
}
