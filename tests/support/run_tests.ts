/**
 * `deno task test`: starts one real Kafka broker for the whole run (unless
 * `KAFKA_TEST_BROKER=host:port` names one), runs `deno test` with it, stops it, and exits with
 * the test run's status. Extra arguments go to `deno test` (e.g. a test file, `--filter`).
 * @module
 */
import { Kafka, logLevel } from "kafkajs";
import { type Broker, startBroker } from "./kafka.ts";

const started = performance.now();
let broker: Broker | undefined;
let bootstrap = Deno.env.get("KAFKA_TEST_BROKER");
if (!bootstrap) {
  broker = await startBroker();
  bootstrap = broker.bootstrap;
  console.error(
    `kafka: broker ready at ${bootstrap} in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s (log: ${broker.logFile})`,
  );
  await warmCoordinators(bootstrap);
}

/**
 * A fresh broker creates its transaction-state and consumer-offsets topics on their first use,
 * and until they are loaded every transactional producer and group waits (COORDINATOR_NOT_
 * AVAILABLE, retried). A store's broker has them long before pos-producer starts; here one
 * transaction and one group join make them, so the first tests to start do not each wait for
 * that (CI once saw a service not ready within 60 s, early in the run).
 */
async function warmCoordinators(bootstrap: string): Promise<void> {
  const t0 = performance.now();
  const kafka = new Kafka({
    brokers: [bootstrap],
    clientId: "warm-up",
    logLevel: logLevel.NOTHING,
  });
  const topic = "warm-up";
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] }).catch(() => {});
  await admin.disconnect();
  const producer = kafka.producer({ transactionalId: "warm-up", maxInFlightRequests: 1 });
  await producer.connect();
  const tx = await producer.transaction();
  await tx.send({ topic, messages: [{ value: "warm-up" }] });
  await tx.commit();
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: "warm-up" });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
  await consumer.run({ eachMessage: () => Promise.resolve() });
  await joined;
  await consumer.disconnect();
  console.error(`kafka: coordinators warm in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

const stopBroker = () => {
  if (broker?.pid) Deno.kill(broker.pid, "SIGKILL");
};
Deno.addSignalListener("SIGINT", () => {
  stopBroker();
  Deno.exit(130);
});

// By default: every test, and every `@example` in lib/ (type-checked and run, so a wrong
// example fails the build).
const args = Deno.args.length > 0 ? Deno.args : ["--doc", "tests/", "lib/"];
const child = new Deno.Command(Deno.execPath(), {
  args: ["test", "--allow-all", "--parallel", ...args],
  env: { KAFKA_TEST_BROKER: bootstrap },
  stdout: "piped",
  stderr: "inherit",
}).spawn();

// Echo the output and keep the summary line, so the run ends with a plain
// "N passed, N failed" line that any CI can read.
let summary = "";
const decoder = new TextDecoder();
let pending = "";
for await (const chunk of child.stdout) {
  await Deno.stdout.write(chunk);
  pending += decoder.decode(chunk, { stream: true });
  const lines = pending.split("\n");
  pending = lines.pop()!;
  for (const line of lines) {
    // deno test's last line: "ok | 12 passed (40 steps) | 0 failed | 1 ignored (9s)"
    // deno-lint-ignore no-control-regex
    const plain = line.replace(/\x1b\[[0-9;]*m/g, "");
    if (/^(ok|FAILED) \| \d+ passed/.test(plain)) summary = plain;
  }
}
const status = await child.status;
if (broker) await broker.stop();

const passed = /(\d+) passed/.exec(summary)?.[1];
const failed = /(\d+) failed/.exec(summary)?.[1];
const ignored = /(\d+) ignored/.exec(summary)?.[1];
if (passed !== undefined) {
  console.log(
    `\ntests: ${passed} passed, ${failed ?? 0} failed${ignored ? `, ${ignored} skipped` : ""}`,
  );
}
console.error(`total time ${((performance.now() - started) / 1000).toFixed(1)} s`);
Deno.exit(status.success ? 0 : (status.code || 1));
