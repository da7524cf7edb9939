/**
 * The foot relay keeps pace with the shelf relay in event time (lib/kafka/relay/pace.ts): it
 * reads at most FOOT_AHEAD_US past the earliest shelf relay task in a backlog, a shelf input
 * near its end holds nothing back, and through a real broker a backfill's foot relay waits while
 * every visit is still billed as `replay` bills it.
 */
import assert from "node:assert/strict";
import { BACKLOG_RECORDS, FOOT_AHEAD_US, RelayPace } from "../../lib/kafka/relay/pace.ts";
import {
  eventually,
  isReady,
  metricsText,
  metricValue,
  withService,
} from "../support/service_process.ts";
import {
  brokerFixture,
  expectTransactions,
  replayExpected,
  simulateInto,
  topicsAsTraffic,
} from "../support/service_fixture.ts";

const H = 3600 * 1_000_000;

function paceOver(shelf: { watermarkUs: number; behind: boolean }[]): RelayPace {
  const pace = new RelayPace();
  pace.watchShelf(() => shelf);
  return pace;
}

Deno.test("pace: the foot relay reads at most FOOT_AHEAD_US past the earliest shelf task in a backlog", () => {
  const pace = paceOver([
    { watermarkUs: 10 * H, behind: true },
    { watermarkUs: 8 * H, behind: true },
    { watermarkUs: 2 * H, behind: false }, // near its end: not the one that counts
  ]);
  assert.equal(pace.shelfBehindUs(), 8 * H);
  assert.equal(pace.footMayRead(8 * H + FOOT_AHEAD_US), true);
  assert.equal(pace.footMayRead(8 * H + FOOT_AHEAD_US + 1), false);
});

Deno.test("pace: shelf input near its end, or no shelf task here, holds nothing back", () => {
  assert.equal(paceOver([{ watermarkUs: 1, behind: false }]).footMayRead(100 * H), true);
  assert.equal(paceOver([]).footMayRead(100 * H), true);
  assert.equal(new RelayPace().footMayRead(100 * H), true, "no shelf stage watched");
});

Deno.test("pace: a shelf task in a backlog that read nothing yet lets the foot relay read its first batch only", () => {
  const pace = paceOver([{ watermarkUs: -Infinity, behind: true }]);
  assert.equal(pace.footMayRead(-Infinity), true, "nothing read: the first batch");
  assert.equal(pace.footMayRead(0), false);
});

Deno.test(
  "a backfill's foot relay waits for the shelf relay's event time, and every visit is billed as replay",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    // One partition: the foot topic is several fetches long, the shelf topic far more than a
    // backlog's worth of records, both written before the service starts.
    const { kafka, fx } = await brokerFixture(1);
    await simulateInto(fx, ["--as-fast-as-possible", "--customers", "12000", "--seed", "31"]);
    const traffic = await topicsAsTraffic(kafka, fx);
    assert.ok(traffic.shelf.length > 3 * BACKLOG_RECORDS, `shelf records: ${traffic.shelf.length}`);
    const expected = await replayExpected(fx, traffic);
    await withService(fx.args, async (svc) => {
      await eventually("service ready", () => isReady(svc), 60_000, 100);
      await expectTransactions(kafka, fx, expected, "one transaction per visit", 180_000);
      const paced = metricValue(await metricsText(svc), "pos_relay_paced_seconds_total");
      assert.ok(paced > 0, `the foot relay never waited: ${paced}`);
    });
  },
);
