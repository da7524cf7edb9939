/**
 * `pos-producer check-data [--store P] [--discounts P] [--json]`: loads the inventory and
 * discount parquet files exactly as the service does and prints the load report.
 * Exit 0 when the files are usable, 2 (with a message naming the file and columns) when not.
 * @module
 */
import { loadPriceBook } from "../catalog/loader.ts";
import { optionsHelp, type OptionValues, parsers } from "./options.ts";
import { parseCommand, readEnv } from "./command.ts";
import { CatalogError, type LoadReport } from "../core/mod.ts";
import { catalogErrorLine } from "../catalog/hint.ts";

const DEFAULT_STORE = "/data/store_inventory_final.parquet";
const DEFAULT_DISCOUNTS = "/data/all_discounts.parquet";

/** Options of `pos-producer check-data`. */
export const CHECK_DATA_OPTIONS = {
  store: {
    flag: "store",
    env: "STORE_PARQUET",
    default: DEFAULT_STORE,
    help: "inventory parquet",
    parse: parsers.nonEmpty,
  },
  discounts: {
    flag: "discounts",
    env: "DISCOUNT_PARQUET_PATH",
    default: DEFAULT_DISCOUNTS,
    help: "discount parquet; a missing discount file means no discounts (a warning)",
    parse: parsers.nonEmpty,
  },
  json: {
    flag: "json",
    default: "0",
    boolean: true,
    help: "print the report as JSON",
    parse: parsers.bool,
  },
} as const;

const USAGE = `Usage: pos-producer check-data [--store P] [--discounts P] [--json]

Loads the inventory and discount parquet files as the service does and prints the load report:
rows, shelf ids, duplicates, rejected rows and why, weeks covered and their gaps.

Options (flag, variable, [default], meaning):
${optionsHelp(CHECK_DATA_OPTIONS)}
  -h, --help

Exit codes: 0 the files are usable, 2 they are not (or bad usage).`;

/** A variable as check-data reads it: unset, empty or not allowed (no --allow-env) = the default. */
function env(name: string): string | undefined {
  const value = readEnv(name);
  return value === "" ? undefined : value;
}

function rejectedText(rejected: Record<string, number>): string {
  const entries = Object.entries(rejected);
  return entries.length === 0 ? "0" : entries.map(([why, n]) => `${n} (${why})`).join(", ");
}

function gapsText(gaps: string[]): string {
  if (gaps.length === 0) return "none";
  const shown = gaps.slice(0, 12).join(", ");
  return `${gaps.length}: ${shown}${gaps.length > 12 ? ", …" : ""}`;
}

/** The load report as an aligned two-column text table. */
export function formatReport(report: LoadReport): string {
  const inv = report.inventory;
  const d = report.discounts;
  const rows: [string, string][] = [
    ["inventory", inv.source],
    ["  rows", String(inv.rows)],
    ["  rows accepted", String(inv.acceptedRows)],
    ["  rows rejected", rejectedText(inv.rejected)],
    ["  unique shelf ids", String(inv.uniqueShelfIds)],
    [
      "  duplicated shelf ids",
      `${inv.duplicatedIds} (${inv.overriddenRows} rows overridden; last row wins)`,
    ],
    ["discounts", d.present ? d.source ?? "" : "none (no discounts apply)"],
  ];
  if (d.present) {
    rows.push(
      ["  columns", `${d.discountColumn} by ${d.weekColumn}`],
      ["  rows", String(d.rows)],
      ["  rows accepted", String(d.acceptedRows)],
      ["  rows rejected", rejectedText(d.rejected)],
      [
        "  weeks covered",
        d.weeks.count === 0 ? "none" : `${d.weeks.count} (${d.weeks.first} .. ${d.weeks.last})`,
      ],
      ["  week gaps", gapsText(d.weeks.gaps)],
      ["  duplicated (shelf, week)", `${d.duplicatePairs} rows (last row wins)`],
      [
        "  shelves not in inventory",
        `${d.shelvesNotInInventory.ids} ids, ${d.shelvesNotInInventory.rows} rows` +
        (d.shelvesNotInInventory.sample.length
          ? ` (e.g. ${d.shelvesNotInInventory.sample.join(", ")})`
          : ""),
      ],
      ["  discounts clamped to 0.95", String(d.clampedRows)],
      [
        "  week label vs dates",
        d.weekLabelMismatches.rows === 0
          ? "agree"
          : `${d.weekLabelMismatches.rows} rows differ (label used)`,
      ],
      [
        "  midnight timestamps",
        d.midnightRangesAsDates === 0
          ? "none read as dates"
          : `${d.midnightRangesAsDates} rows: all at 00:00, read as dates (end day inclusive)`,
      ],
    );
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  if (report.warnings.length > 0) {
    lines.push("", "warnings:", ...report.warnings.map((w) => `  - ${w}`));
  }
  return lines.join("\n");
}

/** Runs `check-data` with `args`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(
    { name: "pos-producer check-data", usage: USAGE, options: CHECK_DATA_OPTIONS, env },
    args,
  );
  if ("exitCode" in parsed) return parsed.exitCode;
  const values = parsed.values;
  try {
    const { report } = await loadPriceBook({
      storePath: values.store,
      discountPath: values.discounts,
    });
    console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return 0;
  } catch (e) {
    if (e instanceof CatalogError) return reportCatalogError(e, values);
    console.error(`pos-producer check-data: ${e instanceof Error ? e.message : e}`);
    return 1;
  }
}

/** Prints an unusable catalog (also as JSON with `--json`); returns exit code 2. */
function reportCatalogError(
  e: CatalogError,
  values: OptionValues<typeof CHECK_DATA_OPTIONS>,
): number {
  if (values.json) {
    const error = { error: e.message, file: e.file ?? null, missingColumns: e.missingColumns };
    console.log(JSON.stringify(error, null, 2));
  }
  const line = catalogErrorLine(e, { store: values.store, discounts: values.discounts });
  console.error(`pos-producer check-data: ${line}`);
  return 2;
}
