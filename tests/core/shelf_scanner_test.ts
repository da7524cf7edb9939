/**
 * The byte-level shelf fast path (lib/core/decode/shelf_scanner.ts) against the JSON.parse path
 * (parseValue + decodeShelf): whenever the scanner accepts a record, the JSON.parse path must
 * decode exactly the same event; the common shape must take the fast path; and an engine fed
 * the same records through either path must produce the same transactions, DLQ records,
 * metrics and state.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  eventTimeOf,
  newParseScratch,
  parseValue,
  PICKUP,
  PUTBACK,
  SKIPPED,
} from "../../lib/core/decode/records.ts";
import { Decoder } from "../../lib/core/decode/decode.ts";
import { ShelfScanner } from "../../lib/core/decode/shelf_scanner.ts";
import { ShelfEvent } from "../../lib/core/decode/shelf_event.ts";
import { asciiString, IdCache } from "../../lib/core/decode/id_cache.ts";
import { IsoParser } from "../../lib/core/decode/timestamps.ts";
import { ItemTable } from "../../lib/core/carts/item_table.ts";
import type { InputRecord } from "../../lib/core/engine.ts";
import { newEngine } from "../fixtures/engine_fixture.ts";
import { parseShelf } from "../fixtures/shelf_decode.ts";

const enc = new TextEncoder();
const NUM_RUNS = 3000;

interface Decoded {
  kind: number;
  customerId: string;
  itemId: string;
  quantity: number;
  us: number;
  frac: string;
}

/** A record of another event type: what is kept of it (its type and its time). */
interface Skipped {
  kind: typeof SKIPPED;
  eventType: string;
  us: number;
}

/** The JSON.parse path: the decoded pickup/putback or skip, or a string saying why not. */
function slow(b: Uint8Array): Decoded | Skipped | string {
  const decoded = parseShelf(b);
  if (decoded.reason !== null) return decoded.reason;
  const s = decoded.s!;
  if (s.kind === SKIPPED) {
    const ps = newParseScratch();
    parseValue(b, ps);
    return { kind: SKIPPED, eventType: s.eventType, us: eventTimeOf("shelf", ps.obj!) };
  }
  return {
    kind: s.kind,
    customerId: s.customerId,
    itemId: s.itemId,
    quantity: s.quantity,
    us: s.us,
    frac: s.rawTime.length > 0 ? s.rawTime.slice(s.fracStart, s.fracEnd) : "",
  };
}

/** The fast path: the decoded event or skip, or null when it declines. */
function fast(b: Uint8Array): Decoded | Skipped | null {
  const sc = new ShelfEvent();
  if (!new ShelfScanner().scan(b, sc)) return null;
  if (sc.kind === SKIPPED) {
    return { kind: SKIPPED, eventType: asciiString(b, sc.typeStart, sc.typeEnd), us: sc.us };
  }
  return {
    kind: sc.kind,
    customerId: asciiString(b, sc.custStart, sc.custEnd),
    itemId: asciiString(b, sc.itemStart, sc.itemEnd),
    quantity: sc.quantity,
    us: sc.us,
    frac: asciiString(b, sc.fracStart, sc.fracEnd),
  };
}

