/**
 * `pos-producer tail`: prints the committed transactions of `POS_TOPIC` as they arrive
 * (read_committed, so only what the service committed), one line each or as JSON lines.
 * @module
 */
import { SERVICE_OPTIONS } from "./config.ts";
import { optionsHelp, type OptionValues, parsers } from "./options.ts";
import { kafkaClientOptions, parseCommand, withStopSignal } from "./command.ts";
import { jsonLogger } from "../observe/log.ts";

const { bool, number } = parsers;

/** Options of `pos-producer tail`; connection and topic options as the service's. */
export const TAIL_OPTIONS = {
  broker: SERVICE_OPTIONS.broker,
  posTopic: SERVICE_OPTIONS.posTopic,
  json: {
    flag: "json",
    default: "0",
    boolean: true,
    help: "print each record value as it is (JSON lines)",
    parse: bool,
  },
  fromBeginning: {
    flag: "from-beginning",
    default: "0",
    boolean: true,
    help: "start at the oldest transaction (default: only new ones)",
    parse: bool,
  },
  count: { flag: "count", help: "stop after this many transactions", parse: number(1, 1e12, true) },
  ...kafkaClientOptions("pos-producer-tail"),
} as const;

const USAGE = `Usage: pos-producer tail --broker B [--json] [--from-beginning] [--count N]

Prints the transactions on POS_TOPIC as the service commits them (read_committed: never one
that was rolled back). One line per transaction: timestamp, customer, items, total; --json
prints the record values as they are. Ctrl-C stops it.

Options (flag, variable, [default], meaning):
${optionsHelp(TAIL_OPTIONS)}
  -h, --help

Exit codes: 0 done or stopped by Ctrl-C, 1 runtime failure, 2 bad usage.`;

interface Line {
  item_id: string;
  quantity: number;
  total_price: number;
}

/** One transaction as a line of text; the value as it is when it is not a transaction. */
export function formatTransaction(value: string): string {
  let tx: { timestamp?: string; customer_id?: string; items?: Line[] };
  try {
    tx = JSON.parse(value);
  } catch {
    return value;
  }
  if (!Array.isArray(tx.items)) return value;
  const cents = tx.items.reduce((sum, l) => sum + Math.round(Number(l.total_price) * 100), 0);
  const units = tx.items.reduce((sum, l) => sum + Number(l.quantity), 0);
  const items = tx.items.map((l) => `${l.quantity}×${l.item_id}`).join(" ");
  const n = tx.items.length;
  return `${tx.timestamp}  ${tx.customer_id}  ${n} ${n === 1 ? "line" : "lines"}, ${units} ${
    units === 1 ? "item" : "items"
  }  total ${(cents / 100).toFixed(2)}  ${items}`;
}

/** Runs `tail`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(
    { name: "pos-producer tail", usage: USAGE, options: TAIL_OPTIONS, env: (n) => Deno.env.get(n) },
    args,
  );
  if ("exitCode" in parsed) return parsed.exitCode;
  const v = parsed.values;
  try {
    await withStopSignal((signal) => printTransactions(v, signal));
    return 0;
  } catch (e) {
    console.error(
      `pos-producer tail: ${(e as Error).message} (broker ${
        v.broker.join(",")
      }: check --broker / KAFKA_BROKER)`,
    );
    return 1;
  }
}

/** Prints the committed transactions until `signal`, `--count` of them, or a consumer crash. */
async function printTransactions(
  v: OptionValues<typeof TAIL_OPTIONS>,
  signal: AbortSignal,
): Promise<void> {
  const { createKafka } = await import("../kafka/client.ts");
  const consumer = createKafka(v, jsonLogger(v.logLevel)).consumer({
    // A group of its own, never committed: tail only reads.
    groupId: `pos-producer-tail-${crypto.randomUUID()}`,
    readUncommitted: false,
    maxWaitTimeInMs: 500,
  });
  const stop = Promise.withResolvers<void>();
  signal.addEventListener("abort", () => stop.resolve(), { once: true });
  let seen = 0;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: v.posTopic, fromBeginning: v.fromBeginning });
    consumer.on(consumer.events.CRASH, (e) => stop.reject(e.payload.error));
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        if (v.count !== undefined && seen >= v.count) return;
        const value = message.value?.toString() ?? "";
        console.log(v.json ? value : formatTransaction(value));
        seen++;
        if (v.count !== undefined && seen >= v.count) stop.resolve();
        await Promise.resolve();
      },
    });
    await stop.promise;
  } finally {
    await consumer.disconnect().catch(() => {});
  }
}
