/**
 * The topology check at start (lib/kafka/topics.ts `checkTopology`) on the real broker: the
 * repartition topic and the changelog have as many partitions as the foot topic, the changelog is
 * compacted and the repartition topic is not; missing internal topics are made right; anything
 * else is a `TopologyError` naming the topic, what it has and what it needs, and `pos-producer
 * run` exits 2 with that one line.
 */
import assert from "node:assert/strict";
import { type Admin, ConfigResourceTypes } from "kafkajs";
import { parseServiceConfig, type ServiceConfig } from "../../lib/cli/config.ts";
import { checkTopology, TopologyError, topologyProblems } from "../../lib/kafka/topics.ts";
import { jsonLogger } from "../../lib/observe/log.ts";
import { freePort, testBroker, uniqueServiceNames } from "../support/kafka.ts";
import { createTopics, testKafka } from "../support/kafka_client.ts";

const ROOT = new URL("../../", import.meta.url);
const MAIN = new URL("main.ts", ROOT).pathname;
const STORE = new URL("examples/store_inventory_final.parquet", ROOT).pathname;
const COMPACT = [{ name: "cleanup.policy", value: "compact" }];
const DELETE = [{ name: "cleanup.policy", value: "delete" }];
const quiet = jsonLogger("error", () => {});
const opts = { sanitizeOps: false, sanitizeResources: false };

/** Unique names for one case, as variables and as the parsed configuration. */
function names(prefix: string, extra: Record<string, string> = {}) {
  const env: Record<string, string> = { ...uniqueServiceNames(prefix), ...extra };
  const { config } = parseServiceConfig([], (n) => env[n]);
  return { env, config };
}

async function withAdmin<T>(bootstrap: string, f: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = testKafka(bootstrap).admin();
  await admin.connect();
  try {
    return await f(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Partition count and cleanup.policy of `topic`. */
async function describe(admin: Admin, topic: string): Promise<[number, string]> {
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  const conf = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ["cleanup.policy"] }],
  });
  const policy = conf.resources[0].configEntries.find((e) => e.configName === "cleanup.policy");
  return [meta.topics[0].partitions.length, policy?.configValue ?? ""];
}

/** Foot topic with `foot` partitions, shelf with `shelf`, the outputs with 1. */
async function inputs(bootstrap: string, config: ServiceConfig, foot: number, shelf: number) {
  const kafka = testKafka(bootstrap);
  await createTopics(kafka, [config.footTopic], foot);
  await createTopics(kafka, [config.shelfTopic], shelf);
  // The outputs too: the start waits for them (no client lets the broker make a topic).
  await createTopics(kafka, [config.posTopic, config.dlqTopic], 1);
}

async function refused(bootstrap: string, config: ServiceConfig): Promise<string> {
  const e = await withAdmin(bootstrap, (admin) => checkTopology(admin, config, quiet)).then(
    () => undefined,
    (e) => e,
  );
  assert.ok(e instanceof TopologyError, `expected a TopologyError, got ${e}`);
  assert.doesNotMatch(e.message, /\n/, "the message is one line");
  return e.message;
}

Deno.test("topologyProblems: a fitting set has none; each wrong count or policy is named", () => {
  const config = {
    footTopic: "foot",
    stateTopic: "state",
    repartitionTopic: "rep",
    applicationId: "app",
  };
  const fits = new Map([["rep", 6], ["state", 6]]);
  const policies = new Map([["rep", "delete"], ["state", "compact"]]);
  assert.deepEqual(topologyProblems(config, 6, fits, policies), []);
  const [p] = topologyProblems(config, 6, new Map([["rep", 6], ["state", 3]]), policies);
  assert.match(p, /^state \(STATE_TOPIC\) has 3 partitions; it must have 6, as foot: /);
  const both = topologyProblems(
    config,
    6,
    fits,
    new Map([["rep", "compact,delete"], ["state", "delete"]]),
  );
  assert.equal(both.length, 2);
  assert.match(
    both.join("; "),
    /state \(STATE_TOPIC\) has cleanup\.policy=delete; it must be compact/,
  );
  assert.match(both.join("; "), /rep \(REPARTITION_TOPIC\) has cleanup\.policy=compact,delete/);
  // "compact,delete" is not a changelog: old state would be deleted.
  assert.equal(
    topologyProblems(config, 6, fits, new Map([["rep", "delete"], ["state", "delete,compact"]]))
      .length,
    1,
  );
});

Deno.test("checkTopology accepts a correct set (any shelf count)", opts, async () => {
  const { bootstrap } = await testBroker();
  const { config } = names("topo-ok");
  await inputs(bootstrap, config, 4, 3);
  const kafka = testKafka(bootstrap);
  await createTopics(kafka, [config.stateTopic], 4, COMPACT);
  await createTopics(kafka, [config.repartitionTopic], 4, DELETE);
  const topology = await withAdmin(bootstrap, (admin) => checkTopology(admin, config, quiet));
  assert.deepEqual(topology, { taskCount: 4, shelfPartitions: 3, created: [] });
});

Deno.test(
  "checkTopology makes missing internal topics: P partitions, changelog compacted",
  opts,
  async () => {
    const { bootstrap } = await testBroker();
    // The repartition topic's default name follows the application id.
    const { config } = names("topo-make", { APPLICATION_ID: `app-${crypto.randomUUID()}` });
    assert.equal(config.repartitionTopic, `${config.applicationId}-by-customer`);
    await inputs(bootstrap, config, 5, 2);
    await withAdmin(bootstrap, async (admin) => {
      assert.deepEqual(await checkTopology(admin, config, quiet), {
        taskCount: 5,
        shelfPartitions: 2,
        created: [config.repartitionTopic, config.stateTopic],
      });
      assert.deepEqual(await describe(admin, config.stateTopic), [5, "compact"]);
      assert.deepEqual(await describe(admin, config.repartitionTopic), [5, "delete"]);
      // Again (a second instance): they exist and fit.
      assert.equal((await checkTopology(admin, config, quiet)).taskCount, 5);
    });
  },
);

