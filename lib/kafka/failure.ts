/**
 * The first failure of one pipeline life, shared by its parts (consumers, the offsets poller,
 * the commit loop): whoever fails first records it, the work gate opens so that no consumer stays
 * blocked, and everyone racing {@link PipelineFailure.promise} stops.
 * @module
 */
import type { WorkGate } from "./work_gate.ts";

/** The consumer group moved partitions; the pipeline must start over from Kafka. */
export class RebalanceError extends Error {
  override name = "RebalanceError";
}

/** Holds the first error of a pipeline life and a promise that rejects with it. */
export class PipelineFailure {
  /** The first error, once there is one. */
  error: unknown = undefined;
  #failed = false;
  #reject!: (e: unknown) => void;
  /** Rejects with the first error (never resolves); race it against any wait. */
  readonly promise: Promise<never>;

  constructor(private readonly gate: WorkGate) {
    this.promise = new Promise<never>((_, reject) => this.#reject = reject);
    this.promise.catch(() => {});
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
  }
}
