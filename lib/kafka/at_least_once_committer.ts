/**
 * At-least-once: a commit writes the transactions, DLQ records and changelog with the idempotent
 * producer (acks=all), then commits the input offsets through the consumers. A crash in between
 * re-delivers records the restored carts already hold; the engine ignores them by offset.
 * @module
 */
import type { Consumer, Producer } from "kafkajs";
import type { Source } from "../core/mod.ts";
import type { Commit } from "../drive/committer.ts";
import { type InputOffsets, SOURCES } from "./input_positions.ts";
import { chunked, outputBatches, type OutputTopics } from "./output_messages.ts";
import type { InputGroups, KafkaCommitter } from "./committer.ts";

/** Test fault: exit (as a SIGKILL would) after this many output writes, before their offsets. */
export interface WriteFault {
  exitAfterWrites?: number;
  /** How to exit; default: a warning is the caller's, `Deno.exit(137)` here. */
  onExit?: () => void;
}

/** Writes, then commits offsets. */
export class AtLeastOnceCommitter implements KafkaCommitter {
  readonly keepsState = true;
  #writes = 0;

  constructor(
    private readonly producer: Producer,
    private readonly consumers: Record<Source, Consumer>,
    private readonly outputs: OutputTopics,
    private readonly inputs: InputGroups,
    private readonly fault: WriteFault = {},
  ) {}

  /** Outputs and changelog first, then the offsets: a crash in between re-reads, never loses. */
  async commit(c: Commit<InputOffsets>): Promise<void> {
    for (const chunk of chunked(outputBatches(c, this.outputs))) {
      await this.producer.sendBatch({ topicMessages: chunk, acks: -1 });
    }
    if (++this.#writes === this.fault.exitAfterWrites) {
      this.fault.onExit?.();
      Deno.exit(137);
    }
    for (const source of SOURCES) {
      if (c.offsets[source].length === 0) continue;
      await this.consumers[source].commitOffsets(
        c.offsets[source].map((o) => ({ topic: this.inputs.topics[source], ...o })),
      );
    }
  }

  /** No transactional id, nothing to be fenced from. */
  probe(): Promise<void> {
    return Promise.resolve();
  }
}
