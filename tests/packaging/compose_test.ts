/**
 * docker-compose.yml: it validates (with the docker client's compose, when installed), publishes
 * no metrics port, does not restart for ever, scales (`--scale pos-producer=3`: no container name,
 * no host port, one configuration for every replica), deploy/create-topics.sh makes the internal
 * topics with the foot topic's partition count, and its load generator shows a first checkout
 * within a minute: the compose command lines of `pos-producer` and `simulate`, run as they are
 * against the test broker (only the broker address, the /data mount, the topic names and the
 * metrics port are substituted).
 */
import assert from "node:assert/strict";
import { freePort, testBroker, uniqueServiceNames } from "../support/kafka.ts";
import { readMessages, testKafka } from "../support/kafka_client.ts";
import { readyBy } from "../support/service_process.ts";

const ROOT = new URL("../../", import.meta.url);
const MAIN = new URL("main.ts", ROOT).pathname;
const COMPOSE = await Deno.readTextFile(new URL("docker-compose.yml", ROOT));

/** The text block of one compose service (its lines up to the next service). */
function serviceBlock(name: string): string {
  const lines = COMPOSE.split("\n");
  const start = lines.indexOf(`  ${name}:`);
  assert.ok(start >= 0, `docker-compose.yml has no service ${name}`);
  const end = lines.findIndex((l, i) => i > start && /^ {2}[a-z][\w-]*:\s*$/.test(l));
  return lines.slice(start, end < 0 ? undefined : end).join("\n");
}

/** A service's `command: [...]` (written as a JSON array) and `environment:` map. */
function service(name: string): { command: string[]; environment: Record<string, string> } {
  const block = serviceBlock(name);
  // A flow sequence of quoted strings, on one line or several (as deno fmt writes it).
  const command = /^\s{4}command:\s*(\[[^\]]*\])/m.exec(block);
  assert.ok(command, `${name}: command is not a [ … ] list`);
  return {
    command: JSON.parse(command[1].replace(/,\s*\]$/, "]")),
    environment: serviceEnvironment(name),
  };
}

