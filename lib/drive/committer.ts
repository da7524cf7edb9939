/**
 * The commit boundary between the pure engine and wherever its results go: one {@link Commit} is
 * everything the engine produced since the previous one, plus the input positions it covers, and
 * a {@link Committer} makes it durable as a whole or not at all. Replay, the demo and the tests
 * commit through lib/drive/memory_committer.ts; the Kafka service writes one commit per instance
 * of all its tasks (lib/kafka/tasks/instance_commit.ts, instance_committer.ts).
 * @module
 */
import type { DlqRecord, TransactionOut } from "../core/mod.ts";

/**
 * One commit's worth. Output, changelog and offsets travel together so that a crash can never
 * keep some of them and lose the others (SPEC §6).
 */
export interface Commit<O> {
  /** Checked-out visits, in the order the engine emitted them. */
  transactions: TransactionOut[];
  /** Records for the dead-letter output. */
  dlq: DlqRecord[];
  /** The coalesced changelog: customer id → latest state, or null (a tombstone). */
  state: ReadonlyMap<string, string | null>;
  /** The input positions this commit covers (Kafka: next offsets per partition). */
  offsets: O;
}

/** Where commits go. Offline committers are synchronous; Kafka's are not. */
export interface Committer<O> {
  /**
   * Whether commits carry the changelog. Offline runs never restart, so they skip serializing
   * every touched cart at each commit (it would cost replay its speed).
   */
  readonly keepsState: boolean;
  /** Makes `c` durable, all of it or none; throws (after undoing what it can) on failure. */
  commit(c: Commit<O>): void | Promise<void>;
}

/** An empty state map, shared by commits that carry no changelog (never mutated). */
export const NO_STATE: ReadonlyMap<string, string | null> = new Map();
