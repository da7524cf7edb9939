/**
 * `pos-producer sample-data [--out DIR]`: writes the sample price book (lib/sim/sample_data.ts) as
 * parquet files, so a fresh clone can run the service, `replay` and `check-data` on real files.
 * @module
 */
import { optionsHelp, parsers, UsageError } from "./options.ts";
import { NO_ENV, parseCommand } from "./command.ts";
import { SAMPLE_FILES, SAMPLE_FROM, SAMPLE_TO, sampleTables } from "../sim/sample_data.ts";

function date(raw: string): string {
  const t = raw.trim();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(t) || Number.isNaN(Date.parse(`${t}T00:00:00Z`))) {
    throw new Error(`expected a date YYYY-MM-DD; got "${raw}"`);
  }
  return t;
}

/** Options of `pos-producer sample-data`. */
export const SAMPLE_DATA_OPTIONS = {
  out: {
    flag: "out",
    default: "examples",
    help: "folder to write the files to (created when missing)",
    parse: parsers.nonEmpty,
  },
  from: { flag: "from", default: SAMPLE_FROM, help: "first day with discounts", parse: date },
  to: { flag: "to", default: SAMPLE_TO, help: "last day with discounts", parse: date },
} as const;

const USAGE = `Usage: pos-producer sample-data [--out DIR] [--from DATE] [--to DATE]

Writes a sample price book made from the demo catalog (48 items, weekly discounts on about one
item in six) in every shape the service reads:

  ${SAMPLE_FILES.inventory.padEnd(30)}inventory (shelf_id, item_price, …; a few price changes)
  ${SAMPLE_FILES.weekly.padEnd(30)}discounts by week label (shelf_id, week, discount)
  ${SAMPLE_FILES.dated.padEnd(30)}the same discounts by date (week_start, week_end, discount_pct)

The same options always give the same files. examples/ in the repository holds the defaults.

Options (flag, [default], meaning):
${optionsHelp(SAMPLE_DATA_OPTIONS)}
  -h, --help

Exit codes: 0 written, 1 the files could not be written, 2 bad usage.`;

/** Entry point of `sample-data`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand({
    name: "pos-producer sample-data",
    usage: USAGE,
    options: SAMPLE_DATA_OPTIONS,
    env: NO_ENV,
    check: (v) => {
      if (v.from > v.to) throw new UsageError(`--from ${v.from} is after --to ${v.to}`);
      return v;
    },
  }, args);
  if ("exitCode" in parsed) return parsed.exitCode;
  const v = parsed.values;
  const { initParquet } = await import("../catalog/loader.ts");
  const parquet = await initParquet();
  const tables = sampleTables(v.from, v.to);
  try {
    const info = await Deno.stat(v.out).catch(() => undefined);
    if (info && !info.isDirectory) {
      console.error(
        `pos-producer sample-data: --out ${v.out} is a file; give a folder (created when missing)`,
      );
      return 2;
    }
    await Deno.mkdir(v.out, { recursive: true });
    for (const [key, name] of Object.entries(SAMPLE_FILES)) {
      const table = tables[key as keyof typeof SAMPLE_FILES];
      const path = `${v.out.replace(/\/+$/, "")}/${name}`;
      await Deno.writeFile(path, parquet.writeTable(table));
      console.log(`wrote ${path} (${table.numRows} ${table.numRows === 1 ? "row" : "rows"})`);
    }
  } catch (e) {
    console.error(
      `pos-producer sample-data: cannot write to --out ${v.out}: ${(e as Error).message}`,
    );
    return 1;
  }
  return 0;
}
