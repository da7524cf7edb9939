/**
 * SASL (SPEC §7): the service authenticates with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 against
 * a real broker whose client listener requires it, and never prints the password.
 */
import assert from "node:assert/strict";
import { startBroker } from "../support/kafka.ts";
import { testKafka } from "../support/kafka_client.ts";
import { simulatedTraffic } from "../support/test_store.ts";
import { eventually, produce, startService } from "../support/service_process.ts";
import { expectTransactions, makeFixture, replayExpected } from "../support/service_fixture.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const USER = { username: "alice", password: "s3cret-Pa55-do-not-print" };

Deno.test(
  "SASL PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512: the service works and never prints the password",
  opts,
  async () => {
    const broker = await startBroker({}, { sasl: USER });
    try {
      const kafka = testKafka(broker.bootstrap, "test", USER);
      for (const [i, mechanism] of ["plain", "scram-sha-256", "scram-sha-512"].entries()) {
        const fx = await makeFixture(kafka, broker.bootstrap, 1, [
          "--sasl-mechanism",
          mechanism,
          "--sasl-username",
          USER.username,
          "--log-level",
          "debug",
        ]);
        const traffic = simulatedTraffic({ customers: 15, seed: 30 + i });
        const expected = await replayExpected(fx, traffic);
        await produce(kafka, fx.topics.foot, traffic.foot);
        await produce(kafka, fx.topics.shelf, traffic.shelf);
        // The password comes from the environment, as a deployment would pass it.
        const svc = await startService(fx.args, { KAFKA_SASL_PASSWORD: USER.password });
        try {
          await expectTransactions(kafka, fx, expected, `${mechanism}: all transactions`);
          svc.kill("SIGTERM");
          assert.equal(await svc.wait(), 0);
          const log = await svc.log();
          assert.ok(!log.includes(USER.password), `${mechanism}: the password is in the log`);
          assert.match(log, /"saslPassword":"\*\*\*"/);
        } finally {
          svc.kill("SIGKILL");
        }
      }

      // A wrong password: a clear error, retries, and still no password in the log.
      const fx = await makeFixture(kafka, broker.bootstrap, 1, [
        "--sasl-mechanism",
        "scram-sha-256",
        "--sasl-username",
        USER.username,
        "--sasl-password",
        "wrong-Pa55word-also-secret",
      ]);
      const svc = await startService(fx.args);
      try {
        await eventually(
          "an authentication failure in the log",
          async () => /pipeline failed/.test(await svc.log()),
        );
        svc.kill("SIGTERM");
        assert.equal(await svc.wait(), 0);
        const log = await svc.log();
        assert.match(log, /[Aa]uthentication/);
        assert.ok(!log.includes("wrong-Pa55word-also-secret"));
      } finally {
        svc.kill("SIGKILL");
      }
    } finally {
      await broker.stop();
    }
  },
);

const hasOpenssl = await new Deno.Command("openssl", {
  args: ["version"],
  stdout: "null",
  stderr: "null",
}).output().then((o) => o.success).catch(() => false);
if (!hasOpenssl) console.warn("openssl not installed: the TLS test is skipped");

Deno.test({
  name: "TLS with a CA file (and SCRAM over it): the service verifies the broker and works",
  ignore: !hasOpenssl,
  ...opts,
  fn: async () => {
    const broker = await startBroker({}, { tls: true, sasl: USER });
    try {
      const kafka = testKafka(broker.bootstrap, "test", USER, broker.caFile);
      const fx = await makeFixture(kafka, broker.bootstrap, 1, [
        "--ssl-ca-file",
        broker.caFile!,
        "--sasl-mechanism",
        "scram-sha-512",
        "--sasl-username",
        USER.username,
      ]);
      const traffic = simulatedTraffic({ customers: 15, seed: 40 });
      const expected = await replayExpected(fx, traffic);
      await produce(kafka, fx.topics.foot, traffic.foot);
      await produce(kafka, fx.topics.shelf, traffic.shelf);
      const svc = await startService(fx.args, { KAFKA_SASL_PASSWORD: USER.password });
      try {
        await expectTransactions(kafka, fx, expected, "all transactions over TLS");
        svc.kill("SIGTERM");
        assert.equal(await svc.wait(), 0);
      } finally {
        svc.kill("SIGKILL");
      }

      // Without the CA the broker's certificate is not trusted: no connection, no crash.
      const untrusted = await startService(
        fx.args.filter((a, i, all) => a !== "--ssl-ca-file" && all[i - 1] !== "--ssl-ca-file")
          .concat(["--ssl"]),
        { KAFKA_SASL_PASSWORD: USER.password },
      );
      try {
        await eventually(
          "a certificate failure in the log",
          async () => /pipeline failed/.test(await untrusted.log()),
        );
        untrusted.kill("SIGTERM");
        assert.equal(await untrusted.wait(), 0);
      } finally {
        untrusted.kill("SIGKILL");
      }
    } finally {
      await broker.stop();
    }
  },
});
