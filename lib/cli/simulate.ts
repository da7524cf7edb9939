/**
 * `pos-producer simulate`: the load generator. Writes a simulated store's foot sessions and
 * shelf events to Kafka like the real upstream producers, for demos, benchmarks and tests.
 * @module
 */
import { checkSasl, SERVICE_OPTIONS } from "./config.ts";
import { optionsHelp, type OptionValues, parsers, UsageError } from "./options.ts";
import {
  JSON_SUMMARY_OPTION,
  kafkaClientOptions,
  parseCommand,
  withStopSignal,
} from "./command.ts";
import { jsonLogger, type Logger } from "../observe/log.ts";
import { CatalogError } from "../core/mod.ts";
import { catalogErrorLine } from "../catalog/hint.ts";
import { DEFAULT_DATE, type DemoCatalog, generatedCatalog, loadDemoCatalog } from "../sim/demo.ts";
import { dayStartUs } from "../sim/store_simulation.ts";
import type { SimulateConfig, SimulateSummary } from "../sim/simulate.ts";

const { nonEmpty, number, bool, oneOf } = parsers;

/** Options of `pos-producer simulate`; connection and topic options as the service's. */
export const SIMULATE_OPTIONS = {
  broker: SERVICE_OPTIONS.broker,
  footTopic: SERVICE_OPTIONS.footTopic,
  shelfTopic: SERVICE_OPTIONS.shelfTopic,
  customers: {
    flag: "customers",
    help: "shoppers to simulate (default: a day's usual count; with --rate: no limit)",
    parse: number(1, 1e9, true),
  },
  rate: {
    flag: "rate",
    help: "records per second (both topics) once the store is full; shoppers arrive to match",
    parse: number(0.001, 1e7),
  },
  duration: {
    flag: "duration",
    help: "seconds during which shoppers arrive; the run ends when the last has left",
    parse: number(0.001, 1e9),
  },
  timeScale: {
    flag: "time-scale",
    default: "1",
    help: "simulated seconds per wall second (1: real time); 0: a backfill, all at once",
    parse: number(0, 1e9),
  },
  asFastAsPossible: {
    flag: "as-fast-as-possible",
    default: "0",
    boolean: true,
    help: "the same as --time-scale 0",
    parse: bool,
  },
  compression: {
    flag: "compression",
    default: "none",
    help: "none, gzip, snappy, lz4 or zstd",
    parse: oneOf("none", "gzip", "snappy", "lz4", "zstd"),
  },
  seed: {
    flag: "seed",
    help: "random seed (default: from the clock, so each run is new shoppers; printed at the end)",
    parse: number(0, 2 ** 32 - 1, true),
  },
  date: {
    flag: "date",
    default: DEFAULT_DATE,
    help: "the modeled day (weekday profile; the timestamps of a backfill)",
    parse: (raw: string) => (dayStartUs(raw.trim()), raw.trim()),
  },
  faults: {
    flag: "faults",
    default: "0",
    boolean: true,
    help: "also send a few late, invalid and duplicate records",
    parse: bool,
  },
  store: {
    flag: "store",
    env: "STORE_PARQUET",
    help: "pick items from this inventory parquet (default: the generated catalog)",
    parse: nonEmpty,
  },
  discounts: {
    flag: "discounts",
    env: "DISCOUNT_PARQUET_PATH",
    help: "discount parquet: discounted items are picked more often",
    parse: nonEmpty,
  },
  batchSize: {
    flag: "batch-size",
    default: "2000",
    help: "records per produce request, at most",
    parse: number(1, 1_000_000, true),
  },
  createTopics: { ...SERVICE_OPTIONS.createTopics, help: "create the two topics when missing" },
  topicPartitions: SERVICE_OPTIONS.topicPartitions,
  json: JSON_SUMMARY_OPTION,
  ...kafkaClientOptions("pos-producer-simulate"),
} as const;

type SimulateValues = OptionValues<typeof SIMULATE_OPTIONS>;

const USAGE = `Usage: pos-producer simulate --broker B [options]

Writes a simulated store to Kafka the way the real producers do: foot sessions when the shopper
enters (keyed by customer), shelf events unkeyed with weight_change noise, Python isoformat
timestamps. Each run is new shoppers (new customer ids).

Live (--time-scale X > 0): the store's clock runs X times the wall clock from now, and each
record is sent when its time comes, stamped with that wall-clock time: at X = 60 a trip of 10-75
simulated minutes takes 10-75 s, and a service checks each shopper out about 2 s after the exit.
Shoppers arrive for --duration seconds (default: until stopped); then the run goes on until the
last of them has left, saying so on stderr. With --rate R shoppers arrive at a steady pace: the
store fills over the longest trip (75 simulated minutes), then writes R records a second, and a
run writes about R x --duration records. Without --rate, the modeled day at --date opens now.
Backfill (--time-scale 0, --as-fast-as-possible): the modeled day at --date, all at once, with
that day's timestamps. SIGINT stops either at once and prints what was sent.

  pos-producer simulate --broker localhost:9092 --as-fast-as-possible --customers 100000
  pos-producer simulate --broker localhost:9092 --rate 200 --time-scale 300 --duration 30

Options (flag, variable, [default], meaning):
${optionsHelp(SIMULATE_OPTIONS)}
  --help

Exit codes: 0 done or stopped by a signal, 1 runtime failure, 2 bad usage or bad data.`;

