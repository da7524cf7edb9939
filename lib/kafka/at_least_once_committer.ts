/**
 * At-least-once: a commit writes the transactions, DLQ records and changelog with the idempotent
 * producer (acks=all), then commits the input offsets through the consumers. A crash in between
 * re-delivers records the restored carts already hold; the engine ignores them by offset.
 * @module
 */
import type { Consumer, Producer } from "kafkajs";
import { PROGRESS_KEY, type Source } from "../core/mod.ts";
import type { Commit } from "../drive/committer.ts";
import { type InputOffsets, SOURCES } from "./input_offsets.ts";
import { chunked, outputBatches, type OutputTopics } from "./output_messages.ts";
import type { InputGroups, KafkaCommitter } from "./committer.ts";

/**
 * Test fault: exit (as a SIGKILL would) after this many output writes, before their offsets.
 * Only writes that carry transactions or customer state count (see {@link carriesCustomers}):
 * a crash after a write of the stream-time record alone would re-deliver nothing the restored
 * carts hold, and the fault is there to prove re-delivered records are counted once.
 */
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
    if (carriesCustomers(c) && ++this.#writes === this.fault.exitAfterWrites) {
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

/** Whether `c` writes transactions or some customer's state (not only the progress record). */
export function carriesCustomers(c: Commit<unknown>): boolean {
  if (c.transactions.length > 0) return true;
  for (const key of c.state.keys()) if (key !== PROGRESS_KEY) return true;
  return false;
}