/** The property: an accepted record decodes identically on the JSON.parse path. */
function agree(b: Uint8Array): Decoded | Skipped | null {
  const f = fast(b);
  if (f !== null) {
    const s = slow(b);
    assert.deepEqual(f, s, `fast path accepted ${JSON.stringify(new TextDecoder().decode(b))}`);
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// generators

const ws = fc.constantFrom("", "", "", " ", "  ", "\t", "\n", "\r\n", " \n ");

const pad = (n: number, w: number) => String(n).padStart(w, "0");
/** Timestamps: mostly valid SPEC §1 forms, with out-of-range parts and odd separators. */
const often = <T>(valid: fc.Arbitrary<T>, ...odd: T[]) =>
  fc.oneof({ weight: 9, arbitrary: valid }, { weight: 1, arbitrary: fc.constantFrom(...odd) });
const arbTime = fc.record({
  y: often(fc.integer({ min: 1, max: 9999 }), 0, 2024, 2025, 2100),
  mo: often(fc.integer({ min: 1, max: 12 }), 0, 2, 13),
  d: often(fc.integer({ min: 1, max: 28 }), 0, 29, 30, 31, 32),
  sep: often(fc.constantFrom("T", " "), "t", "x"),
  h: often(fc.integer({ min: 0, max: 23 }), 24, 99),
  mi: often(fc.integer({ min: 0, max: 59 }), 60),
  s: often(fc.integer({ min: 0, max: 59 }), 60),
  fsep: often(fc.constantFrom(".", ""), ","),
  frac: often(fc.stringMatching(/^[0-9]{1,9}$/), "", "0123456789"),
  off: often(
    fc.constantFrom("+00:00", "Z", "", "+01:00", "-05:30", "+0530", "-0800"),
    "z",
    "+24:00",
    "+01:60",
    "+1",
    "+01:0",
    "-",
    "Zx",
  ),
}).map((t) =>
  `${pad(t.y, 4)}-${pad(t.mo, 2)}-${pad(t.d, 2)}${t.sep}${pad(t.h, 2)}:${pad(t.mi, 2)}:${
    pad(t.s, 2)
  }${t.fsep === "" ? "" : t.fsep + t.frac}${t.off}`
);

const asciiId = fc.stringMatching(/^[0-9a-zA-Z_.:-]{1,40}$/);
const anyText = fc.oneof(
  asciiId,
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 6 }),
  fc.constantFrom("", 'a"b', "a\\b", "tab\there", "é", "\u2028", "\uFFFD", "\u0000"),
);

/** JSON text of a string, sometimes with needless `\u` escapes or `\/`. */
const arbStringJson = (s: string) =>
  fc.constantFrom(0, 0, 0, 0, 0, 0, 1, 2).map((mode) => {
    const j = JSON.stringify(s);
    if (mode === 0 || s.length === 0) return j;
    if (mode === 1) {
      const c = s.charCodeAt(0);
      return '"\\u' + c.toString(16).padStart(4, "0") +
        j.slice(1 + JSON.stringify(s[0]).length - 2);
    }
    return j.replace("/", "\\/").replace("p", "\\u0070");
  });

type Field = [key: string, jsonValue: string];

/** A JSON value for a shelf field, as text: valid ones mostly, wrong types sometimes. */
const arbField = (key: string): fc.Arbitrary<Field | null> => {
  let v: fc.Arbitrary<string>;
  switch (key) {
    case "event_type":
      v = fc.oneof(
        { weight: 8, arbitrary: fc.constantFrom("pickup", "putback").chain(arbStringJson) },
        {
          weight: 2,
          arbitrary: fc.constantFrom("restock", "weight_change", "", "Pickup", "pickup ", "pick")
            .chain(arbStringJson),
        },
        { weight: 1, arbitrary: fc.constantFrom("null", "1", "true", '["pickup"]') },
      );
      break;
    case "customer_id":
    case "item_id":
      v = fc.oneof(
        { weight: 8, arbitrary: asciiId.map((s) => JSON.stringify(s)) },
        { weight: 3, arbitrary: anyText.chain(arbStringJson) },
        { weight: 1, arbitrary: fc.constantFrom("null", "12", "{}", "[]", "false") },
      );
      break;
    case "quantity":
      v = fc.oneof(
        { weight: 8, arbitrary: fc.integer({ min: 1, max: 99 }).map(String) },
        {
          weight: 2,
          arbitrary: fc.constantFrom(
            "0",
            "-1",
            "-0",
            "01",
            "2.0",
            "2.5",
            "1e0",
            "1E2",
            "2147483647",
            "2147483648",
            "99999999999",
            "1.",
            "-",
            '"2"',
            "null",
            "true",
            "[1]",
          ),
        },
        { weight: 1, arbitrary: fc.double().map((d) => JSON.stringify(d)) },
      );
      break;
    case "timestamp":
      v = fc.oneof(
        { weight: 8, arbitrary: arbTime.map((s) => JSON.stringify(s)) },
        {
          weight: 1,
          arbitrary: fc.constantFrom("null", "0", '""', '"now"', "1731000000000", '{"t":1}'),
        },
      );
      break;
    default:
      v = fc.oneof(
        {
          weight: 6,
          arbitrary: fc.oneof(
            fc.integer().map(String),
            fc.double().map((d) => JSON.stringify(d)),
            asciiId.map((s) => JSON.stringify(s)),
            fc.constantFrom("1500", "-0", "0.5", "1e-7", "-2.5E+3", "true", "false", "null", '""'),
          ),
        },
        {
          weight: 2,
          arbitrary: fc.constantFrom(
            "00",
            "1.",
            ".5",
            "+1",
            "-",
            "1e",
            "nul",
            "tru",
            "falsy",
            '"\\n"',
            "[]",
            '{"a":1}',
            "[1,2]",
          ),
        },
        { weight: 1, arbitrary: anyText.chain(arbStringJson) },
      );
  }
  const absent = key === "quantity" || key === "timestamp" || key === "weight" ? 3 : 1;
  return fc.oneof(
    { weight: absent, arbitrary: fc.constant(null) },
    { weight: 12, arbitrary: v.map((j): Field => [key, j]) },
  );
};