/** A service's `environment:` map. */
function serviceEnvironment(name: string): Record<string, string> {
  const block = serviceBlock(name);
  const environment: Record<string, string> = {};
  const env = /^\s{4}environment:\n((?:\s{6}.*\n?|\s*#.*\n)*)/m.exec(block);
  for (const line of env?.[1].split("\n") ?? []) {
    const m = /^\s{6}([A-Z_][A-Z0-9_]*):\s*(.*?)\s*$/.exec(line);
    if (m) environment[m[1]] = m[2].replace(/^"(.*)"$/, "$1");
  }
  return environment;
}

async function composeCommand(): Promise<string[] | undefined> {
  for (const cmd of [["docker", "compose"], ["docker-compose"]]) {
    try {
      const out = await new Deno.Command(cmd[0], {
        args: [...cmd.slice(1), "version"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (out.success) return cmd;
    } catch { /* not installed */ }
  }
  return undefined;
}

const compose = await composeCommand();
if (!compose) {
  console.warn("compose_test: no docker compose / docker-compose; config not validated");
}

/** `docker compose config` in the repository: asserts it validates; the resolved file. */
async function composeConfig(): Promise<string> {
  const out = await new Deno.Command(compose![0], {
    args: [...compose!.slice(1), "config"],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

Deno.test({
  name: "docker compose config validates the compose file",
  ignore: compose === undefined,
  fn: async () => {
    await composeConfig();
  },
});

Deno.test("compose: no CLOCK, no metrics port on the host, no endless restart, examples as data", () => {
  const pos = serviceBlock("pos-producer");
  assert.doesNotMatch(pos, /CLOCK/);
  assert.doesNotMatch(pos, /^\s{4}ports:/m, "the metrics port is published on the host");
  for (const name of ["pos-producer", "simulate"]) {
    const restart = /^\s{4}restart:\s*"?([^"\n]*)"?/m.exec(serviceBlock(name))?.[1];
    assert.match(restart ?? "", /^on-failure:\d+$|^"?no"?$/, `${name} restarts for ever`);
    assert.match(serviceBlock(name), /\$\{POS_DATA_DIR:-\.\/examples\}:\/data:ro/);
  }
  assert.match(service("simulate").command.join(" "), /--time-scale (\d+)/);
});

Deno.test("compose: pos-producer scales (no container name, host port or per-replica id)", () => {
  const pos = serviceBlock("pos-producer");
  assert.doesNotMatch(pos, /^\s{4}container_name:/m, "a fixed container name stops --scale");
  assert.doesNotMatch(pos, /^\s{4}hostname:/m, "every replica would have one host name");
  assert.doesNotMatch(pos, /^\s{4}ports:/m, "a host port binding stops --scale");
  assert.doesNotMatch(pos, /TRANSACTIONAL_ID|--transactional-id/, "ids are per task, not set");
  assert.doesNotMatch(pos, /^\s{4}deploy:/m, "replicas are set by --scale, not in the file");
  // The topic script names the repartition topic after the same application id.
  const app = service("pos-producer").environment.APPLICATION_ID ?? "pos-producer";
  assert.equal(serviceEnvironment("topics").APPLICATION_ID ?? "pos-producer", app);
  assert.match(COMPOSE, /docker compose up .*--scale pos-producer=3/);
});

Deno.test({
  name: "docker compose config: pos-producer resolves with no container name and no ports",
  ignore: compose === undefined,
  fn: async () => {
    const text = await composeConfig();
    // The resolved file, as compose will run it: the pos-producer service's block.
    const lines = text.split("\n");
    const start = lines.findIndex((l) => /^ {2}pos-producer:\s*$/.test(l));
    assert.ok(start >= 0, text);
    const end = lines.findIndex((l, i) => i > start && /^ {2}\S/.test(l));
    const block = lines.slice(start, end < 0 ? undefined : end).join("\n");
    assert.doesNotMatch(block, /container_name:/);
    assert.doesNotMatch(block, /^\s{4}ports:/m);
  },
});

Deno.test("create-topics.sh: data topics with TOPIC_PARTITIONS, internal ones with the foot count", async () => {
  // kafka-topics.sh is not installed here: a stand-in records the calls and says the foot topic
  // (made before, say) has 6 partitions.
  const dir = await Deno.makeTempDir();
  try {
    const calls = `${dir}/calls`;
    const stub = `${dir}/kafka-topics.sh`;
    await Deno.writeTextFile(
      stub,
      `#!/usr/bin/env bash\necho "$*" >> ${calls}\n` +
        `case "$*" in *--describe*) printf 'Topic: f\\tTopicId: x\\tPartitionCount: 6\\tReplicationFactor: 1\\n';; esac\n`,
    );
    await Deno.chmod(stub, 0o755);
    const out = await new Deno.Command("bash", {
      args: [new URL("deploy/create-topics.sh", ROOT).pathname],
      env: { KAFKA_TOPICS_SH: stub, KAFKA_BROKER: "b:9092", ...serviceEnvironment("topics") },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const made = (await Deno.readTextFile(calls)).split("\n").filter((l) => l.includes("--create"));
    const partitions = (topic: string) => {
      const line = made.find((l) => l.includes(`--topic ${topic} `));
      assert.ok(line, `${topic} not created: ${made.join("\n")}`);
      return [Number(/--partitions (\d+)/.exec(line)![1]), line] as const;
    };
    const dataCount = Number(serviceEnvironment("topics").TOPIC_PARTITIONS);
    for (const t of ["foot_traffic", "shelf_events", "pos_transactions", "pos_dlq"]) {
      assert.equal(partitions(t)[0], dataCount, t);
    }
    const [rep, repLine] = partitions("pos-producer-by-customer");
    assert.equal(rep, 6);
    assert.match(repLine, /cleanup\.policy=delete/);
    const [state, stateLine] = partitions("pos_producer_state");
    assert.equal(state, 6);
    assert.match(stateLine, /cleanup\.policy=compact/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "compose's load generator: the first checkout arrives within 60 s",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const { bootstrap } = await testBroker();
    const port = freePort();
    // What differs from inside compose: the broker, the /data mount, names, the metrics port.
    const unique = uniqueServiceNames("compose");
    const names: Record<string, string> = {
      ...unique,
      APPLICATION_ID: unique.TRANSACTIONAL_ID,
      METRICS_PORT: String(port),
      TOPIC_PARTITIONS: "3",
    };
    const examples = new URL("examples", ROOT).pathname;
    const spawn = (name: string) => {
      const { command, environment } = service(name);
      const env: Record<string, string> = { ...names };
      for (const [k, v] of Object.entries(environment)) {
        if (!(k in names)) env[k] = v.replace(/^\/data/, examples);
      }
      return new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-all",
          MAIN,
          ...command.map((a) => a === "kafka:9092" ? bootstrap : a),
        ],
        env,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    };
    const pos = spawn("pos-producer");
    const posOut = pos.output();
    let sim: Deno.ChildProcess | undefined;
    try {
      await readyBy(port, Date.now() + 60_000);
      const started = Date.now();
      sim = spawn("simulate");
      const got = await readMessages(testKafka(bootstrap), names.POS_TOPIC, {
        count: 1,
        timeoutMs: 60_000,
      });
      const seconds = (Date.now() - started) / 1000;
      assert.equal(got.length, 1, `no transaction within 60 s of the first simulated shopper`);
      assert.ok(seconds <= 60, `first checkout after ${seconds} s`);
      const tx = JSON.parse(got[0].value!.toString());
      assert.equal(tx.event_type, "pos_transaction");
    } finally {
      sim?.kill("SIGINT");
      await sim?.output();
      pos.kill("SIGTERM");
    }
    const out = await posOut;
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr).slice(-2000));
  },
});

Deno.test({
  name: "the image's health check finds the metrics port however it was set (flag beats variable)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const store = new URL("examples/store_inventory_final.parquet", ROOT).pathname;
    const check = async (pid: number) =>
      (await new Deno.Command("bash", {
        args: [new URL("deploy/healthcheck.sh", ROOT).pathname],
        env: { POS_PID: String(pid) },
        stdout: "null",
        stderr: "null",
      }).output()).code;
    const port = freePort();
    const ways: [string, string[], Record<string, string>][] = [
      ["flag", ["--metrics-port", String(port)], { METRICS_PORT: String(freePort()) }],
      ["flag=", [`--metrics-port=${port}`], {}],
      ["variable", [], { METRICS_PORT: String(port) }],
    ];
    for (const [how, flags, env] of ways) {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", MAIN, "--broker", "127.0.0.1:1", "--store", store, ...flags],
        env: { ...env, LOG_LEVEL: "error" },
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      try {
        const deadline = Date.now() + 30_000;
        while (
          (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0)) !== 200
        ) {
          assert.ok(Date.now() < deadline, `${how}: /healthz never answered`);
          await new Promise((r) => setTimeout(r, 200));
        }
        assert.equal(await check(child.pid), 0, `${how}: the health check failed`);
      } finally {
        child.kill("SIGKILL");
        await child.status;
      }
    }
  },
});
