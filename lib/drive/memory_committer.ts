/**
 * The offline committer: commits land in memory. Replay and the demo collect transactions and
 * DLQ records; the engine's property tests also keep the changelog, to restore from it.
 * @module
 */
import { type DlqRecord, parseIsoMicros, type TransactionOut } from "../core/mod.ts";
import type { Commit, Committer } from "./committer.ts";

/**
 * Collects every commit; `keepsState` also folds the changelog into {@link changelog}. `O` is
 * the input positions a commit covers (none offline; modelled offsets in tests).
 */
export class MemoryCommitter<O = void> implements Committer<O> {
  /** Every committed transaction, in commit order. */
  readonly transactions: TransactionOut[] = [];
  /** DLQ records of the latest commit only (callers take them as they come, to bound memory). */
  dlq: DlqRecord[] = [];
  /** The changelog as a compacted topic would hold it: last value per key, tombstones delete. */
  readonly changelog = new Map<string, string>();
  commits = 0;
  /** The positions of the latest commit. */
  offsets: O | undefined = undefined;

  constructor(readonly keepsState = false) {}

  /** Keeps the commit's output; folds its state changes into the changelog. */
  commit(c: Commit<O>): void {
    for (const t of c.transactions) this.transactions.push(t);
    this.dlq = c.dlq;
    for (const [k, v] of c.state) {
      if (v === null) this.changelog.delete(k);
      else this.changelog.set(k, v);
    }
    this.offsets = c.offsets;
    this.commits++;
  }

  /** Transaction values ordered by timestamp, then customer id: replay's and the demo's order. */
  sortedTransactions(): { us: number; customerId: string; value: string }[] {
    const txs = this.transactions.map((t) => ({
      us: parseIsoMicros(t.timestamp),
      customerId: t.customerId,
      value: t.value,
    }));
    return txs.sort((a, b) =>
      a.us - b.us || (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0)
    );
  }
}
