/**
 * pos-producer: turns foot-traffic sessions and smart-shelf events into priced point-of-sale
 * transactions. This file only picks the subcommand and hands over to its driver.
 * @module
 */
import { VERSION } from "./lib/cli/version.ts";
import { nearest } from "./lib/cli/options.ts";

type Command = (args: string[]) => Promise<number>;

/** Subcommands, loaded lazily so `--help` and `replay` never load the Kafka client. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import("./lib/cli/run.ts")).main,
  replay: async () => (await import("./lib/cli/replay.ts")).main,
  "check-data": async () => (await import("./lib/cli/check_data.ts")).main,
  demo: async () => (await import("./lib/cli/demo.ts")).main,
  simulate: async () => (await import("./lib/cli/simulate.ts")).main,
  tail: async () => (await import("./lib/cli/tail.ts")).main,
  "sample-data": async () => (await import("./lib/cli/sample_data.ts")).main,
};

const USAGE = `pos-producer ${VERSION}

Usage:
  pos-producer [run] [options]      consume foot-traffic and shelf topics, emit POS transactions
  pos-producer replay --foot F --shelf F [--out F] [--dlq F]
                                    the same engine over JSONL files, no Kafka
  pos-producer check-data [--store P] [--discounts P] [--json]
                                    load the parquet files and print the load report
  pos-producer demo [--customers N] [--seed S] [--out F]
                                    simulate a store day in-process, no Kafka, no files
  pos-producer simulate --broker B [options]
                                    load generator: write simulated events to Kafka
  pos-producer tail --broker B [--json] [--from-beginning]
                                    print the committed transactions as they arrive
  pos-producer sample-data [--out DIR]
                                    write a sample inventory and discount files (parquet)

  pos-producer <command> --help     options of one command
  pos-producer version               (or --version)

Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad data.
`;

/** Runs the CLI with `args` and returns the process exit code. */
export async function cli(args: string[]): Promise<number> {
  const [first, ...rest] = args;
  if (first === "--version" || first === "-V" || first === "version") {
    console.log(`pos-producer ${VERSION}`);
    return 0;
  }
  if (first === "help" || ((first === "--help" || first === "-h") && rest.length === 0)) {
    console.log(USAGE);
    return 0;
  }
  if (first !== undefined && !first.startsWith("-")) {
    const load = COMMANDS[first];
    if (!load) {
      const near = nearest(first, Object.keys(COMMANDS), 2);
      const hint = near ? `; did you mean ${near}?` : "";
      console.error(`pos-producer: unknown command "${first}"${hint}\n\n${USAGE}`);
      return 2;
    }
    return await (await load())(rest);
  }
  // No subcommand: the service, as the original `python producer.py` was.
  return await (await COMMANDS.run())(args);
}

if (import.meta.main) {
  Deno.exit(await cli(Deno.args));
}
