/**
 * Backpressure between the consumers and the commit loop: at most `limit` records are applied
 * and not yet taken by a commit. Past that, the consumers wait for the commit (and the commit loop
 * is told to commit now rather than at its next interval). This bounds each transaction's size,
 * the state held in memory between commits, and what at-least-once re-reads after a crash, and
 * keeps commits flowing at their interval during a backlog.
 *
 * @example
 * ```ts
 * import { WorkGate } from "./work_gate.ts";
 * const gate = new WorkGate(2);
 * gate.add(2); // a batch of two records applied
 * const waiting = gate.room(); // the next batch waits…
 * gate.taken(); // …until a commit takes the work
 * gate.committed();
 * await waiting;
 * ```
 * @module
 */

/** Counts applied, uncommitted records; lets producers of work wait for room. */
export class WorkGate {
  #pending = 0;
  #closed = false;
  #waiters: (() => void)[] = [];
  /** One signal for everyone waiting for the limit (a commit loop asks every interval). */
  #full: AbortController | undefined;

  constructor(readonly limit: number) {}

  /** Records applied and not yet taken by a commit. */
  get pending(): number {
    return this.#pending;
  }

  /** `n` more records were applied. */
  add(n: number): void {
    this.#pending += n;
    if (this.#pending >= this.limit) this.#wakeFull();
  }

  /** Resolves at once while there is room; else after the next commit (or `close`). */
  async room(): Promise<void> {
    while (this.#pending >= this.limit && !this.#closed) {
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }

  /**
   * Aborted when the limit is reached or the gate closes (the commit loop then commits without
   * waiting for its interval). A signal, not a promise: a wait can stop listening to it.
   */
  fullSignal(): AbortSignal {
    if (this.#pending >= this.limit || this.#closed) return AbortSignal.abort();
    return (this.#full ??= new AbortController()).signal;
  }

  /** A commit took everything applied so far into its transaction. */
  taken(): void {
    this.#pending = 0;
  }

  /** The commit finished: the consumers may go on. */
  committed(): void {
    this.#wake(this.#waiters);
  }

  /** The pipeline is ending: nobody waits any more. */
  close(): void {
    this.#closed = true;
    this.#wake(this.#waiters);
    this.#wakeFull();
  }

  #wakeFull(): void {
    this.#full?.abort();
    this.#full = undefined;
  }

  #wake(list: (() => void)[]): void {
    for (const r of list.splice(0)) r();
  }
}
