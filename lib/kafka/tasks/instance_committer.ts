/**
 * Where an instance's commit is written (docs/service.md, "One commit"): exactly-once, one Kafka
 * transaction holding every message of the commit and the offsets of every group, the tasks'
 * group last with its generation (a zombie's commit fails there and is aborted); at-least-once,
 * the messages first, then the offsets (a crash in between re-delivers records the restored
 * carts already hold, which the engine ignores by offset).
 * @module
 */
import type { Consumer, Kafka, Producer } from "kafkajs";
import { PROGRESS_KEY } from "../../core/mod.ts";
import { chunked } from "../output_messages.ts";
import { retryingConcurrent } from "../fencing.ts";
import { commitGroupOffsets } from "../group_offsets.ts";
import type { InstanceCommit } from "./instance_commit.ts";

/** Writes one commit. */
export interface InstanceCommitter {
  commit(c: InstanceCommit): Promise<void>;
}

/** Exactly-once: one transaction. */
export function transactionalCommitter(producer: Producer): InstanceCommitter {
  return {
    async commit(c) {
      const tx = await producer.transaction();
      try {
        for (const chunk of chunked(c.batches)) {
          await tx.sendBatch({ topicMessages: chunk, acks: -1 });
        }
        for (const o of c.offsets) {
          await retryingConcurrent(() =>
            tx.sendOffsets({
              consumerGroupId: o.groupId,
              topics: [{ topic: o.topic, partitions: o.partitions }],
            })
          );
        }
        await tx.commit();
      } catch (e) {
        await tx.abort().catch(() => {});
        throw e;
      }
    },
  };
}

/** Test fault (at-least-once): exit after this many output writes, before the offsets. */
export interface WriteFault {
  exitAfterWrites?: number;
  onExit?: () => void;
}

/** At-least-once: the messages, then the offsets (the tasks' group through its member). */
export function atLeastOnceCommitter(
  kafka: Kafka,
  producer: Producer,
  consumer: Pick<Consumer, "commitOffsets">,
  taskGroupId: string,
  fault: WriteFault = {},
  memberOf: (groupId: string) => { generationId: number; memberId: string } | undefined = () =>
    undefined,
): InstanceCommitter {
  let writes = 0;
  return {
    async commit(c) {
      for (const chunk of chunked(c.batches)) {
        await producer.sendBatch({ topicMessages: chunk, acks: -1 });
      }
      if (carriesCustomers(c) && ++writes === fault.exitAfterWrites) {
        fault.onExit?.();
        Deno.exit(137);
      }
      for (const o of c.offsets) {
        if (o.unchanged) continue;
        if (o.groupId === taskGroupId) {
          await consumer.commitOffsets(o.partitions.map((p) => ({ topic: o.topic, ...p })));
        } else {
          await commitGroupOffsets(kafka, o.groupId, o.topic, o.partitions, memberOf(o.groupId));
        }
      }
    },
  };
}

/** Whether `c` writes transactions or some customer's state (not only the progress record). */
export function carriesCustomers(c: InstanceCommit): boolean {
  if (c.transactionCount > 0) return true;
  for (const t of c.tasks) for (const key of t.state.keys()) if (key !== PROGRESS_KEY) return true;
  return false;
}
