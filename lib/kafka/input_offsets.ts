/**
 * The offsets one commit sends: per input slot (`foot`, `shelf`), the next offset to read of each
 * partition that moved. The committers send them to the slot's topic and group
 * (lib/kafka/committer.ts); a checkout task uses the `shelf` slot for its repartition partition.
 * @module
 */
import type { Source } from "../core/mod.ts";

/** One partition's next offset to read, as Kafka wants it. */
export interface PartitionOffset {
  partition: number;
  offset: string;
}

/** Offsets of both slots: what one commit sends (or probes with). */
export type InputOffsets = Record<Source, PartitionOffset[]>;

/** Both slots, in a fixed order (foot first, as every loop here has it). */
export const SOURCES = ["foot", "shelf"] as const;

/** Whether `o` moves no offset. */
export function noOffsets(o: InputOffsets): boolean {
  return o.foot.length === 0 && o.shelf.length === 0;
}
