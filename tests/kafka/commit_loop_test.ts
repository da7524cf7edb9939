/**
 * The commit protocol (lib/kafka/commit_loop.ts) with a fake committer and a real engine, no
 * broker: when a commit happens, what goes in one, and what a failure does. Each test is named
 * by the rule it checks.
 */
import assert from "node:assert/strict";
import type { Commit } from "../../lib/drive/committer.ts";
import { EngineDriver } from "../../lib/drive/driver.ts";
import { CommitLoop, type ProbingCommitter } from "../../lib/kafka/commit_loop.ts";
import { PipelineFailure, RebalanceError } from "../../lib/kafka/failure.ts";
import { WorkGate } from "../../lib/kafka/work_gate.ts";
import { sleep } from "../../lib/sleep.ts";
import {
  footRec,
  newEngine,
  pick,
  progress,
  session,
  shelfRec,
} from "../fixtures/engine_fixture.ts";

/** Offsets here: how many records were applied (one partition); a commit sends that count. */
type Offsets = number;

/** Records every call; `fail` makes the next commit throw, `hold` keeps it in flight. */
class FakeCommitter implements ProbingCommitter<Offsets> {
  readonly keepsState = true;
  readonly commits: Commit<Offsets>[] = [];
  readonly probes: Offsets[] = [];
  readonly calls: string[] = [];
  fail: Error | null = null;
  hold: Promise<void> | null = null;

  async commit(c: Commit<Offsets>): Promise<void> {
    this.calls.push("commit");
    if (this.hold) await this.hold;
    if (this.fail) throw this.fail;
    this.commits.push(c);
  }

  probe(committed: Offsets): Promise<void> {
    this.calls.push("probe");
    this.probes.push(committed);
    return Promise.resolve();
  }
}

/** A loop over a real engine, with one partition per input and offsets counted by hand. */
function setup(over: { intervalMs?: number; probeAfterMs?: number; limit?: number } = {}) {
  const waits: number[] = [];
  const committer = new FakeCommitter();
  const driver = new EngineDriver<Offsets, FakeCommitter>(newEngine(), committer);
  const gate = new WorkGate(over.limit ?? 1000);
  const failure = new PipelineFailure(gate);
  const stop = new AbortController();
  const pos = { applied: 0, committed: 0, marked: [] as number[] };
  const loop = new CommitLoop<Offsets>({
    driver,
    positions: {
      signal: () => progress(true),
      uncommitted: () => pos.applied,
      committed: () => pos.committed,
      markCommitted: (o) => {
        pos.committed = o;
        pos.marked.push(o);
      },
      isEmpty: (o) => o === pos.committed,
    },
    gate,
    failure,
    stop: stop.signal,
    intervalMs: over.intervalMs ?? 20,
    probeAfterMs: over.probeAfterMs ?? 60_000,
    rebalanceWaitMs: 50,
    onTaken: (_c, waited) => waits.push(waited),
  });
  const apply = (...recs: ReturnType<typeof shelfRec>[]) => {
    for (const r of recs) driver.apply(r);
    pos.applied += recs.length;
    gate.add(recs.length);
  };
  return { committer, driver, gate, failure, stop, pos, loop, apply, waits };
}

/** A visit whose checkout is due once both inputs are complete. */
function visit(id: string) {
  return [
    footRec(session(id, 0, 60), { offset: 0 }),
    shelfRec(pick(id, "A", 10), { offset: 0 }),
    shelfRec(pick(id, "B", 20), { offset: 1 }),
  ];
}

Deno.test("commit loop: output, changelog and offsets of one interval go in one commit", async () => {
  const t = setup();
  t.apply(...visit("c-1"));
  const running = t.loop.run();
  await sleep(60);
  t.stop.abort();
  await running;
  assert.equal(t.committer.commits.length, 1, "one commit for the interval's work");
  const [c] = t.committer.commits;
  assert.deepEqual(c.transactions.map((x) => x.customerId), ["c-1"]);
  assert.ok(c.state.has("c-1"), "the checked-out customer's state is in the same commit");
  assert.equal(c.offsets, 3, "and the offsets of every record applied before it");
  assert.deepEqual(t.pos.marked, [3]);
});

Deno.test("commit loop: nothing applied, nothing committed", async () => {
  const t = setup();
  const running = t.loop.run();
  await sleep(60);
  t.stop.abort();
  await running;
  assert.deepEqual(t.committer.calls, []);
});

