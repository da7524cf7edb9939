/**
 * Which input a relay stage reads (docs/service.md, "Several instances"): the foot topic in the
 * foot group or the shelf topic in the shelf group. Both are relayed because upstream producers
 * do not agree on a partitioner (librdkafka clients and kcat default to CRC32), so neither input
 * can be trusted to be keyed as the checkout tasks need.
 * @module
 */
import type { ServiceConfig } from "../../cli/config.ts";
import type { RelaySource } from "../relay_records.ts";
import type { StageKind } from "../stage.ts";

/** A relay stage's input: its source name, topic and consumer group. */
export interface RelayInput {
  /** "foot" or "shelf": how records are decoded, and the first part of the `pos-src` header. */
  source: RelaySource;
  /** The input topic. */
  topic: string;
  /** The consumer group (its lag is the input's lag for an operator). */
  groupId: string;
}

/** The stage kind of a relay of `source`: metric label and transactional-id part. */
export function relayStageKind(source: RelaySource): StageKind {
  return source === "foot" ? "foot-relay" : "shelf-relay";
}

/** Both relays' inputs from the configuration: foot in GROUP_ID_FOOT, shelf in GROUP_ID_SHELF. */
export function relayInputs(config: ServiceConfig): RelayInput[] {
  return [
    { source: "foot", topic: config.footTopic, groupId: config.groupIdFoot },
    { source: "shelf", topic: config.shelfTopic, groupId: config.groupIdShelf },
  ];
}
