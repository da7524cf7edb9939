/**
 * Each consumer's generation, recorded from KafkaJS's JoinGroup answers (lib/kafka/kafkajs/
 * group_membership.ts), without a broker: answers decoded by KafkaJS's own JoinGroup code,
 * through the definitions KafkaJS's broker looks up.
 */
import {
  generationOf,
  kafkajsJoinGroup,
  membershipOf,
  recordJoin,
  REMEMBERED_MEMBERS,
} from "../../lib/kafka/kafkajs/group_membership.ts";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import fc from "fast-check";
import { installedInRunProcess } from "../support/service_process.ts";

const require = createRequire(import.meta.url);
const { requests, lookup } = require("kafkajs/src/protocol/requests/index.js");
const Encoder = require("kafkajs/src/protocol/encoder.js");

/** A JoinGroup v5 answer's bytes after the correlation id (JoinGroupResponse.json, v5). */
function answer(errorCode: number, generationId: number, memberId: string): Buffer {
  return new Encoder()
    .writeInt32(0)
    .writeInt16(errorCode)
    .writeInt32(generationId)
    .writeString("RoundRobinAssigner")
    .writeString(memberId)
    .writeString(memberId)
    .writeArray([])
    .buffer;
}

/** What KafkaJS's broker builds for a JoinGroup to a broker serving up to `max`. */
const joinGroup = (groupId: string, max = 9) =>
  lookup({ 11: { minVersion: 0, maxVersion: max } })(11, requests.JoinGroup)({
    groupId,
    sessionTimeout: 10_000,
    rebalanceTimeout: 10_000,
    memberId: "",
    protocolType: "consumer",
    groupProtocols: [{ name: "RoundRobinAssigner", metadata: Buffer.alloc(0) }],
  });

async function answered(groupId: string, raw: Buffer): Promise<unknown> {
  const { request, response } = joinGroup(groupId);
  assert.equal(request.apiVersion, 5, "KafkaJS's newest JoinGroup");
  return await response.parse(await response.decode(raw));
}

Deno.test("property: a successful JoinGroup answer records the member's group and generation", async () => {
  assert.notEqual(requests.JoinGroup, kafkajsJoinGroup, "swapped in KafkaJS");
  await fc.assert(
    fc.asyncProperty(
      fc.string({ maxLength: 20 }),
      fc.uuid(),
      fc.integer({ min: 0, max: 2 ** 31 - 2 }), // the next join is one more
      async (groupId, uuid, generationId) => {
        const memberId = `test-${uuid}`;
        const data = await answered(groupId, answer(0, generationId, memberId)) as {
          generationId: number;
          memberId: string;
        };
        assert.deepEqual([data.generationId, data.memberId], [generationId, memberId]);
        assert.equal(generationOf(memberId), generationId);
        assert.deepEqual(membershipOf(memberId), { groupId, memberId, generationId });
        await answered(groupId, answer(0, generationId + 1, memberId));
        assert.equal(generationOf(memberId), generationId + 1, "the newest join wins");
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("a failed join records nothing and throws KafkaJS's error", async () => {
  for (const [code, type] of [[27, "REBALANCE_IN_PROGRESS"], [79, "MEMBER_ID_REQUIRED"]] as const) {
    const memberId = `failed-${crypto.randomUUID()}`;
    await assert.rejects(answered("g", answer(code, 3, memberId)), (e: { type?: string }) => {
      assert.equal(e.type, type);
      return true;
    });
    assert.equal(generationOf(memberId), undefined);
  }
});

Deno.test("KafkaJS's options of a JoinGroup (its version, its request timeout) pass through", () => {
  const built = joinGroup("g", 2);
  assert.equal(built.request.apiVersion, 2);
  assert.equal(typeof built.requestTimeout, "number");
});

Deno.test("at most REMEMBERED_MEMBERS members are remembered, the oldest forgotten first", () => {
  const ids = Array.from({ length: REMEMBERED_MEMBERS + 1 }, (_, i) => `cap-${i}`);
  for (const memberId of ids) recordJoin({ groupId: "g", memberId, generationId: 1 });
  assert.equal(generationOf(ids[0]), undefined);
  assert.equal(generationOf(ids[1]), 1);
  assert.equal(generationOf(ids.at(-1)!), 1);
});

Deno.test("the service's process loads KafkaJS with the JoinGroup that records generations", async () => {
  assert.ok(
    await installedInRunProcess(
      "lib/kafka/kafkajs/group_membership.ts",
      "membershipRecordingInstalled",
    ),
  );
});
