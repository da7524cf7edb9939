/**
 * Kafka error codes as KafkaJS errors (`KafkaJSProtocolError`, whose `type` names the code), for
 * the responses this folder decodes. KafkaJS 2.2.4's table stops at code 88 and turns any later
 * code into `KAFKAJS_UNKNOWN_ERROR_CODE` with code -99, losing it; PRODUCER_FENCED (90) is one
 * such. And it names codes 14–16 by their old names (GROUP_LOAD_IN_PROGRESS, …), which its own
 * transaction manager does not recognise: `sendOffsets` retries COORDINATOR_LOAD_IN_PROGRESS
 * and looks the coordinator up again on COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR. So here
 * those three carry Kafka's names, and codes past KafkaJS's table carry theirs (or
 * `KAFKA_ERROR_CODE_<n>` when unknown here too), with the code kept.
 * @module
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** An entry of KafkaJS's error table. */
interface ErrorEntry {
  type: string;
  code: number;
  retriable: boolean;
  message: string;
}

const { errorCodes } = require("kafkajs/src/protocol/error.js") as { errorCodes: ErrorEntry[] };
const { KafkaJSProtocolError } = require("kafkajs/src/errors.js") as {
  KafkaJSProtocolError: new (e: ErrorEntry) => Error & { type: string; code: number };
};

const entry = (code: number, type: string, retriable: boolean, message: string): ErrorEntry => ({
  code,
  type,
  retriable,
  message,
});

/** Codes whose KafkaJS name differs from Kafka's, and codes past KafkaJS's table. */
const OURS: ErrorEntry[] = [
  entry(14, "COORDINATOR_LOAD_IN_PROGRESS", true, "The coordinator is loading"),
  entry(15, "COORDINATOR_NOT_AVAILABLE", true, "The coordinator is not available"),
  entry(16, "NOT_COORDINATOR", true, "This is not the correct coordinator"),
  entry(89, "THROTTLING_QUOTA_EXCEEDED", true, "The throttling quota has been exceeded"),
  entry(
    90,
    "PRODUCER_FENCED",
    false,
    "A newer producer with the same transactionalId fences this one",
  ),
  entry(100, "UNKNOWN_TOPIC_ID", true, "This server does not host this topic ID"),
  entry(110, "FENCED_MEMBER_EPOCH", false, "The member epoch is fenced by the group coordinator"),
  entry(113, "STALE_MEMBER_EPOCH", false, "The member epoch is stale"),
  entry(120, "TRANSACTION_ABORTABLE", false, "The transaction failed and can be aborted"),
];

const TABLE = new Map<number, ErrorEntry>();
for (const e of errorCodes) TABLE.set(e.code, e);
for (const e of OURS) TABLE.set(e.code, e);

/** The entry for a nonzero `code`: its type, whether retriable, its message. */
export function errorEntry(code: number): ErrorEntry {
  return TABLE.get(code) ??
    { type: `KAFKA_ERROR_CODE_${code}`, code, retriable: false, message: `Error code ${code}` };
}

/** The KafkaJS error for a nonzero Kafka error `code` (`type` names it, `code` is it). */
export function errorFromCode(code: number): Error & { type: string; code: number } {
  return new KafkaJSProtocolError(errorEntry(code));
}
