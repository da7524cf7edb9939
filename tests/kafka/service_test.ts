/**
 * The service against a real broker (SPEC §6, issue 5): traffic shaped like the real upstream
 * producers, backfills, SIGKILL and broker restarts, garbage, SIGTERM and kcat compression.
 * Every run is compared with `pos-producer replay` over the same records.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { CompressionTypes } from "kafkajs";
import { freePort, startBroker } from "../support/kafka.ts";
import { testKafka } from "../support/kafka_client.ts";
import { simulatedTraffic, type TrafficRecord } from "../support/test_store.ts";
import { mulberry32 as rng, pyIsoformat as pyIso } from "../../lib/sim/store_simulation.ts";
import {
  eventually,
  isReady,
  metricsText,
  metricValue,
  produce,
  readAll,
  startService,
  stopService,
  withService,
} from "../support/service_process.ts";
import {
  brokerFixture,
  expectTransactions,
  makeFixture,
  outputTransactions,
  produceLikeUpstream,
  produceThroughOutages,
  produceTraffic,
  replayedTraffic,
  replayExpected,
  serviceArgs,
} from "../support/service_fixture.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "traffic shaped like the real producers yields exactly replay's transactions",
  opts,
  async () => {
    const { kafka, fx } = await brokerFixture(3);
    const { traffic, expected } = await replayedTraffic(fx, { customers: 300, seed: 11 });
    assert.ok(expected.length > 250, `replay gave ${expected.length} transactions`);

    await withService(fx.args, async (svc) => {
      await produceLikeUpstream(kafka, fx, traffic, 10);
      await expectTransactions(kafka, fx, expected, "all transactions", 90_000);
      const m = await metricsText(svc);
      assert.equal(metricValue(m, "pos_transactions_total"), expected.length);
      assert.ok(
        metricValue(
          m,
          'pos_records_total{source="shelf",event_type="weight_change",outcome="skipped"}',
        ) > 0,
      );
    });
  },
);

Deno.test(
  "a backfill (whole foot topic before any shelf event, all before start) gives complete carts",
  opts,
  async () => {
    const { kafka, fx } = await brokerFixture(3);
    const { traffic, expected } = await replayedTraffic(fx, { customers: 200, seed: 12 });
    await produceTraffic(kafka, fx, traffic);
    await withService(
      fx.args,
      () => expectTransactions(kafka, fx, expected, "all transactions", 90_000),
    );
  },
);

Deno.test(
  "SIGKILL at random moments, restarted each time: every checkout exactly once",
  opts,
  async () => {
    const { kafka, fx } = await brokerFixture(3);
    const { traffic, expected } = await replayedTraffic(fx, { customers: 600, seed: 13 });
    const rand = rng(99);

    // Produce window by window while the service is killed and restarted under it.
    const producing = produceLikeUpstream(kafka, fx, traffic, 16, 500);
    let kills = 0;
    let svc = await startService(fx.args);
    try {
      while (kills < 4) {
        // Kill while it works: after it is consuming, at a random moment.
        await eventually("service ready", () => isReady(svc), 60_000, 50);
        await new Promise((r) => setTimeout(r, 200 + Math.floor(rand() * 2500)));
        svc.kill("SIGKILL");
        await svc.wait();
        kills++;
        svc = await startService(fx.args);
      }
      await producing;
      await expectTransactions(kafka, fx, expected, "all transactions after the kills", 120_000);
      assert.equal(await stopService(svc), 0);
    } finally {
      svc.kill("SIGKILL");
    }
  },
);

Deno.test(
  "a broker restart in the middle of a run: same transactions, none twice",
  opts,
  async () => {
    const broker = await startBroker();
    const kafka = testKafka(broker.bootstrap);
    const fx = await makeFixture(kafka, broker.bootstrap, 3);
    const { traffic, expected } = await replayedTraffic(fx, { customers: 300, seed: 14 });
    try {
      await withService(fx.args, async () => {
        // The producers keep writing through the restart, holding what they write meanwhile.
        let restarted: Promise<void> | undefined;
        await produceThroughOutages(kafka, fx, traffic, {
          slices: 12,
          pauseMs: 800,
          afterSlice: (i) => {
            if (i === 3) restarted = broker.restart();
          },
        });
        await restarted;
        const kafka2 = testKafka(broker.bootstrap);
        await expectTransactions(
          kafka2,
          fx,
          expected,
          "all transactions after the broker restart",
          120_000,
        );
      });
    } finally {
      await broker.stop();
    }
  },
);

/** Invalid records on both topics: 6 on the shelf topic, 7 on the foot topic (2 "pickup"). */
async function produceGarbage(
  kafka: ReturnType<typeof testKafka>,
  topics: { foot: string; shelf: string },
): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  const garbage = [
    { value: Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]) }, // binary, not UTF-8
    { value: "{not json" },
    { value: "[1,2,3]" },
    { value: JSON.stringify({ event_type: "pickup", customer_id: 42, item_id: "X" }) },
    {
      value: JSON.stringify({
        event_type: "pickup",
        customer_id: "c",
        item_id: "X",
        quantity: 0,
      }),
    },
  ];
  const big = { value: "x".repeat(1_000_000) }; // a 1 MB record, alone in its batch
  await producer.send({ topic: topics.shelf, messages: garbage });
  await producer.send({ topic: topics.shelf, messages: [big] });
  await producer.send({ topic: topics.foot, messages: [big] });
  await producer.send({
    topic: topics.foot,
    messages: [
      ...garbage,
      {
        value: JSON.stringify({
          event_type: "foot_traffic",
          customer_id: "c1",
          entry_time: "yesterday",
          exit_time: pyIso(Date.now() * 1000),
        }),
      },
    ],
  });
  await producer.disconnect();
}

