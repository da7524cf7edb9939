/**
 * A reference encoder and decoder of Kafka protocol messages, driven by the message specs
 * (apache/kafka clients/src/main/resources/common/message/*.json; the schema parts of four are
 * copied below, "about" texts left out). It interprets each field's `versions`,
 * `nullableVersions` and `default` and the message's `flexibleVersions` generically, written
 * from the spec and not from the encoders it checks (lib/kafka/kafkajs/). Values are keyed by
 * the spec's field names; int64 values are bigints.
 * @module
 */

/** A field of a message spec. */
export interface FieldSpec {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  default?: string;
  fields?: FieldSpec[];
}

/** A message spec: its versions, flexible versions and fields. */
export interface MessageSpec {
  name: string;
  validVersions: string;
  flexibleVersions: string;
  fields: FieldSpec[];
}

/** A decoded or to-be-encoded struct, keyed by field name. */
export type Struct = { [name: string]: Value };
/** A field's value. */
export type Value = number | bigint | boolean | string | null | Struct[] | number[];

const f = (
  name: string,
  type: string,
  versions: string,
  more: Partial<FieldSpec> = {},
): FieldSpec => ({ name, type, versions, ...more });

/** TxnOffsetCommitRequest.json (apiKey 28). */
export const TXN_OFFSET_COMMIT_REQUEST: MessageSpec = {
  name: "TxnOffsetCommitRequest",
  validVersions: "0-3",
  flexibleVersions: "3+",
  fields: [
    f("TransactionalId", "string", "0+"),
    f("GroupId", "string", "0+"),
    f("ProducerId", "int64", "0+"),
    f("ProducerEpoch", "int16", "0+"),
    f("GenerationId", "int32", "3+", { default: "-1" }),
    f("MemberId", "string", "3+", { default: "" }),
    f("GroupInstanceId", "string", "3+", { nullableVersions: "3+", default: "null" }),
    f("Topics", "[]TxnOffsetCommitRequestTopic", "0+", {
      fields: [
        f("Name", "string", "0+"),
        f("Partitions", "[]TxnOffsetCommitRequestPartition", "0+", {
          fields: [
            f("PartitionIndex", "int32", "0+"),
            f("CommittedOffset", "int64", "0+"),
            f("CommittedLeaderEpoch", "int32", "2+", { default: "-1" }),
            f("CommittedMetadata", "string", "0+", { nullableVersions: "0+" }),
          ],
        }),
      ],
    }),
  ],
};

/** TxnOffsetCommitResponse.json. */
export const TXN_OFFSET_COMMIT_RESPONSE: MessageSpec = {
  name: "TxnOffsetCommitResponse",
  validVersions: "0-3",
  flexibleVersions: "3+",
  fields: [
    f("ThrottleTimeMs", "int32", "0+"),
    f("Topics", "[]TxnOffsetCommitResponseTopic", "0+", {
      fields: [
        f("Name", "string", "0+"),
        f("Partitions", "[]TxnOffsetCommitResponsePartition", "0+", {
          fields: [f("PartitionIndex", "int32", "0+"), f("ErrorCode", "int16", "0+")],
        }),
      ],
    }),
  ],
};

/** OffsetFetchRequest.json (apiKey 9), versions up to 7 (8+ fetch several groups). */
export const OFFSET_FETCH_REQUEST: MessageSpec = {
  name: "OffsetFetchRequest",
  validVersions: "0-7",
  flexibleVersions: "6+",
  fields: [
    f("GroupId", "string", "0-7"),
    f("Topics", "[]OffsetFetchRequestTopic", "0-7", {
      nullableVersions: "2-7",
      fields: [f("Name", "string", "0-7"), f("PartitionIndexes", "[]int32", "0-7")],
    }),
    f("RequireStable", "bool", "7+", { default: "false" }),
  ],
};

