/**
 * A faster `Batch` (KafkaJS 2.2.4's `consumer/batch.js`) for every fetched partition, plugged in
 * without forking KafkaJS. KafkaJS's constructor compares every message's offset with the fetched
 * offset through a BigInt `Long` parsed from text, for every record fetched (a forwarded one twice:
 * where it lies, and from its task's repartition partition). Here offsets are compared as numbers
 * while they are exact (below 2^53), and KafkaJS's own comparison is used past that; aborted
 * transactions in a fetch go through KafkaJS's own filter. Everything else is KafkaJS's class (its
 * prototype).
 *
 * KafkaJS's `consumer/consumerGroup.js` binds the class when it loads, which is when `kafkajs`
 * is first imported: so the swap happens in this module's body, and `lib/kafka/kafkajs.ts`
 * imports this module before KafkaJS.
 * @module
 */
import { swapIn } from "./swap.ts";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

interface LongValue {
  gte(other: LongValue): boolean;
}
const Long = require("kafkajs/src/utils/long.js") as { fromValue(v: unknown): LongValue };
const filterAbortedMessages = require("kafkajs/src/consumer/filterAbortedMessages.js") as (
  input: { messages: FetchedMessage[]; abortedTransactions?: unknown[] },
) => FetchedMessage[];

/** A decoded message, as far as the batch looks at it. */
interface FetchedMessage {
  offset: string;
  isControlRecord?: boolean;
}

/** What KafkaJS's fetch hands the batch for one partition. */
interface PartitionData {
  partition: number;
  highWatermark: string;
  abortedTransactions?: unknown[];
  messages: FetchedMessage[];
}

/** The largest integer a double holds exactly, as text: offsets up to it compare as numbers. */
const EXACT = Number.MAX_SAFE_INTEGER;

/** The messages at or after `fetchedOffset`, in their order (KafkaJS's filter, same result). */
export function withinOffset(messages: FetchedMessage[], fetchedOffset: string): FetchedMessage[] {
  const from = Number(fetchedOffset);
  if (!(Number.isInteger(from) && from <= EXACT)) {
    return kafkajsWithinOffset(messages, fetchedOffset);
  }
  const out: FetchedMessage[] = [];
  for (const m of messages) {
    const o = Number(m.offset);
    if (!(Number.isInteger(o) && o <= EXACT)) return kafkajsWithinOffset(messages, fetchedOffset);
    if (o >= from) out.push(m);
  }
  return out;
}

/** KafkaJS's own: every offset as a Long. */
export function kafkajsWithinOffset(
  messages: FetchedMessage[],
  fetchedOffset: string,
): FetchedMessage[] {
  const from = Long.fromValue(fetchedOffset);
  return messages.filter((m) => Long.fromValue(m.offset).gte(from));
}

const PATH = "kafkajs/src/consumer/batch.js";
const CONSUMER_GROUP = "kafkajs/src/consumer/consumerGroup.js";
type BatchClass = new (
  topic: string,
  fetchedOffset: string,
  partitionData: PartitionData,
) => Record<string, unknown>;
const swap = swapIn<BatchClass>(PATH, CONSUMER_GROUP, (original) => {
  FastBatch.prototype = original.prototype; // KafkaJS's methods are the fast batch's too
  return FastBatch as unknown as BatchClass;
});
/** KafkaJS's own class (tests compare the two). */
export const KafkajsBatch = swap.original;

/** KafkaJS's `Batch` with a faster constructor: the same fields, the same methods. */
export function FastBatch(
  this: Record<string, unknown>,
  topic: string,
  fetchedOffset: string,
  partitionData: PartitionData,
): void {
  const { abortedTransactions, messages } = partitionData;
  this.fetchedOffset = fetchedOffset;
  this.topic = topic;
  this.partition = partitionData.partition;
  this.highWatermark = partitionData.highWatermark;
  this.rawMessages = messages;
  const within = withinOffset(messages, fetchedOffset);
  this.messagesWithinOffset = within;
  // No aborted transactions (the common case): KafkaJS's filter returns its input as it is.
  const committed = abortedTransactions && abortedTransactions.length > 0
    ? filterAbortedMessages({ messages: within, abortedTransactions })
    : within;
  this.messages = committed.filter((m) => !m.isControlRecord);
}
/** Whether KafkaJS's consumer uses the fast batch in this process. */
export function fastBatchInstalled(): boolean {
  return swap.installed();
}
