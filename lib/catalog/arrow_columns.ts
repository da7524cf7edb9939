/**
 * Adapts Arrow tables to the core's `ColumnSource` (lib/core/pricing/column_source.ts): columns read
 * into plain JS arrays, strings, numbers (NaN for null or unreadable) and points in time.
 * Pure: no I/O. Fast paths read the Arrow buffers
 * directly (one text decode per string column chunk when it is ASCII).
 * @module
 */
import { type Data, type DataType, Type, type Vector } from "apache-arrow";
import {
  type ColumnSource,
  ColumnTypeError,
  NUMERIC_TEXT,
  parseDateTime,
  type TimeColumn,
} from "../core/mod.ts";

const decoder = new TextDecoder();

function isValid(data: Data, i: number): boolean {
  if (data.nullCount === 0 || !data.nullBitmap || data.nullBitmap.length === 0) return true;
  const bit = data.offset + i;
  return ((data.nullBitmap[bit >> 3] >> (bit & 7)) & 1) === 1;
}

function isStringType(t: DataType): boolean {
  return t.typeId === Type.Utf8 || t.typeId === Type.LargeUtf8;
}

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > 0x7f) return false;
  return true;
}

/** Strings of one Utf8/LargeUtf8 chunk into `out` from `at`. */
function readUtf8Chunk(data: Data, out: (string | null)[], at: number): void {
  const offsets = data.valueOffsets as unknown as ArrayLike<number | bigint>;
  const values = data.values as Uint8Array;
  const n = data.length;
  const big = typeof offsets[0] === "bigint";
  const off = (i: number) => big ? Number(offsets[i]) : offsets[i] as number;
  if (data.offset === 0 && isAscii(values)) {
    const all = decoder.decode(values);
    for (let i = 0; i < n; i++) {
      out[at + i] = isValid(data, i) ? all.slice(off(i), off(i + 1)) : null;
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const j = data.offset + i;
    out[at + i] = isValid(data, i) ? decoder.decode(values.subarray(off(j), off(j + 1))) : null;
  }
}

/**
 * A column as strings (null for null). Text columns are read as they are; dictionary-encoded
 * text through its dictionary; integer columns as their decimal text (numeric ids).
 */
export function readStringColumn(name: string, vec: Vector): (string | null)[] {
  const out: (string | null)[] = new Array(vec.length);
  const t = vec.type as DataType;
  let at = 0;
  if (isStringType(t)) {
    for (const data of vec.data) {
      readUtf8Chunk(data, out, at);
      at += data.length;
    }
    return out;
  }
  if (
    t.typeId === Type.Dictionary &&
    isStringType((t as unknown as { dictionary: DataType }).dictionary)
  ) {
    for (const data of vec.data) {
      const dict = data.dictionary!;
      const words: (string | null)[] = readStringColumn(name, dict);
      const keys = data.values as unknown as ArrayLike<number | bigint>;
      for (let i = 0; i < data.length; i++) {
        out[at + i] = isValid(data, i) ? words[Number(keys[data.offset + i])] : null;
      }
      at += data.length;
    }
    return out;
  }
  if (t.typeId === Type.Int) {
    for (let i = 0; i < vec.length; i++) {
      const v = vec.get(i);
      out[i] = v === null || v === undefined ? null : String(v);
    }
    return out;
  }
  throw new ColumnTypeError(name, String(t), "text");
}

/** Decimal128/256 value `i` of a chunk as exact decimal text. */
function decimalText(data: Data, i: number, scale: number, bitWidth: number): string {
  const words = data.values as Uint32Array;
  const w = bitWidth / 32;
  const base = (data.offset + i) * w;
  let big = 0n;
  for (let k = w - 1; k >= 0; k--) big = (big << 32n) | BigInt(words[base + k]);
  if (words[base + w - 1] & 0x80000000) big -= 1n << BigInt(bitWidth);
  const neg = big < 0n;
  let digits = (neg ? -big : big).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, "0");
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  } else if (scale < 0) digits += "0".repeat(-scale);
  return neg ? `-${digits}` : digits;
}

