/**
 * Offsets committed outside a transaction (at-least-once delivery) for a group this instance
 * does not read as (the input groups: the instances read as members of the tasks' group, and
 * are members of the input groups that read nothing, lib/kafka/tasks/presence.ts). KafkaJS
 * commits only through the member that reads (`consumer.commitOffsets`) or an admin call that
 * runs a consumer (`setOffsets`); this sends OffsetCommit as the given member (generation -1
 * and no member id when none: a group without members) to the group's coordinator through
 * KafkaJS's own cluster.
 * @module
 */
import type { Kafka } from "kafkajs";
import type { PartitionOffset } from "./input_offsets.ts";

interface Coordinator {
  offsetCommit(req: {
    groupId: string;
    groupGenerationId: number;
    memberId: string;
    topics: { topic: string; partitions: PartitionOffset[] }[];
  }): Promise<unknown>;
}

interface Cluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  findGroupCoordinator(req: { groupId: string }): Promise<Coordinator>;
}

const clusters = new WeakMap<Kafka, Promise<Cluster>>();

/** KafkaJS's cluster of `kafka` (its private `createCluster`), connected once per client. */
function clusterOf(kafka: Kafka): Promise<Cluster> {
  let c = clusters.get(kafka);
  if (c === undefined) {
    const sym = Object.getOwnPropertySymbols(kafka)
      .find((s) => s.description === "private:Kafka:createCluster");
    if (sym === undefined) throw new Error("KafkaJS's cluster is not reachable");
    const create = (kafka as unknown as Record<symbol, (o: object) => Cluster>)[sym];
    const cluster = create({ allowAutoTopicCreation: false });
    c = cluster.connect().then(() => cluster);
    c.catch(() => clusters.delete(kafka));
    clusters.set(kafka, c);
  }
  return c;
}

/** Commits `partitions` of `topic` for `groupId`, as `member` when given. */
export async function commitGroupOffsets(
  kafka: Kafka,
  groupId: string,
  topic: string,
  partitions: PartitionOffset[],
  member?: { generationId: number; memberId: string },
): Promise<void> {
  const cluster = await clusterOf(kafka);
  const coordinator = await cluster.findGroupCoordinator({ groupId });
  await coordinator.offsetCommit({
    groupId,
    groupGenerationId: member?.generationId ?? -1,
    memberId: member?.memberId ?? "",
    topics: [{ topic, partitions }],
  });
}

/** Disconnects the cluster {@link commitGroupOffsets} made for `kafka`, if any. */
export async function closeGroupOffsets(kafka: Kafka): Promise<void> {
  const c = clusters.get(kafka);
  clusters.delete(kafka);
  if (c) await (await c.catch(() => undefined))?.disconnect().catch(() => {});
}
