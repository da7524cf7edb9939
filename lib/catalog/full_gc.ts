/**
 * A full garbage collection on demand, without `--expose-gc` on the command line (so it works
 * in `deno task start`, tests and the compiled binary alike). V8 keeps the heap pages a finished
 * worker used (the price book loader, `lib/catalog/parquet_worker.ts`) until the main isolate's next full
 * collection, which an idle service may never reach: measured, 30–40 MiB of RSS.
 * @module
 */
import v8 from "node:v8";
import vm from "node:vm";

/**
 * Runs a full collection of the calling isolate (tens of ms with a small heap). It takes `gc`
 * from a fresh context each time: it runs once per price book reload, so nothing is kept between
 * calls.
 */
export function fullGc(): void {
  fullGcFunction()();
}

/**
 * V8's full collection as a function (exposing `gc` is idempotent), to keep for callers that
 * collect often: the heap target, lib/observe/heap_target.ts.
 */
export function fullGcFunction(): () => void {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
}