const arbKey = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      "weight",
      "shelf_id",
      "store",
      "__proto__",
      "constructor",
      "",
      "event_typ",
      "quantity_",
      "Timestamp",
      "item_idx",
      "customer",
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom("event_type", "customer_id", "item_id", "quantity", "timestamp"),
  }, // duplicates
  { weight: 2, arbitrary: fc.string({ maxLength: 8 }) },
);

/** A shelf event as JSON text: known fields (some absent), extra fields, any order, any ws. */
const arbEventText = fc.record({
  fields: fc.tuple(
    arbField("event_type"),
    arbField("customer_id"),
    arbField("item_id"),
    arbField("quantity"),
    arbField("weight"),
    arbField("timestamp"),
  ),
  extra: fc.array(arbKey.chain((k) => arbField(k)), { maxLength: 2 }),
  order: fc.array(fc.nat(), { minLength: 10, maxLength: 10 }),
  spaces: fc.array(ws, { minLength: 50, maxLength: 50 }),
  keyEsc: fc.nat(7).map((n) => n === 0),
  trailer: often(fc.constantFrom("", " ", "\n"), ",", "}", "x", "{}"),
}).map((g) => {
  const fields: Field[] = g.fields.filter((f): f is Field => f !== null);
  for (const f of g.extra) if (f !== null) fields.push(f);
  // shuffle by the random keys
  const keyed = fields.map((f, i) => [g.order[i % g.order.length] + i / 100, f] as const);
  keyed.sort((a, b) => a[0] - b[0]);
  let sp = 0;
  const w = () => g.spaces[sp++ % g.spaces.length];
  let out = w() + "{" + w();
  keyed.forEach(([, [k, v]], i) => {
    let kj = JSON.stringify(k);
    if (g.keyEsc && i === 0 && k.length > 0) {
      kj = '"\\u' + k.charCodeAt(0).toString(16).padStart(4, "0") + kj.slice(2);
    }
    out += (i > 0 ? "," + w() : "") + kj + w() + ":" + w() + v + w();
  });
  return out + "}" + w() + g.trailer;
});

