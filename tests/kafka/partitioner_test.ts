import assert from "node:assert/strict";
import { createRequire } from "node:module";
import fc from "fast-check";
import { murmur2, murmur2Text, partitionForKey } from "../../lib/kafka/partitioner.ts";

const require = createRequire(import.meta.url);
const kafkajsMurmur2: (key: Uint8Array) => number = require(
  "kafkajs/src/producer/partitioners/default/murmur2.js",
);

Deno.test("murmur2 gives the Java client's values (Kafka's own test vectors)", () => {
  const cases: [string, number][] = [
    ["21", -973932308],
    ["foobar", -790332482],
    ["a-little-bit-long-string", -985981536],
    ["a-little-bit-longer-string", -1486304829],
    ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
    ["abc", 479470107],
  ];
  for (const [key, want] of cases) assert.equal(murmur2(new TextEncoder().encode(key)), want, key);
});

Deno.test("a key lands where KafkaJS's default partitioner puts it", async () => {
  const { Buffer } = await import("node:buffer");
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 64 }), (key, n) => {
      const theirs = (kafkajsMurmur2(Buffer.from(key)) & 0x7fffffff) % n;
      assert.equal(partitionForKey(key, n), theirs);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("a text key hashes as its UTF-8 bytes, ASCII or not", () => {
  const utf8 = new TextEncoder();
  const texts = fc.oneof(
    fc.string({ maxLength: 48 }),
    fc.string({ unit: "grapheme", maxLength: 24 }),
    fc.string({ unit: "binary", maxLength: 24 }), // lone surrogates too: encoded as U+FFFD
  );
  fc.assert(
    fc.property(texts, (text) => assert.equal(murmur2Text(text), murmur2(utf8.encode(text)))),
    { numRuns: 5000 },
  );
});
