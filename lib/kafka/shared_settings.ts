/**
 * The settings every instance of one application must share, and the refusal of an instance
 * whose consumer groups hold members that disagree (docs/service.md, "Instances that disagree
 * are refused").
 *
 * Instances that share the input groups (`GROUP_ID_FOOT`, `GROUP_ID_SHELF`) but not the
 * application id are two applications, each with its own tasks' group: each reads the whole
 * input, bills every visit, and commits the input groups' offsets over the other's, and nothing
 * fails. Within one application, instances that disagree on the repartition topic, the
 * changelog, the output topic, the input groups or the delivery bill wrongly as silently. So
 * every member of the service's consumer groups says its settings in its group metadata (the
 * tasks' group's `PosTasks` assigner and the input groups' members that read nothing,
 * lib/kafka/tasks/presence.ts, with a round-robin one, carry them as userData, which KafkaJS
 * sends with every join), and each instance reads its groups' members (DescribeGroups) before
 * it joins and again at every rebalance, before any task starts: one that meets another
 * setting refuses to run (`pos-producer run` exits 2 with one line).
 * @module
 */
import { Buffer } from "node:buffer";
import type { Admin, GroupDescription, PartitionAssigner } from "kafkajs";
import { AssignerProtocol, PartitionAssigners } from "./kafkajs.ts";
import type { ServiceConfig } from "../cli/config.ts";
import { TopologyError } from "./topics.ts";

/** What instances of one application must agree on. */
export interface SharedSettings {
  /** APPLICATION_ID (else TRANSACTIONAL_ID): transactional ids, checkout group, repartition. */
  app: string;
  footGroup: string;
  shelfGroup: string;
  repartition: string;
  state: string;
  pos: string;
  delivery: string;
}

/** The shared settings of `config`. */
export function sharedSettings(
  config: Pick<
    ServiceConfig,
    | "applicationId"
    | "groupIdFoot"
    | "groupIdShelf"
    | "repartitionTopic"
    | "stateTopic"
    | "posTopic"
    | "delivery"
  >,
): SharedSettings {
  return {
    app: config.applicationId,
    footGroup: config.groupIdFoot,
    shelfGroup: config.groupIdShelf,
    repartition: config.repartitionTopic,
    state: config.stateTopic,
    pos: config.posTopic,
    delivery: config.delivery,
  };
}

/** The settings after the application id, in the order a disagreement is told. */
const OTHER_FIELDS: { field: keyof SharedSettings; env: string; otherwise: string }[] = [
  {
    field: "footGroup",
    env: "GROUP_ID_FOOT",
    otherwise: "the foot topic's offsets are split between two groups: a foot partition that " +
      "moves to another instance goes on from that instance's group's offset",
  },
  {
    field: "shelfGroup",
    env: "GROUP_ID_SHELF",
    otherwise: "the shelf topic's offsets are split between two groups: a shelf partition " +
      "that moves to another instance goes on from that instance's group's offset",
  },
  {
    field: "repartition",
    env: "REPARTITION_TOPIC",
    otherwise: "forwarded records go to two repartition topics, and a task reads only one",
  },
  {
    field: "state",
    env: "STATE_TOPIC",
    otherwise: "a task that moves restores its carts from the other changelog",
  },
  {
    field: "pos",
    env: "POS_TOPIC",
    otherwise: "the transactions are split between two topics",
  },
  {
    field: "delivery",
    env: "DELIVERY",
    otherwise: "tasks that move between them lose exactly-once",
  },
];

/** The key of the settings in a member's userData (JSON). */
const KEY = "shares";

/** `settings` as the userData JSON field (with `extra` fields, e.g. the tasks a member owns). */
export function settingsUserData(
  settings: SharedSettings | undefined,
  extra: Record<string, unknown> = {},
): Buffer {
  return Buffer.from(JSON.stringify(settings ? { ...extra, [KEY]: settings } : extra));
}

/** The settings in a member's userData; undefined for anything else (an older version). */
export function decodeSettings(
  userData: Uint8Array | null | undefined,
): SharedSettings | undefined {
  if (!userData || userData.length === 0) return undefined;
  try {
    const v = (JSON.parse(new TextDecoder().decode(userData)) as Record<string, unknown>)[KEY];
    if (typeof v !== "object" || v === null) return undefined;
    const s = v as Record<string, unknown>;
    if (typeof s.app !== "string") return undefined;
    return s as unknown as SharedSettings;
  } catch {
    return undefined;
  }
}

