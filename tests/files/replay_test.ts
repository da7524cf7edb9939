import assert from "node:assert/strict";
import { Float64, Table, Utf8, vectorFromArray } from "apache-arrow";
import { initParquet } from "../../lib/catalog/loader.ts";
import { main, type PricerFactory } from "../../lib/cli/replay.ts";
import { replay } from "../../lib/files/replay.ts";
import { testPricer } from "../fixtures/engine_fixture.ts";

const FIX = new URL("../fixtures/replay/", import.meta.url);
const footPath = new URL("foot.jsonl", FIX).pathname;
const shelfPath = new URL("shelf.jsonl", FIX).pathname;
const PRICES = { BEVWAT1: 125, SNACK9: 250, BREAD2: 315 };
const fakePricer: PricerFactory = (o) =>
  Promise.resolve(testPricer(PRICES, o.unknownItem.kind === "skip"));
const noEnv = () => undefined;

async function runMain(args: string[], env: Record<string, string> = {}) {
  const dir = await Deno.makeTempDir();
  const out = `${dir}/out.jsonl`, dlq = `${dir}/dlq.jsonl`;
  const code = await main([...args, "--out", out, "--dlq", dlq], {
    pricer: fakePricer,
    env: (n) => env[n],
  });
  const read = async (p: string) =>
    (await Deno.readTextFile(p)).split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const res = {
    code,
    out: code === 0 ? await read(out) : [],
    dlq: code === 0 ? await read(dlq) : [],
  };
  await Deno.remove(dir, { recursive: true });
  return res;
}

const C1 = "7f1c0e52-0001-4a1b-9c1d-000000000001";
const C2 = "7f1c0e52-0002-4a1b-9c1d-000000000002";
const C5 = "7f1c0e52-0005-4a1b-9c1d-000000000005";

Deno.test("§8 replay: real-traffic-shaped files → expected transactions, ordered by timestamp", async () => {
  const r = await runMain(["--foot", footPath, "--shelf", shelfPath]);
  assert.equal(r.code, 0);
  assert.deepEqual(r.out.map((t) => [t.customer_id, t.timestamp]), [
    [C2, "2025-11-07T09:50:00+00:00"], // exit 10:50+0100 in UTC
    [C1, "2025-11-07T10:02:10.500000+00:00"], // Python isoformat digits kept
    [C5, "2025-11-07T12:57:30.25+00:00"], // no session: first event + MAX
  ]);
  assert.deepEqual(r.out[1].items, [
    { item_id: "BEVWAT1", quantity: 3, unit_price: 1.25, discount: 0, total_price: 3.75 },
    // unkeyed, no timestamp: takes the time of the line before it (09:36), unknown: 5.00
    { item_id: "UNKNOWN7", quantity: 1, unit_price: 5, discount: 0, total_price: 5 },
    // 10:02:10.4 <= E = 10:02:10.5
    { item_id: "BREAD2", quantity: 1, unit_price: 3.15, discount: 0, total_price: 3.15 },
  ]);
  // SNACK9: 1 picked, 3 put back → 0 → left out (an anomaly, not an error)
  assert.deepEqual(r.out[0].items.map((l: { item_id: string }) => l.item_id), ["BREAD2"]);
  for (const t of r.out) assert.equal(t.event_type, "pos_transaction");
});

Deno.test("§8 replay: DLQ lines carry reason, file, line number and the original line", async () => {
  const r = await runMain(["--foot", footPath, "--shelf", shelfPath]);
  const got = r.dlq.map((d) => [d.reason, d.source, d.line]);
  assert.deepEqual(
    got.sort(),
    [
      ["exit_before_entry", "foot", 5],
      ["invalid_quantity", "shelf", 7],
      ["late", "shelf", 11], // after the session's exit
      ["late", "shelf", 13], // customer already checked out
      ["late", "shelf", 15],
      ["late", "shelf", 16],
      ["not_json", "foot", 4],
      ["not_object", "shelf", 9],
    ].sort(),
  );
  const lines = (await Deno.readTextFile(footPath)).split("\n");
  const nj = r.dlq.find((d) => d.reason === "not_json");
  assert.equal(nj.original, lines[3]);
  assert.equal(nj.file, footPath);
});