Deno.test("commit loop: a full gate commits at once, not at the next interval", async () => {
  const t = setup({ intervalMs: 60_000, limit: 3 });
  const running = t.loop.run(); // the first turn commits nothing, then waits its interval…
  await sleep(10);
  t.apply(...visit("c-1")); // …until the gate is full
  await sleep(50);
  assert.equal(t.committer.commits.length, 1);
  t.stop.abort();
  await running;
});

Deno.test("commit loop: each commit with work reports the wait since the loop's previous turn", async () => {
  const t = setup({ intervalMs: 60_000, limit: 3 });
  const running = t.loop.run(); // empty turns report nothing…
  await sleep(10);
  assert.deepEqual(t.waits, []);
  t.apply(...visit("c-1")); // …a full gate's commit reports a wait cut short of the interval
  await sleep(50);
  t.stop.abort();
  await running;
  assert.equal(t.waits.length, 1);
  assert.ok(t.waits[0] >= 0 && t.waits[0] < 60, `waited ${t.waits[0]} s`);
});

Deno.test("commit loop: consumers wait for room until the full gate's commit is written", async () => {
  const t = setup({ intervalMs: 60_000, limit: 3 });
  let release!: () => void;
  t.committer.hold = new Promise((r) => release = r);
  const running = t.loop.run();
  await sleep(10);
  t.apply(...visit("c-1"));
  let room = false;
  const waiting = t.gate.room().then(() => room = true);
  await sleep(30);
  assert.deepEqual(t.committer.calls, ["commit"], "the commit is in flight");
  assert.equal(room, false, "the next batch waits for it");
  release();
  await waiting;
  assert.equal(t.committer.commits.length, 1);
  t.stop.abort();
  await running;
});

Deno.test("commit loop: a failed commit ends the loop, offsets stay uncommitted, waiters go", async () => {
  const t = setup({ limit: 3 });
  t.committer.fail = new Error("transaction aborted");
  t.apply(...visit("c-1"));
  const waiting = t.gate.room(); // a consumer blocked at the full gate
  await assert.rejects(t.loop.run(), /transaction aborted/);
  assert.deepEqual(t.pos.marked, [], "nothing counts as committed");
  assert.equal(t.pos.committed, 0);
  t.failure.fail(new Error("pipeline ends")); // what the pipeline does with the error
  await waiting;
});

Deno.test("commit loop: a consumer failure ends the loop with that error", async () => {
  const t = setup();
  const running = t.loop.run();
  await sleep(30);
  t.failure.fail(new Error("consumer crashed"));
  await assert.rejects(running, /consumer crashed/);
  t.apply(...visit("c-1"));
  await sleep(30);
  assert.deepEqual(t.committer.commits, [], "no commit after the failure");
});

Deno.test("commit loop: idle for the probe interval, the committed offsets are probed for fencing", async () => {
  const t = setup({ intervalMs: 10, probeAfterMs: 40 });
  t.apply(...visit("c-1"));
  const running = t.loop.run();
  await sleep(150);
  t.stop.abort();
  await running;
  assert.equal(t.committer.commits.length, 1);
  assert.ok(t.committer.probes.length >= 1, "an idle loop probes");
  assert.ok(t.committer.probes.every((o) => o === 3), "with the offsets as committed");
});

Deno.test("commit loop: a rebalance probes for fencing before the rebuild", async () => {
  const t = setup();
  const running = t.loop.run();
  await sleep(30);
  t.failure.fail(new RebalanceError("consumer group rebalanced"));
  await assert.rejects(running, RebalanceError);
  assert.deepEqual(t.committer.calls, ["probe"]);
});

Deno.test("commit loop: on stop, the inputs stop first, then what was applied is committed", async () => {
  const t = setup({ intervalMs: 60_000 });
  const running = t.loop.run();
  await sleep(10);
  t.stop.abort();
  await running;
  const order: string[] = [];
  await t.loop.finish(() => {
    order.push("inputs stopped");
    t.apply(...visit("c-1")); // the last batch, applied while stopping
    return Promise.resolve();
  });
  order.push(...t.committer.calls);
  assert.deepEqual(order, ["inputs stopped", "commit"]);
  assert.equal(t.committer.commits[0].offsets, 3);
});
