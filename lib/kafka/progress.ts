/**
 * Where the service stands on each input partition: the next offset to process, the latest
 * known high watermark, and so whether the partition is caught up. Offsets are kept as bigint
 * and handed to Kafka as strings.
 * @module
 */

/** One input partition's position. */
export interface PartitionState {
  /** Next offset to process (what a commit stores). */
  next: bigint;
  /** Latest high watermark seen (fetch responses and offset look-ups). */
  high: bigint;
  /** `next` as last committed, to commit only what moved. */
  committed: bigint;
  /**
   * Wall clock (ms) when the latest look-up that found the partition caught up began: every
   * record produced before then has been processed. -Infinity before any.
   */
  verifiedAtMs: number;
  /**
   * Wall clock (ms) when the partition's end was last seen to move (or tracking began): no
   * record has been produced to it since. Idleness is about producers, not about this
   * consumer: a backlog written long ago is idle as soon as it is read.
   */
  endMovedAtMs: number;
}

/** Positions of every partition of one input topic. */
export class TopicProgress {
  readonly partitions = new Map<number, PartitionState>();
  /**
   * `startedMs`: when tracking began. It counts as the end moving: a partition is idle only
   * after a whole idle time seen by this process, so a restart never takes a pause it did not
   * see for the end of input.
   */
  constructor(readonly topic: string, private readonly startedMs = -Infinity) {}

  /** Seeds a partition from the group's committed offset (or the log start) and its end. */
  seed(partition: number, next: bigint, high: bigint): void {
    const cur = this.partitions.get(partition);
    if (cur) {
      if (high > cur.high) cur.high = high;
      return;
    }
    this.partitions.set(partition, {
      next,
      high,
      committed: next,
      verifiedAtMs: -Infinity,
      endMovedAtMs: this.startedMs,
    });
  }

  #get(partition: number): PartitionState {
    let s = this.partitions.get(partition);
    if (!s) {
      s = {
        next: 0n,
        high: 0n,
        committed: -1n,
        verifiedAtMs: -Infinity,
        endMovedAtMs: this.startedMs,
      };
      this.partitions.set(partition, s);
    }
    return s;
  }

  /** The record at `offset` was processed. */
  processed(partition: number, offset: bigint): void {
    const s = this.#get(partition);
    if (offset + 1n > s.next) s.next = offset + 1n;
  }

  /** At wall clock `nowMs`, the partition was seen to end at least at `high` (a fetch response
   * or an offset look-up). */
  sawHigh(partition: number, high: bigint, nowMs: number): void {
    const s = this.#get(partition);
    if (high > s.high) {
      s.high = high;
      if (nowMs > s.endMovedAtMs) s.endMovedAtMs = nowMs;
    }
  }

  /**
   * An offset look-up that began at wall clock `atMs` and was answered by `nowMs` said the
   * partition ends at `high`: when everything before that was processed, the partition was
   * caught up at `atMs`.
   */
  verify(partition: number, high: bigint, atMs: number, nowMs = atMs): void {
    this.sawHigh(partition, high, nowMs);
    const s = this.#get(partition);
    if (s.next >= high && atMs > s.verifiedAtMs) s.verifiedAtMs = atMs;
  }

  /** Whether everything up to the known end has been processed. */
  caughtUp(partition: number): boolean {
    const s = this.partitions.get(partition);
    return s !== undefined && s.next >= s.high;
  }

  /**
   * What the engine needs to know of a partition: whether it is caught up, since when (the
   * look-up's wall clock), and whether nothing was produced to it for `idleMs` before that.
   * `contactSinceMs`: when the broker was last regained after a gap (broker_contact.ts); for
   * `idleMs` after it, producers may still be delivering what they held, so a look-up proves
   * nothing about them and the partition is not caught up.
   */
  signal(
    partition: number,
    idleMs: number,
    contactSinceMs = -Infinity,
  ): { caughtUp: boolean; caughtUpAtMs?: number; idle?: boolean; endMovedAtMs?: number } {
    const s = this.partitions.get(partition);
    if (
      s === undefined || s.next < s.high || s.verifiedAtMs === -Infinity ||
      s.verifiedAtMs - contactSinceMs < idleMs
    ) {
      return { caughtUp: false };
    }
    return {
      caughtUp: true,
      caughtUpAtMs: s.verifiedAtMs,
      idle: s.verifiedAtMs - s.endMovedAtMs >= idleMs,
      endMovedAtMs: s.endMovedAtMs,
    };
  }

  /**
   * No record at or after `firstOffsetSince` carries a timestamp from `sinceMs` on (an offset
   * look-up by timestamp): when that is the partition's known end, nothing was produced to it
   * since `sinceMs`.
   */
  endQuietSince(partition: number, firstOffsetSince: bigint, sinceMs: number): void {
    const s = this.partitions.get(partition);
    if (s !== undefined && firstOffsetSince >= s.high && sinceMs < s.endMovedAtMs) {
      s.endMovedAtMs = sinceMs;
    }
  }

  /** Records not yet processed, by partition. */
  lag(): Map<number, bigint> {
    const out = new Map<number, bigint>();
    for (const [p, s] of this.partitions) out.set(p, s.high > s.next ? s.high - s.next : 0n);
    return out;
  }

  /** Offsets that moved since the last commit, as Kafka wants them. */
  uncommitted(): { partition: number; offset: string }[] {
    const out = [];
    for (const [partition, s] of this.partitions) {
      if (s.next > s.committed && s.next > 0n) {
        out.push({ partition, offset: s.next.toString() });
      }
    }
    return out;
  }

  /** Offsets as last committed (for a commit that must not move anything). */
  committedOffsets(): { partition: number; offset: string }[] {
    const out = [];
    for (const [partition, s] of this.partitions) {
      if (s.committed >= 0n) out.push({ partition, offset: s.committed.toString() });
    }
    return out;
  }

  /** Marks the given offsets as committed. */
  markCommitted(offsets: { partition: number; offset: string }[]): void {
    for (const o of offsets) {
      const s = this.#get(o.partition);
      const v = BigInt(o.offset);
      if (v > s.committed) s.committed = v;
    }
  }
}