/** Canonical producer output: JSON.stringify / Python json.dumps of a valid ASCII event. */
const arbCommon = fc.record({
  pickup: fc.boolean(),
  customer: fc.oneof(fc.uuid(), asciiId),
  item: asciiId,
  quantity: fc.option(fc.integer({ min: 1, max: 0x7fffffff }), { nil: undefined }),
  weight: fc.option(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })), {
    nil: undefined,
  }),
  time: fc.option(
    fc.integer({ min: Date.parse("0001-01-01T00:00:00Z"), max: Date.parse("9999-12-31T23:59:59Z") })
      .chain((ms) =>
        fc.tuple(fc.constant(ms), fc.integer({ min: 0, max: 999 }), fc.constantFrom(0, 1, 2, 3))
      )
      .map(([ms, us, form]) => {
        const iso = new Date(ms).toISOString();
        if (form === 0) return iso.slice(0, 23) + pad(us, 3) + "+00:00"; // Python isoformat
        if (form === 1) return iso; // JS toISOString
        if (form === 2) return iso.slice(0, 19).replace("T", " ") + "-03:00";
        return iso.slice(0, 19);
      }),
    { nil: undefined },
  ),
  python: fc.boolean(),
  pretty: fc.nat(5).map((n) => n === 0),
  order: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
}).map((g) => {
  const entries: [string, unknown][] = [
    ["event_type", g.pickup ? "pickup" : "putback"],
    ["customer_id", g.customer],
    ["item_id", g.item],
  ];
  if (g.quantity !== undefined) entries.push(["quantity", g.quantity]);
  if (g.weight !== undefined) entries.push(["weight", g.weight]);
  if (g.time !== undefined) entries.push(["timestamp", g.time]);
  const keyed = entries.map((e, i) => [g.order[i] + i / 10, e] as const).sort((a, b) =>
    a[0] - b[0]
  );
  const sep = g.python ? [", ", ": "] : [",", ":"];
  const body = keyed.map(([, [k, v]]) => JSON.stringify(k) + sep[1] + JSON.stringify(v));
  if (g.pretty) return JSON.stringify(Object.fromEntries(keyed.map(([, e]) => e)), null, 2);
  return "{" + body.join(sep[0]) + "}";
});

/** Byte mutations: flip, insert, delete, truncate. */
const arbMutated = fc.tuple(
  fc.oneof(arbCommon, arbEventText),
  fc.array(
    fc.tuple(
      fc.constantFrom("set", "insert", "delete", "truncate"),
      fc.nat(),
      fc.oneof(
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom(...enc.encode('"\\{}[],: \t\n0123456789.eE+-tnfZT')),
      ),
    ),
    { minLength: 1, maxLength: 3 },
  ),
).map(([text, muts]) => {
  let b = Array.from(enc.encode(text));
  for (const [op, pos, byte] of muts) {
    const p = b.length === 0 ? 0 : pos % (b.length + (op === "insert" ? 1 : 0));
    if (op === "set" && b.length > 0) b[p] = byte;
    else if (op === "insert") b.splice(p, 0, byte);
    else if (op === "delete") b.splice(p, 1);
    else b = b.slice(0, p);
  }
  return new Uint8Array(b);
});

// ---------------------------------------------------------------------------------------------
// properties

Deno.test("property: fast path accepts only what the JSON.parse path decodes identically", () => {
  let accepted = 0;
  fc.assert(
    fc.property(arbEventText, (text) => {
      if (agree(enc.encode(text)) !== null) accepted++;
    }),
    { numRuns: NUM_RUNS * 3 },
  );
  assert.ok(accepted > (NUM_RUNS * 3) / 50, `the fast path was taken ${accepted} times`);
});

Deno.test("property: mutated bytes — fast path accepts only identical decodes", () => {
  fc.assert(fc.property(arbMutated, (b) => void agree(b)), { numRuns: NUM_RUNS * 3 });
});

Deno.test("property: canonical producer output always takes the fast path", () => {
  fc.assert(
    fc.property(arbCommon, (text) => {
      const b = enc.encode(text);
      const s = slow(b);
      assert.equal(typeof s, "object", text);
      assert.ok(agree(b) !== null, `fast path declined ${text}`);
    }),
    { numRuns: NUM_RUNS },
  );
});

