/**
 * TxnOffsetCommit v3 (KIP-447) for KafkaJS 2.2.4, plugged in without forking it. KafkaJS sends
 * v0/v1, which carry no consumer generation: the group coordinator then accepts a transaction's
 * offsets from any producer, so with one transactional producer per instance a zombie (an
 * instance whose partitions were rebalanced away) could still commit. v3 carries the consumer's
 * generation, member id and group instance id, and the coordinator refuses the offsets of a
 * generation that is over (ILLEGAL_GENERATION) or a member it does not know (UNKNOWN_MEMBER_ID).
 *
 * KafkaJS's `transaction.sendOffsets({ consumerGroupId, topics })` reaches the coordinator as
 * `broker.txnOffsetCommit({ transactionalId, groupId, producerId, producerEpoch, topics })`: no
 * room for a member. So the member comes from a registry, {@link setTxnMember}, keyed by
 * transactional id and group; without an entry the request carries generation -1 and member
 * "" (what v0 means, accepted for transactional commits whatever the group's members).
 *
 * The v3 request and response are flexible versions (clients/src/main/resources/common/message/
 * TxnOffsetCommit{Request,Response}.json). The response's error codes become KafkaJS errors
 * whose `type` names them (lib/kafka/kafkajs/protocol_errors.ts).
 *
 * KafkaJS's `protocol/requests/index.js` binds the TxnOffsetCommit definitions when it loads,
 * which is when `kafkajs` is first imported: so the swap happens in this module's body, and
 * `lib/kafka/kafkajs.ts` imports this module before KafkaJS.
 * @module
 */
import { swapIn } from "./swap.ts";
import { FlexReader, FlexWriter, type Int64 } from "./flexible.ts";
import { errorFromCode } from "./protocol_errors.ts";
import type { RequestDefinitions } from "./group_membership.ts";

/** The consumer whose offsets a transaction commits: fenced when its generation is over. */
export interface TxnMember {
  generationId: number;
  memberId: string;
  /** The consumer's static membership id (KIP-345), or null. */
  groupInstanceId: string | null;
}

/** What KafkaJS's broker passes for one TxnOffsetCommit request. */
export interface TxnOffsetCommitInput {
  transactionalId: string;
  groupId: string;
  producerId: Int64;
  producerEpoch: number;
  topics: {
    topic: string;
    partitions: { partition: number; offset: Int64; metadata?: string | null }[];
  }[];
}

/** A decoded TxnOffsetCommit answer, shaped as KafkaJS's v1 decoder shapes it. */
export interface TxnOffsetCommitAnswer {
  throttleTime: number;
  clientSideThrottleTime: number;
  topics: { topic: string; partitions: { partition: number; errorCode: number }[] }[];
}

/** What v3 sends when no member is registered: v0's meaning. */
export const NO_MEMBER: TxnMember = { generationId: -1, memberId: "", groupInstanceId: null };

const API_KEY = 28;
const members = new Map<string, TxnMember>();
const key = (transactionalId: string, groupId: string) =>
  JSON.stringify([transactionalId, groupId]);

/**
 * The member whose generation the offsets that `transactionalId` commits for `groupId` carry
 * from now on; `undefined` forgets it (then generation -1 and member "" are sent).
 */
export function setTxnMember(
  transactionalId: string,
  groupId: string,
  m: TxnMember | undefined,
): void {
  if (m === undefined) members.delete(key(transactionalId, groupId));
  else members.set(key(transactionalId, groupId), { ...m });
}

/** The member registered for `transactionalId` and `groupId`, if any. */
export function txnMemberOf(transactionalId: string, groupId: string): TxnMember | undefined {
  const m = members.get(key(transactionalId, groupId));
  return m && { ...m };
}

/** The body of a TxnOffsetCommit v3 request (header tags first; module doc). */
export function encodeTxnOffsetCommitV3(input: TxnOffsetCommitInput, m: TxnMember): FlexWriter {
  const w = new FlexWriter().tags()
    .compactString(input.transactionalId)
    .compactString(input.groupId)
    .int64(input.producerId)
    .int16(input.producerEpoch)
    .int32(m.generationId)
    .compactString(m.memberId)
    .compactString(m.groupInstanceId);
  w.compactArray(input.topics, (w, t) => {
    w.compactString(t.topic);
    w.compactArray(t.partitions, (w, p) => {
      w.int32(p.partition).int64(p.offset).int32(-1).compactString(p.metadata ?? null).tags();
    });
    w.tags();
  });
  return w.tags();
}