/**
 * A column as numbers (NaN for null or unreadable text). Accepts floats, integers, decimals
 * (through their exact decimal text) and numeric text; anything else is a `ColumnTypeError`.
 */
export function readNumberColumn(name: string, vec: Vector): Float64Array {
  const out = new Float64Array(vec.length);
  const t = vec.type as DataType;
  let at = 0;
  switch (t.typeId) {
    case Type.Float:
    case Type.Int: {
      for (const data of vec.data) {
        const values = data.values as unknown as ArrayLike<number | bigint>;
        const half = (t as unknown as { precision?: number }).precision === 0; // Float16
        for (let i = 0; i < data.length; i++) {
          if (!isValid(data, i)) out[at + i] = NaN;
          else if (half) out[at + i] = Number(vec.get(at + i));
          else out[at + i] = Number(values[data.offset + i]);
        }
        at += data.length;
      }
      return out;
    }
    case Type.Decimal: {
      const { scale, bitWidth } = t as unknown as { scale: number; bitWidth: number };
      for (const data of vec.data) {
        for (let i = 0; i < data.length; i++) {
          out[at + i] = isValid(data, i) ? Number(decimalText(data, i, scale, bitWidth)) : NaN;
        }
        at += data.length;
      }
      return out;
    }
    default:
      if (isStringType(t) || t.typeId === Type.Dictionary) {
        const text = readStringColumn(name, vec);
        const cache = new Map<string, number>();
        for (let i = 0; i < text.length; i++) {
          const s = text[i];
          if (s === null) {
            out[i] = NaN;
            continue;
          }
          let v = cache.get(s);
          if (v === undefined) {
            v = NUMERIC_TEXT.test(s) ? Number(s) : NaN;
            cache.set(s, v);
          }
          out[i] = v;
        }
        return out;
      }
      throw new ColumnTypeError(name, String(t), "a number");
  }
}

/**
 * A column as points in time: dates (date32/date64), timestamps of any unit (UTC), or text
 * (`YYYY-MM-DD` or an ISO 8601 timestamp). Null or unreadable values are NaN.
 */
export function readTimeColumn(name: string, vec: Vector): TimeColumn {
  const n = vec.length;
  const ms = new Float64Array(n);
  const dateOnly = new Uint8Array(n);
  const t = vec.type as DataType;
  if (t.typeId === Type.Date || t.typeId === Type.Timestamp) {
    const isDate = t.typeId === Type.Date ? 1 : 0;
    for (let i = 0; i < n; i++) {
      const v = vec.get(i) as number | Date | null;
      ms[i] = v === null || v === undefined ? NaN : Math.floor(Number(v));
      dateOnly[i] = isDate;
    }
    return { ms, dateOnly };
  }
  if (isStringType(t) || t.typeId === Type.Dictionary) {
    const text = readStringColumn(name, vec);
    const cache = new Map<string, { ms: number; dateOnly: boolean } | undefined>();
    for (let i = 0; i < n; i++) {
      const s = text[i];
      if (s === null) {
        ms[i] = NaN;
        continue;
      }
      let p = cache.get(s);
      if (p === undefined && !cache.has(s)) {
        p = parseDateTime(s);
        cache.set(s, p);
      }
      ms[i] = p ? p.ms : NaN;
      dateOnly[i] = p?.dateOnly ? 1 : 0;
    }
    return { ms, dateOnly };
  }
  throw new ColumnTypeError(name, String(t), "a date, a timestamp or date text");
}

/** Columns of an Arrow table (any number of record batches). */
export function arrowSource(table: {
  numRows: number;
  schema: { fields: { name: string }[] };
  getChild(name: string): Vector | null;
}): ColumnSource {
  const child = (name: string): Vector => {
    const v = table.getChild(name);
    if (!v) throw new Error(`no column "${name}"`);
    return v;
  };
  return {
    length: table.numRows,
    names: table.schema.fields.map((f) => f.name),
    strings: (name) => readStringColumn(name, child(name)),
    numbers: (name) => readNumberColumn(name, child(name)),
    times: (name) => readTimeColumn(name, child(name)),
  };
}