Deno.test(
  "garbage in both topics goes to the DLQ with reasons; the service keeps going",
  opts,
  async () => {
    const { kafka, fx } = await brokerFixture(1);
    const { traffic, expected } = await replayedTraffic(fx, { customers: 20, seed: 15 });
    await produceGarbage(kafka, fx.topics);
    await produceTraffic(kafka, fx, traffic);
    await withService(fx.args, async (svc) => {
      await expectTransactions(kafka, fx, expected, "transactions after the garbage");
      // Shelf: all 6 are invalid. Foot: the two "pickup" records are another event type on the
      // foot topic (skipped and counted, SPEC §1); the other 5 are invalid.
      const invalidCount = 6 + 5;
      const dlq = await readAll(kafka, fx.topics.dlq);
      assert.equal(dlq.length, invalidCount);
      for (const d of dlq) {
        assert.ok(d.headers["dlq.reason"], "every DLQ record names a reason");
        assert.ok([fx.topics.foot, fx.topics.shelf].includes(d.headers["dlq.source.topic"]));
        assert.match(d.headers["dlq.source.offset"], /^\d+$/);
      }
      const m = await metricsText(svc);
      const invalid = m.split("\n").filter((l) => l.startsWith("pos_invalid_records_total"))
        .reduce((n, l) => n + Number(l.split(" ").pop()), 0);
      assert.equal(invalid, invalidCount);
      const big = dlq.find((d) => d.headers["dlq.truncated.original.bytes"]);
      assert.equal(big?.headers["dlq.truncated.original.bytes"], "1000000");
    });
  },
);

/** 30 shoppers squeezed into [now - 60 s, now + 20 s]: exits come soon after a restart. */
function inStoreAtStop(nowUs: number) {
  const traffic = simulatedTraffic({
    customers: 30,
    seed: 16,
    startUs: nowUs - 60_000_000,
    spacingUs: 0,
  });
  const exitUs = nowUs + 20_000_000;
  const foot = traffic.foot.map((r) => {
    const v = JSON.parse(r.value);
    v.exit_time = pyIso(exitUs);
    return { ...r, value: JSON.stringify(v) };
  });
  const shelf = traffic.shelf.map((r, i) => {
    const v = JSON.parse(r.value);
    const t = nowUs - 50_000_000 + i * 1000;
    v.timestamp = pyIso(t);
    return { ...r, us: t, value: JSON.stringify(v) };
  });
  return { foot, shelf };
}

