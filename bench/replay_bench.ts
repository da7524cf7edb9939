/**
 * End-to-end replay measurement: writes 50,000 sessions and 1,000,000 shelf events (Python
 * isoformat timestamps, 5% other event types, unkeyed) plus a store parquet into a temp
 * directory, then runs `deno run -A main.ts replay` on them (with the compiled binary's V8 flags,
 * as a user's `pos-producer replay` runs) and reports wall time and peak RSS.
 *
 *   deno run -A bench/replay_bench.ts [sessions] [shelfEvents]
 */
import { Float64, Table, Utf8, vectorFromArray } from "apache-arrow";
import { initParquet } from "../lib/catalog/loader.ts";
import { SERVICE_V8_FLAGS } from "../tests/support/deno_tasks.ts";

const SESSIONS = Number(Deno.args[0] ?? 50_000);
const EVENTS = Number(Deno.args[1] ?? 1_000_000);
const dir = await Deno.makeTempDir({ prefix: "replay_bench_" });
const t0 = Date.parse("2025-11-07T07:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 23) + "123+00:00";

let seed = 7;
const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
const sessions: { id: string; entry: number; exit: number }[] = [];
for (let i = 0; i < SESSIONS; i++) {
  const entry = t0 + Math.floor((i / SESSIONS) * 12 * 3600_000);
  sessions.push({
    id: crypto.randomUUID(),
    entry,
    exit: entry + 5 * 60_000 + Math.floor(rnd() * 40 * 60_000),
  });
}
const enc = new TextEncoder();
const foot = await Deno.open(`${dir}/foot.jsonl`, { write: true, create: true });
let buf: string[] = [];
for (const s of sessions) {
  buf.push(JSON.stringify({
    event_type: "foot_traffic",
    customer_id: s.id,
    entry_time: iso(s.entry),
    exit_time: iso(s.exit),
    trip_duration_minutes: Math.round((s.exit - s.entry) / 60000),
    weekday: "Friday",
    time_slot: "07:00–09:59",
  }));
}
await foot.write(enc.encode(buf.join("\n") + "\n"));
foot.close();
// Shelf events: each session's events inside its visit, written in time order.
const perSession = EVENTS / SESSIONS;
const evs: { t: number; line: string }[] = [];
for (const s of sessions) {
  for (let k = 0; k < perSession; k++) {
    const t = s.entry + Math.floor(rnd() * (s.exit - s.entry));
    const other = rnd() < 0.05;
    evs.push({
      t,
      line: JSON.stringify(
        other
          ? { event_type: "weight_change", shelf_id: `ITEM${k}`, weight: 900, timestamp: iso(t) }
          : {
            event_type: rnd() < 0.1 ? "putback" : "pickup",
            customer_id: s.id,
            item_id: `ITEM${Math.floor(rnd() * 300)}`,
            quantity: 1 + Math.floor(rnd() * 3),
            weight: 1500,
            timestamp: iso(t),
          },
      ),
    });
  }
}
evs.sort((a, b) => a.t - b.t);
const shelf = await Deno.open(`${dir}/shelf.jsonl`, { write: true, create: true });
for (let i = 0; i < evs.length; i += 100_000) {
  await shelf.write(enc.encode(evs.slice(i, i + 100_000).map((e) => e.line).join("\n") + "\n"));
}
shelf.close();
buf = [];
evs.length = 0;
const parquet = await initParquet();
await Deno.writeFile(
  `${dir}/store.parquet`,
  parquet.writeTable(
    new Table({
      shelf_id: vectorFromArray(Array.from({ length: 250 }, (_, i) => `ITEM${i}`), new Utf8()),
      item_price: vectorFromArray(
        Array.from({ length: 250 }, (_, i) => 0.5 + i * 0.25),
        new Float64(),
      ),
    }),
  ),
);

const main = new URL("../main.ts", import.meta.url).pathname;
const args = [
  "run",
  "-A",
  ...SERVICE_V8_FLAGS,
  main,
  "replay",
  "--foot",
  `${dir}/foot.jsonl`,
  "--shelf",
  `${dir}/shelf.jsonl`,
  "--store",
  `${dir}/store.parquet`,
  "--discounts",
  `${dir}/none.parquet`,
  "--out",
  `${dir}/out.jsonl`,
  "--dlq",
  `${dir}/dlq.jsonl`,
];
const hasTime = await Deno.stat("/usr/bin/time").then(() => true, () => false);
const started = performance.now();
const out = await new Deno.Command(hasTime ? "/usr/bin/time" : Deno.execPath(), {
  args: hasTime ? ["-v", Deno.execPath(), ...args] : args,
  stdout: "piped",
  stderr: "piped",
}).output();
const wall = (performance.now() - started) / 1000;
const err = new TextDecoder().decode(out.stderr);
const rss = err.match(/Maximum resident set size \(kbytes\): (\d+)/)?.[1];
console.log(err.split("\n").find((l) => l.includes("foot lines")) ?? err);
console.log(
  `replay of ${SESSIONS} sessions + ${EVENTS} shelf events: ${wall.toFixed(2)} s wall` +
    (rss ? `, peak RSS ${(Number(rss) / 1024).toFixed(0)} MiB` : "") +
    ` (files: ${((await Deno.stat(`${dir}/shelf.jsonl`)).size / 1e6).toFixed(0)} MB shelf)`,
);
await Deno.remove(dir, { recursive: true });