Deno.test("property: bytes parse = string parse (fraction too), minute cache", () => {
  const shared = new IsoParser(); // its minute cache carries over between checks
  const check = (s: string, b: Uint8Array, at: number) => {
    const fresh = new IsoParser();
    const want = fresh.parse(s);
    const wantFrac = want === want ? fresh.fraction(s) : "";
    const got = shared.parseBytes(b, at, at + s.length);
    assert.ok(Object.is(got, want), `${s}: ${got} vs ${want}`);
    if (got === got) assert.equal(asciiString(b, shared.fracStart, shared.fracEnd), wantFrac, s);
  };
  fc.assert(
    fc.property(
      fc.array(fc.oneof(arbTime, fc.string({ maxLength: 30 })), { minLength: 1, maxLength: 6 }),
      fc.nat(5),
      (list, at) => {
        for (const s of list) {
          const body = enc.encode(s);
          if (body.length !== s.length) continue; // not ASCII: never reaches the byte parser
          const b = new Uint8Array(at + body.length + 3).fill(57); // '9' around it
          b.set(body, at);
          check(s, b, at);
          // same minute, other seconds/fraction/offset: served from the minute cache
          if (s.length >= 19) {
            const t = s.slice(0, 17) + "59.5-01:00";
            check(t, enc.encode(t), 0);
          }
        }
      },
    ),
    { numRuns: NUM_RUNS },
  );
});

Deno.test("fast path: examples (whitespace, key order, escapes, duplicates, odd numbers)", () => {
  const base =
    '{"event_type":"pickup","customer_id":"c1","item_id":"A1","quantity":2,"weight":1500,"timestamp":"2025-11-07T09:40:01.5+00:00"}';
  const yes = [
    base,
    ' {\n "timestamp" : "2025-11-07 09:40:01" , "quantity":7,"item_id":"A1","customer_id":"c1","event_type":"putback"}\r\n',
    '{"event_type":"pickup","customer_id":"c1","item_id":"A1"}',
    '{"event_type":"pickup","customer_id":"c1","item_id":"A1","x":null,"y":true,"z":false,"w":-1.5e-3,"s":"ok"}',
    '{"event_type":"pickup","customer_id":"c1","item_id":"A1","quantity":2147483647}',
    '{"event_type":"pickup","weight":1,"weight":2,"customer_id":"c1","item_id":"A1"}',
    // Other event types, skipped: their type and time only, whatever else they hold.
    base.replace('"pickup"', '"restock"'),
    '{"event_type":"weight_change","shelf_id":"ITEM039","weight":36952,"timestamp":"2025-11-07T09:00:45.513693+00:00"}',
    '{"event_type":"weight_change","shelf_id":"ITEM039","weight":-12.5}',
    '{"event_type":"","quantity":2}',
  ];
  for (const t of yes) assert.ok(agree(enc.encode(t)) !== null, t);
  const no = [
    base.replace('"c1"', '"c\\u0031"'), // escape in a value
    base.replace('"event_type"', '"event\\u005ftype"'), // escape in a key
    base.replace('"c1"', '"c\u00e9"'), // non-ASCII
    base.replace('"quantity":2', '"quantity":2.0'), // valid, but the JSON.parse path decides
    base.replace('"quantity":2', '"quantity":1e1'),
    base.replace('"quantity":2', '"quantity":0'),
    base.replace('"quantity":2', '"quantity":2147483648'),
    '{"event_type":"weight_change","timestamp":null}', // skipped, but the JSON.parse path decides
    '{"event_type":"weight_change","quantity":0}',
    '{"event_type":"weight_change","customer_id":7}',
    base.replace('"customer_id":"c1"', '"customer_id":""'),
    base.replace('"timestamp":"2025-11-07T09:40:01.5+00:00"', '"timestamp":null'),
    base.replace("09:40:01.5", "09:40:61.5"),
    base.replace('"weight":1500', '"weight":{"g":1500}'),
    base.replace('"weight":1500', '"weight":01'),
    base.replace('"item_id":"A1"', '"item_id":"A1","item_id":"B2"'), // duplicated field
    base + " x",
    base.slice(0, -1),
    base.replace("}", ",}"),
    "\uFEFF" + base, // BOM: stripped by the decoder, decided by the JSON.parse path
    "{}",
  ];
  for (const t of no) {
    assert.equal(agree(enc.encode(t)), null, t);
  }
  // The JSON.parse path still accepts the valid ones among them.
  assert.equal(typeof slow(enc.encode(no[0])), "object");
  assert.equal(typeof slow(enc.encode(no[3])), "object");
  assert.equal(typeof slow(enc.encode(no.find((t) => t.startsWith("\uFEFF"))!)), "object");
  const d = fast(enc.encode(base)) as Decoded;
  assert.equal(d.kind, PICKUP);
  assert.equal(d.frac, "5");
  assert.equal(fast(enc.encode(yes[1]))!.kind, PUTBACK);
  assert.ok(Number.isNaN(fast(enc.encode(yes[2]))!.us));
});