/** OffsetFetchResponse.json, versions up to 7. */
export const OFFSET_FETCH_RESPONSE: MessageSpec = {
  name: "OffsetFetchResponse",
  validVersions: "0-7",
  flexibleVersions: "6+",
  fields: [
    f("ThrottleTimeMs", "int32", "3+"),
    f("Topics", "[]OffsetFetchResponseTopic", "0-7", {
      fields: [
        f("Name", "string", "0-7"),
        f("Partitions", "[]OffsetFetchResponsePartition", "0-7", {
          fields: [
            f("PartitionIndex", "int32", "0-7"),
            f("CommittedOffset", "int64", "0-7"),
            f("CommittedLeaderEpoch", "int32", "5-7", { default: "-1" }),
            f("Metadata", "string", "0-7", { nullableVersions: "0-7" }),
            f("ErrorCode", "int16", "0-7"),
          ],
        }),
      ],
    }),
    f("ErrorCode", "int16", "2-7", { default: "0" }),
  ],
};

/** Whether `version` is in a spec range: "3+", "0-7", "5" or "none". */
export function inRange(range: string | undefined, version: number): boolean {
  if (range === undefined || range === "none") return false;
  if (range.endsWith("+")) return version >= Number(range.slice(0, -1));
  const [lo, hi = lo] = range.split("-").map(Number);
  return version >= lo && version <= hi;
}

/** The value a field takes when absent: its `default`, else the type's zero. */
function defaultOf(field: FieldSpec): Value {
  const d = field.default;
  if (d === "null") return null;
  if (field.type.startsWith("[]")) return [];
  if (field.type === "string") return d ?? "";
  if (field.type === "bool") return d === "true";
  if (field.type === "int64") return BigInt(d ?? 0);
  return Number(d ?? 0);
}

/** Bytes written big-endian, plain arrays of numbers (slow and obvious). */
class Out {
  bytes: number[] = [];
  int(v: bigint, size: number) {
    const u = BigInt.asUintN(size * 8, v);
    for (let i = size - 1; i >= 0; i--) this.bytes.push(Number((u >> BigInt(8 * i)) & 0xffn));
  }
  uvarint(v: number) {
    do {
      const low = v % 128;
      v = Math.floor(v / 128);
      this.bytes.push(v > 0 ? low + 128 : low);
    } while (v > 0);
  }
  raw(b: Uint8Array) {
    this.bytes.push(...b);
  }
}

/** Unknown tagged fields to add to a struct's tag section: `[tag, bytes]`, tags ascending. */
export type Tags = [number, Uint8Array][];

/** Options for {@link encodeMessage}. */
export interface EncodeOptions {
  /** Tagged fields to write in every struct's tag section (flexible versions only). */
  tags?: Tags;
  /** Prefix the header's tag section (a flexible request or response body as sent). */
  headerTags?: boolean;
}

/** The bytes of `value` as `spec` at `version` says. */
export function encodeMessage(
  spec: MessageSpec,
  version: number,
  value: Struct,
  opts: EncodeOptions = {},
): Uint8Array {
  const flexible = inRange(spec.flexibleVersions, version);
  const out = new Out();
  if (flexible && opts.headerTags) writeTags(out, opts.tags ?? []);
  writeStruct(out, spec.fields, version, flexible, value, opts.tags ?? []);
  return new Uint8Array(out.bytes);
}

function writeTags(out: Out, tags: Tags) {
  out.uvarint(tags.length);
  for (const [tag, bytes] of tags) {
    out.uvarint(tag);
    out.uvarint(bytes.length);
    out.raw(bytes);
  }
}

function writeStruct(
  out: Out,
  fields: FieldSpec[],
  version: number,
  flexible: boolean,
  value: Struct,
  tags: Tags,
) {
  for (const field of fields) {
    if (!inRange(field.versions, version)) continue;
    const v = field.name in value ? value[field.name] : defaultOf(field);
    writeValue(out, field, version, flexible, v, tags);
  }
  if (flexible) writeTags(out, tags);
}

function writeLength(out: Out, flexible: boolean, n: number | null, arrayLike: boolean) {
  if (flexible) out.uvarint(n === null ? 0 : n + 1);
  else out.int(BigInt(n ?? -1), arrayLike ? 4 : 2);
}

