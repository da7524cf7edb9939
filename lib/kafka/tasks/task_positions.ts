/**
 * Where one checkout task stands: repartition partition *p* (its offset in the checkout group,
 * its lag), and every foot and shelf partition's progress as its relay task reported it. The
 * task reads nothing else, so its offsets are one partition's. They travel as today's
 * {@link InputOffsets} so that today's committers send them unchanged: in the `shelf` slot
 * (`foot` is always empty), with the repartition topic and the checkout group for both slots.
 * @module
 */
import type { Progress } from "../../core/mod.ts";
import type { CommitPositions } from "../commit_loop.ts";
import { type InputOffsets, noOffsets } from "../input_offsets.ts";
import { TopicProgress } from "../progress.ts";
import type { RelayedProgress } from "./task_input.ts";

/** What a task's position starts from: the committed offset (null: none) and the log's ends. */
export interface TaskSeed {
  committed: bigint | null;
  low: bigint;
  high: bigint;
}

/** The positions of task `task`. */
export class TaskPositions implements CommitPositions<InputOffsets> {
  /** Repartition partition *p*'s position (only that partition is ever tracked). */
  readonly repartition: TopicProgress;

  constructor(
    readonly task: number,
    topic: string,
    readonly relayed: RelayedProgress,
    readonly startedMs = Date.now(),
  ) {
    this.repartition = new TopicProgress(topic, startedMs);
  }

  /** Seeds the partition; returns where to start reading it (the next offset). */
  seed(s: TaskSeed): bigint {
    const from = s.committed !== null && s.committed >= 0n ? s.committed : s.low;
    this.repartition.seed(this.task, from, s.high);
    return from;
  }

  /** The next offset to read of the repartition partition. */
  next(): bigint {
    return this.repartition.partitions.get(this.task)?.next ?? 0n;
  }

  /**
   * Every foot and shelf partition as its relay reported it. The repartition partition's own
   * end proves nothing about an input: only a control record, read after the records it
   * covers, does.
   */
  signal(): Progress {
    return { wallMs: Date.now(), partitions: this.relayed.signals() };
  }

  uncommitted(): InputOffsets {
    return { foot: [], shelf: this.repartition.uncommitted() };
  }

  committed(): InputOffsets {
    return { foot: [], shelf: this.repartition.committedOffsets() };
  }

  markCommitted(offsets: InputOffsets): void {
    this.repartition.markCommitted(offsets.shelf);
  }

  isEmpty(offsets: InputOffsets): boolean {
    return noOffsets(offsets);
  }

  /** An end look-up of the repartition partition (lag). */
  verify(high: bigint, answeredAt: number): void {
    this.repartition.sawHigh(this.task, high, answeredAt);
  }

  /** Records of the repartition partition not yet read. */
  lag(): number {
    return Number(this.repartition.lag().get(this.task) ?? 0n);
  }
}
