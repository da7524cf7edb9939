/**
 * KafkaJS's clusters remember a group's or a transaction's coordinator for a while instead of
 * asking the broker before every transaction step (lib/kafka/coordinator_cache.ts).
 */
import assert from "node:assert/strict";
import { cachedCoordinators } from "../../lib/kafka/coordinator_cache.ts";
import { installedInRunProcess } from "../support/service_process.ts";

function lookups() {
  const asked: string[] = [];
  let connected = true, now = 0;
  const broker = { isConnected: () => connected };
  const find = cachedCoordinators(
    (q: { groupId: string; coordinatorType?: number }) => {
      asked.push(`${q.coordinatorType ?? 0}:${q.groupId}`);
      return Promise.resolve(broker);
    },
    1000,
    () => now,
  );
  return {
    asked,
    find,
    set: (s: { connected?: boolean; now?: number }) => {
      connected = s.connected ?? connected;
      now = s.now ?? now;
    },
  };
}

Deno.test("a coordinator is asked for once per group and kind while its answer is fresh", async () => {
  const l = lookups();
  await l.find({ groupId: "g" });
  await l.find({ groupId: "g", coordinatorType: 0 });
  await l.find({ groupId: "g", coordinatorType: 1 }); // the transaction coordinator of id "g"
  await l.find({ groupId: "h" });
  l.set({ now: 999 });
  await l.find({ groupId: "g" });
  assert.deepEqual(l.asked, ["0:g", "1:g", "0:h"]);
});

Deno.test("a coordinator is asked for again once its answer is old or its broker disconnected", async () => {
  const l = lookups();
  await l.find({ groupId: "g" });
  l.set({ now: 1000 });
  await l.find({ groupId: "g" });
  l.set({ connected: false });
  await l.find({ groupId: "g" });
  await l.find({ groupId: "g" });
  l.set({ connected: true });
  await l.find({ groupId: "g" });
  assert.deepEqual(l.asked, ["0:g", "0:g", "0:g", "0:g"]);
});

Deno.test("a failed look-up is not remembered", async () => {
  let fail = true, asked = 0;
  const find = cachedCoordinators(
    () => {
      asked++;
      return fail ? Promise.reject(new Error("GROUP_COORDINATOR_NOT_AVAILABLE")) : Promise.resolve({
        isConnected: () => true,
      });
    },
    1000,
    () => 0,
  );
  await assert.rejects(find({ groupId: "g" }));
  fail = false;
  await find({ groupId: "g" });
  await find({ groupId: "g" });
  assert.equal(asked, 2);
});

Deno.test("the service's process loads KafkaJS with its coordinators remembered", async () => {
  assert.ok(
    await installedInRunProcess("lib/kafka/coordinator_cache.ts", "coordinatorCacheInstalled"),
  );
});
