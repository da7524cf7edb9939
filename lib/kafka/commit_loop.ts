/**
 * The commit protocol of the service, without Kafka: when to commit and what goes in one commit.
 *
 * - Every `intervalMs`, or at once when the {@link WorkGate} is full (a backlog: at most
 *   MAX_UNCOMMITTED_RECORDS applied and not yet committed), the loop advances the engine with the
 *   progress signal and takes everything drained (output, coalesced changelog) together with the
 *   input offsets as they are at that moment: one commit.
 * - The consumers wait for room while a full gate's commit is in flight; they go on once it is
 *   committed (or the pipeline ends).
 * - Offsets count as committed only once the committer succeeded. A failure anywhere (the
 *   committer throws, a consumer crashes) ends the loop with that error: the caller rebuilds.
 * - With nothing to commit for `probeAfterMs`, the committer probes for fencing; before a
 *   rebalance rebuild too (restarting would fence a newer instance in turn).
 *
 * Tested with a fake committer in tests/kafka/commit_loop_test.ts.
 * @module
 */
import type { Progress } from "../core/mod.ts";
import { type Commit, type Committer, isEmptyCommit } from "../drive/committer.ts";
import type { EngineDriver } from "../drive/driver.ts";
import { sleep } from "../sleep.ts";
import { type PipelineFailure, RebalanceError } from "./failure.ts";
import type { WorkGate } from "./work_gate.ts";

/**
 * How often the ends of the input partitions are looked up: a caught-up partition passes the
 * wall clock of its latest look-up, so this bounds the checkout delay of a quiet store.
 */
export const OFFSETS_POLL_MS = 100;
/**
 * Records applied but not yet in a commit, at most: bounds the work per transaction (about one
 * 100 ms interval of a backlog) and the memory between commits.
 */
export const MAX_UNCOMMITTED_RECORDS = 20_000;
/** With nothing to commit for this long, a commit of unchanged offsets checks for fencing. */
export const FENCING_PROBE_MS = 3000;

/** Where the inputs stand, as the commit loop needs it (lib/kafka/input_offsets.ts). */
export interface CommitPositions<O> {
  /** The engine's progress signal now. */
  signal(): Progress;
  /** Offsets that moved since the last commit. */
  uncommitted(): O;
  /** Offsets as last committed. */
  committed(): O;
  markCommitted(offsets: O): void;
  isEmpty(offsets: O): boolean;
}

/** A committer that can also check it was not fenced (lib/kafka/committer.ts). */
export interface ProbingCommitter<O> extends Committer<O> {
  probe(committed: O): Promise<void>;
}

/** What the loop works with. */
export interface CommitLoopDeps<O> {
  driver: EngineDriver<O, ProbingCommitter<O>>;
  positions: CommitPositions<O>;
  gate: WorkGate;
  failure: PipelineFailure;
  stop: AbortSignal;
  intervalMs: number;
  /** With nothing to commit for this long, probe for fencing. */
  probeAfterMs: number;
  /** How long a rebalance waits for the commit in flight before probing. */
  rebalanceWaitMs?: number;
  /**
   * A commit was taken and is about to be written (log its DLQ records), `waitedSeconds` after
   * the loop's previous turn ended: its interval plus whatever held the event loop up.
   */
  onTaken?: (c: Commit<O>, waitedSeconds: number) => void;
  /** A commit succeeded, after `seconds` of writing. */
  onCommitted?: (c: Commit<O>, seconds: number) => void;
  /** After each turn of the loop (metrics). */
  afterTurn?: () => void;
}

/** The commit loop of one pipeline life. */
export class CommitLoop<O> {
  #lastCommitMs = Date.now();
  #turnEnded = performance.now();
  #inFlight: Promise<unknown> = Promise.resolve();

  constructor(private readonly d: CommitLoopDeps<O>) {}

  /** Takes one commit and writes it; with nothing to write, probes when idle long enough. */
  async commitOnce(): Promise<void> {
    try {
      await this.#commitOnce();
    } finally {
      this.#turnEnded = performance.now();
    }
  }

  async #commitOnce(): Promise<void> {
    const { driver, positions, gate } = this.d;
    const waited = (performance.now() - this.#turnEnded) / 1000;
    const c = driver.take(positions.signal(), positions.uncommitted());
    gate.taken();
    if (isEmptyCommit(c, (o) => positions.isEmpty(o))) {
      if (Date.now() - this.#lastCommitMs > this.d.probeAfterMs) {
        await driver.committer.probe(positions.committed());
        this.#lastCommitMs = Date.now();
      }
      return;
    }
    this.d.onTaken?.(c, waited);
    const t0 = performance.now();
    await driver.committer.commit(c);
    positions.markCommitted(c.offsets);
    this.#lastCommitMs = Date.now();
    this.d.onCommitted?.(c, (performance.now() - t0) / 1000);
  }

  /** Commits every interval (or when the gate fills) until `stop`; throws the first failure. */
  async run(): Promise<void> {
    const { failure, gate, stop } = this.d;
    this.#turnEnded = performance.now();
    try {
      while (!stop.aborted) {
        if (failure.failed) throw failure.error;
        this.#inFlight = this.commitOnce();
        await failure.race(this.#inFlight);
        gate.committed();
        this.d.afterTurn?.();
        await this.#untilNext();
      }
    } catch (e) {
      // Before starting over after a rebalance, find out whether a newer instance took over:
      // restarting would fence it in turn, and the two would take turns for ever.
      if (e instanceof RebalanceError) {
        const done = new AbortController();
        const wait = sleep(this.d.rebalanceWaitMs ?? 10_000, done.signal);
        await Promise.race([this.#inFlight.catch(() => {}), wait]);
        done.abort(); // no timer outlives the wait
        await this.d.driver.committer.probe(this.d.positions.committed());
      }
      throw e;
    }
  }

  /** After `stop`: stop the inputs (none waits for room), then commit what was applied. */
  async finish(stopInputs: () => Promise<unknown>): Promise<void> {
    this.d.gate.close(); // a consumer waiting for room must not hold up its own stop
    await stopInputs();
    if (this.d.failure.failed) throw this.d.failure.error;
    await this.commitOnce();
    this.d.afterTurn?.();
  }

  /** The interval, cut short by a full gate (a backlog), a stop or a failure. */
  async #untilNext(): Promise<void> {
    const { intervalMs, stop, gate, failure } = this.d;
    gate.commitDueAt(performance.now() + intervalMs);
    await sleep(intervalMs, stop, gate.fullSignal(), failure.signal);
  }
}
