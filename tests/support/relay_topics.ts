/**
 * Helpers of the relay tests: reading a topic with each record's partition and offset, and
 * producing unkeyed lines with kcat.
 * @module
 */
import assert from "node:assert/strict";
import type { Kafka } from "kafkajs";
import { uniqueName } from "./kafka.ts";
import { eventually } from "./service_process.ts";

/** A record read, with where it was. */
export interface Read {
  partition: number;
  offset: string;
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

/** Reads every partition of `topic` to its current end (read_committed). */
export async function readTopic(kafka: Kafka, topic: string): Promise<Read[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const pos = new Map(ends.map((e) => [e.partition, BigInt(e.low)]));
  const done = () => ends.every((e) => (pos.get(e.partition) ?? 0n) >= BigInt(e.high));
  const out: Read[] = [];
  if (done()) return out;
  const consumer = kafka.consumer({ groupId: uniqueName("relay-read"), maxWaitTimeInMs: 100 });
  consumer.on(consumer.events.END_BATCH_PROCESS, (ev) => {
    const next = BigInt(ev.payload.lastOffset) + 1n;
    if (next > (pos.get(ev.payload.partition) ?? 0n)) pos.set(ev.payload.partition, next);
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const dec = new TextDecoder();
  await consumer.run({
    autoCommit: false,
    eachBatch: ({ batch }) => {
      for (const m of batch.messages) {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(m.headers ?? {})) {
          if (v !== undefined) headers[k] = dec.decode(v as Uint8Array);
        }
        out.push({
          partition: batch.partition,
          offset: m.offset,
          key: m.key ? dec.decode(m.key) : null,
          value: m.value ? dec.decode(m.value) : "",
          headers,
        });
      }
      return Promise.resolve();
    },
  });
  await eventually(`reading ${topic} to its end`, done, 30_000, 50);
  await consumer.disconnect();
  return out;
}

/** Produces lines unkeyed with kcat; the sticky partitioner moves on after every record. */
export async function kcat(bootstrap: string, topic: string, lines: string[]): Promise<void> {
  const p = new Deno.Command("kcat", {
    args: ["-b", bootstrap, "-t", topic, "-P", "-X", "sticky.partitioning.linger.ms=0"],
    stdin: "piped",
    stderr: "piped",
  }).spawn();
  const w = p.stdin.getWriter();
  await w.write(new TextEncoder().encode(lines.join("\n") + "\n"));
  await w.close();
  const out = await p.output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}