Deno.test("§8 replay: options with env fallbacks; a flag beats its variable", async () => {
  const viaEnv = await runMain(["--foot", footPath, "--shelf", shelfPath], {
    UNKNOWN_ITEM_PRICE: "skip",
    MAX_SESSION_AGE_SEC: "600",
  });
  assert.equal(viaEnv.code, 0);
  assert.ok(viaEnv.dlq.some((d) => d.reason === "unknown_item"));
  assert.ok(viaEnv.out.some((t) => t.timestamp === "2025-11-07T10:07:30.25+00:00"), "C5 at +600s");
  const flagWins = await runMain(
    [
      "--foot",
      footPath,
      "--shelf",
      shelfPath,
      "--unknown-item-price",
      "5",
      "--force-checkout-if-empty",
    ],
    { UNKNOWN_ITEM_PRICE: "skip", FORCE_CHECKOUT_IF_EMPTY: "0" },
  );
  assert.ok(!flagWins.dlq.some((d) => d.reason === "unknown_item"));
  assert.equal(flagWins.out.length, 4, "customer 4's empty session is forced out");
});

Deno.test("§8 replay: bad values exit 2 naming the flag and the variable", async () => {
  const errors: string[] = [];
  const orig = console.error;
  console.error = (...a: unknown[]) => errors.push(a.join(" "));
  try {
    const code = await main(["--foot", footPath, "--shelf", shelfPath], {
      pricer: fakePricer,
      env: (n) => (n === "CHECKOUT_GRACE_SEC" ? "soon" : undefined),
    });
    assert.equal(code, 2);
    assert.match(errors.join("\n"), /--checkout-grace-sec.*CHECKOUT_GRACE_SEC/);
    assert.equal(await main(["--foot", footPath], { pricer: fakePricer, env: noEnv }), 2);
    assert.equal(
      await main(["--foot", "-", "--shelf", "-"], { pricer: fakePricer, env: noEnv }),
      2,
    );
    assert.equal(
      await main(["--foot", "/nonexistent.jsonl", "--shelf", shelfPath], {
        pricer: fakePricer,
        env: noEnv,
      }),
      2,
    );
  } finally {
    console.error = orig;
  }
});

Deno.test("§8 replay: event-time order, not file order; ties keep file order", async () => {
  const enc = new TextEncoder();
  const jl = (xs: unknown[]) => enc.encode(xs.map((x) => JSON.stringify(x)).join("\n") + "\n");
  const foot = jl([
    {
      event_type: "foot_traffic",
      customer_id: "b",
      entry_time: "2025-11-07T10:00:00",
      exit_time: "2025-11-07T10:10:00",
    },
    {
      event_type: "foot_traffic",
      customer_id: "a",
      entry_time: "2025-11-07T09:00:00",
      exit_time: "2025-11-07T09:10:00",
    },
  ]);
  const shelf = jl([
    // a's checkout is due at 09:10:02; the 10:05 event of b comes first in the file
    { event_type: "pickup", customer_id: "b", item_id: "A", timestamp: "2025-11-07T10:05:00" },
    { event_type: "pickup", customer_id: "a", item_id: "B", timestamp: "2025-11-07T09:05:00" },
    { event_type: "putback", customer_id: "a", item_id: "B", timestamp: "2025-11-07T09:06:00" },
    {
      event_type: "pickup",
      customer_id: "a",
      item_id: "B",
      quantity: 2,
      timestamp: "2025-11-07T09:06:00",
    },
  ]);
  const r = await replay({ name: "f", bytes: foot }, { name: "s", bytes: shelf }, {
    graceSec: 2,
    maxSessionAgeSec: 10800,
    forceCheckoutIfEmpty: false,
    pricer: testPricer(),
  });
  const txs = r.transactions.map((t) => JSON.parse(t));
  assert.deepEqual(txs.map((t) => [t.customer_id, t.items[0].item_id, t.items[0].quantity]), [
    ["a", "B", 2],
    ["b", "A", 1],
  ]);
  assert.equal(r.engine.anomalies, 0, "putback then pickup at the same time: file order");
});