Deno.test(
  "SIGTERM exits 0 within 10 s; carts open at the stop are complete at checkout",
  opts,
  async () => {
    const { kafka, fx } = await brokerFixture(3);
    // Real time: shoppers who are still in the store when the service stops.
    const { foot, shelf } = inStoreAtStop(Date.now() * 1000);
    const all = { foot, shelf };
    const expected = await replayExpected(fx, all);

    let svc = await startService(fx.args);
    try {
      await produce(kafka, fx.topics.foot, foot);
      await produce(kafka, fx.topics.shelf, shelf.slice(0, Math.floor(shelf.length / 2)));
      const firstHalf = shelf.slice(0, Math.floor(shelf.length / 2));
      const cartEvents = firstHalf.filter((r) => /"event_type":"(pickup|putback)"/.test(r.value));
      await eventually("the first half consumed", async () => {
        const m = await metricsText(svc).catch(() => "");
        const applied = ["pickup", "putback"].reduce(
          (n, t) =>
            n +
            metricValue(m, `pos_records_total{source="shelf",event_type="${t}",outcome="applied"}`),
          0,
        );
        return applied >= cartEvents.length && metricValue(m, "pos_commits_total") > 0;
      });
      const m = await metricsText(svc);
      assert.ok(metricValue(m, "pos_commit_wait_seconds_count") > 0, "commits report their waits");
      const t0 = Date.now();
      assert.equal(await stopService(svc), 0);
      assert.ok(Date.now() - t0 < 10_000, `stop took ${Date.now() - t0} ms`);
      assert.equal(
        (await outputTransactions(kafka, fx)).length,
        0,
        "open carts are kept, not checked out",
      );

      svc = await startService(fx.args);
      await produce(kafka, fx.topics.shelf, shelf.slice(Math.floor(shelf.length / 2)));
      await expectTransactions(kafka, fx, expected, "checkouts after the restart", 60_000);
      assert.equal(await stopService(svc), 0);
    } finally {
      svc.kill("SIGKILL");
    }
  },
);

const hasKcat = await new Deno.Command("kcat", { args: ["-V"], stdout: "null", stderr: "null" })
  .output().then((o) => o.success).catch(() => false);

Deno.test({
  name: "input produced by kcat with snappy, lz4 and zstd is read and priced",
  ignore: !hasKcat,
  ...opts,
  fn: async () => {
    const { bootstrap, kafka, fx } = await brokerFixture(3);
    const { traffic, expected } = await replayedTraffic(fx, { customers: 90, seed: 17 });
    const kcat = async (topic: string, codec: string, records: TrafficRecord[]) => {
      const p = new Deno.Command("kcat", {
        args: ["-b", bootstrap, "-t", topic, "-P", "-z", codec, "-K", "\t", "-X", "linger.ms=20"],
        stdin: "piped",
        stderr: "piped",
      }).spawn();
      const w = p.stdin.getWriter();
      await w.write(
        new TextEncoder().encode(
          records.map((r) => `${r.key ?? ""}\t${r.value}`).join("\n") + "\n",
        ),
      );
      await w.close();
      const out = await p.output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
    };
    const codecs = ["snappy", "lz4", "zstd"];
    for (let i = 0; i < 3; i++) {
      const part = (rs: TrafficRecord[]) =>
        rs.slice(Math.floor((i * rs.length) / 3), Math.floor(((i + 1) * rs.length) / 3));
      await kcat(fx.topics.foot, codecs[i], part(traffic.foot));
      await kcat(fx.topics.shelf, codecs[(i + 1) % 3], part(traffic.shelf));
    }
    await withService(fx.args, () => expectTransactions(kafka, fx, expected, "all transactions"));
  },
});

