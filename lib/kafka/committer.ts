/**
 * Where the service commits a checkout: the {@link KafkaCommitter} for the configured delivery
 * (exactly_once_committer.ts: one Kafka transaction; at_least_once_committer.ts: writes, then
 * offsets). The commit loop (commit_loop.ts) decides when; these decide how.
 * @module
 */
import type { Consumer, Producer } from "kafkajs";
import type { Source } from "../core/mod.ts";
import type { Committer } from "../drive/committer.ts";
import type { InputOffsets } from "./input_offsets.ts";
import type { OutputTopics } from "./output_messages.ts";
import { ExactlyOnceCommitter } from "./exactly_once_committer.ts";
import { AtLeastOnceCommitter } from "./at_least_once_committer.ts";

/** A committer of the service: commits, and can check that no other instance took over. */
export interface KafkaCommitter extends Committer<InputOffsets> {
  /**
   * A commit of the offsets as they already are (`committed`): harmless, but it fails when a
   * newer instance has fenced us, which is how a zombie finds out before doing harm. A no-op
   * where there is no fencing (at-least-once).
   */
  probe(committed: InputOffsets): Promise<void>;
}

/** The input topics and their consumer groups, by source (where offsets go). */
export interface InputGroups {
  topics: Record<Source, string>;
  groups: Record<Source, string>;
}

/** What a Kafka committer writes with. */
export interface KafkaCommitterDeps {
  delivery: "exactly-once" | "at-least-once";
  producer: Producer;
  consumers: Record<Source, Consumer>;
  outputs: OutputTopics;
  inputs: InputGroups;
  transactionalId: string;
  /** Test fault (at-least-once): exit after this many output writes, before the offsets. */
  exitBeforeOffsetCommitAfter?: number;
  onTestExit?: () => void;
}

/** The committer for `deps.delivery`. */
export function kafkaCommitter(deps: KafkaCommitterDeps): KafkaCommitter {
  return deps.delivery === "exactly-once"
    ? new ExactlyOnceCommitter(deps.producer, deps.outputs, deps.inputs, deps.transactionalId)
    : new AtLeastOnceCommitter(deps.producer, deps.consumers, deps.outputs, deps.inputs, {
      exitAfterWrites: deps.exitBeforeOffsetCommitAfter,
      onExit: deps.onTestExit,
    });
}