Deno.test("IdCache and ItemTable.internBytes: collisions resolve to the right string", () => {
  const cache = new IdCache<number>(1); // one pair of slots: constant collisions
  const items = new ItemTable();
  const ids = ["a", "b", "ab", "ba", "customer-1", "customer-2", "a"];
  for (let round = 0; round < 3; round++) {
    for (const id of ids) {
      const b = enc.encode(" " + id + " ");
      for (const h of [0, 1, 12345, -7]) {
        let slot = cache.find(h, b, 1, 1 + id.length);
        if (slot < 0) slot = cache.insert(h, b, 1, 1 + id.length);
        assert.equal(cache.strings[slot], id);
        assert.equal(cache.find(h, b, 1, 1 + id.length), slot);
        assert.equal(items.names[items.internBytes(b, 1, 1 + id.length, h)], id);
      }
    }
  }
  assert.deepEqual([...items.names].sort(), ["a", "ab", "b", "ba", "customer-1", "customer-2"]);
});

// ---------------------------------------------------------------------------------------------
// engine: the same records through the fast path or the JSON.parse path

const BOM = [0xef, 0xbb, 0xbf];
/**
 * The same record forced onto the JSON.parse path: a record the scanner accepts gets a UTF-8
 * BOM in front, which the decoder drops (JSON.parse path) and the scanner declines. Records the
 * scanner declines take the JSON.parse path anyway and are passed as they are.
 */
function slowOnly(r: InputRecord): InputRecord {
  if (r.value === null || !new ShelfScanner().scan(r.value, new ShelfEvent())) return r;
  const v = new Uint8Array(r.value.length + 3);
  v.set(BOM);
  v.set(r.value, 3);
  return { ...r, value: v };
}

const T0 = Date.parse("2025-11-07T09:00:00Z");
const CUSTOMERS = ["c-1", "c-2", "7f1c0e52-0001-4a1b-9c1d-000000000002", "c-4"];

const arbShelfValue = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      putback: fc.boolean(),
      c: fc.constantFrom(...CUSTOMERS),
      item: fc.constantFrom("A", "B", "C", "D", "\u00e9", "A\\u0041"),
      q: fc.integer({ min: 1, max: 3 }),
      t: fc.option(fc.integer({ min: 0, max: 4 * 3600 * 1000 }), { nil: undefined }),
      python: fc.boolean(),
    }).map((e) => {
      const parts = [
        `"event_type":"${e.putback ? "putback" : "pickup"}"`,
        `"customer_id":${JSON.stringify(e.c)}`,
        `"item_id":"${e.item}"`,
        `"quantity":${e.q}`,
        `"weight":150`,
      ];
      if (e.t !== undefined) {
        parts.push(
          `"timestamp":"${new Date(T0 + e.t).toISOString().slice(0, 23)}${
            e.python ? "123+00:00" : "Z"
          }"`,
        );
      }
      return "{" + parts.join(e.python ? ", " : ",") + "}";
    }),
  },
  { weight: 2, arbitrary: arbEventText },
  { weight: 1, arbitrary: arbMutated.map((b) => new TextDecoder().decode(b)) },
);

