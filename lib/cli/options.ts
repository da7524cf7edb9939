/**
 * Command-line options that fall back to environment variables (a flag beats its variable),
 * with defaults, typed parsing and a generated `--help`. Built on `node:util` `parseArgs`
 * (standing in for `jsr:@std/cli`, which cannot be fetched where this is built).
 * @module
 */
import { parseArgs } from "node:util";

/** One option: its flag, its environment variable, its default and how to parse it. */
export interface OptionSpec<T> {
  /** Kebab-case flag without dashes, e.g. `broker`. */
  readonly flag: string;
  /** Environment variable, e.g. `KAFKA_BROKER`. */
  readonly env?: string;
  /** Default as the user would type it (`undefined`: no default). */
  readonly default?: string;
  /** Other flag names accepted for the same option. */
  readonly aliases?: readonly string[];
  /** One line for `--help`. */
  readonly help: string;
  /** A switch (`--create-topics`) rather than a `--flag value`. */
  readonly boolean?: boolean;
  /** Never print the value (passwords). */
  readonly secret?: boolean;
  /** Turns the raw text into a value; throws an `Error` whose message says what is wrong. */
  readonly parse: (raw: string) => T;
}

/** A table of options; the result of `parseOptions` has the same keys. */
export type OptionTable = Record<string, OptionSpec<unknown>>;
/** The parsed values of an option table. */
export type OptionValues<T extends OptionTable> = {
  [K in keyof T]: T[K] extends OptionSpec<infer V> ? V : never;
};

/** Bad usage: the CLI exits with status 2 and prints the message. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Parsers for common option types. */
export const parsers = {
  string: (raw: string) => raw,
  nonEmpty: (raw: string) => {
    if (raw.trim() === "") throw new Error("must not be empty");
    return raw;
  },
  bool: (raw: string): boolean => {
    const v = raw.trim().toLowerCase();
    if (["1", "true", "yes", "on"].includes(v)) return true;
    if (["0", "false", "no", "off", ""].includes(v)) return false;
    throw new Error(`expected 1/0, true/false, yes/no or on/off; got "${raw}"`);
  },
  /** A number in [min, max]; integers only when `integer`. */
  number: (min: number, max: number, integer = false) => (raw: string): number => {
    const n = Number(raw.trim());
    if (raw.trim() === "" || !Number.isFinite(n)) {
      throw new Error(`expected a number; got "${raw}"`);
    }
    if (integer && !Number.isInteger(n)) throw new Error(`expected an integer; got "${raw}"`);
    if (n < min || n > max) throw new Error(`expected ${min}..${max}; got ${raw}`);
    return n;
  },
  oneOf: <T extends string>(...values: T[]) => (raw: string): T => {
    const v = raw.trim().toLowerCase() as T;
    if (!values.includes(v)) throw new Error(`expected one of ${values.join(", ")}; got "${raw}"`);
    return v;
  },
};

/**
 * Parses `args` against `table`, falling back to `env` and then to defaults. Throws
 * `UsageError` naming the flag and the variable when a value is bad, or when a flag is unknown or
 * a positional argument is given. Returns the values and whether `--help` was asked for.
 */
export function parseOptions<T extends OptionTable>(
  table: T,
  args: string[],
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): { values: OptionValues<T>; help: boolean } {
  let parsed;
  try {
    // No command takes positional arguments: a stray word is bad usage, not ignored.
    parsed = parseArgs({ args, options: argOptions(table), allowPositionals: false, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify.*$/s, ""));
  }
  const flags = parsed.values as Flags;
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) {
    const { raw, from } = rawValue(spec, flags, env);
    values[key] = raw === undefined ? undefined : parseValue(spec, raw, from);
  }
  return {
    values: values as OptionValues<T>,
    help: flags.help === true,
  };
}

/** The flags as `parseArgs` returns them. */
type Flags = Record<string, string | boolean | undefined>;

/** The `parseArgs` options of a table: every flag and alias, `--no-X` for switches, `-h`. */
function argOptions(
  table: OptionTable,
): Record<string, { type: "string" | "boolean"; short?: string }> {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {
    help: { type: "boolean", short: "h" },
  };
  for (const spec of Object.values(table)) {
    for (const name of [spec.flag, ...(spec.aliases ?? [])]) {
      options[name] = { type: spec.boolean ? "boolean" : "string" };
    }
    // `--no-create-topics` turns a switch off even when its variable says on.
    if (spec.boolean) options[`no-${spec.flag}`] = { type: "boolean" };
  }
  return options;
}

/** The raw text of an option and where it came from: a flag, its variable, or the default. */
function rawValue(
  spec: OptionSpec<unknown>,
  flags: Flags,
  env: (name: string) => string | undefined,
): { raw: string | undefined; from: string } {
  const given = [spec.flag, ...(spec.aliases ?? [])].map((n) => flags[n]).find((v) =>
    v !== undefined
  );
  if (spec.boolean && flags[`no-${spec.flag}`]) return { raw: "0", from: `--no-${spec.flag}` };
  if (given !== undefined) {
    const raw = typeof given === "boolean" ? (given ? "1" : "0") : given;
    return { raw, from: `--${spec.flag}` };
  }
  if (spec.env && env(spec.env) !== undefined) return { raw: env(spec.env)!, from: spec.env };
  return { raw: spec.default, from: "default" };
}

/** Parses one option's text; a bad value is a `UsageError` naming the flag and the variable. */
function parseValue(spec: OptionSpec<unknown>, raw: string, from: string): unknown {
  try {
    return spec.parse(raw);
  } catch (e) {
    const where = spec.env ? `--${spec.flag} / ${spec.env}` : `--${spec.flag}`;
    const shown = spec.secret ? "(hidden)" : `"${raw}"`;
    throw new UsageError(
      `invalid value ${shown} for ${where} (from ${from}): ${(e as Error).message}`,
    );
  }
}

/** The `--help` text of an option table: flag, variable, default, meaning. */
export function optionsHelp(table: OptionTable): string {
  const rows = Object.values(table).map((s) => {
    const names = [s.flag, ...(s.aliases ?? [])].map((n) => `--${n}`).join(", ");
    const flag = `${names}${s.boolean ? "" : " <value>"}`;
    const env = s.env ?? "";
    const def = s.secret ? "" : s.default === undefined ? "" : s.default === "" ? '""' : s.default;
    return [flag, env, def, s.help];
  });
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    `  ${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  ${(r[2] ? `[${r[2]}]` : "").padEnd(w[2] + 2)}  ${
      r[3]
    }`
  ).join("\n");
}
