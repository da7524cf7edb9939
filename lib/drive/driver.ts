/**
 * The one engine drive loop shared by replay, the demo and the engine's property tests: records
 * in → `engine.apply` → `engine.advance(progress)` → `drainOutput` / `drainStateChanges` → a
 * {@link Committer}. The offline callers hand their records to {@link driveRecords}; the Kafka
 * service drives its tasks' engines itself (lib/kafka/tasks/checkout_task.ts).
 * @module
 */
import type { Engine, InputRecord, Progress } from "../core/mod.ts";
import { type Commit, type Committer, NO_STATE } from "./committer.ts";

/**
 * Owns the engine of one pipeline life and turns what it drains into commits. `engine` may be
 * replaced (a restore into a new engine) between commits.
 */
export class EngineDriver<O, C extends Committer<O> = Committer<O>> {
  constructor(public engine: Engine, readonly committer: C) {}

  /** Applies one record (the caller may reuse `rec`: the engine copies what it keeps). */
  apply(rec: InputRecord): void {
    this.engine.apply(rec);
  }

  /** Moves stream time (checkouts become due) without committing. */
  advance(progress: Progress): void {
    this.engine.advance(progress);
  }

  /** Advances with `progress` and takes everything drained since the last commit. */
  take(progress: Progress, offsets: O): Commit<O> {
    this.engine.advance(progress);
    return this.#drain(offsets);
  }

  #drain(offsets: O): Commit<O> {
    const out = this.engine.drainOutput();
    return {
      transactions: out.transactions,
      dlq: out.dlq,
      state: this.committer.keepsState ? this.engine.drainStateChanges() : NO_STATE,
      offsets,
    };
  }

  /** Takes a commit and hands it to the committer (offline: synchronously). */
  commitNow(progress: Progress, offsets: O): void | Promise<void> {
    return this.committer.commit(this.take(progress, offsets));
  }

  /** The end of input: every partition complete, every open cart checked out. */
  finish(complete: Progress, offsets: O): void | Promise<void> {
    this.engine.advance(complete);
    this.engine.flush();
    return this.committer.commit(this.#drain(offsets));
  }
}

/** How often {@link driveRecords} advances and commits, in records. */
export interface DriveCadence {
  /** Advance stream time every this many records (1: after each). */
  advanceEvery: number;
  /** Commit every this many records (a multiple of `advanceEvery` commits right after it). */
  commitEvery: number;
}

/**
 * Drives `records` through `driver` with the given cadence and finishes with `complete`. A
 * generator: it yields the records applied after each commit, so an async caller can write out
 * what was committed (`for (const _ of driveRecords(…)) await flush()`) and a synchronous one
 * just iterates. The final commit (after `complete` and `flush`) is not yielded: it is what is
 * committed once the loop is over. `progress` is asked for the signal at each advance.
 */
export function* driveRecords<C extends Committer<void>>(
  driver: EngineDriver<void, C>,
  records: Iterable<InputRecord>,
  progress: () => Progress,
  complete: () => Progress,
  cadence: DriveCadence,
): Generator<number, number, void> {
  let n = 0;
  for (const rec of records) {
    driver.apply(rec);
    n++;
    if (n % cadence.commitEvery === 0) {
      driver.commitNow(progress());
      yield n;
    } else if (n % cadence.advanceEvery === 0) driver.advance(progress());
  }
  driver.finish(complete());
  return n;
}
