/**
 * The schedule of `simulate` (lib/sim/simulate_plan.ts), without a broker: a live run writes its
 * records at wall-clock times (each is sent at its event time), its shoppers arrive for
 * `--duration` and the run lasts until the last of them has left; `--rate` R is records per
 * second once the store is full (R × duration in all); a backfill writes the modeled day.
 */
import assert from "node:assert/strict";
import { type PlanConfig, planSimulation } from "../../lib/sim/simulate_plan.ts";
import {
  dayStartUs,
  MAX_TRIP_US,
  type SimItem,
  type SimRecord,
} from "../../lib/sim/store_simulation.ts";
import { demoItems } from "../../lib/sim/demo_catalog.ts";
import { parseIsoMicros } from "../../lib/core/decode/timestamps.ts";

const ITEMS: SimItem[] = demoItems().map((r) => ({
  id: r.shelf_id,
  visibility: r.item_visibility,
  weightGrams: r.item_weight,
}));
const NOW = Date.UTC(2026, 0, 5, 12, 0, 0) * 1000;

function plan(cfg: Partial<PlanConfig>) {
  const p = planSimulation(
    { timeScale: 60, seed: 7, date: "2025-11-07", faults: false, ...cfg },
    ITEMS,
    undefined,
    NOW,
  );
  return { ...p, records: [...p.sim.records()] };
}

/** Each shopper's written entry and exit, by customer id. */
function visits(records: SimRecord[]): Map<string, { entry: number; exit: number }> {
  const out = new Map<string, { entry: number; exit: number }>();
  for (const r of records) {
    if (r.kind !== "session") continue;
    const v = JSON.parse(r.value);
    out.set(v.customer_id, {
      entry: parseIsoMicros(v.entry_time),
      exit: parseIsoMicros(v.exit_time),
    });
  }
  return out;
}

Deno.test("live: records are stamped with the wall-clock time they are due, trips scaled", () => {
  const { records, live, startUs } = plan({ rate: 200, durationSec: 10 });
  assert.ok(live);
  assert.equal(startUs, NOW);
  const byId = visits(records);
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (i > 0) assert.ok(records[i - 1].us <= r.us, "in event-time order");
    const v = JSON.parse(r.value);
    if (r.kind === "session") {
      // Sent at entry, and the entry is its timestamp: a producer writing in real time.
      assert.equal(r.us, parseIsoMicros(v.entry_time));
      const trip = (parseIsoMicros(v.exit_time) - r.us) / 1e6;
      // 10–75 simulated minutes at 60x: 10–75 s of wall clock.
      assert.ok(trip >= 10 && trip <= 75 + 1 / 60, `trip of ${trip} s`);
      assert.equal(r.exitUs, parseIsoMicros(v.exit_time));
    } else {
      assert.equal(r.us, parseIsoMicros(v.timestamp));
      if (r.kind === "pickup" || r.kind === "putback") {
        const s = byId.get(v.customer_id)!;
        assert.ok(r.us > s.entry && r.us < s.exit, "a shelf event inside its visit");
      }
    }
  }
});

Deno.test("live: shoppers arrive for --duration; the run lasts until the last shopper has left", () => {
  const { records, arrivalsEndUs, sim } = plan({ rate: 200, durationSec: 10 });
  assert.equal(arrivalsEndUs, NOW + 10e6);
  const byId = [...visits(records).values()];
  assert.ok(byId.length > 100);
  assert.ok(byId.every((v) => v.entry >= NOW && v.entry <= NOW + 10e6), "arrived in 10 s");
  assert.ok(sim.arrivalsDone);
  const lastExit = Math.max(...byId.map((v) => v.exit));
  // Shoppers who came at the end stay on after the 10 s of arrivals: the run goes on for them.
  assert.ok(lastExit > NOW + 40e6, `last exit ${(lastExit - NOW) / 1e6} s after the start`);
  // (The run waits for that exit: a shopper's last shelf event may come well before it.)
  assert.ok(records.at(-1)!.us <= lastExit);
  const stillIn = byId.filter((v) => v.exit > NOW + 10e6).length;
  assert.ok(stillIn > byId.length / 2, `${stillIn} of ${byId.length} in the store at 10 s`);
});

Deno.test("--rate R: R records a second once the store is full, about R × duration in all", () => {
  const rate = 300, duration = 60, scale = 600;
  const { records, fullFromUs, arrivalsPerSec } = plan({
    rate,
    durationSec: duration,
    timeScale: scale,
  });
  assert.equal(fullFromUs, NOW + Math.ceil(MAX_TRIP_US / scale));
  assert.ok(arrivalsPerSec! > rate / 20 && arrivalsPerSec! < rate / 8, `${arrivalsPerSec}`);
  const total = records.length;
  assert.ok(Math.abs(total / (rate * duration) - 1) < 0.1, `${total} records in all`);
  const from = fullFromUs!, to = NOW + duration * 1e6;
  const inFull = records.filter((r) => r.us >= from && r.us < to).length;
  const perSec = inFull / ((to - from) / 1e6);
  assert.ok(Math.abs(perSec / rate - 1) < 0.1, `${perSec} records/s while full`);
  // Before it is full, the store fills up: fewer.
  const first = records.filter((r) => r.us < NOW + 1e6).length;
  assert.ok(first < rate * 0.6, `${first} records in the first second`);
});

Deno.test("live day: the modeled day opens now; --duration cuts its arrivals", () => {
  const { records, startUs, sim } = plan({ timeScale: 3600, durationSec: 5, customers: 600 });
  assert.equal(startUs, NOW);
  const byId = [...visits(records).values()];
  // 5 wall seconds at 3600x are the day's first five hours (07:00–12:00).
  assert.ok(byId.length > 100 && byId.length < 600, `${byId.length} shoppers`);
  assert.ok(byId.every((v) => v.entry >= NOW && v.entry <= NOW + 5e6));
  assert.ok(sim.generated < sim.customers);
  const labels = new Set(
    records.filter((r) => r.kind === "session").map((r) => {
      return JSON.parse(r.value).time_slot;
    }),
  );
  assert.deepEqual([...labels].sort(), ["07:00–09:59", "10:00–12:59"]);
});

Deno.test("live: a late pickup (--faults) is written at least 10 s after the exit", () => {
  const { records } = plan({ rate: 2000, durationSec: 5, timeScale: 600, faults: true });
  const byId = visits(records);
  const late = records.filter((r) => r.kind === "late");
  assert.ok(late.length > 0);
  for (const r of late) {
    const exit = byId.get(JSON.parse(r.value).customer_id)!.exit;
    assert.ok(r.us - exit >= 10e6, `late by ${(r.us - exit) / 1e6} s`);
  }
});

Deno.test("backfill: the modeled day's own timestamps; --rate and --duration are for live runs", () => {
  const { records, live } = plan({ timeScale: 0, customers: 200 });
  assert.ok(!live);
  const open = dayStartUs("2025-11-07") + 7 * 3600e6;
  assert.ok(records[0].us >= open && records.at(-1)!.us < open + 16 * 3600e6);
  assert.throws(() => plan({ timeScale: 0, rate: 10 }), RangeError);
  assert.throws(() => plan({ timeScale: 0, durationSec: 10 }), RangeError);
});
