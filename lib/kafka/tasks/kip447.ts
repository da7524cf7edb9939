/**
 * STUB until the KIP-447 requests land: generation-checked offset commits and stable offset
 * reads.
 * @module
 */
import type { Kafka } from "kafkajs";

/** A member of the tasks' group, as its offset commits carry it. */
export interface GroupMember {
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

/** The generation of member `memberId` (its last join). */
export function generationOf(_memberId: string): number | undefined {
  return undefined;
}

/** The member a producer's offset commits for `groupId` carry. */
export function setTxnMember(
  _transactionalId: string,
  _groupId: string,
  _m: GroupMember | undefined,
): void {}

/** Whether `e` says the member's generation is over (a rebalance, or it was removed). */
export function isGenerationFenced(e: unknown): boolean {
  const t = (e as { type?: string })?.type;
  return t === "ILLEGAL_GENERATION" || t === "UNKNOWN_MEMBER_ID" || t === "REBALANCE_IN_PROGRESS" ||
    t === "FENCED_INSTANCE_ID";
}

/** Committed offsets of `groupId` for `topics`, waiting for pending transactional commits. */
export async function fetchStableOffsets(
  kafka: Kafka,
  groupId: string,
  topics: string[],
): Promise<Map<string, Map<number, bigint>>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const out = new Map<string, Map<number, bigint>>();
    for (const t of await admin.fetchOffsets({ groupId, topics })) {
      out.set(t.topic, new Map(t.partitions.map((p) => [p.partition, BigInt(p.offset)])));
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}