function writeValue(
  out: Out,
  field: FieldSpec,
  version: number,
  flexible: boolean,
  v: Value,
  tags: Tags,
) {
  if (v === null && !inRange(field.nullableVersions, version)) {
    throw new Error(`${field.name} is not nullable in v${version}`);
  }
  const { type } = field;
  if (type.startsWith("[]")) {
    const items = v as Struct[] | number[] | null;
    writeLength(out, flexible, items === null ? null : items.length, true);
    for (const item of items ?? []) {
      if (type === "[]int32") out.int(BigInt(item as number), 4);
      else writeStruct(out, field.fields!, version, flexible, item as Struct, tags);
    }
    return;
  }
  if (type === "string") {
    const bytes = v === null ? null : new TextEncoder().encode(v as string);
    writeLength(out, flexible, bytes === null ? null : bytes.length, false);
    if (bytes) out.raw(bytes);
    return;
  }
  const size = { bool: 1, int8: 1, int16: 2, int32: 4, int64: 8 }[type];
  if (size === undefined) throw new Error(`type ${type} is not in the reference`);
  out.int(BigInt(typeof v === "boolean" ? (v ? 1 : 0) : v as number | bigint), size);
}

/** Reads `spec` at `version` from `bytes` (after the header's tags when `headerTags`). */
export function decodeMessage(
  spec: MessageSpec,
  version: number,
  bytes: Uint8Array,
  headerTags = false,
): Struct {
  const flexible = inRange(spec.flexibleVersions, version);
  const inp = new In(bytes);
  if (flexible && headerTags) inp.skipTags();
  const value = readStruct(inp, spec.fields, version, flexible);
  if (inp.pos !== bytes.length) throw new Error(`${bytes.length - inp.pos} bytes left over`);
  return value;
}

class In {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}
  int(size: number): bigint {
    let v = 0n;
    for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(this.bytes[this.pos++]);
    if (this.pos > this.bytes.length) throw new Error("ends early");
    return BigInt.asIntN(size * 8, v);
  }
  uvarint(): number {
    let v = 0, mult = 1, b: number;
    do {
      b = this.bytes[this.pos++];
      v += (b & 127) * mult;
      mult *= 128;
    } while (b >= 128);
    return v;
  }
  skipTags() {
    for (let n = this.uvarint(); n > 0; n--) {
      this.uvarint();
      this.pos += this.uvarint();
    }
  }
  length(flexible: boolean, arrayLike: boolean): number | null {
    if (flexible) {
      const n = this.uvarint();
      return n === 0 ? null : n - 1;
    }
    const n = Number(this.int(arrayLike ? 4 : 2));
    return n < 0 ? null : n;
  }
}

function readStruct(inp: In, fields: FieldSpec[], version: number, flexible: boolean): Struct {
  const value: Struct = {};
  for (const field of fields) {
    if (!inRange(field.versions, version)) continue;
    value[field.name] = readValue(inp, field, version, flexible);
  }
  if (flexible) inp.skipTags();
  return value;
}

function readValue(inp: In, field: FieldSpec, version: number, flexible: boolean): Value {
  const { type } = field;
  if (type.startsWith("[]")) {
    const n = inp.length(flexible, true);
    if (n === null) return null;
    const items = [];
    for (let i = 0; i < n; i++) {
      items.push(
        type === "[]int32" ? Number(inp.int(4)) : readStruct(inp, field.fields!, version, flexible),
      );
    }
    return items as Struct[] | number[];
  }
  if (type === "string") {
    const n = inp.length(flexible, false);
    if (n === null) return null;
    inp.pos += n;
    return new TextDecoder().decode(inp.bytes.subarray(inp.pos - n, inp.pos));
  }
  if (type === "bool") return inp.int(1) !== 0n;
  if (type === "int64") return inp.int(8);
  const size = { int8: 1, int16: 2, int32: 4 }[type];
  if (size === undefined) throw new Error(`type ${type} is not in the reference`);
  return Number(inp.int(size));
}
