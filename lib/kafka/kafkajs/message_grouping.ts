/**
 * A linear `groupMessagesPerPartition` for KafkaJS 2.2.4, plugged in without forking it. KafkaJS
 * groups a send's messages by partition with `[...current, message]` for every message: a copy
 * of the partition's list each time, quadratic in the messages per partition. A commit writes
 * its interval's records (forwarded records, outputs, state) in calls of up to 512 KiB (about
 * 1,700 records), so the copies were a tenth of an instance's CPU and, measured, 15–18 % of its
 * end-to-end throughput.
 *
 * KafkaJS's `producer/sendMessages.js` binds the function when it loads, which is when `kafkajs`
 * is first imported: so the swap happens in this module's body, and `lib/kafka/kafkajs.ts` (the
 * one module of lib/ that imports KafkaJS's values) imports this one first.
 * @module
 */
import { swapIn } from "./swap.ts";

/** What KafkaJS passes: the topic's partitions, the messages, the producer's partitioner. */
export interface GroupInput {
  topic: string;
  partitionMetadata: unknown[];
  messages: unknown[];
  partitioner: (p: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number;
}

/** Messages by partition, in their order: what KafkaJS's own function returns, in linear time. */
export function groupMessagesPerPartition(
  { topic, partitionMetadata, messages, partitioner }: GroupInput,
): Record<number, unknown[]> {
  const result: Record<number, unknown[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    const current = result[partition];
    if (current === undefined) result[partition] = [message];
    else current.push(message);
  }
  return result;
}

const PATH = "kafkajs/src/producer/groupMessagesPerPartition.js";
const SEND_MESSAGES = "kafkajs/src/producer/sendMessages.js";
const swap = swapIn<(input: GroupInput) => Record<number, unknown[]>>(
  PATH,
  SEND_MESSAGES,
  () => groupMessagesPerPartition,
);
/** KafkaJS's own function (tests compare the two). */
export const kafkajsGroupMessagesPerPartition = swap.original;

/** Whether KafkaJS's producer uses the linear grouping in this process. */
export function linearGroupingInstalled(): boolean {
  return swap.installed();
}