/** Decodes a TxnOffsetCommit v3 answer (what follows the correlation id). */
export function decodeTxnOffsetCommitV3(raw: Uint8Array): TxnOffsetCommitAnswer {
  const r = new FlexReader(raw);
  r.tags();
  const throttle = r.int32();
  const topics = r.compactArray((r) => {
    const topic = r.compactString() ?? "";
    const partitions = r.compactArray((r) => {
      const p = { partition: r.int32(), errorCode: r.int16() };
      r.tags();
      return p;
    });
    r.tags();
    return { topic, partitions };
  });
  r.tags();
  return { throttleTime: 0, clientSideThrottleTime: throttle, topics };
}

/** The answer, or the KafkaJS error of its first failed partition (as KafkaJS's parse). */
export function parseTxnOffsetCommit(answer: TxnOffsetCommitAnswer): TxnOffsetCommitAnswer {
  for (const t of answer.topics) {
    for (const p of t.partitions) if (p.errorCode !== 0) throw errorFromCode(p.errorCode);
  }
  return answer;
}

/** KafkaJS's v3 request object for `input`, carrying the member registered for it. */
export function txnOffsetCommitV3(input: TxnOffsetCommitInput) {
  const member = members.get(key(input.transactionalId, input.groupId)) ?? NO_MEMBER;
  return {
    request: {
      apiKey: API_KEY,
      apiVersion: 3,
      apiName: "TxnOffsetCommit",
      encode: () => Promise.resolve(encodeTxnOffsetCommitV3(input, member).body()),
    },
    response: {
      decode: (raw: Uint8Array) => Promise.resolve(decodeTxnOffsetCommitV3(raw)),
      parse: (answer: TxnOffsetCommitAnswer) => Promise.resolve(parseTxnOffsetCommit(answer)),
    },
  };
}

/** Thrown instead of sending a version without generation when a member is registered. */
export class TxnOffsetCommitUnsupported extends Error {
  override name = "TxnOffsetCommitUnsupported";
  /** Not retried by KafkaJS's retrier (it retries errors not marked false). */
  readonly retriable = false;
}

type Definitions = RequestDefinitions<TxnOffsetCommitInput>;

/**
 * KafkaJS's TxnOffsetCommit definitions with v3 added: a broker that serves v3 (Kafka 2.5 and
 * later) gets it. An older one gets KafkaJS's own v0/v1 while no member is registered; with a
 * member, sending without its generation would drop the fencing asked for, so it throws.
 */
export function withV3(kafkajs: Definitions): Definitions {
  const own = kafkajs.versions.map(Number);
  return {
    versions: [...kafkajs.versions, "3"],
    protocol: ({ version }) => {
      if (version >= 3) return txnOffsetCommitV3;
      const theirs = kafkajs.protocol({ version: Math.max(...own.filter((v) => v <= version)) });
      return (input) => {
        if (!members.has(key(input.transactionalId, input.groupId))) return theirs(input);
        throw new TxnOffsetCommitUnsupported(
          `the group coordinator serves TxnOffsetCommit up to v${version}; committing offsets ` +
            `with the consumer's generation (KIP-447) needs v3 (Kafka 2.5 or later)`,
        );
      };
    },
  };
}

/** The codes that mean the consumer's generation is over: it must not commit. */
const GENERATION_FENCED = new Set([
  "ILLEGAL_GENERATION", // 22
  "UNKNOWN_MEMBER_ID", // 25
  "REBALANCE_IN_PROGRESS", // 27
  "FENCED_INSTANCE_ID", // 82
]);

/**
 * Whether `error` (or what it wraps: `cause`, `originalError`) says the consumer generation the
 * offsets carried is over: ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, or
 * REBALANCE_IN_PROGRESS. The transaction must then be aborted and its partitions given up.
 */
export function isGenerationFenced(error: unknown): boolean {
  const seen = new Set<unknown>();
  let e = error as { type?: unknown; cause?: unknown; originalError?: unknown } | null;
  while (e && typeof e === "object" && !seen.has(e)) {
    if (typeof e.type === "string" && GENERATION_FENCED.has(e.type)) return true;
    seen.add(e);
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return false;
}

const PATH = "kafkajs/src/protocol/requests/txnOffsetCommit/index.js";
const REQUESTS = "kafkajs/src/protocol/requests/index.js";
const swap = swapIn<Definitions>(PATH, REQUESTS, withV3);
/** KafkaJS's own TxnOffsetCommit definitions (v0, v1). */
export const kafkajsTxnOffsetCommit = swap.original;

/** Whether KafkaJS's `sendOffsets` commits with TxnOffsetCommit v3 in this process. */
export function txnOffsetCommitV3Installed(): boolean {
  return swap.installed();
}