Deno.test(
  "two instances with one TRANSACTIONAL_ID are replicas: both keep running, every visit billed once",
  opts,
  async () => {
    // Version 0.1 fenced the second and, with compose's restart policy, the two took turns
    // for ever. The id is now the application id of per-task transactional ids.
    const { kafka, fx } = await brokerFixture(3);
    const { traffic, expected } = await replayedTraffic(fx, { customers: 120, seed: 18 });
    const a = await startService(fx.args);
    const b = await startService(fx.args);
    try {
      await produceTraffic(kafka, fx, traffic);
      await expectTransactions(kafka, fx, expected, "all transactions from the two");
      assert.ok(await isReady(a) && await isReady(b), "both still serve");
      assert.equal(await stopService(a), 0);
      assert.equal(await stopService(b), 0);
    } finally {
      a.kill("SIGKILL");
      b.kill("SIGKILL");
    }
  },
);

Deno.test(
  "DELIVERY=at-least-once without transactions gives the same transactions",
  opts,
  async () => {
    const { kafka, fx } = await brokerFixture(3, ["--delivery", "at-least-once"]);
    const { traffic, expected } = await replayedTraffic(fx, { customers: 150, seed: 19 });
    await produceTraffic(kafka, fx, traffic, { compression: CompressionTypes.GZIP });
    await withService(fx.args, () => expectTransactions(kafka, fx, expected, "all transactions"));
  },
);

Deno.test(
  "--create-topics makes the missing topics with 3 partitions and a compacted changelog",
  opts,
  async () => {
    const { bootstrap, kafka, fx: catalog } = await brokerFixture(1);
    const id = crypto.randomUUID().slice(0, 8);
    const names = [`foot-${id}`, `shelf-${id}`, `pos-${id}`, `dlq-${id}`];
    const topics = {
      foot: names[0],
      shelf: names[1],
      pos: names[2],
      dlq: names[3],
      state: `state-${id}`,
    };
    await withService(
      [...serviceArgs(bootstrap, topics, id, catalog), "--create-topics"],
      async (svc) => {
        await eventually("service ready", () => isReady(svc), 60_000, 100);
        const admin = kafka.admin();
        await admin.connect();
        const meta = await admin.fetchTopicMetadata({ topics: [...names, `state-${id}`] });
        for (const t of meta.topics) assert.equal(t.partitions.length, 3, t.name);
        const configs = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: 2, name: `state-${id}`, configNames: ["cleanup.policy"] }],
        });
        assert.equal(configs.resources[0].configEntries[0].configValue, "compact");
        await admin.disconnect();
      },
    );
  },
);

Deno.test(
  "an unreachable broker: retries with backoff, stays alive and not ready, SIGTERM exits 0",
  opts,
  async () => {
    const port = freePort(); // nobody listens here
    const svc = await startService([
      "--broker",
      `127.0.0.1:${port}`,
      "--store",
      (await brokerFixture(1)).fx.store,
    ]);
    try {
      // The log says it once (a repeat is counted, not logged again within the minute); the
      // restarts counter shows the second attempt.
      await eventually(
        "a failed attempt in the log, and a second one counted",
        async () => {
          if (!/pipeline failed; restarting/.test(await svc.log())) return false;
          const res = await fetch(`http://127.0.0.1:${svc.metricsPort}/metrics`);
          const m = /^pos_pipeline_restarts_total (\d+)/m.exec(await res.text());
          return m !== null && Number(m[1]) >= 2;
        },
        60_000,
        250,
      );
      const health = await fetch(`http://127.0.0.1:${svc.metricsPort}/healthz`);
      assert.equal(health.status, 200);
      await health.body?.cancel();
      assert.equal(await isReady(svc), false);
      const log = await svc.log();
      assert.match(log, /retryInMs/);
      assert.match(log, new RegExp(`127\\.0\\.0\\.1:${port}`));
      const t0 = Date.now();
      assert.equal(await stopService(svc), 0);
      assert.ok(Date.now() - t0 < 10_000);
    } finally {
      svc.kill("SIGKILL");
    }
  },
);
