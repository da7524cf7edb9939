/**
 * KafkaJS's producer groups a send's messages by partition in linear time (lib/kafka/
 * message_grouping.ts): the same groups as its own function, and installed wherever the
 * service runs.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { installedInRunProcess } from "../support/service_process.ts";
import {
  groupMessagesPerPartition,
  kafkajsGroupMessagesPerPartition,
} from "../../lib/kafka/kafkajs/message_grouping.ts";

Deno.test("property: the linear grouping gives KafkaJS's groups, in the same order", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 8 }),
      fc.array(fc.nat(), { maxLength: 300 }),
      (partitions, keys) => {
        const partitionMetadata = Array.from(
          { length: partitions },
          (_, i) => ({ partitionId: i }),
        );
        const messages = keys.map((k, i) => ({ key: String(k), value: `m${i}` }));
        const partitioner = ({ message }: { message: unknown }) =>
          Number((message as { key: string }).key) % Math.max(1, partitions);
        const input = { topic: "t", partitionMetadata, messages, partitioner };
        assert.deepEqual(groupMessagesPerPartition(input), kafkajsGroupMessagesPerPartition(input));
      },
    ),
  );
});

Deno.test("the service's process loads KafkaJS with the linear grouping", async () => {
  assert.ok(
    await installedInRunProcess("lib/kafka/kafkajs/message_grouping.ts", "linearGroupingInstalled"),
  );
});

Deno.test("no module of lib/ but lib/kafka/kafkajs.ts imports KafkaJS's values", async () => {
  const offenders: string[] = [];
  const walk = async (dir: URL) => {
    for await (const e of Deno.readDir(dir)) {
      const url = new URL(e.name + (e.isDirectory ? "/" : ""), dir);
      if (e.isDirectory) await walk(url);
      else if (e.name.endsWith(".ts") && !url.pathname.endsWith("lib/kafka/kafkajs.ts")) {
        const text = await Deno.readTextFile(url);
        if (/^import \{[^}]*\} from "kafkajs";/m.test(text)) offenders.push(url.pathname);
      }
    }
  };
  await walk(new URL("../../lib/", import.meta.url));
  assert.deepEqual(
    offenders,
    [],
    "import values from lib/kafka/kafkajs.ts (types may come from kafkajs)",
  );
});
