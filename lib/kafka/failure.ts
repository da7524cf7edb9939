/**
 * The first failure of one pipeline life, shared by its parts (consumers, the offsets poller,
 * the commit loop): whoever fails first records it, the work gate opens so that no consumer stays
 * blocked, and everyone racing {@link PipelineFailure.promise} stops.
 * @module
 */
import type { WorkGate } from "./work_gate.ts";

/** Holds the first error of a pipeline life and a promise that rejects with it. */
export class PipelineFailure {
  /** The first error, once there is one. */
  error: unknown = undefined;
  #failed = false;
  #reject!: (e: unknown) => void;
  readonly #aborted = new AbortController();
  /**
   * Rejects with the first error (never resolves). Every race against it stays attached to it
   * until the pipeline fails: only for waits made once per life; repeated waits use
   * {@link PipelineFailure.race} or {@link PipelineFailure.signal}.
   */
  readonly promise: Promise<never>;
  /** Aborted at the first failure. */
  readonly signal: AbortSignal = this.#aborted.signal;

  constructor(private readonly gate: WorkGate) {
    this.promise = new Promise<never>((_, reject) => this.#reject = reject);
    this.promise.catch(() => {});
  }

  /** `work`, or the first failure if it comes first; nothing stays attached after the wait. */
  race<T>(work: Promise<T>): Promise<T> {
    if (this.#failed) return Promise.reject(this.error);
    return new Promise<T>((resolve, reject) => {
      const failed = () => reject(this.error);
      this.signal.addEventListener("abort", failed, { once: true });
      work.then(resolve, reject).finally(() => this.signal.removeEventListener("abort", failed));
    });
  }

  /** Whether a part has failed. */
  get failed(): boolean {
    return this.#failed;
  }

  /** Records `e` (the first one wins) and wakes everyone waiting. */
  fail(e: unknown): void {
    if (!this.#failed) {
      this.#failed = true;
      this.error = e;
    }
    this.gate.close();
    this.#reject(e);
    this.#aborted.abort();
  }
}
