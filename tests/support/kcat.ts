/**
 * kcat as upstream producers use it: unkeyed (sticky partitioner), or keyed with librdkafka's
 * default partitioner (CRC32 of the key, not Kafka's murmur2).
 * @module
 */
import assert from "node:assert/strict";

/** Whether kcat is installed (the tests of foreign partitioners need it). */
export const hasKcat = await new Deno.Command("kcat", {
  args: ["-V"],
  stdout: "null",
  stderr: "null",
}).output().then((o) => o.success, () => false);

/** Produces lines unkeyed with kcat; the sticky partitioner moves on after every record. */
export function kcat(bootstrap: string, topic: string, lines: string[]): Promise<void> {
  return runKcat(
    ["-b", bootstrap, "-t", topic, "-P", "-X", "sticky.partitioning.linger.ms=0"],
    lines,
  );
}

/**
 * Produces `[key, value]` pairs with kcat's default partitioner (librdkafka's
 * `consistent_random`: CRC32 of the key, not Kafka's murmur2), as kcat users and every
 * librdkafka client do.
 */
export function kcatKeyed(
  bootstrap: string,
  topic: string,
  records: [string, string][],
): Promise<void> {
  const lines = records.map(([k, v]) => `${k}\t${v}`);
  return runKcat(["-b", bootstrap, "-t", topic, "-P", "-K", "\t"], lines);
}

/** Runs kcat with `args`, writing `lines` to its stdin; asserts it succeeded. */
export async function runKcat(args: string[], lines: string[]): Promise<void> {
  const p = new Deno.Command("kcat", {
    args,
    stdin: "piped",
    stderr: "piped",
  }).spawn();
  const w = p.stdin.getWriter();
  await w.write(new TextEncoder().encode(lines.join("\n") + "\n"));
  await w.close();
  const out = await p.output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}