const arbFootValue = fc.record({
  c: fc.constantFrom(...CUSTOMERS),
  entry: fc.integer({ min: 0, max: 3600 }),
  dur: fc.integer({ min: 0, max: 3 * 3600 }),
}).map((f) =>
  JSON.stringify({
    event_type: "foot_traffic",
    customer_id: f.c,
    entry_time: new Date(T0 + f.entry * 1000).toISOString(),
    exit_time: new Date(T0 + (f.entry + f.dur) * 1000).toISOString(),
  })
);

const arbStream = fc.array(
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc.tuple(arbShelfValue, fc.nat(2), fc.integer({ min: 0, max: 4 * 3600 })).map((
        [v, p, ts],
      ) => ({ kind: "shelf" as const, v, p, ts })),
    },
    {
      weight: 2,
      arbitrary: arbFootValue.map((v) => ({ kind: "foot" as const, v, p: 0, ts: 0 })),
    },
    {
      weight: 1,
      arbitrary: fc.boolean().map((caughtUp) => ({ kind: "advance" as const, caughtUp })),
    },
  ),
  { maxLength: 60 },
);

Deno.test("property: a decoder says the same of a record on either path: outcome, type, time", () => {
  const a = new Decoder(), b = new Decoder();
  fc.assert(
    fc.property(arbEventText, (text) => {
      const bytes = enc.encode(text);
      const forced = new Uint8Array([...BOM, ...bytes]); // the scanner declines a BOM
      const outcome = a.decode("shelf", bytes);
      assert.equal(outcome, b.decode("shelf", forced), text);
      if (outcome !== "skipped") return;
      assert.equal(a.eventType, b.eventType, text);
      assert.ok(Object.is(a.lastEventTimeUs("shelf"), b.lastEventTimeUs("shelf")), text);
    }),
    { numRuns: NUM_RUNS * 3 },
  );
});

Deno.test("property: engine output is the same through the fast path and the JSON.parse path", () => {
  fc.assert(
    fc.property(arbStream, fc.constantFrom(60, 1800, 10800), (stream, max) => {
      const a = newEngine({ maxSessionAgeSec: max });
      const b = newEngine({ maxSessionAgeSec: max });
      let offset = 0;
      const states: [unknown, unknown][] = [];
      for (const s of stream) {
        if (s.kind === "advance") {
          const p = {
            partitions: [0, 1, 2].map((partition) => ({
              source: "shelf" as const,
              partition,
              caughtUp: s.caughtUp,
            })),
          };
          a.advance(p);
          b.advance(p);
          states.push([a.drainStateChanges(), b.drainStateChanges()]);
          continue;
        }
        const rec: InputRecord = {
          source: s.kind,
          topic: s.kind === "shelf" ? "shelf_events" : "foot_traffic",
          partition: s.p,
          offset: String(offset++),
          value: enc.encode(s.v),
          timestampMs: T0 + s.ts * 1000,
        };
        a.apply(rec);
        b.apply(slowOnly(rec));
      }
      a.flush();
      b.flush();
      states.push([a.drainStateChanges(), b.drainStateChanges()]);
      const oa = a.drainOutput(), ob = b.drainOutput();
      assert.deepEqual(oa.transactions, ob.transactions);
      const strip = (d: (typeof oa.dlq)[number]) => ({
        ...d,
        value: d.value !== null && d.value[0] === 0xef ? d.value.subarray(3) : d.value,
      });
      assert.deepEqual(oa.dlq.map(strip), ob.dlq.map(strip));
      assert.deepEqual(a.metrics(), b.metrics());
      for (const [x, y] of states) assert.deepEqual(x, y);
    }),
    { numRuns: 500 },
  );
});