/** The summary as a few lines of text. */
export function formatSimulateSummary(s: SimulateSummary): string {
  const n = new Intl.NumberFormat("en-US");
  const lines = [
    `sent ${n.format(s.records.total)} records (${n.format(s.records.foot)} foot sessions, ${
      n.format(s.records.shelf)
    } shelf events) for ${n.format(s.customers)} shoppers in ${s.seconds.toFixed(2)} s${
      s.arrivalsSeconds === null ? "" : ` (arrivals: the first ${s.arrivalsSeconds} s)`
    }`,
    `rate ${n.format(s.recordsPerSec)} records/s over the run (${
      n.format(s.shelfPerSec)
    } shelf events/s), ${(s.bytes / 1e6).toFixed(1)} MB before compression (${s.compression}), ${
      n.format(s.requests)
    } requests`,
  ];
  if (s.targetRate !== null) {
    lines.push(
      s.full === null
        ? `--rate ${n.format(s.targetRate)}: the store was never full for a whole second ` +
          `(it fills after the longest trip, 75 simulated minutes: ${
            Math.ceil(4500 / s.timeScale)
          } s here)`
        : `--rate ${n.format(s.targetRate)}: ${
          n.format(s.full.recordsPerSec)
        } records/s while the store was full (${s.full.fromSec}-${s.full.toSec} s)`,
    );
  }
  lines.push(`event time ${s.firstEvent ?? "-"} .. ${s.lastEvent ?? "-"}; ended: ${s.ended}`);
  return lines.join("\n");
}

const NAME = "pos-producer simulate";

/** `--as-fast-as-possible` as `--time-scale 0`; pacing and SASL options that do not go together. */
function checkValues(values: SimulateValues): SimulateValues {
  const v = values.asFastAsPossible ? { ...values, timeScale: 0 } : values;
  if (v.rate !== undefined && v.timeScale === 0) {
    throw new UsageError("--rate paces a live run; it cannot be combined with --time-scale 0");
  }
  if (v.duration !== undefined && v.timeScale === 0) {
    throw new UsageError(
      "--duration is how long shoppers arrive in a live run; a backfill (--time-scale 0) " +
        "sends its --customers at once",
    );
  }
  return checkSasl(v);
}

/** The items to simulate, or the exit code when the catalog cannot be used. */
async function simulationCatalog(v: SimulateValues): Promise<DemoCatalog | number> {
  try {
    return v.store === undefined
      ? generatedCatalog(v.date)
      : await loadDemoCatalog(v.store, v.discounts);
  } catch (e) {
    if (!(e instanceof CatalogError)) throw e;
    const line = catalogErrorLine(e, { store: v.store ?? "", discounts: v.discounts });
    console.error(`${NAME}: ${line}`);
    return 2;
  }
}

/** The load generator's configuration from the command's values. */
function simulateConfig(v: SimulateValues, seed: number): SimulateConfig {
  return {
    broker: v.broker,
    clientId: v.clientId,
    ssl: v.ssl,
    sslCaFile: v.sslCaFile,
    saslMechanism: v.saslMechanism,
    saslUsername: v.saslUsername,
    saslPassword: v.saslPassword,
    footTopic: v.footTopic,
    shelfTopic: v.shelfTopic,
    compression: v.compression,
    timeScale: v.timeScale,
    seed,
    customers: v.customers,
    rate: v.rate,
    durationSec: v.duration,
    date: v.date,
    faults: v.faults,
    batchSize: v.batchSize,
    createTopicsPartitions: v.createTopics ? v.topicPartitions : 0,
  };
}

/** Runs the load generator until done or a signal; prints the summary; returns the exit code. */
async function simulate(v: SimulateValues, catalog: DemoCatalog, log: Logger): Promise<number> {
  // A new run is a new day: fresh customer ids, never a replay of the last run's shoppers.
  const seed = v.seed ?? Date.now() % 2 ** 32;
  const { runSimulate } = await import("../sim/simulate.ts");
  try {
    const summary = await withStopSignal((signal) =>
      runSimulate(simulateConfig(v, seed), catalog.items, {
        discountOf: (id, atMs) => catalog.pricer.discountHundredths(id, atMs) / 100,
        log,
        signal,
        onProgress: (line) => console.error(`simulate: ${line}`),
      })
    );
    console.log(
      v.json
        ? JSON.stringify({ ...summary, seed }, null, 2)
        : `${
          formatSimulateSummary(summary)
        }\nseed ${seed} (--seed ${seed} sends the same shoppers again)`,
    );
    return 0;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // A Kafka failure names the broker it tried and what sets it, as `tail` does.
    const kafka = e instanceof Error && e.name.startsWith("KafkaJS");
    const hint = kafka ? ` (broker ${v.broker.join(",")}: check --broker / KAFKA_BROKER)` : "";
    console.error(`${NAME}: ${message}${hint}`);
    return 1;
  }
}

/** Runs `simulate`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(
    { name: NAME, usage: USAGE, options: SIMULATE_OPTIONS, check: checkValues },
    args,
  );
  if ("exitCode" in parsed) return parsed.exitCode;
  const v = parsed.values;
  const catalog = await simulationCatalog(v);
  if (typeof catalog === "number") return catalog;
  return await simulate(v, catalog, jsonLogger(v.logLevel));
}