Deno.test(
  "--create-topics: inputs and outputs with TOPIC_PARTITIONS, internal topics with the foot count",
  opts,
  async () => {
    const { bootstrap } = await testBroker();
    const { config } = names("topo-create", { CREATE_TOPICS: "1", TOPIC_PARTITIONS: "2" });
    await withAdmin(bootstrap, async (admin) => {
      assert.deepEqual(await checkTopology(admin, config, quiet), {
        taskCount: 2,
        shelfPartitions: 2,
        created: [config.repartitionTopic, config.stateTopic],
      });
      for (const t of [config.footTopic, config.shelfTopic, config.posTopic, config.dlqTopic]) {
        assert.deepEqual(await describe(admin, t), [2, "delete"], t);
      }
      assert.deepEqual(await describe(admin, config.stateTopic), [2, "compact"]);
      assert.deepEqual(await describe(admin, config.repartitionTopic), [2, "delete"]);
    });
    // The foot topic already there with 3: the internal topics follow it, not TOPIC_PARTITIONS.
    const other = names("topo-create3", { CREATE_TOPICS: "1", TOPIC_PARTITIONS: "2" }).config;
    await createTopics(testKafka(bootstrap), [other.footTopic], 3);
    await withAdmin(bootstrap, async (admin) => {
      assert.equal((await checkTopology(admin, other, quiet)).taskCount, 3);
      assert.deepEqual(await describe(admin, other.stateTopic), [3, "compact"]);
      assert.deepEqual(await describe(admin, other.repartitionTopic), [3, "delete"]);
    });
  },
);

Deno.test("checkTopology refuses a changelog with the wrong partition count", opts, async () => {
  const { bootstrap } = await testBroker();
  const { config } = names("topo-state");
  await inputs(bootstrap, config, 6, 1);
  await createTopics(testKafka(bootstrap), [config.stateTopic], 3, COMPACT);
  const msg = await refused(bootstrap, config);
  assert.match(
    msg,
    new RegExp(
      `^${config.stateTopic} \\(STATE_TOPIC\\) has 3 partitions; it must have 6, as ${config.footTopic}: `,
    ),
  );
  assert.doesNotMatch(msg, new RegExp(config.repartitionTopic), "the repartition topic fits");
});

Deno.test(
  "checkTopology refuses a repartition topic with the wrong partition count",
  opts,
  async () => {
    const { bootstrap } = await testBroker();
    const { config } = names("topo-rep");
    await inputs(bootstrap, config, 2, 2);
    await createTopics(testKafka(bootstrap), [config.repartitionTopic], 4, DELETE);
    const msg = await refused(bootstrap, config);
    assert.match(
      msg,
      new RegExp(
        `^${config.repartitionTopic} \\(REPARTITION_TOPIC\\) has 4 partitions; it must have 2, as ${config.footTopic}: `,
      ),
    );
  },
);

Deno.test(
  "checkTopology refuses a changelog that is not compacted, a repartition topic that is",
  opts,
  async () => {
    const { bootstrap } = await testBroker();
    const { config } = names("topo-policy");
    await inputs(bootstrap, config, 2, 1);
    const kafka = testKafka(bootstrap);
    await createTopics(kafka, [config.stateTopic], 2, DELETE);
    await createTopics(kafka, [config.repartitionTopic], 2, COMPACT);
    const msg = await refused(bootstrap, config);
    assert.match(
      msg,
      new RegExp(
        `${config.stateTopic} \\(STATE_TOPIC\\) has cleanup\\.policy=delete; it must be compact`,
      ),
    );
    assert.match(
      msg,
      new RegExp(
        `${config.repartitionTopic} \\(REPARTITION_TOPIC\\) has cleanup\\.policy=compact; it must be delete`,
      ),
    );
    assert.match(msg, /kafka-configs\.sh --alter/);
  },
);

Deno.test("checkTopology refuses two roles with one topic name", opts, async () => {
  const { bootstrap } = await testBroker();
  const { config } = names("topo-names");
  const msg = await refused(bootstrap, { ...config, repartitionTopic: config.shelfTopic });
  assert.match(msg, /SHELF_TOPIC .* and REPARTITION_TOPIC|REPARTITION_TOPIC .* and SHELF_TOPIC/);
});

Deno.test(
  "pos-producer run with a changelog of the wrong partition count exits 2 with one line",
  opts,
  async () => {
    const { bootstrap } = await testBroker();
    const { env, config } = names("topo-cli");
    await inputs(bootstrap, config, 3, 1);
    await createTopics(testKafka(bootstrap), [config.stateTopic], 1, COMPACT);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", MAIN, "run", "--broker", bootstrap, "--store", STORE],
      env: { ...env, METRICS_PORT: String(freePort()), LOG_LEVEL: "error", NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, stderr.slice(-2000));
    const line = stderr.split("\n").find((l) => l.startsWith("pos-producer: "));
    assert.ok(line, stderr.slice(-2000));
    assert.match(
      line,
      new RegExp(
        `^pos-producer: ${config.stateTopic} \\(STATE_TOPIC\\) has 1 partition; it must have 3, as ${config.footTopic}: `,
      ),
    );
  },
);
