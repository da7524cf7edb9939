/**
 * Reads the inventory and discount parquet files into a {@link PriceBook} (SPEC §4). parquet-wasm
 * is loaded by {@link initParquet} (its Node entry point instantiates the wasm synchronously
 * from the file next to it, which works with `npm:` specifiers and inside `deno compile`), which
 * returns a {@link Parquet}: every read and write through it is synchronous.
 * {@link loadPriceBook} (service, hot reload, `check-data`, `replay`) does the decoding and
 * indexing in a worker (`lib/catalog/parquet_worker.ts`) that ends afterwards, so its memory does not
 * stay in the process.
 * @module
 */
import { type Table, tableFromIPC, tableToIPC } from "apache-arrow";
import { CatalogError, type LoadReport, PriceBook, type UnknownItemPolicy } from "../core/mod.ts";
import type { LoadAnswer, LoadRequest } from "./parquet_worker.ts";
import { arrowSource } from "./arrow_columns.ts";

type ParquetWasm = typeof import("parquet-wasm/node");

/**
 * parquet-wasm, loaded: what reads and writes parquet synchronously. An explicit value (from
 * {@link initParquet}) rather than a module-level one, so that needing the wasm is visible in
 * every signature that does.
 */
export interface Parquet {
  /** Column names of a parquet file, from its footer. */
  columnNames(bytes: Uint8Array): string[];
  /** Reads a parquet file (optionally only `columns`) into an Arrow table. */
  readTable(bytes: Uint8Array, columns?: string[]): Table;
  /** Writes an Arrow table as parquet bytes (tests, fixtures, tools). */
  writeTable(table: Table): Uint8Array;
  /**
   * Indexes parquet bytes into a PriceBook. `discountBytes` undefined = no discount file.
   * Throws a {@link CatalogError} naming the file and any missing columns.
   */
  priceBook(
    storeBytes: Uint8Array,
    discountBytes: Uint8Array | undefined,
    options?: LoadOptions,
  ): PriceBook;
}

/**
 * Loads parquet-wasm (the module is imported once per process; later calls are cheap) and
 * returns the synchronous reader/writer over it.
 */
export async function initParquet(): Promise<Parquet> {
  const wasm: ParquetWasm = await import("parquet-wasm/node");
  const parquet: Parquet = {
    columnNames: (bytes) => columnNames(wasm, bytes),
    readTable: (bytes, columns) => readTable(wasm, bytes, columns),
    writeTable: (table) => wasm.writeParquet(wasm.Table.fromIPCStream(tableToIPC(table, "stream"))),
    priceBook: (storeBytes, discountBytes, options) =>
      priceBookFromParquet(parquet, storeBytes, discountBytes, options),
  };
  return parquet;
}

function columnNames(wasm: ParquetWasm, bytes: Uint8Array): string[] {
  const schema = tableFromIPC(wasm.readSchema(bytes).intoIPCStream()).schema;
  return schema.fields.map((f) => f.name);
}

function readTable(wasm: ParquetWasm, bytes: Uint8Array, columns?: string[]): Table {
  const t = wasm.readParquet(bytes, {
    ...(columns ? { columns } : {}),
    batchSize: 1 << 20,
  });
  return tableFromIPC(t.intoIPCStream());
}

/**
 * Columns the price book reads. They are passed to parquet-wasm as a projection (0.8.0's
 * synchronous reader returns every column regardless); the book only ever converts these.
 */
const INVENTORY_COLUMNS = ["shelf_id", "item_price"];
const DISCOUNT_COLUMNS = [
  "shelf_id",
  "discount",
  "discount_pct",
  "original_price",
  "discounted_price",
  "week",
  "week_start",
  "week_end",
  "start_date",
  "end_date",
];