Deno.test("§8 replay via subprocess: deno run main.ts replay with a parquet store, stdin input", async () => {
  const parquet = await initParquet();
  const dir = await Deno.makeTempDir();
  const store = `${dir}/store.parquet`;
  await Deno.writeFile(
    store,
    parquet.writeTable(
      new Table({
        shelf_id: vectorFromArray(["BEVWAT1", "SNACK9", "BREAD2"], new Utf8()),
        item_price: vectorFromArray([1.25, 2.5, 3.15], new Float64()),
      }),
    ),
  );
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../main.ts", import.meta.url).pathname,
      "replay",
      "--foot",
      "-",
      "--shelf",
      shelfPath,
      "--store",
      store,
      "--discounts",
      `${dir}/none.parquet`,
      "--dlq",
      `${dir}/dlq.jsonl`,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = cmd.spawn();
  const w = child.stdin.getWriter();
  await w.write(await Deno.readFile(footPath));
  await w.close();
  const { code, stdout, stderr } = await child.output();
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 0, err);
  const out = new TextDecoder().decode(stdout).trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(out.map((t) => t.customer_id), [C2, C1, C5]);
  assert.equal(out[1].items[1].unit_price, 5, "unknown item at the default 5.0");
  const dlq = (await Deno.readTextFile(`${dir}/dlq.jsonl`)).trim().split("\n");
  assert.equal(dlq.length, 8);
  assert.match(err, /3 transactions/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("§8 replay: a file out of time order (partitions concatenated) equals the sorted file", async () => {
  const enc = new TextEncoder();
  const t = (m: number) => `2025-11-07T09:${String(m).padStart(2, "0")}:00+00:00`;
  const foot = JSON.stringify({
    event_type: "foot_traffic",
    customer_id: "c",
    entry_time: t(0),
    exit_time: t(30),
  });
  const ev = (kind: string, item: string, m: number) =>
    JSON.stringify({ event_type: kind, customer_id: "c", item_id: item, timestamp: t(m) });
  // As if read partition by partition: later lines carry earlier times.
  const shuffled = [
    ev("pickup", "BREAD2", 20),
    ev("putback", "BEVWAT1", 12),
    ev("pickup", "BEVWAT1", 5),
    ev("pickup", "SNACK9", 40), // after the exit: late, whatever its line
    ev("pickup", "BEVWAT1", 1),
  ];
  const sorted = [4, 2, 1, 0, 3].map((i) => shuffled[i]);
  const run = async (lines: string[]) => {
    const dlq: string[] = [];
    const r = await replay(
      { name: "foot", bytes: enc.encode(foot + "\n") },
      { name: "shelf", bytes: enc.encode(lines.join("\n") + "\n") },
      {
        graceSec: 2,
        maxSessionAgeSec: 10800,
        forceCheckoutIfEmpty: false,
        pricer: testPricer(PRICES),
      },
      (ls) => void dlq.push(...ls.map((l) => `${l.reason} ${l.original}`)),
    );
    return { txs: r.transactions, dlq };
  };
  const a = await run(shuffled), b = await run(sorted);
  assert.deepEqual(a, b);
  assert.deepEqual(
    JSON.parse(a.txs[0]).items.map((
      l: { item_id: string; quantity: number },
    ) => [l.item_id, l.quantity]),
    [["BEVWAT1", 1], ["BREAD2", 1]],
  );
  assert.deepEqual(a.dlq, [`late ${shuffled[3]}`]);
});
