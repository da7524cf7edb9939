/**
 * `pos-producer replay --foot FILE --shelf FILE [--out FILE] [--dlq FILE]` (SPEC §8).
 * @module
 */
import { CommandExit } from "./command_exit.ts";
import { SERVICE_OPTIONS } from "./config.ts";
import { optionsHelp, parseOptions, parsers, UsageError } from "./options.ts";
import type { CatalogError, Pricer, UnknownItemPolicy } from "../core/mod.ts";
import { replay, type ReplayDlqLine, type ReplayResult } from "../files/replay.ts";
import { catalogErrorLine } from "../catalog/hint.ts";

/** Options of `replay`: the files, and every service option that affects output. */
export const REPLAY_OPTIONS = {
  foot: { flag: "foot", help: "foot-traffic JSONL file (- = stdin)", parse: parsers.nonEmpty },
  shelf: { flag: "shelf", help: "shelf-event JSONL file (- = stdin)", parse: parsers.nonEmpty },
  out: {
    flag: "out",
    default: "-",
    help: "transactions, one JSON per line (- = stdout)",
    parse: parsers.nonEmpty,
  },
  dlq: {
    flag: "dlq",
    help: "dead letters, one JSON per line (- = stdout; default: not written)",
    parse: parsers.nonEmpty,
  },
  store: { ...SERVICE_OPTIONS.storeParquet, flag: "store", aliases: ["store-parquet"] },
  discounts: {
    ...SERVICE_OPTIONS.discountParquet,
    flag: "discounts",
    aliases: ["discount-parquet-path"],
  },
  forceCheckoutIfEmpty: SERVICE_OPTIONS.forceCheckoutIfEmpty,
  maxSessionAgeSec: SERVICE_OPTIONS.maxSessionAgeSec,
  checkoutGraceSec: SERVICE_OPTIONS.checkoutGraceSec,
  unknownItemPrice: SERVICE_OPTIONS.unknownItemPrice,
};

const HELP = `pos-producer replay --foot FILE --shelf FILE [--out FILE] [--dlq FILE] [options]

Runs the cart engine over JSONL files (one Kafka record value per line), each file as a
one-partition topic written before the start, stream time following event time: records are
applied in event-time order (foot by entry_time, shelf by timestamp; a shelf line without a
timestamp takes the time of the line before it; ties keep file order), and at the end every
open session and cart is checked out. Transactions are written one per line, ordered by
timestamp then customer_id. DLQ lines: {"reason","detail","source","file","line","original"}.

Options (a flag beats its variable):
${optionsHelp(REPLAY_OPTIONS)}

Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad data.`;

/** Builds the pricer of a replay; replaced in tests. */
export type PricerFactory = (o: {
  storePath: string;
  discountPath: string;
  unknownItem: UnknownItemPolicy;
}) => Promise<Pricer>;

/** The real price book, loaded from parquet (loaded lazily: replay without it stays light). */
export const loadPricer: PricerFactory = async (o) => {
  const { loadPriceBook } = await import("../catalog/loader.ts");
  const { book, report } = await loadPriceBook(o);
  for (const w of report.warnings ?? []) console.error(`pos-producer replay: warning: ${w}`);
  return book;
};

/** Reads an input file; a path the user got wrong is a `UsageError` naming the flag. */
async function readInput(flag: string, path: string): Promise<Uint8Array> {
  if (path === "-") return new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new UsageError(`${flag} ${path}: no such file; give a JSONL file (- = stdin)`);
    }
    if (e instanceof Deno.errors.IsADirectory || (await isDirectory(path))) {
      throw new UsageError(`${flag} ${path} is a folder; give a JSONL file (- = stdin)`);
    }
    throw new Error(`${flag} ${path}: cannot read (${(e as Error).message})`);
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return (await Deno.stat(path).catch(() => undefined))?.isDirectory ?? false;
}

/** What is wrong with an output path before anything is written, or undefined. */
async function outputProblem(flag: string, path: string): Promise<string | undefined> {
  if (path === "-") return undefined;
  if (await isDirectory(path)) return `${flag} ${path} is a folder; give a file path (- = stdout)`;
  const slash = path.lastIndexOf("/");
  const folder = slash < 0 ? "." : path.slice(0, slash) || "/";
  if (!(await isDirectory(folder))) {
    return `${flag} ${path}: folder ${folder} does not exist; create it first (mkdir -p ${folder})`;
  }
  return undefined;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** Buffered text output to a file or stdout. */
class Sink {
  private chunks: string[] = [];
  private size = 0;
  private readonly enc = new TextEncoder();
  private constructor(private readonly file: Deno.FsFile | null) {}
  static async open(path: string): Promise<Sink> {
    if (path === "-") return new Sink(null);
    return new Sink(await Deno.open(path, { write: true, create: true, truncate: true }));
  }
  async line(s: string): Promise<void> {
    this.chunks.push(s, "\n");
    this.size += s.length + 1;
    if (this.size >= 1 << 16) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.chunks.length === 0) return;
    const bytes = this.enc.encode(this.chunks.join(""));
    this.chunks = [];
    this.size = 0;
    const w = this.file ?? Deno.stdout;
    let off = 0;
    while (off < bytes.length) off += await w.write(bytes.subarray(off));
  }
  async close(): Promise<void> {
    await this.flush();
    this.file?.close();
  }
}

