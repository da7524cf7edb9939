/**
 * The README as a new user runs it: the repository (HEAD) is cloned into an empty temp folder
 * and every ```sh block runs there with bash, in order, against the test broker (its address
 * replaces `localhost:9092`). A marker comment before a block changes how it runs:
 *
 *   <!-- readme-test: skip (why) -->             not run (Docker, installs, a store's broker)
 *   <!-- readme-test: broker (why) -->           not run: the test broker is that broker
 *   <!-- readme-test: background -->             started, left running, stopped at the end
 *   <!-- readme-test: background until "X" -->   the same, and its output must show X
 *
 * A block that fails, or a background block that exits early or never shows its text, fails
 * the test. Topic, group and transactional-id variables are set to names of this test, so the
 * README's default names do not meet other tests on the shared broker.
 *
 * The README's claims about the program are checked against it too (no broker): the metrics it
 * lists are the ones served, the transactional ids are the ones an instance takes, what it says
 * `check-data --json` holds is there, every file of deploy/ is named where a user would find it,
 * and `deno task demo --out F` can write F.
 */
import assert from "node:assert/strict";
import { freePort, testBroker, uniqueServiceNames } from "../support/kafka.ts";
import { ServiceMetrics } from "../../lib/kafka/service_metrics.ts";
import { tasksTransactionalId } from "../../lib/kafka/tasks/instance_producer.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const README = await Deno.readTextFile(`${ROOT}README.md`);
const BLOCK_TIMEOUT_MS = 120_000;
const UNTIL_TIMEOUT_MS = 90_000;

/** One ```sh block and how the marker before it says to run it. */
export interface ReadmeBlock {
  line: number;
  script: string;
  mode: "run" | "skip" | "broker" | "background";
  until?: string;
}

/** The ```sh blocks of a README with their markers. */
export function readmeBlocks(text: string): ReadmeBlock[] {
  const blocks: ReadmeBlock[] = [];
  const lines = text.split("\n");
  let marker: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const m = /^<!-- readme-test: (.*?) -->$/.exec(lines[i]);
    if (m) {
      marker = m[1];
      continue;
    }
    if (lines[i] === "```sh") {
      const end = lines.indexOf("```", i + 1);
      assert.ok(end > i, `README.md:${i + 1}: unclosed block`);
      const script = lines.slice(i + 1, end).join("\n");
      const word = marker?.split(/\s/)[0] ?? "run";
      assert.ok(["skip", "broker", "background"].includes(word) || marker === undefined, marker);
      const until = marker ? /until "([^"]+)"/.exec(marker)?.[1] : undefined;
      blocks.push({ line: i + 1, script, mode: word as ReadmeBlock["mode"], until });
      marker = undefined;
      i = end;
    } else if (lines[i].trim() !== "" && !lines[i].startsWith("<!--")) {
      marker = undefined; // a marker belongs to the block right after it
    }
  }
  return blocks;
}

/** Kills `pid` and every process under it (children first), by id. */
function killTree(pid: number, signal: Deno.Signal = "SIGTERM"): void {
  const children = new Map<number, number[]>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e.name)]);
    } catch { /* gone */ }
  }
  const walk = (p: number): number[] => [...(children.get(p) ?? []).flatMap(walk), p];
  for (const p of walk(pid)) {
    try {
      Deno.kill(p, signal);
    } catch { /* gone */ }
  }
}

Deno.test("README markers: every block is run, skipped with a reason, or stands for the broker", () => {
  const blocks = readmeBlocks(README);
  assert.ok(blocks.filter((b) => b.mode === "run").length >= 5);
  for (const b of blocks) {
    if (b.mode === "skip" || b.mode === "broker") {
      const line = README.split("\n")[b.line - 3];
      assert.match(line, /readme-test: \w+ \(.+\)/, `README.md:${b.line}: say why`);
    }
  }
  assert.doesNotMatch(README, /\.\.\/shared|\/work\//, "README refers to a path outside the repo");
});

/** The README's section under `## title`, up to the next `## `. */
function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `README.md has no "## ${title}"`);
  const end = README.indexOf("\n## ", start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

Deno.test("README's metrics table lists every metric the service serves, and only those", () => {
  const served = new Set(
    [...new ServiceMetrics().registry.render().matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]),
  );
  const rows = section("Metrics and health").split("\n").filter((l) => /^\| `pos_/.test(l));
  const listed = new Set(
    rows.flatMap((r) => [...r.split("|")[1].matchAll(/`(pos_\w+)/g)]).map((m) => m[1]),
  );
  assert.ok(served.has("pos_conflicting_sessions_total"));
  assert.deepEqual([...served].filter((n) => !listed.has(n)), [], "served but not in the README");
  assert.deepEqual([...listed].filter((n) => !served.has(n)), [], "in the README but not served");
});

Deno.test("README's transactional ids are the ones an instance takes", () => {
  const made = tasksTransactionalId("<APPLICATION_ID>", 0).replace(/0$/, "");
  const named = [...README.matchAll(/<APPLICATION_ID>-[a-z-]*?-<[a-z]>/g)].map((m) =>
    m[0].replace(/<[a-z]>$/, "")
  );
  assert.ok(named.length >= 1, "README names the transactional id");
  assert.deepEqual(named.filter((n) => n !== made), [], "ids no instance takes");
});

