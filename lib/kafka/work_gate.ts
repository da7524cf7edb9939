/**
 * Backpressure between the consumers and the commit loop: at most `limit` records are applied
 * and not yet taken by a commit. Past that, the consumers wait for the commit (and the commit loop
 * is told to commit now rather than at its next interval). This bounds each transaction's size,
 * the state held in memory between commits, and what at-least-once re-reads after a crash, and
 * keeps commits flowing at their interval during a backlog. And once a commit is due (its
 * interval is over), consumers with work applied wait until the commit loop has taken it: on a
 * saturated event loop, batches would otherwise run one after another ahead of its timer.
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
  /** When the commit loop takes its next commit (performance.now ms); Infinity while it writes. */
  #dueAt = Infinity;
  /** Consumers holding back for a commit that is due: they go on once it is taken. */
  #dueWaiters: (() => void)[] = [];
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

  /**
   * Resolves at once while there is room and no commit is overdue; when full, after the next
   * commit is written; when a commit with work is due, once it is taken (or `close`).
   */
  async room(): Promise<void> {
    while (!this.#closed) {
      if (this.#pending >= this.limit) {
        await new Promise<void>((r) => this.#waiters.push(r));
      } else if (this.#pending > 0 && performance.now() >= this.#dueAt) {
        // A saturated event loop runs batch after batch before a timer: the commit goes first.
        await new Promise<void>((r) => this.#dueWaiters.push(r));
      } else return;
    }
  }

  /** The commit loop takes its next commit at `atMs` (performance.now), unless woken earlier. */
  commitDueAt(atMs: number): void {
    this.#dueAt = atMs;
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
    this.#dueAt = Infinity;
    this.#wake(this.#dueWaiters);
  }

  /** The commit finished: the consumers may go on. */
  committed(): void {
    this.#wake(this.#waiters);
  }

  /** The pipeline is ending: nobody waits any more. */
  close(): void {
    this.#closed = true;
    this.#wake(this.#waiters);
    this.#wake(this.#dueWaiters);
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
