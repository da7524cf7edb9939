/**
 * Hot reload of the price book (SPEC §4): polls both parquet files, loads a changed one in the
 * background and swaps the new {@link PriceBook} in atomically; a broken new file keeps the old
 * book and logs an error. This is the edge: file I/O and timers live here, the book stays pure.
 * @module
 */
import type {
  CartLine,
  LoadReport,
  PriceBook,
  PricedCart,
  Pricer,
  UnknownItemPolicy,
} from "../core/mod.ts";
import { loadPriceBook } from "./loader.ts";
import { fullGc } from "./full_gc.ts";

/**
 * How long after a load the watcher runs a full garbage collection: the pages of the finished
 * load worker are only given back once its threads are gone (~10 s, measured).
 */
const RELEASE_AFTER_LOAD_MS = 15_000;

/** Severity of a watcher log line. */
export type WatcherLogLevel = "info" | "warn" | "error";

/** Receives the watcher's log lines. */
export type WatcherLog = (
  level: WatcherLogLevel,
  message: string,
  fields?: Record<string, unknown>,
) => void;

/** Options of {@link CatalogWatcher.start}. */
export interface CatalogWatcherOptions {
  /** `STORE_PARQUET`. */
  storePath: string;
  /** `DISCOUNT_PARQUET_PATH`. */
  discountPath: string;
  /** `UNKNOWN_ITEM_PRICE`; default price 5.0. */
  unknownItem?: UnknownItemPolicy;
  /** How often the files are checked, in ms (default 1000; 0 = never, call `checkNow`). */
  intervalMs?: number;
  /** Log sink (default: one line on stderr). */
  log?: WatcherLog;
  /** Called after each swap with the new book. */
  onReload?: (book: PriceBook) => void;
}

/** What a poll compares: size, mtime and inode of each file ("missing" when absent). */
async function signature(path: string): Promise<string> {
  try {
    const s = await Deno.stat(path);
    return `${s.size}:${s.mtime?.getTime() ?? 0}:${s.ino ?? 0}`;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "missing";
    return `error:${e instanceof Error ? e.message : String(e)}`;
  }
}

const defaultLog: WatcherLog = (level, message, fields) => {
  console.error(`[catalog] ${level}: ${message}${fields ? " " + JSON.stringify(fields) : ""}`);
};

/**
 * Holds the current {@link PriceBook} and prices through it ({@link Pricer}); reloads when
 * either file changes on disk. Start it with {@link CatalogWatcher.start}; `close()` stops it.
 */
export class CatalogWatcher implements Pricer {
  #book: PriceBook;
  #signatures: [string, string];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #checking: Promise<boolean> | undefined;
  #releaseAt: number;
  readonly #options: CatalogWatcherOptions;
  readonly #log: WatcherLog;
  /** Successful reloads since start (the initial load not counted). */
  reloads = 0;
  /** Reload attempts that failed (the old book was kept). */
  failures = 0;
  /** Message of the last failure, if any. */
  lastError: string | undefined;
  /** When the book in use was loaded (epoch ms). */
  loadedAt: number;

  private constructor(
    book: PriceBook,
    signatures: [string, string],
    options: CatalogWatcherOptions,
  ) {
    this.#book = book;
    this.#signatures = signatures;
    this.#options = options;
    this.#log = options.log ?? defaultLog;
    this.loadedAt = Date.now();
    this.#releaseAt = this.loadedAt + RELEASE_AFTER_LOAD_MS;
  }

  /**
   * Loads both files (throws a `CatalogError` as {@link loadPriceBook} does) and starts
   * polling them.
   */
  static async start(options: CatalogWatcherOptions): Promise<CatalogWatcher> {
    const before = await Promise.all([
      signature(options.storePath),
      signature(options.discountPath),
    ]) as [string, string];
    const { book } = await loadPriceBook(options);
    const w = new CatalogWatcher(book, before, options);
    for (const warning of book.report.warnings) w.#log("warn", warning);
    w.#schedule();
    return w;
  }

  /** The book in use. */
  get book(): PriceBook {
    return this.#book;
  }

  /** The load report of the book in use. */
  get report(): LoadReport {
    return this.#book.report;
  }

  /** Prices with the book in use (one book for the whole cart). */
  priceCart(lines: readonly CartLine[], atEpochMs: number): PricedCart {
    return this.#book.priceCart(lines, atEpochMs);
  }

  #schedule(): void {
    const every = this.#options.intervalMs ?? 1000;
    if (this.#closed || every <= 0) return;
    this.#timer = setTimeout(async () => {
      this.#timer = undefined;
      if (Date.now() >= this.#releaseAt) {
        this.#releaseAt = Infinity;
        fullGc();
      }
      await this.checkNow();
      this.#schedule();
    }, every);
    Deno.unrefTimer(this.#timer as unknown as number);
  }

  /**
   * Checks the files once and reloads when one changed. Resolves true when a new book was
   * swapped in. Concurrent calls share one check.
   */
  checkNow(): Promise<boolean> {
    this.#checking ??= this.#check().finally(() => this.#checking = undefined);
    return this.#checking;
  }

  async #check(): Promise<boolean> {
    if (this.#closed) return false;
    const { storePath, discountPath } = this.#options;
    const now = await Promise.all([signature(storePath), signature(discountPath)]) as [
      string,
      string,
    ];
    if (now[0] === this.#signatures[0] && now[1] === this.#signatures[1]) return false;
    const previous = this.#signatures;
    // Whatever happens next, this version is handled: a broken file is reported once, and
    // tried again only when it changes again.
    this.#signatures = now;
    if (now[0] === "missing") {
      return this.#fail(`inventory file disappeared: ${storePath} (keeping the loaded prices)`);
    }
    if (now[1] === "missing" && previous[1] !== "missing") {
      this.#log(
        "warn",
        `discount file disappeared: ${discountPath} (keeping the loaded discounts)`,
      );
      return false;
    }
    let book: PriceBook;
    try {
      ({ book } = await loadPriceBook(this.#options));
    } catch (e) {
      return this.#fail(e instanceof Error ? e.message : String(e));
    } finally {
      this.#releaseAt = Date.now() + RELEASE_AFTER_LOAD_MS;
    }
    if (this.#closed) return false;
    const after = await Promise.all([signature(storePath), signature(discountPath)]);
    if (after[0] !== now[0] || after[1] !== now[1]) {
      // Written to while we read it: use nothing from this read, look again next tick.
      this.#signatures = previous;
      return false;
    }
    this.#book = book;
    this.reloads++;
    this.loadedAt = Date.now();
    const r = book.report;
    this.#log("info", "price book reloaded", {
      items: r.inventory.uniqueShelfIds,
      discountRows: r.discounts.acceptedRows,
      weeks: r.discounts.weeks.count,
    });
    for (const warning of r.warnings) this.#log("warn", warning);
    this.#options.onReload?.(book);
    return true;
  }

  #fail(message: string): false {
    this.failures++;
    this.lastError = message;
    this.#log("error", `price book reload failed, keeping the previous one: ${message}`);
    return false;
  }

  /** Stops polling (the current book stays usable). */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
