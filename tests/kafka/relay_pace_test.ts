/**
 * The foot relay keeps pace with the shelf relay in event time (lib/kafka/relay/pace.ts): it
 * reads at most FOOT_AHEAD_US past the latest shelf event time read while a shelf partition is
 * in a backlog and every shelf partition is relayed here; otherwise nothing is held back; and through a real broker a backfill's foot relay waits while
 * every visit is still billed as `replay` bills it.
 */
import assert from "node:assert/strict";
import {
  BACKLOG_RECORDS,
  FOOT_AHEAD_US,
  RelayPace,
  type ShelfPosition,
} from "../../lib/kafka/relay/pace.ts";
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

function paceOver(tasks: ShelfPosition[], complete = true): RelayPace {
  const pace = new RelayPace();
  pace.watchShelf(() => ({ complete, tasks }));
  return pace;
}

Deno.test("pace: the foot relay reads at most FOOT_AHEAD_US past the latest shelf event time read, while a shelf partition is in a backlog", () => {
  const pace = paceOver([
    { watermarkUs: 8 * H, behind: true },
    { watermarkUs: 10 * H, behind: false }, // the latest counts, in a backlog or not
    { watermarkUs: 2 * H, behind: true },
  ]);
  assert.equal(pace.footLimitUs(), 10 * H + FOOT_AHEAD_US);
  assert.equal(pace.footMayRead(10 * H + FOOT_AHEAD_US), true);
  assert.equal(pace.footMayRead(10 * H + FOOT_AHEAD_US + 1), false);
});

Deno.test("pace: nothing held when no shelf partition is in a backlog, or another instance relays some", () => {
  assert.equal(paceOver([{ watermarkUs: 1, behind: false }]).footMayRead(100 * H), true);
  assert.equal(paceOver([]).footMayRead(100 * H), true);
  assert.equal(
    paceOver([{ watermarkUs: 1, behind: true }], false).footMayRead(100 * H),
    true,
    "a shelf partition elsewhere may be ahead of what this instance sees",
  );
  assert.equal(new RelayPace().footMayRead(100 * H), true, "no shelf stage watched");
});

Deno.test("pace: a shelf relay that read nothing yet lets the foot relay read its first batch only", () => {
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
