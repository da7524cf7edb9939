/**
 * The generation a KafkaJS 2.2.4 consumer is in, which KafkaJS keeps to itself: a transactional
 * producer needs it (with the member id) to commit offsets the group coordinator fences when
 * the consumer has been rebalanced away (KIP-447; lib/kafka/kafkajs/txn_offset_commit.ts). The
 * `GROUP_JOIN` event tells the member id but not the generation, and the consumer's group
 * object is private to it. Every JoinGroup answer carries both, so KafkaJS's JoinGroup request
 * is wrapped: each successful answer records `memberId → { groupId, generationId }` for the
 * process. That is the generation a Java consumer's `groupMetadata()` reports too: the one of
 * its last successful join, set before its SyncGroup.
 *
 * KafkaJS's `protocol/requests/index.js` binds the JoinGroup definitions when it loads, which
 * is when `kafkajs` is first imported: so the swap happens in this module's body, and
 * `lib/kafka/kafkajs.ts` imports this module before KafkaJS.
 *
 * @example
 * ```ts ignore
 * consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
 *   const generationId = generationOf(payload.memberId); // this join's generation
 * });
 * ```
 * @module
 */
import { swapIn } from "./swap.ts";

/** A member's group and the generation of its last successful join. */
export interface Membership {
  groupId: string;
  memberId: string;
  generationId: number;
}

/** At most this many members are remembered (the oldest answer is forgotten first). */
export const REMEMBERED_MEMBERS = 1024;

const byMember = new Map<string, Membership>();

/** Records a successful join (the newest answer for a member wins). */
export function recordJoin(m: Membership): void {
  byMember.delete(m.memberId);
  byMember.set(m.memberId, { ...m });
  if (byMember.size > REMEMBERED_MEMBERS) byMember.delete(byMember.keys().next().value!);
}

/** The generation of `memberId`'s last successful join in this process, if it joined. */
export function generationOf(memberId: string): number | undefined {
  return byMember.get(memberId)?.generationId;
}

/** `memberId`'s group and generation as of its last successful join, if it joined. */
export function membershipOf(memberId: string): Membership | undefined {
  const m = byMember.get(memberId);
  return m && { ...m };
}

/** What KafkaJS's broker passes to build a JoinGroup request (as far as read here). */
interface JoinArgs {
  groupId: string;
  [k: string]: unknown;
}
/** A decoded JoinGroup answer (as far as read here). */
interface JoinAnswer {
  generationId: number;
  memberId: string;
}
/** A request KafkaJS's connection sends: the request, its decoder, and options. */
interface ProtocolRequest {
  request: unknown;
  response: { decode(raw: unknown): Promise<unknown>; parse(data: unknown): Promise<unknown> };
  [k: string]: unknown;
}
/** A KafkaJS request module's exports: its versions and a builder per version. */
export interface RequestDefinitions<A> {
  versions: string[];
  protocol(p: { version: number }): (args: A) => ProtocolRequest;
}

/** KafkaJS's JoinGroup definitions, each answer's `parse` recording the join it reports. */
export function recordingJoins(defs: RequestDefinitions<JoinArgs>): RequestDefinitions<JoinArgs> {
  return {
    versions: defs.versions,
    protocol: ({ version }) => {
      const build = defs.protocol({ version });
      return (args) => {
        const built = build(args);
        const { decode, parse } = built.response;
        const response = {
          decode: (raw: unknown) => decode(raw),
          parse: async (data: unknown) => {
            const answer = await parse(data) as JoinAnswer;
            const { memberId, generationId } = answer;
            recordJoin({ groupId: args.groupId, memberId, generationId });
            return answer;
          },
        };
        return { ...built, response };
      };
    },
  };
}

const PATH = "kafkajs/src/protocol/requests/joinGroup/index.js";
const REQUESTS = "kafkajs/src/protocol/requests/index.js";
const swap = swapIn<RequestDefinitions<JoinArgs>>(PATH, REQUESTS, recordingJoins);
/** KafkaJS's own JoinGroup definitions. */
export const kafkajsJoinGroup = swap.original;

/** Whether KafkaJS's JoinGroup answers are recorded in this process. */
export function membershipRecordingInstalled(): boolean {
  return swap.installed();
}
