/**
 * The records of the internal repartition topic (docs/service.md, "Tasks"). The instance that
 * reads an input partition (foot or shelf) applies a record whose customer's task runs there at
 * once, and forwards any other record, unchanged, to the repartition partition of its
 * customer's task (Kafka's default partitioner on `customer_id`), with where it came from in one
 * header. So a customer's session and shelf events meet in one task whatever partitioner the
 * upstream producers used. In the same transaction, when its partition's progress changed, it
 * writes a control record to the repartition partition of every task on another instance: how
 * far the input partition has got, so a task that sees only its own customers' records still
 * knows what the whole input has passed.
 *
 * A forwarded record: key = customer id (null when the record has none: it goes, unchanged, to
 * partition `s mod P`, whose task sends it to the DLQ as any invalid record), header
 * `pos-src: <foot|shelf>/<partition>/<offset>` (one header: three cost a tenth of a µs each to
 * write and to read, twice per record), the original headers, the original timestamp. Records
 * with three headers `pos-src-topic`, `pos-src-partition` and `pos-src-offset` (written by
 * versions before 2026-11-26) are read too. A control record: key null, header
 * `pos-control: progress`, value {@link RelayProgress} JSON.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { controlRecord, readRelayed } from "./relay_records.ts";
 * const rec = controlRecord({ source: "shelf", partition: 2, caughtUp: true, caughtUpAtMs: 1000, idle: false, endMovedAtMs: 990, fronts: [[0, 5e8, 990, 0]] });
 * const read = readRelayed(rec.headers, rec.value);
 * assert.ok(read.kind === "control" && read.progress.partition === 2);
 * ```
 * @module
 */

/** Where a forwarded record came from: `<foot|shelf>/<input partition>/<offset>`. */
export const ORIGIN_HEADER = "pos-src";
/** Older records' header (read, not written): the input, "foot" or "shelf" (absent: "shelf"). */
export const SOURCE_HEADER = "pos-src-topic";
/** Older records' header naming the input partition a forwarded record came from. */
export const SOURCE_PARTITION_HEADER = "pos-src-partition";
/** Older records' header naming its offset there. */
export const SOURCE_OFFSET_HEADER = "pos-src-offset";

/** The {@link ORIGIN_HEADER} value of a record forwarded from `partition` of `source`. */
export function originOf(source: RelaySource, partition: number, offset: string): string {
  return `${source}/${partition}/${offset}`;
}
/** Header marking a control record. */
export const CONTROL_HEADER = "pos-control";

/** The inputs: foot sessions and shelf events. */
export type RelaySource = "foot" | "shelf";

/** How far one input partition has got, as the instance reading it saw it at one look-up. */
export interface RelayProgress {
  /** The input (absent in a record: "shelf"). */
  source: RelaySource;
  /** The input partition. */
  partition: number;
  /** Whether the reader had read everything the partition held at that look-up. */
  caughtUp: boolean;
  /** Wall clock (ms) when that look-up began (absent when not caught up). */
  caughtUpAtMs?: number;
  /** Nothing produced to the partition for the idle time up to that look-up. */
  idle: boolean;
  /** Wall clock (ms) when the partition's end last moved (absent: unknown). */
  endMovedAtMs?: number;
  /**
   * The partition's fronts (`[id, posUs, seenAtMs, leaptBack]`,
   * lib/core/time/fronts.ts): where each producer writing to it stands. Absent: a record of a
   * version before fronts (its `watermarkUs` is ignored; the partition waits for a newer
   * report).
   */
  fronts?: [number, number, number, number][];
}

/** A record to write: headers and value as KafkaJS takes them. */
export interface RelayRecord {
  /** The record's key (null: none). */
  key: string | null;
  /** The record's value. */
  value: string;
  /** Its headers. */
  headers: Record<string, string>;
}

/** The control record that carries `p` to a repartition partition. */
export function controlRecord(p: RelayProgress): RelayRecord {
  return { key: null, value: JSON.stringify(p), headers: { [CONTROL_HEADER]: "progress" } };
}

/** What a record read from the repartition topic is. */
export type Relayed =
  | { kind: "control"; progress: RelayProgress }
  | { kind: "data"; source: RelaySource; partition: number; offset: string }
  | { kind: "unknown"; detail: string };

type HeaderValue = string | Uint8Array | undefined | (string | Uint8Array)[];
const DECODER = new TextDecoder();

function text(v: HeaderValue): string | undefined {
  if (v === undefined) return undefined;
  const one = Array.isArray(v) ? v[0] : v;
  return typeof one === "string" ? one : asciiOrUtf8(one);
}

/** Short ASCII bytes (every `pos-src` header) without a call into the UTF-8 decoder. */
function asciiOrUtf8(b: Uint8Array): string {
  if (b.length > 64) return DECODER.decode(b);
  for (let i = 0; i < b.length; i++) if (b[i] >= 0x80) return DECODER.decode(b);
  return String.fromCharCode.apply(null, b as unknown as number[]);
}

/** Reads a repartition record's headers (and, for a control record, its value). */
export function readRelayed(
  headers: Record<string, HeaderValue> | undefined,
  value: string | Uint8Array | null,
): Relayed {
  const h = headers ?? {};
  const origin = h[ORIGIN_HEADER];
  if (origin !== undefined) return readOrigin(text(origin)!);
  if (text(h[CONTROL_HEADER]) === "progress") {
    try {
      const raw = typeof value === "string" ? value : DECODER.decode(value ?? new Uint8Array());
      const p = JSON.parse(raw) as RelayProgress;
      p.source ??= "shelf";
      if (
        Number.isInteger(p.partition) && p.partition >= 0 && typeof p.caughtUp === "boolean" &&
        (p.source === "foot" || p.source === "shelf")
      ) {
        return { kind: "control", progress: p };
      }
    } catch { /* below */ }
    return { kind: "unknown", detail: "control record without a readable progress" };
  }
  // An older record's three headers.
  const partition = Number(text(h[SOURCE_PARTITION_HEADER]));
  const offset = text(h[SOURCE_OFFSET_HEADER]);
  return dataRecord(text(h[SOURCE_HEADER]) ?? "shelf", partition, offset);
}

/** A `pos-src` value: `<source>/<partition>/<offset>`. */
function readOrigin(origin: string): Relayed {
  const i = origin.indexOf("/"), j = origin.indexOf("/", i + 1);
  if (i < 0 || j < 0) return dataRecord("", NaN, undefined);
  return dataRecord(origin.slice(0, i), Number(origin.slice(i + 1, j)), origin.slice(j + 1));
}

function dataRecord(source: string, partition: number, offset: string | undefined): Relayed {
  if (!Number.isInteger(partition) || partition < 0 || !offset) {
    return { kind: "unknown", detail: "record without its source partition and offset" };
  }
  if (source !== "foot" && source !== "shelf") {
    return { kind: "unknown", detail: `record from an unknown input "${source}"` };
  }
  return { kind: "data", source, partition, offset };
}
