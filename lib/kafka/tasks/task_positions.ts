/**
 * Where one checkout task stands: foot partition *p* and repartition partition *p* (offsets in
 * the foot consumer group, lag, the foot partition's caught-up proofs), and the shelf
 * partitions' progress as their relay tasks reported it. Offsets travel as today's
 * {@link InputOffsets}, with `shelf` meaning the repartition topic, so today's committers send
 * them unchanged.
 * @module
 */
import type { Progress } from "../../core/mod.ts";
import type { CommitPositions } from "../commit_loop.ts";
import { type InputOffsets, InputPositions, noOffsets } from "../input_positions.ts";
import type { ShelfProgress } from "./task_input.ts";

/** What a task's positions start from: committed offsets (null: none) and the logs' ends. */
export interface TaskSeed {
  foot: { committed: bigint | null; low: bigint; high: bigint };
  repartition: { committed: bigint | null; low: bigint; high: bigint };
  /** The first foot offset stamped at or after `sinceMs` (null: unknown). */
  footQuiet: { from: bigint; sinceMs: number } | null;
}

/** The positions of task `task`. */
export class TaskPositions implements CommitPositions<InputOffsets> {
  readonly inner: InputPositions;

  constructor(
    readonly task: number,
    topics: { foot: string; repartition: string },
    group: string,
    readonly idleMs: number,
    readonly shelf: ShelfProgress,
    readonly startedMs = Date.now(),
  ) {
    this.inner = new InputPositions(
      { foot: topics.foot, shelf: topics.repartition },
      { foot: group, shelf: group },
      idleMs,
      startedMs,
    );
  }

  /** Seeds both partitions; returns where to start reading each (the next offsets). */
  seed(s: TaskSeed): { foot: bigint; repartition: bigint } {
    const p = this.task;
    const foot = s.foot.committed !== null && s.foot.committed >= 0n
      ? s.foot.committed
      : s.foot.low;
    const rep = s.repartition.committed !== null && s.repartition.committed >= 0n
      ? s.repartition.committed
      : s.repartition.low;
    this.inner.topics.foot.seed(p, foot, s.foot.high);
    this.inner.topics.shelf.seed(p, rep, s.repartition.high);
    // A foot partition quiet since before the start is idle once read (as today).
    if (s.footQuiet !== null) {
      this.inner.topics.foot.endQuietSince(p, s.footQuiet.from, s.footQuiet.sinceMs);
    }
    return { foot, repartition: rep };
  }

  /** The next offset to read of the foot (`foot`) or repartition (`shelf`) partition. */
  next(which: "foot" | "shelf"): bigint {
    return this.inner.topics[which].partitions.get(this.task)?.next ?? 0n;
  }

  /** Foot partition *p* as today, every shelf partition as its relay reported it. */
  signal(): Progress {
    const foot = this.inner.topics.foot.signal(this.task, this.idleMs);
    return {
      wallMs: Date.now(),
      partitions: [{ source: "foot", partition: this.task, ...foot }, ...this.shelf.signals()],
    };
  }

  uncommitted(): InputOffsets {
    return this.inner.uncommitted();
  }

  committed(): InputOffsets {
    return this.inner.committed();
  }

  markCommitted(offsets: InputOffsets): void {
    this.inner.markCommitted(offsets);
  }

  isEmpty(offsets: InputOffsets): boolean {
    return noOffsets(offsets);
  }

  /** An end look-up of the foot topic (began at `askedAt`) and of the repartition topic. */
  verify(footHigh: bigint, repartitionHigh: bigint, askedAt: number, answeredAt: number): void {
    this.inner.topics.foot.verify(this.task, footHigh, askedAt, answeredAt);
    this.inner.topics.shelf.sawHigh(this.task, repartitionHigh, answeredAt);
  }

  /** Records not yet read: foot, repartition. */
  lag(): { foot: number; repartition: number } {
    return {
      foot: Number(this.inner.topics.foot.lag().get(this.task) ?? 0n),
      repartition: Number(this.inner.topics.shelf.lag().get(this.task) ?? 0n),
    };
  }
}
