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
   * Stream time (µs) at the last moment the partition was seen to be caught up: its end was
   * looked up then and everything before it was processed.
   */
  verifiedUs: number;
}

/** Positions of every partition of one input topic. */
export class TopicProgress {
  readonly partitions = new Map<number, PartitionState>();
  constructor(readonly topic: string) {}

  /** Seeds a partition from the group's committed offset (or the log start) and its end. */
  seed(partition: number, next: bigint, high: bigint): void {
    const cur = this.partitions.get(partition);
    if (cur) {
      if (high > cur.high) cur.high = high;
      return;
    }
    this.partitions.set(partition, { next, high, committed: next, verifiedUs: -Infinity });
  }

  #get(partition: number): PartitionState {
    let s = this.partitions.get(partition);
    if (!s) {
      s = { next: 0n, high: 0n, committed: -1n, verifiedUs: -Infinity };
      this.partitions.set(partition, s);
    }
    return s;
  }

  /** The record at `offset` was processed. */
  processed(partition: number, offset: bigint): void {
    const s = this.#get(partition);
    if (offset + 1n > s.next) s.next = offset + 1n;
  }

  /** The partition ends at least at `high` (a fetch response or an offset look-up). */
  sawHigh(partition: number, high: bigint): void {
    const s = this.#get(partition);
    if (high > s.high) s.high = high;
  }

  /**
   * An offset look-up that began at stream time `streamUs` said the partition ends at `high`:
   * when everything before that was processed, the partition is caught up as of `streamUs`.
   */
  verify(partition: number, high: bigint, streamUs: number): void {
    this.sawHigh(partition, high);
    const s = this.#get(partition);
    if (s.next >= high && streamUs > s.verifiedUs) s.verifiedUs = streamUs;
  }

  /** Whether everything up to the known end has been processed. */
  caughtUp(partition: number): boolean {
    const s = this.partitions.get(partition);
    return s !== undefined && s.next >= s.high;
  }

  /**
   * Caught up, and known to be so at a stream time no earlier than `sinceUs`. An end looked up
   * before stream time moved on says nothing about records produced since, so a partition
   * counts as having passed every time only once it is seen caught up again.
   */
  caughtUpSince(partition: number, sinceUs: number): boolean {
    const s = this.partitions.get(partition);
    return s !== undefined && s.next >= s.high && s.verifiedUs >= sinceUs;
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
