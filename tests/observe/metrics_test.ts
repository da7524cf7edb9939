/**
 * Metrics with labels (lib/observe/metrics.ts), the per-task gauges (`ServiceMetrics.tasks`, the
 * `TaskMetrics` of lib/kafka/stage.ts) and readiness: `/readyz` is 503 while a task restores.
 */
import assert from "node:assert/strict";
import { Registry, serveMetrics } from "../../lib/observe/metrics.ts";
import { ServiceMetrics } from "../../lib/kafka/service_metrics.ts";
import { freePort } from "../support/kafka.ts";

Deno.test("a gauge with labels renders one series per label set; delete drops one", () => {
  const r = new Registry();
  const g = r.gauge("g", "a gauge");
  g.set({ stage: "task", task: "0" }, 3);
  g.set({ stage: "shelf", task: "0" }, 1);
  assert.match(r.render(), /^g\{stage="task",task="0"\} 3$/m);
  assert.match(r.render(), /^g\{stage="shelf",task="0"\} 1$/m);
  g.delete({ stage: "task", task: "0" });
  assert.doesNotMatch(r.render(), /stage="task"/);
  assert.equal(g.get({ stage: "shelf", task: "0" }), 1);
});

Deno.test("per-task gauges: assigned, lag, restore time, open carts; unassigned drops lag and carts", () => {
  const m = new ServiceMetrics();
  m.tasks.assigned("shelf", 2, true);
  m.tasks.assigned("task", 1, true);
  m.tasks.lag("shelf", 2, 40);
  m.tasks.lag("task", 1, 7);
  m.tasks.restored(1, 1.5);
  m.tasks.openCarts(1, 12);
  const text = m.registry.render();
  assert.match(text, /^pos_task_assigned\{stage="shelf",task="2"\} 1$/m);
  assert.match(text, /^pos_task_assigned\{stage="task",task="1"\} 1$/m);
  assert.match(text, /^pos_task_lag_records\{stage="shelf",task="2"\} 40$/m);
  assert.match(text, /^pos_task_lag_records\{stage="task",task="1"\} 7$/m);
  assert.match(text, /^pos_task_restore_seconds\{task="1"\} 1\.5$/m);
  assert.match(text, /^pos_task_open_carts\{task="1"\} 12$/m);
  m.tasks.assigned("task", 1, false);
  const after = m.registry.render();
  assert.match(after, /^pos_task_assigned\{stage="task",task="1"\} 0$/m);
  assert.doesNotMatch(after, /^pos_task_lag_records\{stage="task"/m);
  assert.doesNotMatch(after, /^pos_task_open_carts/m);
  assert.match(after, /^pos_task_lag_records\{stage="shelf",task="2"\} 40$/m);
});

Deno.test("readiness: not ready while any checkout task restores; an input partition never restores", () => {
  const m = new ServiceMetrics();
  assert.equal(m.ready, false);
  m.ready = true;
  assert.equal(m.ready, true);
  m.tasks.assigned("shelf", 0, true);
  assert.equal(m.ready, true, "an input partition read here has no changelog");
  m.tasks.assigned("task", 0, true);
  m.tasks.assigned("task", 1, true);
  assert.equal(m.ready, false);
  m.tasks.restored(0, 0.2);
  assert.equal(m.ready, false, "task 1 still restores");
  m.tasks.assigned("task", 1, false); // taken away before its restore ended
  assert.equal(m.ready, true);
  m.ready = false; // the service tears down
  assert.equal(m.ready, false);
});

Deno.test("/readyz answers 503 while a task restores, 200 after", async () => {
  const m = new ServiceMetrics();
  m.ready = true;
  const stop = new AbortController();
  const port = freePort();
  const server = serveMetrics(
    port,
    m.registry,
    { alive: () => true, ready: () => m.ready },
    stop.signal,
    "127.0.0.1",
  );
  try {
    const status = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      await res.body?.cancel();
      return res.status;
    };
    assert.equal(await status(), 200);
    m.tasks.assigned("task", 3, true);
    assert.equal(await status(), 503);
    m.tasks.restored(3, 0.1);
    assert.equal(await status(), 200);
  } finally {
    stop.abort();
    await server.finished;
  }
});

Deno.test("every metric the Grafana dashboard queries is one ServiceMetrics exports", async () => {
  const dashboard = await Deno.readTextFile(
    new URL("../../deploy/grafana-dashboard.json", import.meta.url),
  );
  const families = new Set(
    [...new ServiceMetrics().registry.render().matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]),
  );
  const used = new Set([...dashboard.matchAll(/\b(pos_[a-z_]+)/g)].map((m) => m[1]));
  assert.ok(used.has("pos_task_lag_records") && used.has("pos_task_assigned"));
  const missing = [...used].filter((n) =>
    !families.has(n) && !families.has(n.replace(/_(bucket|sum|count)$/, ""))
  );
  assert.deepEqual(missing, []);
});