Deno.test("what the README says check-data --json holds, it holds", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}main.ts`, "check-data", "--json"],
    cwd: ROOT,
    env: {
      STORE_PARQUET: `${ROOT}examples/store_inventory_final.parquet`,
      DISCOUNT_PARQUET_PATH: `${ROOT}examples/all_discounts.parquet`,
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const report = JSON.parse(new TextDecoder().decode(out.stdout));
  // Each paragraph or list item that names `check-data --json`, and the fields it names.
  const parts = README.split(/\n(?=\s*\n|- )/).filter((p) => p.includes("`check-data --json`"));
  assert.ok(parts.length > 0);
  for (const part of parts) {
    assert.doesNotMatch(
      part,
      /ids with\s+`check-data --json`/,
      "it counts ids, it does not list them",
    );
    for (const [, path] of part.matchAll(/`([a-z]+(?:\.[a-zA-Z]+)+)`/g)) {
      const value = path.split(".").reduce((o, k) => o?.[k], report);
      assert.notEqual(value, undefined, `check-data --json has no ${path}`);
    }
  }
});

Deno.test("every file of deploy/ is named in the README, a task, the Dockerfile or compose", async () => {
  const where = [
    README,
    await Deno.readTextFile(`${ROOT}deno.json`),
    await Deno.readTextFile(`${ROOT}Dockerfile`),
    await Deno.readTextFile(`${ROOT}docker-compose.yml`),
  ].join("\n");
  const unnamed = [];
  for await (const e of Deno.readDir(`${ROOT}deploy`)) {
    if (e.isFile && !where.includes(`deploy/${e.name}`)) unnamed.push(e.name);
  }
  assert.deepEqual(unnamed, []);
  assert.match(section("Metrics and health"), /deploy\/grafana-dashboard\.json/);
});

Deno.test("deno task demo --out F writes F, as its help offers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pos-readme-demo-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["task", "demo", "--customers", "5", "--out", `${dir}/day.jsonl`],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const lines = (await Deno.readTextFile(`${dir}/day.jsonl`)).trim().split("\n");
    assert.ok(lines.length > 0 && JSON.parse(lines[0]).event_type === "pos_transaction");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "every README block runs as written in a fresh clone (against the test broker)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const { bootstrap } = await testBroker();
    const parent = await Deno.makeTempDir({ prefix: "pos-readme-" });
    const clone = `${parent}/pos-producer`;
    const git = await new Deno.Command("git", {
      args: ["clone", "-q", ROOT, clone],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(git.success, new TextDecoder().decode(git.stderr));
    const env: Record<string, string> = {
      ...uniqueServiceNames("readme"),
      METRICS_PORT: String(freePort()),
      NO_COLOR: "1",
    };
    const prepare = (script: string) =>
      script.replaceAll("localhost:9092", bootstrap).replaceAll(
        "-t pos_transactions",
        `-t ${env.POS_TOPIC}`,
      );
    const background: { block: ReadmeBlock; child: Deno.ChildProcess; output: () => string }[] = [];
    try {
      for (const block of readmeBlocks(README)) {
        if (block.mode === "skip" || block.mode === "broker") continue;
        const cmd = new Deno.Command("bash", {
          args: ["-euo", "pipefail", "-c", prepare(block.script)],
          cwd: clone,
          env,
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        });
        if (block.mode === "background") {
          const child = cmd.spawn();
          let text = "";
          const dec = new TextDecoder();
          const collect = async (s: ReadableStream<Uint8Array>) => {
            for await (const c of s) text += dec.decode(c, { stream: true });
          };
          collect(child.stdout);
          collect(child.stderr);
          background.push({ block, child, output: () => text });
          continue;
        }
        const child = cmd.spawn();
        const timer = setTimeout(() => killTree(child.pid, "SIGKILL"), BLOCK_TIMEOUT_MS);
        const out = await child.output();
        clearTimeout(timer);
        const dec = new TextDecoder();
        assert.equal(
          out.code,
          0,
          `README.md:${block.line} failed (exit ${out.code}):\n${block.script}\n--- stdout\n${
            dec.decode(out.stdout).slice(-2000)
          }\n--- stderr\n${dec.decode(out.stderr).slice(-3000)}`,
        );
      }
      const deadline = Date.now() + UNTIL_TIMEOUT_MS;
      for (const { block, child, output } of background) {
        let exited = false;
        child.status.then(() => exited = true);
        while (block.until !== undefined && !output().includes(block.until)) {
          assert.ok(
            !exited && Date.now() < deadline,
            `README.md:${block.line} never printed "${block.until}"${
              exited ? " (it exited)" : ""
            }:\n${output().slice(-3000)}`,
          );
          await new Promise((r) => setTimeout(r, 250));
        }
        assert.ok(!exited, `README.md:${block.line} exited early:\n${output().slice(-3000)}`);
      }
    } finally {
      for (const { child } of background) {
        killTree(child.pid, "SIGTERM");
        await Promise.race([child.status, new Promise((r) => setTimeout(r, 12_000))]);
        killTree(child.pid, "SIGKILL");
        await child.status;
      }
      await Deno.remove(parent, { recursive: true }).catch(() => {});
    }
  },
});