/**
 * KafkaJS's round-robin assigner (the input groups' members that read nothing), its name and
 * assignment unchanged (any KafkaJS member can join), with `settings` in the metadata every
 * join sends.
 */
export function roundRobinWithSettings(settings: SharedSettings): PartitionAssigner {
  return (config) => {
    const inner = PartitionAssigners.roundRobin(config);
    return {
      name: inner.name,
      version: inner.version,
      assign: (group) => inner.assign.call(inner, group),
      protocol: ({ topics }) => ({
        name: inner.name,
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: inner.version,
          topics,
          userData: settingsUserData(settings),
        }),
      }),
    };
  };
}

/** Instances of one application disagree: a restart does not help (exit 2, one line). */
export class MixedSettingsError extends TopologyError {
  override name = "MixedSettingsError";
}

/** A consumer group of the service and the variable that names it. */
export interface ServiceGroup {
  groupId: string;
  /** e.g. "GROUP_ID_SHELF"; undefined for the checkout group (`<APPLICATION_ID>-checkout`). */
  env?: string;
}

/** A member of a group as DescribeGroups tells it, with its settings when it says them. */
export interface GroupMember {
  clientId: string;
  clientHost: string;
  settings: SharedSettings | undefined;
}

/**
 * The one line that refuses this instance, or undefined when every member of `group` that says
 * its settings agrees with `mine` (members of other versions say nothing and are let be).
 */
export function disagreement(
  mine: SharedSettings,
  group: ServiceGroup,
  members: GroupMember[],
): string | undefined {
  const told = members.filter((m) => m.settings !== undefined);
  const groupText = group.env
    ? `the input group ${group.groupId} (${group.env})`
    : `the checkout group ${group.groupId}`;
  const otherApp = told.filter((m) => m.settings!.app !== mine.app);
  if (otherApp.length > 0) {
    const theirs = otherApp[0].settings!.app;
    const same = otherApp.filter((m) => m.settings!.app === theirs);
    return `${groupText} is used by application ${theirs} (${membersText(same)}), this ` +
      `instance is application ${mine.app}: instances of one service share APPLICATION_ID ` +
      `(and TRANSACTIONAL_ID, which stands for it when it is unset), else each reads the whole ` +
      `input, bills every visit and commits its offsets over the other's: set ` +
      `APPLICATION_ID=${theirs}, or give this application its own GROUP_ID_FOOT/GROUP_ID_SHELF`;
  }
  for (const { field, env, otherwise } of OTHER_FIELDS) {
    const other = told.filter((m) => m.settings![field] !== mine[field]);
    if (other.length === 0) continue;
    const theirs = String(other[0].settings![field]);
    const same = other.filter((m) => m.settings![field] === theirs);
    return `instances of application ${mine.app} disagree on ${env}: members of ${groupText} ` +
      `(${membersText(same)}) have ${env}=${theirs}, this instance ${env}=${mine[field]}; ` +
      `every instance needs the same (else ${otherwise}): set ${env}=${theirs} here, or stop ` +
      `those instances first`;
  }
  return undefined;
}

/** "2 members: pos-producer at 10.0.0.5, pos-producer at 10.0.0.6". */
function membersText(members: GroupMember[]): string {
  const shown = members.slice(0, 3).map((m) =>
    `${m.clientId} at ${m.clientHost.replace(/^\//, "")}`
  );
  const more = members.length > 3 ? `, ${members.length - 3} more` : "";
  return `${members.length === 1 ? "1 member" : `${members.length} members`}: ` +
    shown.join(", ") + more;
}

/** The members of a described group, their settings decoded from the protocol metadata. */
export function groupMembers(group: GroupDescription): GroupMember[] {
  return group.members.map((m) => {
    let settings: SharedSettings | undefined;
    try {
      const meta = AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
      settings = decodeSettings(meta?.userData);
    } catch {
      settings = undefined; // not a consumer protocol we know: nothing said
    }
    return { clientId: m.clientId, clientHost: m.clientHost, settings };
  });
}

/**
 * Reads the members of `groups` (one DescribeGroups) and throws {@link MixedSettingsError} with
 * the first disagreement found.
 */
export async function refuseDisagreement(
  admin: Admin,
  mine: SharedSettings,
  groups: ServiceGroup[],
): Promise<void> {
  const { groups: described } = await admin.describeGroups(groups.map((g) => g.groupId));
  for (const g of groups) {
    const d = described.find((x) => x.groupId === g.groupId);
    if (!d) continue;
    const line = disagreement(mine, g, groupMembers(d));
    if (line !== undefined) throw new MixedSettingsError(line);
  }
}
