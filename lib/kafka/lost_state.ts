/**
 * A broker that lost the service's data, told loudly (issue 24). A broker restarted without its
 * data (`deno task kafka` without `--data`, a container without a volume) comes back empty: the
 * service reconnects, makes its internal topics anew and goes on with no open carts. That is
 * not a start: the changelog (`STATE_TOPIC`) and the committed offsets are gone, and with them
 * the carts and sessions the service held. So when the internal topics were missing while this
 * process had them before (in an earlier life: it restarts after every failure), or the
 * changelog was missing while the input groups have committed offsets, one error line says what
 * was lost and what to do.
 * @module
 */
import type { Admin } from "kafkajs";
import type { ServiceConfig } from "../cli/config.ts";

/** What this process held when its last life that ran its stages ended. */
export interface HeldState {
  carts: number;
  sessions: number;
}

/** What {@link stateLossLine} is told about one life's start. */
export interface LossFacts {
  /** Internal topics missing at this life's start, made anew. */
  created: string[];
  /** The internal topics existed (or were made) in an earlier life of this process. */
  hadTopics: boolean;
  /** What the process held when its last running life ended (none: it never ran). */
  held?: HeldState;
  /** The process committed before (its offsets existed). */
  committedBefore: boolean;
  /** The input groups have committed offsets now. */
  offsetsNow: boolean;
}

/**
 * The one line telling that the broker lost the service's data, or undefined when the internal
 * topics were made for a start (nothing was held, no offsets exist).
 */
export function stateLossLine(
  config: Pick<ServiceConfig, "stateTopic" | "repartitionTopic" | "groupIdFoot" | "groupIdShelf">,
  facts: LossFacts,
): string | undefined {
  const { created, hadTopics, held, committedBefore, offsetsNow } = facts;
  if (created.length === 0) return undefined;
  const stateGone = created.includes(config.stateTopic);
  // First life: a missing changelog is a loss only when the groups say the inputs were read.
  if (!hadTopics && !(stateGone && offsetsNow)) return undefined;
  const names = created.map((t) =>
    `${t} (${t === config.stateTopic ? "STATE_TOPIC" : "REPARTITION_TOPIC"})`
  );
  const gone = [
    ...(stateGone ? ["the changelog of open carts and sessions"] : []),
    ...(created.includes(config.repartitionTopic)
      ? ["the records forwarded to the repartition topic and not yet checked out"]
      : []),
    ...(committedBefore && !offsetsNow
      ? [
        `the committed offsets of ${config.groupIdFoot} (GROUP_ID_FOOT) and ` +
        `${config.groupIdShelf} (GROUP_ID_SHELF): the inputs are read again from the ` +
        `earliest record the broker has`,
      ]
      : []),
  ];
  const lost = stateGone && held && (held.carts > 0 || held.sessions > 0)
    ? `; lost: the ${held.carts} open carts and ${held.sessions} open sessions this instance ` +
      `held (those visits are billed from their later events only, or not at all)`
    : stateGone
    ? "; the open carts and sessions it held are lost"
    : "";
  const cause = hadTopics
    ? "the broker lost this service's data (restarted without it?) or they were deleted"
    : "they were deleted while the input groups kept their committed offsets";
  return `${names.join(" and ")} ${created.length === 1 ? "was" : "were"} missing and ` +
    `${created.length === 1 ? "is" : "are"} made anew: ${cause}; gone with ` +
    `${created.length === 1 ? "it" : "them"}: ${gone.join(", ")}${lost}. Keep the broker's ` +
    `data across restarts (deno task kafka --data DIR; a broker's log.dirs on lasting ` +
    `storage), and send the lost visits' records again if their producers still have them`;
}

/** Whether `groups` have a committed offset for any partition of their topic. */
export async function groupsHaveOffsets(
  admin: Admin,
  groups: { groupId: string; topic: string }[],
): Promise<boolean> {
  for (const { groupId, topic } of groups) {
    const res = await admin.fetchOffsets({ groupId, topics: [topic] });
    if (res.some((t) => t.partitions.some((p) => Number(p.offset) >= 0))) return true;
  }
  return false;
}

/** What the process remembers across its lives for {@link stateLossLine}. */
export class StateHistory {
  /** The internal topics existed (or were made) in a life of this process. */
  hadTopics = false;
  /** What the last life that ran its stages held when it ended. */
  held: HeldState | undefined;
  /** The current life got past the topology check (its stages ran). */
  running = false;
}
