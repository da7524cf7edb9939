/**
 * Offsets committed for a consumer group that has no members (the input groups: the instances
 * are members of the tasks' group only), outside a transaction: at-least-once delivery. KafkaJS
 * commits only through a member (`consumer.commitOffsets`) or an admin call that runs a consumer
 * (`setOffsets`); this sends OffsetCommit with generation -1, as a group-less client does, to the
 * group's coordinator through KafkaJS's own cluster.
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

/** Commits `partitions` of `topic` for `groupId` (a group without members). */
export async function commitGroupOffsets(
  kafka: Kafka,
  groupId: string,
  topic: string,
  partitions: PartitionOffset[],
): Promise<void> {
  const cluster = await clusterOf(kafka);
  const coordinator = await cluster.findGroupCoordinator({ groupId });
  await coordinator.offsetCommit({
    groupId,
    groupGenerationId: -1,
    memberId: "",
    topics: [{ topic, partitions }],
  });
}

/** Disconnects the cluster {@link commitGroupOffsets} made for `kafka`, if any. */
export async function closeGroupOffsets(kafka: Kafka): Promise<void> {
  const c = clusters.get(kafka);
  clusters.delete(kafka);
  if (c) await (await c.catch(() => undefined))?.disconnect().catch(() => {});
}
