/**
 * `pos-producer demo`: one simulated store day through the engine, in-process, and a summary.
 * Needs only read (and env) permission; `--out FILE` also needs write permission for FILE.
 * @module
 */
import { CommandExit } from "./command_exit.ts";
import { optionsHelp, type OptionValues, parsers, UsageError } from "./options.ts";
import { JSON_SUMMARY_OPTION, NO_ENV, parseCommand } from "./command.ts";
import {
  DEFAULT_DATE,
  type DemoCatalog,
  generatedCatalog,
  loadDemoCatalog,
  runDemo,
} from "../sim/demo.ts";
import type { DemoResult } from "../sim/demo_summary.ts";
import { formatSummary } from "../sim/demo_text.ts";
import { dayStartUs } from "../sim/store_simulation.ts";
import { CatalogError } from "../core/mod.ts";

const { nonEmpty, number, bool } = parsers;

function date(raw: string): string {
  dayStartUs(raw.trim()); // throws with a message on a bad date
  return raw.trim();
}

/** Options of `pos-producer demo` (flags only: the demo is the same whatever the environment). */
export const DEMO_OPTIONS = {
  customers: {
    flag: "customers",
    help: "customers in the day (default: the weekday's usual count, 850–1500)",
    parse: number(0, 10_000_000, true),
  },
  seed: {
    flag: "seed",
    default: "1",
    help: "random seed; the same seed gives the same day",
    parse: number(0, 2 ** 32 - 1, true),
  },
  date: {
    flag: "date",
    default: DEFAULT_DATE,
    help: "the day to simulate, YYYY-MM-DD (UTC)",
    parse: date,
  },
  out: {
    flag: "out",
    help: "write the transactions as JSONL to this file (- = stdout)",
    parse: nonEmpty,
  },
  store: {
    flag: "store",
    help: "inventory parquet (default: the generated catalog)",
    parse: nonEmpty,
  },
  discounts: {
    flag: "discounts",
    help: "discount parquet (with --store; default none)",
    parse: nonEmpty,
  },
  faults: {
    flag: "faults",
    default: "1",
    boolean: true,
    help: "inject a few late, invalid and duplicate records (--no-faults: none)",
    parse: bool,
  },
  json: JSON_SUMMARY_OPTION,
} as const;

const USAGE = `Usage: pos-producer demo [options]

Simulates a store day (customers by weekday and time slot, 10–75 minute trips, pickups and
putbacks, a few late and invalid records) and runs it through the same engine as the service,
in event time. No Kafka, no network, no files needed.

  deno task demo                         the default day with the generated catalog
  deno task demo --customers 10000 --seed 7
  deno run -A main.ts demo --out day.jsonl   (--out needs write permission)
  deno task demo --store /data/store_inventory_final.parquet --discounts /data/all_discounts.parquet

Options:
${optionsHelp(DEMO_OPTIONS)}
  -h, --help`;

function progressBar(): { update(done: number, total: number): void; end(): void } {
  let tty = false;
  try {
    tty = Deno.stderr.isTerminal();
  } catch { /* no terminal */ }
  const start = performance.now();
  let last = 0;
  let drawn = false;
  const enc = new TextEncoder();
  return {
    update(done, total) {
      const now = performance.now();
      if (!tty || now - start < 1000 || now - last < 100 || !(total > 0)) return;
      last = now;
      const f = Math.min(1, done / total);
      const width = 30;
      const full = Math.round(f * width);
      const bar = "█".repeat(full) + "░".repeat(width - full);
      Deno.stderr.writeSync(
        enc.encode(`\r${bar} ${(f * 100).toFixed(0).padStart(3)}%  ${done}/${total} customers`),
      );
      drawn = true;
    },
    end() {
      if (drawn) Deno.stderr.writeSync(enc.encode("\r\x1b[K"));
    },
  };
}

async function catalogFor(
  store: string | undefined,
  discounts: string | undefined,
  day: string,
): Promise<DemoCatalog> {
  if (store === undefined) {
    if (discounts !== undefined) throw new UsageError("--discounts needs --store");
    return generatedCatalog(day);
  }
  return await loadDemoCatalog(store, discounts);
}

type DemoValues = OptionValues<typeof DEMO_OPTIONS>;

/** The catalog; a bad file or a missing permission is exit 2. */
async function demoCatalogOf(v: DemoValues): Promise<DemoCatalog> {
  try {
    return await catalogFor(v.store, v.discounts, v.date);
  } catch (e) {
    if (e instanceof UsageError || e instanceof CatalogError) throw new CommandExit(2, e.message);
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      throw new CommandExit(2, `reading the catalog needs --allow-read (${e.message})`);
    }
    throw e;
  }
}

/** Writes the transactions to `--out` (a file, or stdout for `-`). */
async function writeTransactions(out: string, result: DemoResult): Promise<void> {
  const text = result.transactions.length === 0 ? "" : result.transactions.join("\n") + "\n";
  try {
    if (out === "-") await Deno.stdout.write(new TextEncoder().encode(text));
    else await Deno.writeTextFile(out, text);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      throw new CommandExit(
        2,
        `writing ${out} needs write permission: ` +
          `deno run --allow-read --allow-env --allow-write=${out} main.ts demo --out ${out}`,
      );
    }
    throw new CommandExit(1, `cannot write ${out}: ${e instanceof Error ? e.message : e}`);
  }
}

/** The summary, as JSON or text (on stderr when the transactions go to stdout). */
function printSummary(v: DemoValues, result: DemoResult, seconds: number): void {
  const toStdout = v.out === "-";
  const print = toStdout ? console.error : console.log;
  if (v.json) {
    print(JSON.stringify(result.summary, null, 2));
    return;
  }
  let color = false;
  try {
    color = !Deno.noColor && (toStdout ? Deno.stderr : Deno.stdout).isTerminal();
  } catch { /* plain */ }
  print(formatSummary(result.summary, color));
  const where = v.out === undefined
    ? ""
    : toStdout
    ? ", transactions on stdout"
    : `, transactions in ${v.out}`;
  print(`\n${result.summary.customers} customers simulated in ${seconds.toFixed(2)} s${where}`);
}

/** Runs `demo`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand({
    name: "pos-producer demo",
    usage: USAGE,
    options: DEMO_OPTIONS,
    env: NO_ENV,
    usageOnError: true,
  }, args);
  if ("exitCode" in parsed) return parsed.exitCode;
  const v = parsed.values;
  try {
    const catalog = await demoCatalogOf(v);
    const t0 = performance.now();
    const bar = progressBar();
    const result = runDemo({
      date: v.date,
      customers: v.customers,
      seed: v.seed,
      catalog,
      faults: v.faults,
      onProgress: bar.update,
    });
    bar.end();
    const seconds = (performance.now() - t0) / 1000;
    if (v.out !== undefined) await writeTransactions(v.out, result);
    printSummary(v, result, seconds);
    return 0;
  } catch (e) {
    if (!(e instanceof CommandExit)) throw e;
    console.error(`pos-producer demo: ${e.message}`);
    return e.code;
  }
}