type ReplayOptions = ReturnType<typeof parseOptions<typeof REPLAY_OPTIONS>>["values"];

/** The options, checked; null for --help. Bad usage is a `UsageError`. */
function replayOptions(
  args: string[],
  env?: (name: string) => string | undefined,
): ReplayOptions | null {
  const parsed = parseOptions(REPLAY_OPTIONS, args, env);
  if (parsed.help) return null;
  const opts = parsed.values;
  if (opts.foot === undefined) throw new UsageError("--foot FILE is required");
  if (opts.shelf === undefined) throw new UsageError("--shelf FILE is required");
  if (opts.foot === "-" && opts.shelf === "-") {
    throw new UsageError("--foot and --shelf cannot both be stdin");
  }
  return opts;
}

/** Both input files, read; the output paths checked before anything is written. */
async function readInputs(opts: ReplayOptions): Promise<[Uint8Array, Uint8Array]> {
  let inputs: [Uint8Array, Uint8Array];
  try {
    inputs = await Promise.all([
      readInput("--foot", opts.foot!),
      readInput("--shelf", opts.shelf!),
    ]);
  } catch (e) {
    throw new CommandExit(e instanceof UsageError ? 2 : 1, (e as Error).message);
  }
  for (const [flag, path] of [["--out", opts.out], ["--dlq", opts.dlq]] as const) {
    const problem = path === undefined ? undefined : await outputProblem(flag, path);
    if (problem) throw new CommandExit(2, problem);
  }
  return inputs;
}

/** The pricer; a bad price file is exit 2 with a hint, anything else exit 1. */
async function replayPricer(opts: ReplayOptions, factory: PricerFactory): Promise<Pricer> {
  try {
    return await factory({
      storePath: opts.store,
      discountPath: opts.discounts,
      unknownItem: opts.unknownItemPrice,
    });
  } catch (e) {
    if ((e as Error).name !== "CatalogError") throw new CommandExit(1, (e as Error).message);
    const paths = { store: opts.store, discounts: opts.discounts };
    throw new CommandExit(2, catalogErrorLine(e as CatalogError, paths));
  }
}

/** The one-line account of a replay, for stderr. */
function summaryLine(result: ReplayResult): string {
  const reasons = Object.entries(result.dlqByReason).map(([r, n]) => `${r}=${n}`).join(", ");
  const m = result.engine;
  return `pos-producer replay: ${plural(result.lines.foot, "foot line")}, ${
    plural(result.lines.shelf, "shelf line")
  }` +
    ` → ${plural(result.transactions.length, "transaction")}` +
    `; DLQ ${Object.values(result.dlqByReason).reduce((a, b) => a + b, 0)}` +
    (reasons ? ` (${reasons})` : "") +
    `; skipped ${Object.values(m.skipped).reduce((a, b) => a + b, 0)}` +
    `; unknown items ${m.unknownItems}; excess putbacks ${m.anomalies}` +
    `; duplicate sessions ${m.duplicateSessions}`;
}

/** Replays into the output files (DLQ lines as they come, transactions at the end). */
async function replayTo(
  opts: ReplayOptions,
  [footBytes, shelfBytes]: [Uint8Array, Uint8Array],
  pricer: Pricer,
): Promise<void> {
  const out = await Sink.open(opts.out);
  const dlq = opts.dlq === undefined
    ? null
    : opts.dlq === opts.out
    ? out
    : await Sink.open(opts.dlq);
  try {
    const result = await replay(
      { name: opts.foot === "-" ? "<stdin>" : opts.foot!, bytes: footBytes },
      { name: opts.shelf === "-" ? "<stdin>" : opts.shelf!, bytes: shelfBytes },
      {
        graceSec: opts.checkoutGraceSec,
        maxSessionAgeSec: opts.maxSessionAgeSec,
        forceCheckoutIfEmpty: opts.forceCheckoutIfEmpty,
        pricer,
      },
      async (lines: ReplayDlqLine[]) => {
        if (dlq === null) return;
        for (const l of lines) await dlq.line(JSON.stringify(l));
      },
    );
    for (const t of result.transactions) await out.line(t);
    console.error(summaryLine(result));
  } finally {
    await out.close();
    if (dlq !== null && dlq !== out) await dlq.close();
  }
}

/** Runs `replay` with `args`; returns the exit code. */
export async function main(
  args: string[],
  deps: { pricer?: PricerFactory; env?: (name: string) => string | undefined } = {},
): Promise<number> {
  let opts;
  try {
    opts = replayOptions(args, deps.env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`pos-producer replay: ${e.message}\n(see pos-producer replay --help)`);
    return 2;
  }
  if (opts === null) {
    console.log(HELP);
    return 0;
  }
  try {
    const inputs = await readInputs(opts);
    const pricer = await replayPricer(opts, deps.pricer ?? loadPricer);
    await replayTo(opts, inputs, pricer);
    return 0;
  } catch (e) {
    if (!(e instanceof CommandExit)) throw e;
    console.error(`pos-producer replay: ${e.message}`);
    return e.code;
  }
}
