import assert from "node:assert/strict";
import { Float64, Table, Utf8, vectorFromArray } from "apache-arrow";
import { initParquet } from "../../lib/catalog/loader.ts";
import { CatalogWatcher, type WatcherLogLevel } from "../../lib/catalog/watcher.ts";

const parquet = await initParquet();

function inventory(price: number): Uint8Array {
  return parquet.writeTable(
    new Table({
      shelf_id: vectorFromArray(["A", "B"], new Utf8()),
      item_price: vectorFromArray([price, 1], new Float64()),
    }),
  );
}

function discounts(d: number): Uint8Array {
  return parquet.writeTable(
    new Table({
      shelf_id: vectorFromArray(["A"], new Utf8()),
      week: vectorFromArray(["2025-W45"], new Utf8()),
      discount: vectorFromArray([d], new Float64()),
    }),
  );
}

/** Writes to a temp file and renames it over `path`, as deploy tools do. */
async function replace(path: string, bytes: Uint8Array): Promise<void> {
  await Deno.writeFile(`${path}.tmp`, bytes);
  await Deno.rename(`${path}.tmp`, path);
}

/** Polls `cond` every 20 ms until it holds or `timeoutMs` passes. */
async function eventually(cond: () => boolean, what: string, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const T = Date.parse("2025-11-05T12:00:00Z");
const price = (w: CatalogWatcher) => w.priceCart([{ itemId: "A", quantity: 1 }], T).lines[0];

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "pos-watch-" });
  const storePath = `${dir}/inv.parquet`;
  const discountPath = `${dir}/disc.parquet`;
  await Deno.writeFile(storePath, inventory(2));
  await Deno.writeFile(discountPath, discounts(0.1));
  const logs: [WatcherLogLevel, string][] = [];
  const watcher = await CatalogWatcher.start({
    storePath,
    discountPath,
    intervalMs: 25,
    log: (level, message) => logs.push([level, message]),
  });
  return { dir, storePath, discountPath, logs, watcher };
}

Deno.test("watcher: a replaced inventory file is swapped in without a restart", async () => {
  const { dir, storePath, watcher } = await setup();
  try {
    assert.deepEqual([price(watcher).unit_price, price(watcher).discount], [2, 0.1]);
    await replace(storePath, inventory(3));
    await eventually(() => price(watcher).unit_price === 3, "new price");
    assert.equal(watcher.reloads, 1);
    assert.equal(watcher.failures, 0);
  } finally {
    watcher.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("watcher: a replaced discount file is swapped in", async () => {
  const { dir, discountPath, watcher } = await setup();
  try {
    await replace(discountPath, discounts(0.3));
    await eventually(() => price(watcher).discount === 0.3, "new discount");
    assert.equal(watcher.book.report.discounts.acceptedRows, 1);
  } finally {
    watcher.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("watcher: a broken replacement keeps the old book, logs an error, counts a failure", async () => {
  const { dir, storePath, logs, watcher } = await setup();
  try {
    const before = watcher.book;
    await replace(storePath, new TextEncoder().encode("not parquet"));
    await eventually(() => watcher.failures === 1, "a failure");
    assert.equal(watcher.book, before);
    assert.equal(price(watcher).unit_price, 2);
    assert.ok(logs.some(([l, m]) => l === "error" && /inv\.parquet/.test(m)));
    assert.match(watcher.lastError ?? "", /not a readable parquet/);
    // A file without the needed columns is broken too.
    await replace(
      storePath,
      parquet.writeTable(new Table({ shelf_id: vectorFromArray(["A"], new Utf8()) })),
    );
    await eventually(() => watcher.failures === 2, "a second failure");
    assert.match(watcher.lastError ?? "", /item_price/);
    // Fixing the file recovers.
    await replace(storePath, inventory(4));
    await eventually(() => price(watcher).unit_price === 4, "recovered price");
    assert.equal(watcher.reloads, 1);
  } finally {
    watcher.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("watcher: a vanished file keeps the loaded book", async () => {
  const { dir, storePath, discountPath, watcher } = await setup();
  try {
    await Deno.remove(discountPath);
    await Deno.remove(storePath);
    await eventually(() => watcher.failures >= 1, "the inventory failure");
    assert.deepEqual([price(watcher).unit_price, price(watcher).discount], [2, 0.1]);
  } finally {
    watcher.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("watcher: checkNow without a timer, and close stops polling", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pos-watch-" });
  const storePath = `${dir}/inv.parquet`;
  await Deno.writeFile(storePath, inventory(2));
  const watcher = await CatalogWatcher.start({
    storePath,
    discountPath: `${dir}/none.parquet`,
    intervalMs: 0,
    log: () => {},
  });
  try {
    assert.equal(await watcher.checkNow(), false);
    await replace(storePath, inventory(5));
    assert.equal(await watcher.checkNow(), true);
    assert.equal(price(watcher).unit_price, 5);
    watcher.close();
    await replace(storePath, inventory(6));
    assert.equal(await watcher.checkNow(), false);
    assert.equal(price(watcher).unit_price, 5);
  } finally {
    watcher.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("watcher: start fails like loadPriceBook when the inventory is missing", async () => {
  await assert.rejects(
    CatalogWatcher.start({
      storePath: "/nonexistent/i.parquet",
      discountPath: "/x",
      log: () => {},
    }),
    /not found/,
  );
});
