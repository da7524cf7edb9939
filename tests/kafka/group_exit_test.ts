/**
 * A stage that ends while its consumer's first join is still pending must not leave that
 * consumer in the group: KafkaJS 2.2.4 lets the join complete after `disconnect()` and then
 * consumes for ever, holding partitions the next life never gets (lib/kafka/group_exit.ts). On a
 * real broker, the join is held pending the way it is in the field: by a member that stopped
 * answering and whose session has not expired yet.
 */
import assert from "node:assert/strict";
import { leaveGroup } from "../../lib/kafka/group_exit.ts";
import { sleep } from "../../lib/sleep.ts";
import { createTopics, testKafka } from "../support/kafka_client.ts";
import { testBroker, uniqueName } from "../support/kafka.ts";
import { eventually } from "../support/service_process.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const SESSION_MS = 6000;

Deno.test(
  "a consumer told to leave while its first join is pending leaves once the join completes",
  opts,
  async () => {
    const { bootstrap } = await testBroker();
    const kafka = testKafka(bootstrap);
    const topic = uniqueName("exit");
    const groupId = uniqueName("exit-group");
    await createTopics(kafka, [topic], 2);
    const group = { groupId, sessionTimeout: SESSION_MS, rebalanceTimeout: SESSION_MS };

    // A member that stops answering: its batch never ends, so it neither heartbeats nor rejoins.
    const stuck = kafka.consumer({ ...group, heartbeatInterval: 500 });
    let release!: () => void;
    const held = new Promise<void>((r) => release = r);
    let entered!: () => void;
    const inBatch = new Promise<void>((r) => entered = r);
    await stuck.connect();
    await stuck.subscribe({ topic, fromBeginning: true });
    await stuck.run({ eachBatch: () => (entered(), held) });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [{ value: "a", partition: 0 }, { value: "b", partition: 1 }],
    });
    await producer.disconnect();
    await inBatch;

    const admin = kafka.admin();
    await admin.connect();
    const late = kafka.consumer(group);
    let joins = 0;
    late.on(late.events.GROUP_JOIN, () => joins++);
    try {
      await late.connect();
      await late.subscribe({ topic, fromBeginning: true });
      const running = late.run({ eachBatch: async () => {} });
      await sleep(500);
      assert.equal(joins, 0, "the join is pending (the stuck member holds the rebalance)");
      await leaveGroup(late, running, 200);

      // The coordinator drops the stuck member, the pending join completes: then it leaves.
      await eventually("the pending join completed", () => joins > 0, 4 * SESSION_MS, 100);
      await eventually(
        "the late member left the group",
        async () => {
          const [g] = (await admin.describeGroups([groupId])).groups;
          return g.members.length === 0;
        },
        3 * SESSION_MS,
        200,
      );
    } finally {
      release();
      await stuck.disconnect().catch(() => {});
      await late.disconnect().catch(() => {});
      await admin.disconnect();
    }
  },
);

Deno.test("a consumer whose run was never called, or has settled, is disconnected at once", async () => {
  let n = 0;
  const consumer = { disconnect: () => (n++, Promise.resolve()) };
  await leaveGroup(consumer, undefined, 1000);
  assert.equal(n, 1);
  await leaveGroup(consumer, Promise.resolve(), 1000);
  assert.equal(n, 2);
  await leaveGroup(consumer, Promise.reject(new Error("join failed")), 1000);
  assert.equal(n, 3, "a run that crashed has no runner left either");
});
