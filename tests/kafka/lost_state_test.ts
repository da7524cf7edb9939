/**
 * A broker that lost the service's data is told loudly (issue 24): the internal topics made anew
 * where the process had them, or a changelog missing while the input groups have offsets, is one
 * error line saying what was lost (the open carts and sessions held) and what to do. Broker-free:
 * the line; on a broker of the test's own: SIGKILL, and a broker without data on the same port.
 */
import assert from "node:assert/strict";
import { stateLossLine } from "../../lib/kafka/lost_state.ts";
import { startBroker } from "../support/kafka.ts";
import { testKafka } from "../support/kafka_client.ts";
import { makeFixture, pickupValue, sessionValue } from "../support/service_fixture.ts";
import {
  eventually,
  isReady,
  metricsText,
  metricValue,
  produce,
  readyBy,
  startService,
} from "../support/service_process.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

const CONFIG = {
  stateTopic: "pos_producer_state",
  repartitionTopic: "pos-producer-by-customer",
  groupIdFoot: "pos-simulator-foot",
  groupIdShelf: "pos-simulator-shelf",
};
const BOTH = [CONFIG.repartitionTopic, CONFIG.stateTopic];

Deno.test("lost state: internal topics made at a first start, nothing held, no offsets: nothing to tell", () => {
  const facts = { created: BOTH, hadTopics: false, committedBefore: false, offsetsNow: false };
  assert.equal(stateLossLine(CONFIG, facts), undefined);
  assert.equal(stateLossLine(CONFIG, { ...facts, created: [], hadTopics: true }), undefined);
  // An upgrade from the single pipeline: the changelog is there, the repartition topic is new.
  assert.equal(
    stateLossLine(CONFIG, { ...facts, created: [CONFIG.repartitionTopic], offsetsNow: true }),
    undefined,
  );
});

Deno.test("lost state: a broker back without its data is one line naming the carts and sessions lost and --data", () => {
  const line = stateLossLine(CONFIG, {
    created: BOTH,
    hadTopics: true,
    held: { carts: 89, sessions: 194 },
    committedBefore: true,
    offsetsNow: false,
  });
  assert.ok(line);
  assert.doesNotMatch(line, /\n/);
  assert.equal(
    line,
    "pos-producer-by-customer (REPARTITION_TOPIC) and pos_producer_state (STATE_TOPIC) were " +
      "missing and are made anew: the broker lost this service's data (restarted without it?) " +
      "or they were deleted; gone with them: the changelog of open carts and sessions, the " +
      "records forwarded to the repartition topic and not yet checked out, the committed offsets " +
      "of pos-simulator-foot (GROUP_ID_FOOT) and pos-simulator-shelf (GROUP_ID_SHELF): the " +
      "inputs are read again from the earliest record the broker has; lost: the 89 open carts " +
      "and 194 open sessions this instance held (those visits are billed from their later " +
      "events only, or not at all). Keep the broker's data across restarts (deno task kafka " +
      "--data DIR; a broker's log.dirs on lasting storage), and send the lost visits' records " +
      "again if their producers still have them",
  );
});

Deno.test("lost state: a changelog deleted while the service was stopped is told at its start", () => {
  const line = stateLossLine(CONFIG, {
    created: [CONFIG.stateTopic],
    hadTopics: false,
    committedBefore: false,
    offsetsNow: true,
  });
  assert.match(
    line ?? "",
    /^pos_producer_state \(STATE_TOPIC\) was missing and is made anew: they were deleted while the input groups kept their committed offsets; gone with it: the changelog of open carts and sessions; the open carts and sessions it held are lost\. Keep/,
  );
});

Deno.test(
  "a broker restarted without its data: the service logs one error line naming the open carts lost and --data",
  opts,
  async () => {
    const broker = await startBroker();
    const port = Number(broker.bootstrap.split(":").at(-1));
    let second: Awaited<ReturnType<typeof startBroker>> | undefined;
    const kafka = testKafka(broker.bootstrap);
    const fx = await makeFixture(kafka, broker.bootstrap, 3, ["--create-topics"]);
    const svc = await startService(fx.args);
    try {
      await readyBy(svc.metricsPort, Date.now() + 90_000);
      // 12 shoppers in the store: entered a minute ago, leaving in an hour, one pickup each.
      const nowUs = Date.now() * 1000;
      const ids = Array.from({ length: 12 }, (_, i) => `lost-${i}`);
      await produce(
        kafka,
        fx.topics.foot,
        ids.map((c) => ({
          key: c,
          us: nowUs,
          value: sessionValue(c, nowUs - 60e6, nowUs + 3600e6),
        })),
      );
      await produce(
        kafka,
        fx.topics.shelf,
        ids.map((c) => ({ key: null, us: nowUs, value: pickupValue(c, "BEVWAT1", nowUs - 30e6) })),
      );
      // Both gauges: the sessions and the pickups are applied in their own time.
      await eventually(
        "12 open carts and 12 open sessions",
        async () => {
          const m = await metricsText(svc);
          return metricValue(m, "pos_open_carts") === 12 &&
            metricValue(m, "pos_open_sessions") === 12;
        },
        60_000,
      );
      // And committed: a shopper's records are applied before their commit (read where they
      // lie), so the gauges alone do not say the input groups had offsets when the broker died.
      const admin = kafka.admin();
      await admin.connect();
      await eventually(
        "the sessions' offsets committed in GROUP_ID_FOOT",
        async () => {
          const [foot] = await admin.fetchOffsets({
            groupId: groupOf(fx.args),
            topics: [fx.topics.foot],
          });
          return foot.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0) >= 12;
        },
        60_000,
      );
      await admin.disconnect();
      await broker.kill();
      const lostAt = Date.now();
      second = await startBroker({}, { port });
      const isLossLine = (l: string) => l.includes("made anew");
      await eventually(
        "the error line about the lost data",
        async () => (await svc.log()).split("\n").some(isLossLine),
        120_000,
        500,
      );
      console.log(`told ${((Date.now() - lostAt) / 1000).toFixed(1)} s after the broker died`);
      const lines = (await svc.log()).split("\n").filter(isLossLine);
      assert.equal(lines.length, 1, `told once: ${lines.join("\n")}`);
      const entry = JSON.parse(lines[0]) as { level: string; msg: string };
      assert.equal(entry.level, "error");
      for (
        const told of [
          /the broker lost this service's data/,
          /lost: the 12 open carts and 12 open sessions this instance held/,
          /the committed offsets of gf-\w+ \(GROUP_ID_FOOT\)/,
          /deno task kafka --data DIR/,
        ]
      ) assert.match(entry.msg, told, `${told} in ${lines[0]}`);
      await readyBy(svc.metricsPort, Date.now() + 60_000);
      assert.ok(await isReady(svc), "it goes on with the new broker");
    } finally {
      svc.kill("SIGKILL");
      await svc.wait();
      await second?.stop();
      await broker.stop();
    }
  },
);

/** The foot group (GROUP_ID_FOOT) of a fixture's arguments. */
function groupOf(args: string[]): string {
  return args[args.indexOf("--group-id-foot") + 1];
}
