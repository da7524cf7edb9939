/**
 * The price book loading worker: reads the parquet bytes it is sent into a {@link PriceBook} and
 * answers with the book as plain data (or the error). `loadPriceBook` runs one per load and ends
 * it, so parquet-wasm's WebAssembly memory and code, and the garbage of decoding and indexing
 * (~80 MiB with the real price files, never given back while they live in one isolate), leave
 * the process with it. `deno compile` must `--include` this file.
 * @module
 */
/// <reference lib="deno.worker" />
import { initParquet, type LoadOptions } from "./loader.ts";
import { CatalogError, type IndexedBook } from "../core/mod.ts";

/** What the worker is sent. */
export interface LoadRequest {
  store: Uint8Array;
  discounts: Uint8Array | undefined;
  options: LoadOptions;
}

/** An error thrown in the worker, as data. */
export interface LoadFailure {
  name: string;
  message: string;
  file?: string;
  missingColumns?: string[];
}

/** The worker's answer. */
export type LoadAnswer = { book: IndexedBook } | { error: LoadFailure };

self.onmessage = async (e: MessageEvent<LoadRequest>) => {
  let answer: LoadAnswer;
  try {
    const parquet = await initParquet();
    const { store, discounts, options } = e.data;
    answer = { book: parquet.priceBook(store, discounts, options).toIndexed() };
  } catch (err) {
    const { name, message } = err instanceof Error ? err : new Error(String(err));
    answer = err instanceof CatalogError
      ? { error: { name, message, file: err.file, missingColumns: [...err.missingColumns] } }
      : { error: { name, message } };
  }
  self.postMessage(answer);
};
