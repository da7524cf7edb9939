/**
 * The fix to print with a {@link CatalogError}: which flag and variable point at the file, and
 * what to do. Every command that loads the price book ends its message with this.
 * @module
 */
import type { CatalogError } from "../core/mod.ts";

/** `error message; fix` in one line, for the inventory or discount file named by `e.file`. */
export function catalogErrorLine(
  e: CatalogError,
  paths: { store: string; discounts?: string },
): string {
  if (e.file === paths.store || e.file === undefined) {
    if (/not found/.test(e.message)) {
      return `${e.message}; point --store (or STORE_PARQUET) at the inventory parquet ` +
        `(the default /data/… is where the container mounts it; from a checkout try ` +
        `--store examples/store_inventory_final.parquet, made by pos-producer sample-data)`;
    }
    return `${e.message}; check the file given by --store (or STORE_PARQUET)`;
  }
  return `${e.message}; check the file given by --discounts (or DISCOUNT_PARQUET_PATH)`;
}
