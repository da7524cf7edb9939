/**
 * KafkaJS frames each request once, copy-free (lib/kafka/kafkajs/request_framing.ts): the same bytes as
 * its own framing, and installed wherever the service runs.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import fc from "fast-check";
import { frameRequest, kafkajsFrameRequest } from "../../lib/kafka/kafkajs/request_framing.ts";
import { installedInRunProcess } from "../support/service_process.ts";

const require = createRequire(import.meta.url);
const Encoder = require("kafkajs/src/protocol/encoder.js") as new () => {
  writeBytes(b: Buffer): unknown;
  writeInt32(n: number): unknown;
};

Deno.test("property: a framed request has KafkaJS's bytes", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 80 }),
      fc.integer({ min: 0, max: 17 }),
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      fc.option(fc.string({ unit: "grapheme", maxLength: 40 }), { nil: undefined }),
      fc.boolean(),
      fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 6 }),
      async (apiKey, apiVersion, correlationId, id, nullId, parts) => {
        const clientId = id === undefined && nullId ? null : id;
        const body = () => {
          const e = new Encoder();
          for (const p of parts) e.writeBytes(Buffer.from(p)); // grows the way real bodies do
          return e;
        };
        const input = (encode: () => unknown) => ({
          correlationId,
          clientId,
          request: { apiKey, apiVersion, encode },
        });
        // deno-lint-ignore no-explicit-any
        const ours = await frameRequest(input(body) as any);
        // deno-lint-ignore no-explicit-any
        const theirs = await kafkajsFrameRequest(input(() => Promise.resolve(body())) as any);
        assert.deepEqual(new Uint8Array(ours.buffer), new Uint8Array(theirs.buffer));
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("the service's process loads KafkaJS with the copy-free request framing", async () => {
  assert.ok(
    await installedInRunProcess("lib/kafka/kafkajs/request_framing.ts", "requestFramingInstalled"),
  );
});