function readProjected(parquet: Parquet, bytes: Uint8Array, wanted: string[], file: string): Table {
  let names: string[];
  try {
    names = parquet.columnNames(bytes);
  } catch (e) {
    throw new CatalogError(`${file}: not a readable parquet file (${errorText(e)})`, { file });
  }
  const columns = wanted.filter((c) => names.includes(c));
  try {
    // Reading no column at all would lose the row count: read the file's first column instead.
    return parquet.readTable(bytes, columns.length > 0 ? columns : names.slice(0, 1));
  } catch (e) {
    throw new CatalogError(`${file}: not a readable parquet file (${errorText(e)})`, { file });
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Options of {@link Parquet.priceBook} and {@link loadPriceBook}. */
export interface LoadOptions {
  /** `UNKNOWN_ITEM_PRICE`; default price 5.0. */
  unknownItem?: UnknownItemPolicy;
  /** Names for the report and errors (paths). */
  storeName?: string;
  discountName?: string;
}

/** {@link Parquet.priceBook}. */
function priceBookFromParquet(
  parquet: Parquet,
  storeBytes: Uint8Array,
  discountBytes: Uint8Array | undefined,
  options: LoadOptions = {},
): PriceBook {
  const storeName = options.storeName ?? "inventory";
  const discountName = options.discountName ?? "discounts";
  const inventory = readProjected(parquet, storeBytes, INVENTORY_COLUMNS, storeName);
  const discounts = discountBytes === undefined
    ? undefined
    : readProjected(parquet, discountBytes, DISCOUNT_COLUMNS, discountName);
  // Index each table alone first so an error names the right file.
  try {
    return PriceBook.fromColumns(arrowSource(inventory), discounts && arrowSource(discounts), {
      unknownItem: options.unknownItem,
      inventorySource: storeName,
      discountSource: discountBytes === undefined ? null : discountName,
    });
  } catch (e) {
    if (e instanceof CatalogError && e.file === undefined) {
      const file = e.message.startsWith("discount") ? discountName : storeName;
      const err = new CatalogError(`${file}: ${e.message}`, {
        file,
        missingColumns: [...e.missingColumns],
      });
      throw err;
    }
    if (e instanceof Error && e.name === "ColumnTypeError") {
      const file = DISCOUNT_COLUMNS.includes((e as { column?: string }).column ?? "") &&
          !INVENTORY_COLUMNS.includes((e as { column?: string }).column ?? "")
        ? discountName
        : storeName;
      throw new CatalogError(`${file}: ${e.message}`, { file });
    }
    throw e;
  }
}

/** {@link Parquet.priceBook} in a worker that ends afterwards; its errors rethrown here. */
async function priceBookInWorker(request: LoadRequest): Promise<PriceBook> {
  const worker = new Worker(new URL("./parquet_worker.ts", import.meta.url), { type: "module" });
  let answer: LoadAnswer;
  try {
    answer = await new Promise<LoadAnswer>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<LoadAnswer>) => resolve(e.data);
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(`price book worker failed: ${e.message}`));
      };
      worker.postMessage(request);
    });
  } finally {
    worker.terminate();
  }
  if ("book" in answer) return PriceBook.fromIndexed(answer.book);
  const { name, message, file, missingColumns } = answer.error;
  if (name === "CatalogError") throw new CatalogError(message, { file, missingColumns });
  const err = new Error(message);
  err.name = name;
  throw err;
}

/** Reads a file, or undefined when it does not exist. */
async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw new CatalogError(`${path}: cannot read (${errorText(e)})`, { file: path });
  }
}

/**
 * Loads `STORE_PARQUET` and `DISCOUNT_PARQUET_PATH` into a PriceBook. A missing inventory file
 * is a {@link CatalogError}; a missing discount file means no discounts (a warning in the
 * report).
 */
export async function loadPriceBook(options: {
  storePath: string;
  discountPath: string;
  unknownItem?: UnknownItemPolicy;
}): Promise<{ book: PriceBook; report: LoadReport }> {
  const [store, discounts] = await Promise.all([
    readIfExists(options.storePath),
    readIfExists(options.discountPath),
  ]);
  if (store === undefined) {
    throw new CatalogError(`inventory file not found: ${options.storePath}`, {
      file: options.storePath,
    });
  }
  const book = await priceBookInWorker({
    store,
    discounts,
    options: {
      unknownItem: options.unknownItem,
      storeName: options.storePath,
      discountName: options.discountPath,
    },
  });
  if (discounts === undefined) {
    book.report.warnings.splice(
      0,
      book.report.warnings.length,
      ...book.report.warnings.map((w) =>
        w.startsWith("no discount file")
          ? `discount file not found: ${options.discountPath} (no discounts apply)`
          : w
      ),
    );
  }
  return { book, report: book.report };
}
