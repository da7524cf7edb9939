/**
 * The configuration table of README.md, generated from `SERVICE_OPTIONS` (lib/cli/config.ts) so the
 * two cannot drift: `tests/cli/cli_test.ts` fails when they differ.
 *
 *   deno run --allow-read --allow-write deploy/config_table.ts --write   # rewrite README.md
 *   deno run --allow-read deploy/config_table.ts                         # print the table
 * @module
 */
import { SERVICE_OPTIONS } from "../lib/cli/config.ts";
import type { OptionSpec } from "../lib/cli/options.ts";

/** The line before the generated table in README.md. */
export const BEGIN =
  "<!-- config-table:begin (generated from lib/cli/config.ts by deploy/config_table.ts; do not edit) -->";
/** The line after it. */
export const END = "<!-- config-table:end -->";

const HEADER = ["variable", "flag", "default", "meaning"];

/** One row per option: variable, flag(s), default, meaning (cells without the pipes). */
export function configRows(): string[][] {
  return Object.values(SERVICE_OPTIONS as Record<string, OptionSpec<unknown>>).map((s) => {
    const flags = [s.flag, ...(s.aliases ?? [])].map((f) =>
      s.boolean ? `\`--${f}\`` : `\`--${f} <v>\``
    ).join(", ");
    const def = s.default === undefined ? "—" : s.default === "" ? '`""`' : `\`${s.default}\``;
    const meaning = (s.boolean ? `${s.help} (a switch; \`--no-${s.flag}\` turns it off)` : s.help)
      .replaceAll("|", "\\|");
    return [s.env ? `\`${s.env}\`` : "—", flags, def, meaning];
  });
}

/** The table as `deno fmt` lays it out: columns padded to their widest cell. */
export function configTable(): string {
  const rows = [HEADER, ...configRows()];
  const width = HEADER.map((_, i) => Math.max(...rows.map((r) => [...r[i]].length)));
  const line = (r: string[]) =>
    `| ${r.map((c, i) => c + " ".repeat(width[i] - [...c].length)).join(" | ")} |`;
  return [
    line(HEADER),
    `| ${width.map((w) => "-".repeat(w)).join(" | ")} |`,
    ...rows.slice(1).map(line),
  ]
    .join("\n");
}

/** `readme` with the text between the markers replaced by the current table. */
export function withTable(readme: string): string {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no "${BEGIN}" … "${END}" block`);
  return `${readme.slice(0, start + BEGIN.length)}\n\n${configTable()}\n\n${readme.slice(end)}`;
}

if (import.meta.main) {
  if (Deno.args.includes("--write")) {
    const path = new URL("../README.md", import.meta.url);
    const before = await Deno.readTextFile(path);
    const after = withTable(before);
    if (after !== before) await Deno.writeTextFile(path, after);
    console.error(after === before ? "README.md: table up to date" : "README.md: table rewritten");
  } else {
    console.log(configTable());
  }
}
