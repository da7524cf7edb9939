/**
 * `deno task kafka` (deploy/kafka.ts): the test broker in the foreground. It says where it is
 * and how to stop it, serves a client on localhost:PORT, and stops cleanly on Ctrl-C (SIGINT);
 * a port already taken is one line naming --port, exit 1.
 */
import assert from "node:assert/strict";
import { freePort } from "../support/kafka.ts";
import { testKafka } from "../support/kafka_client.ts";

const SCRIPT = new URL("../../deploy/kafka.ts", import.meta.url).pathname;

function kafkaTask(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", SCRIPT, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

Deno.test({
  name: "deno task kafka: ready on localhost:PORT, says how to stop, Ctrl-C stops it (exit 0)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const port = freePort();
    const child = kafkaTask(["--port", String(port)]);
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let stdout = "";
    try {
      while (!/Ctrl-C/.test(stdout)) {
        const { value, done } = await reader.read();
        assert.ok(!done, `the broker never said it was ready:\n${stdout}`);
        stdout += value;
      }
      assert.match(stdout, new RegExp(`ready on localhost:${port}`));
      const admin = testKafka(`localhost:${port}`).admin();
      await admin.connect();
      assert.equal((await admin.describeCluster()).brokers.length, 1);
      await admin.disconnect();

      const again = await kafkaTask(["--port", String(port)]).output();
      assert.equal(again.code, 1);
      assert.match(new TextDecoder().decode(again.stderr), /port \d+ is in use.*--port/);
    } finally {
      child.kill("SIGINT");
      reader.releaseLock();
    }
    const status = await child.status;
    await child.stdout.cancel().catch(() => {});
    const stderr = await new Response(child.stderr).text();
    assert.equal(status.code, 0, stderr);
    assert.match(stderr, /stopped/);
  },
});
