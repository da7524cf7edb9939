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
  const options = argOptions(table);
  let parsed;
  try {
    // No command takes positional arguments: a stray word is bad usage, not ignored.
    parsed = parseArgs({
      args: joinNumberValues(args, options),
      options,
      allowPositionals: false,
      strict: true,
    });
  } catch (e) {
    throw new UsageError(argsErrorLine(e as Error & { code?: string }, args, options));
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

/** The `parseArgs` options: flag name → its type (and `-h` for `--help`). */
type ArgOptions = Record<string, { type: "string" | "boolean"; short?: string }>;

/** A value that starts with a dash and is a number: `-5`, `-0.5`, `-.5`, `-1e3`. */
const NEGATIVE_NUMBER = /^-\.?\d/;

/**
 * `--flag -5` as `--flag=-5`, for every option that takes a value, so a negative number reaches
 * the option's own range check (`parseArgs` refuses it as "ambiguous", in three lines). Other
 * values that start with a dash are left alone: `--broker --ssl` is a missing value.
 */
function joinNumberValues(args: string[], options: ArgOptions): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") return [...out, ...args.slice(i)];
    const next = args[i + 1];
    const takesValue = arg.startsWith("--") && options[arg.slice(2)]?.type === "string";
    if (takesValue && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/**
 * One line for what `parseArgs` refused: an unknown flag with the nearest known one (at most
 * two edits away), a flag whose value is missing, a switch given a value, or `parseArgs`' own
 * first line.
 */
function argsErrorLine(e: Error & { code?: string }, args: string[], options: ArgOptions): string {
  const name = /^(?:Unknown option|Option) '(-[^' ]*)/.exec(e.message)?.[1];
  if (name === undefined) return e.message.split("\n")[0];
  if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    // Long flags only: any one-letter flag is one edit from -h.
    const near = name.startsWith("--")
      ? nearest(name, Object.keys(options).map((flag) => `--${flag}`), 2)
      : undefined;
    return near ? `unknown option ${name}; did you mean ${near}?` : `unknown option ${name}`;
  }
  if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const after = args[args.indexOf(name) + 1];
    if (/ambiguous/.test(e.message) && after !== undefined) {
      return `${name} needs a value, and ${after} after it is a flag (a value that starts ` +
        `with a dash is written ${name}=<value>)`;
    }
    if (/argument missing/.test(e.message)) return `${name} needs a value`;
    if (/does not take an argument/.test(e.message)) {
      return `${name} is a switch and takes no value`;
    }
  }
  return e.message.split("\n")[0];
}

/**
 * The edit distance of two names (optimal string alignment: an insertion, deletion,
 * substitution or swap of neighbours is one edit).
 */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** The candidate nearest to `name`, if one is at most `max` edits away (ties: the first). */
export function nearest(
  name: string,
  candidates: Iterable<string>,
  max: number,
): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const c of candidates) {
    const distance = editDistance(name, c);
    if (distance <= max && (best === undefined || distance < best.distance)) {
      best = { name: c, distance };
    }
  }
  return best?.name;
}

/**
 * One line for each variable in `present` that is not one of `known` but one edit away from one
 * (or one of them in other letter case): `KAFKA_BROKERS is not a pos-producer variable; did you
 * mean KAFKA_BROKER?`. Variables further away are none of ours and are not looked at.
 */
export function nearMissVariables(
  present: Iterable<string>,
  known: Iterable<string>,
): { variable: string; meant: string; line: string }[] {
  const names = new Set(known);
  const out = [];
  for (const variable of present) {
    if (names.has(variable)) continue;
    const meant = nearest(variable.toUpperCase(), names, 1);
    if (meant === undefined) continue;
    out.push({
      variable,
      meant,
      line: `${variable} is not a pos-producer variable; did you mean ${meant}?`,
    });
  }
  return out;
}

/** The `parseArgs` options of a table: every flag and alias, `--no-X` for switches, `-h`. */
function argOptions(table: OptionTable): ArgOptions {
  const options: ArgOptions = {
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

/** Columns of a `--help` text (the README's and the terminal's common width). */
export const HELP_WIDTH = 100;

/**
 * The `--help` text of an option table: for each option a line with its flags, variable and
 * [default], then its meaning indented below, every line wrapped to {@link HELP_WIDTH} columns.
 */
export function optionsHelp(table: OptionTable): string {
  return Object.values(table).map((s) => {
    const names = [s.flag, ...(s.aliases ?? [])].map((n) => `--${n}`).join(", ");
    const flag = `${names}${s.boolean ? "" : " <value>"}`;
    const def = s.secret || s.default === undefined
      ? ""
      : `[${s.default === "" ? '""' : s.default}]`;
    const head = wrapWords([flag, s.env ?? "", def].filter(Boolean), "  ", "  ", "      ");
    const meaning = wrapWords(s.help.split(/\s+/).filter(Boolean), " ", "      ", "      ");
    return [...head, ...meaning].join("\n");
  }).join("\n");
}

/**
 * `words` joined by `sep` in lines of at most `width` columns: the first line starts with
 * `first`, the others with `rest` (a word longer than a line gets a line of its own).
 */
export function wrapWords(
  words: string[],
  sep: string,
  first: string,
  rest: string,
  width = HELP_WIDTH,
): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of words) {
    if (!empty && line.length + sep.length + word.length > width) {
      lines.push(line);
      line = rest;
      empty = true;
    }
    line += empty ? word : sep + word;
    empty = false;
  }
  lines.push(line);
  return lines;
}
