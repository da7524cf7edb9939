/**
 * Exactly-once: one commit is one Kafka transaction holding the transactions, the DLQ records,
 * the changelog and the input offsets of both consumer groups (`sendOffsets`). Any failure
 * aborts it; a failure that means another instance took over becomes a {@link FencedError}.
 * @module
 */
import type { Producer, Transaction } from "kafkajs";
import type { Commit } from "../drive/committer.ts";
import type { InputOffsets } from "./input_offsets.ts";
import { SOURCES } from "./input_offsets.ts";
import { chunked, outputBatches, type OutputTopics } from "./output_messages.ts";
import { asFenced, retryingConcurrent } from "./fencing.ts";
import type { InputGroups, KafkaCommitter } from "./committer.ts";

/** Commits through the transactional producer. */
export class ExactlyOnceCommitter implements KafkaCommitter {
  readonly keepsState = true;

  constructor(
    private readonly producer: Producer,
    private readonly outputs: OutputTopics,
    private readonly inputs: InputGroups,
    private readonly transactionalId: string,
  ) {}

  /** Output, changelog and offsets in one transaction: all of them, or (aborted) none. */
  commit(c: Commit<InputOffsets>): Promise<void> {
    return this.#transaction(async (tx) => {
      for (const chunk of chunked(outputBatches(c, this.outputs))) {
        await tx.sendBatch({ topicMessages: chunk });
      }
      await this.#sendOffsets(tx, c.offsets);
    });
  }

  /** A transaction of the committed offsets only: fails when a newer instance fenced us. */
  probe(committed: InputOffsets): Promise<void> {
    return this.#transaction((tx) => this.#sendOffsets(tx, committed));
  }

  async #sendOffsets(tx: Transaction, offsets: InputOffsets): Promise<void> {
    for (const source of SOURCES) {
      if (offsets[source].length === 0) continue;
      await retryingConcurrent(() =>
        tx.sendOffsets({
          consumerGroupId: this.inputs.groups[source],
          topics: [{ topic: this.inputs.topics[source], partitions: offsets[source] }],
        })
      );
    }
  }

  /** Runs `body` in a transaction and commits it; on any failure aborts and rethrows. */
  async #transaction(body: (tx: Transaction) => Promise<void>): Promise<void> {
    const openedAt = Date.now();
    const tx = await this.producer.transaction();
    try {
      await body(tx);
      await tx.commit();
    } catch (e) {
      await tx.abort().catch(() => {});
      throw asFenced(e, openedAt, this.transactionalId);
    }
  }
}
