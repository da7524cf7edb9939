/**
 * Error level only for what needs an operator (issue 24): a backfill in normal operation logs no
 * error-level line (KafkaJS's retried CONCURRENT_TRANSACTIONS were errors, 12–16 per 3.86M
 * records), and no stack trace below debug.
 */
import assert from "node:assert/strict";
import {
  brokerFixture,
  expectTransactions,
  replayExpected,
  simulateInto,
  topicsAsTraffic,
} from "../support/service_fixture.ts";
import { startService, stopService } from "../support/service_process.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "a backfill's log holds no error-level line and no stack trace",
  opts,
  async () => {
    const { kafka, fx } = await brokerFixture(3);
    await simulateInto(fx, ["--customers", "200", "--as-fast-as-possible", "--seed", "2424"]);
    const expected = await replayExpected(fx, await topicsAsTraffic(kafka, fx));
    const svc = await startService(fx.args);
    try {
      await expectTransactions(kafka, fx, expected, "the backfill's transactions", 180_000);
      assert.equal(await stopService(svc), 0);
      const lines = (await svc.log()).split("\n").filter((l) => l.startsWith("{"));
      const errors = lines.filter((l) => l.includes(`"level":"error"`));
      assert.deepEqual(errors, [], "no error-level line");
      assert.deepEqual(lines.filter((l) => l.includes(`"stack"`)), [], "no stack trace");
      console.log(`${lines.length} log lines for ${expected.length} transactions`);
    } finally {
      svc.kill("SIGKILL");
    }
  },
);
