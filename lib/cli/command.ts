/**
 * What the subcommands share: parsing their options (a `--help` text, exit 2 with one line
 * pointing at `--help` on bad usage), reading the environment without `--allow-env`, the Kafka
 * client options of the commands that connect, and stopping cleanly on SIGINT/SIGTERM.
 * @module
 */
import { SERVICE_OPTIONS } from "./config.ts";
import {
  type OptionTable,
  type OptionValues,
  parseOptions,
  parsers,
  UsageError,
} from "./options.ts";

/** A command's option table and help, for {@link parseCommand}. */
export interface CommandSpec<T extends OptionTable> {
  /** How messages name the command, e.g. `pos-producer simulate`. */
  name: string;
  /** The `--help` text. */
  usage: string;
  /** The options. */
  options: T;
  /** Where variables come from (default {@link readEnv}). */
  env?: (name: string) => string | undefined;
  /** Checks across options; throws `UsageError`. May return changed values. */
  check?: (values: OptionValues<T>) => OptionValues<T>;
  /** The command `--help` is pointed at in messages (default `name`). */
  helpCommand?: string;
  /** On bad usage, print the whole `--help` text instead of pointing at `--help`. */
  usageOnError?: boolean;
}

/** The parsed values, or the exit code when the command is done (`--help`: 0, bad usage: 2). */
export type Parsed<T extends OptionTable> = { values: OptionValues<T> } | { exitCode: number };

/** Parses `args` for a command: prints `--help` or the usage error, or returns the values. */
export function parseCommand<T extends OptionTable>(
  spec: CommandSpec<T>,
  args: string[],
): Parsed<T> {
  try {
    const parsed = parseOptions(spec.options, args, spec.env ?? readEnv);
    if (parsed.help) {
      console.log(spec.usage);
      return { exitCode: 0 };
    }
    return { values: spec.check ? spec.check(parsed.values) : parsed.values };
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(
        spec.usageOnError
          ? `${spec.name}: ${e.message}\n\n${spec.usage}`
          : `${spec.name}: ${e.message}\n(see ${spec.helpCommand ?? spec.name} --help)`,
      );
      return { exitCode: 2 };
    }
    throw e;
  }
}

/** The `--json` option of a command that ends with a summary. */
export const JSON_SUMMARY_OPTION = {
  flag: "json",
  default: "0",
  boolean: true,
  help: "print the summary as JSON",
  parse: parsers.bool,
} as const;

/** No environment: for commands whose options come from flags and defaults only. */
export const NO_ENV = (): string | undefined => undefined;

/** An environment variable; undefined when unset or when `--allow-env` was not granted. */
export function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env: flags and defaults apply
  }
}

/**
 * The options of a command that connects to Kafka as a client, besides the broker and topics:
 * its log level (default warn), its client id, TLS and SASL as the service's.
 */
export function kafkaClientOptions<Id extends string>(clientId: Id) {
  return {
    logLevel: { ...SERVICE_OPTIONS.logLevel, default: "warn" },
    clientId: { ...SERVICE_OPTIONS.clientId, default: clientId },
    ssl: SERVICE_OPTIONS.ssl,
    sslCaFile: SERVICE_OPTIONS.sslCaFile,
    saslMechanism: SERVICE_OPTIONS.saslMechanism,
    saslUsername: SERVICE_OPTIONS.saslUsername,
    saslPassword: SERVICE_OPTIONS.saslPassword,
  } as const;
}

/** The signals that stop a command cleanly. */
const STOP_SIGNALS: readonly Deno.Signal[] = ["SIGINT", "SIGTERM"];

/** Runs `body` with a signal aborted on SIGINT or SIGTERM; the listeners go when it ends. */
export async function withStopSignal<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  for (const s of STOP_SIGNALS) Deno.addSignalListener(s, onSignal);
  try {
    return await body(stop.signal);
  } finally {
    for (const s of STOP_SIGNALS) Deno.removeSignalListener(s, onSignal);
  }
}
