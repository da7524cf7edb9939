/**
 * Where both inputs stand: for each consumer group, its topic's partitions (lib/kafka/progress.ts),
 * seeded from the committed offsets and the logs' ends, moved by what is applied and by the ends
 * looked up. It gives the engine its progress signal and the commit loop its offsets.
 * @module
 */
import type { Admin } from "kafkajs";
import type { PartitionSignal, Progress, Source } from "../core/mod.ts";
import type { Logger } from "../observe/log.ts";
import { TopicProgress } from "./progress.ts";

/** One partition's next offset to read, as Kafka wants it. */
export interface PartitionOffset {
  partition: number;
  offset: string;
}

/** Offsets of both consumer groups: what one commit sends (or probes with). */
export type InputOffsets = Record<Source, PartitionOffset[]>;

/** Both inputs, in a fixed order (foot first, as every loop here has it). */
export const SOURCES = ["foot", "shelf"] as const;

/** Positions of both inputs and their consumer groups. */
export class InputPositions {
  readonly topics: Record<Source, TopicProgress>;

  constructor(
    topics: Record<Source, string>,
    readonly groups: Record<Source, string>,
    readonly idleMs: number,
    startedMs = Date.now(),
  ) {
    this.topics = {
      foot: new TopicProgress(topics.foot, startedMs),
      shelf: new TopicProgress(topics.shelf, startedMs),
    };
  }

  /** Seeds positions from the groups' committed offsets and the logs' ends. */
  async seed(admin: Admin, log: Logger, startedMs: number): Promise<void> {
    for (const source of SOURCES) {
      const tp = this.topics[source];
      const ends = await admin.fetchTopicOffsets(tp.topic);
      const committed = await admin.fetchOffsets({
        groupId: this.groups[source],
        topics: [tp.topic],
      });
      const byPartition = new Map(
        committed[0]?.partitions.map((p) => [p.partition, BigInt(p.offset)]) ?? [],
      );
      for (const e of ends) {
        const c = byPartition.get(e.partition) ?? -1n;
        tp.seed(e.partition, c >= 0n ? c : BigInt(e.low), BigInt(e.high));
      }
      // A partition whose records are all older than the idle time (by their Kafka timestamps)
      // was quiet before we started: once read, it is idle at once, so a backlog's last carts
      // need not wait another idle time. If it is written to after all, its end moves and the
      // rule of docs/service.md applies as usual.
      const quietSince = startedMs - this.idleMs;
      const quiet = await admin.fetchTopicOffsetsByTimestamp(tp.topic, quietSince).catch((e) => {
        // Only an optimisation: without it the backlog's last carts wait one idle time.
        log.warn("offsets by timestamp unavailable", { topic: tp.topic, error: e });
        return [];
      });
      for (const q of quiet) tp.endQuietSince(q.partition, BigInt(q.offset), quietSince);
    }
  }

  /** The engine's progress signal: every partition of both inputs, and the wall clock. */
  signal(): Progress {
    const partitions: PartitionSignal[] = [];
    for (const source of SOURCES) {
      const tp = this.topics[source];
      for (const p of tp.partitions.keys()) {
        partitions.push({ source, partition: p, ...tp.signal(p, this.idleMs) });
      }
    }
    return { wallMs: Date.now(), partitions };
  }

  /** Offsets that moved since the last commit. */
  uncommitted(): InputOffsets {
    return { foot: this.topics.foot.uncommitted(), shelf: this.topics.shelf.uncommitted() };
  }

  /** Offsets as last committed (a commit of these moves nothing). */
  committed(): InputOffsets {
    return {
      foot: this.topics.foot.committedOffsets(),
      shelf: this.topics.shelf.committedOffsets(),
    };
  }

  /** `offsets` are committed. */
  markCommitted(offsets: InputOffsets): void {
    this.topics.foot.markCommitted(offsets.foot);
    this.topics.shelf.markCommitted(offsets.shelf);
  }

  /**
   * Looks up the ends of both inputs: lag, and the caught-up proofs that let a quiet partition
   * pass the wall clock. Calls `onLag` per partition.
   */
  async pollEnds(
    admin: Admin,
    onLag: (topic: string, partition: number, lag: bigint) => void,
  ): Promise<void> {
    for (const source of SOURCES) {
      const tp = this.topics[source];
      // The wall clock before asking: what was produced by then is below the ends we get.
      const askedAt = Date.now();
      const ends = await admin.fetchTopicOffsets(tp.topic);
      const answeredAt = Date.now();
      for (const e of ends) tp.verify(e.partition, BigInt(e.high), askedAt, answeredAt);
      for (const [partition, lag] of tp.lag()) onLag(tp.topic, partition, lag);
    }
  }
}

/** Whether `o` moves no offset. */
export function noOffsets(o: InputOffsets): boolean {
  return o.foot.length === 0 && o.shelf.length === 0;
}
