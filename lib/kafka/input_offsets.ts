/**
 * An offset as a commit sends it (lib/kafka/tasks/instance_commit.ts, group_offsets.ts).
 * @module
 */

/** One partition's next offset to read, as Kafka wants it. */
export interface PartitionOffset {
  partition: number;
  offset: string;
}
