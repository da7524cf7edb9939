/**
 * The checkout tasks' assigner without a broker: every task once, balanced, sticky, and (in
 * KafkaJS's protocol) partition p of every subscribed topic to the same member.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { AssignerProtocol } from "kafkajs";
import {
  coPartitionedAssigner,
  decodeOwned,
  encodeOwned,
  planTasks,
} from "../../lib/kafka/tasks/assigner.ts";

function checkPlan(taskCount: number, members: number, plan: Map<string, number[]>): void {
  const all = [...plan.values()].flat().sort((a, b) => a - b);
  assert.deepEqual(all, [...Array(taskCount).keys()], "every task exactly once");
  const sizes = [...plan.values()].map((t) => t.length);
  assert.equal(plan.size, members);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `balanced: ${sizes}`);
}

Deno.test("assigner: every task once, balanced, for 1..N members", () => {
  for (const taskCount of [1, 3, 6, 7]) {
    for (let n = 1; n <= 8; n++) {
      const members = [...Array(n).keys()].map((i) => ({ memberId: `m${i}`, owned: [] }));
      checkPlan(taskCount, n, planTasks(taskCount, members));
    }
  }
});

Deno.test("assigner: a member keeps its tasks within its share; a newcomer takes the excess", () => {
  const before = planTasks(6, [{ memberId: "a", owned: [] }, { memberId: "b", owned: [] }]);
  const after = planTasks(6, [
    { memberId: "a", owned: before.get("a")! },
    { memberId: "b", owned: before.get("b")! },
    { memberId: "c", owned: [] },
  ]);
  checkPlan(6, 3, after);
  for (const m of ["a", "b"]) {
    for (const t of after.get(m)!) assert.ok(before.get(m)!.includes(t), `${m} kept ${t}`);
  }
  // b leaves: a keeps all it had.
  const left = planTasks(6, [{ memberId: "a", owned: after.get("a")! }]);
  assert.deepEqual(left.get("a"), [0, 1, 2, 3, 4, 5]);
  // Nonsense in userData is ignored.
  checkPlan(
    4,
    2,
    planTasks(4, [{ memberId: "a", owned: [9, -1, 1, 1] }, { memberId: "b", owned: [1] }]),
  );
  assert.deepEqual(decodeOwned(encodeOwned([2, 5])), [2, 5]);
  assert.deepEqual(decodeOwned(Buffer.from("not json")), []);
});

Deno.test("assigner: partition p of both topics goes to the same member (KafkaJS protocol)", async () => {
  const cluster = {
    findTopicPartitionMetadata: () => [0, 1, 2, 3, 4, 5].map((p) => ({ partitionId: p })),
  };
  const logger = { warn: () => {} };
  const make = (owned: number[]) =>
    coPartitionedAssigner(() => owned)({ cluster, logger, groupId: "g" } as never);
  const members = [[1, 4], [], [0]].map((owned, i) => ({
    memberId: `m${i}`,
    memberMetadata: make(owned).protocol({ topics: ["foot", "rep"] }).metadata,
  }));
  const out = await make([]).assign({ members, topics: ["foot", "rep"] });
  const seen: number[] = [];
  for (const { memberId, memberAssignment } of out) {
    const a = AssignerProtocol.MemberAssignment.decode(memberAssignment)!.assignment;
    assert.deepEqual(a.foot, a.rep, `${memberId}: same partitions of both topics`);
    assert.equal(a.foot.length, 2);
    seen.push(...a.foot);
  }
  assert.deepEqual(seen.sort(), [0, 1, 2, 3, 4, 5]);
  const m0 = AssignerProtocol.MemberAssignment.decode(
    out.find((o) => o.memberId === "m0")!.memberAssignment,
  )!;
  assert.deepEqual(m0.assignment.foot, [1, 4], "sticky");
});
