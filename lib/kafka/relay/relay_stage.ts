/**
 * A relay stage (docs/service.md, "Several instances"), one per input: one consumer in the
 * input's group (`GROUP_ID_FOOT` or `GROUP_ID_SHELF`), one task per assigned input partition
 * (relay_tasks.ts), each writing its records by customer to the repartition topic with its own
 * transactional producer. Three loops:
 * the consumer routes whole batches into the tasks (waiting at the {@link WorkGate} when a
 * commit's worth is pending), the commit loop commits every task with something new every
 * `COMMIT_INTERVAL_MS`, and the ends poller looks up the input partitions' ends (the caught-up
 * proofs the control records carry).
 * @module
 */
import type { Admin, Consumer, EachBatchPayload } from "kafkajs";
import { type RelayDeps, stageConsumerConfig, type StageKind } from "../stage.ts";
import { FencedError } from "../fencing.ts";
import { PipelineFailure } from "../failure.ts";
import { WorkGate } from "../work_gate.ts";
import { MAX_UNCOMMITTED_RECORDS, OFFSETS_POLL_MS } from "../commit_loop.ts";
import { atMost, sleep, untilAborted } from "../../sleep.ts";
import { leaveGroup } from "../group_exit.ts";
import { Router } from "./routing.ts";
import type { RelayTask, TakenWork } from "./relay_task.ts";
import { RelayTasks } from "./relay_tasks.ts";
import { type RelayInput, relayStageKind } from "./input.ts";
import {
  refuseDisagreement,
  roundRobinWithSettings,
  type SharedSettings,
  sharedSettings,
} from "../shared_settings.ts";

/** How long a stop waits for the consumer to leave its group. */
const DISCONNECT_BOUND_MS = 2000;

/**
 * How long a failed life waits for its tasks' commits in flight. KafkaJS retries a send without
 * end, also to a repartition topic that is gone (a broker back without its data, which must not
 * make it: no auto-creation), so the life would never end and the next one never make it
 * anew. Past the bound the commit goes on unheard; the next owner of the task fences it.
 */
const FAILED_STOP_BOUND_MS = 5000;

/**
 * Runs the relay of `input` (foot or shelf: both are relayed, since upstream partitioners
 * differ) until `deps.stop` aborts (resolves, having committed what it read) or a fatal failure
 * (rejects, having aborted what was open; the caller rebuilds). A task fenced by another owner
 * stops alone.
 */
export async function runRelay(deps: RelayDeps, input: RelayInput): Promise<void> {
  const stage = new RelayStage(deps, input);
  try {
    await stage.run();
  } finally {
    stage.gate.close();
    await stage.close();
  }
}

/** One relay stage's clients, tasks, gate and first failure. */
class RelayStage {
  readonly gate = new WorkGate(MAX_UNCOMMITTED_RECORDS);
  readonly failure = new PipelineFailure(this.gate);
  readonly router: Router;
  readonly admin: Admin;
  readonly consumer: Consumer;
  readonly tasks: RelayTasks;
  readonly kind: StageKind;
  readonly settings: SharedSettings;
  #polling: Promise<void> = Promise.resolve();
  #connected = false;
  /** The consumer's `run()`: settled once its first join completed or failed. */
  #running: Promise<unknown> | undefined;
  /** When the commit loop's previous turn ended (its wait is measured from there). */
  #turnEnded = performance.now();

  constructor(readonly deps: RelayDeps, readonly input: RelayInput) {
    this.kind = relayStageKind(input.source);
    this.settings = sharedSettings(deps.config);
    this.router = new Router(input.source, deps.taskCount);
    this.admin = deps.kafka.admin();
    this.consumer = deps.kafka.consumer({
      ...stageConsumerConfig(input.groupId),
      // Every join says this instance's shared settings; members that disagree are refused.
      partitionAssigners: [roundRobinWithSettings(this.settings)],
    });
    this.tasks = new RelayTasks(
      deps,
      deps.kafka,
      this.admin,
      this.consumer,
      (e) => this.failure.fail(e),
      input,
    );
  }

  async run(): Promise<void> {
    const { stop } = this.deps;
    await this.admin.connect();
    this.#wireConsumer();
    await this.consumer.connect();
    this.#connected = true;
    await this.consumer.subscribe({ topic: this.input.topic, fromBeginning: true });
    const joined = this.#running = this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.#eachBatch(payload),
    }).catch((e) => this.failure.fail(e));
    // The first join waits out a killed member's session timeout: a stop must not wait for it.
    await Promise.race([joined, untilAborted(stop), this.failure.promise]);
    this.#polling = this.#pollEnds();
    this.#turnEnded = performance.now();
    while (!stop.aborted) {
      await this.#untilNext();
      if (this.failure.failed) throw this.failure.error;
      if (stop.aborted) break;
      await this.#commitAll();
    }
    // Nothing is read once stop is aborted (eachBatch checks it before reading, synchronously):
    // commit what was read while still in the group (at-least-once commits through the
    // consumer), then leave it (close).
    this.gate.close();
    await this.#commitAll();
  }

  async close(): Promise<void> {
    await this.#polling.catch(() => {});
    const stopped = this.tasks.stopAll().catch(() => {});
    await (this.failure.failed ? atMost(FAILED_STOP_BOUND_MS, stopped) : stopped);
    // Not before the first join is done (group_exit.ts), and a stop does not wait for that
    // join (up to a killed member's session timeout): past the bound it goes on meanwhile.
    if (this.#connected) await leaveGroup(this.consumer, this.#running, DISCONNECT_BOUND_MS);
    await this.admin.disconnect().catch(() => {});
  }

  #wireConsumer(): void {
    const c = this.consumer;
    c.on(c.events.CRASH, (ev) => this.failure.fail(ev.payload.error));
    c.on(c.events.GROUP_JOIN, (ev) => {
      const assigned = ev.payload.memberAssignment[this.input.topic] ?? [];
      // A life that ended before its consumer's first join completed must not start tasks:
      // the next life owns them. Its close leaves the group once this join is done.
      if (this.deps.stop.aborted || this.failure.failed) {
        return this.deps.log.info("relay: a join after this life ended; leaving the group", {
          stage: this.kind,
          partitions: assigned,
        });
      }
      this.deps.log.info("relay assignment", { stage: this.kind, partitions: assigned });
      // No task starts before the group's members are known to agree with this one.
      this.tasks.assign(assigned, () =>
        refuseDisagreement(this.admin, this.settings, [{
          groupId: this.input.groupId,
          env: this.input.source === "foot" ? "GROUP_ID_FOOT" : "GROUP_ID_SHELF",
        }]));
    });
    // Batches of only transaction markers or aborted records never reach eachBatch.
    c.on(c.events.END_BATCH_PROCESS, (ev) => {
      const p = ev.payload;
      if (p.batchSize !== 0) return;
      this.tasks.running(p.partition)?.readEmpty(p.firstOffset, p.lastOffset, p.highWatermark);
    });
  }

  async #eachBatch({ batch, isStale }: EachBatchPayload): Promise<void> {
    await this.gate.room();
    if (this.failure.failed || this.deps.stop.aborted || isStale()) return;
    // A task not started yet re-reads this after its seek.
    const task = this.tasks.running(batch.partition);
    if (task === undefined) return;
    const n = task.read(batch, this.router);
    if (n < 0) {
      this.deps.log.warn("relay: a batch past the task's position; reading from it again", {
        stage: this.kind,
        task: task.s,
        position: task.next.toString(),
        batchStart: batch.firstOffset(),
      });
      this.consumer.seek({ topic: batch.topic, partition: task.s, offset: task.next.toString() });
      return;
    }
    let bytes = 0;
    for (const m of batch.messages) bytes += m.value?.length ?? 0;
    this.deps.metrics.consumedBytes.inc({ topic: batch.topic }, bytes);
    this.gate.add(n);
  }

  /** The interval, cut short by a full gate, a stop or a failure. */
  async #untilNext(): Promise<void> {
    const { config, stop } = this.deps;
    this.gate.commitDueAt(performance.now() + config.commitIntervalMs);
    await sleep(config.commitIntervalMs, stop, this.gate.fullSignal(), this.failure.signal);
  }

  /** One commit of every running task with something new, in parallel. */
  async #commitAll(): Promise<void> {
    const waited = (performance.now() - this.#turnEnded) / 1000;
    const taken: [RelayTask, TakenWork][] = [];
    for (const task of this.tasks.allRunning()) {
      const t = task.take();
      if (t !== undefined) taken.push([task, t]);
    }
    this.gate.taken();
    if (taken.length > 0) this.deps.metrics.commitWaitSeconds.observe(waited);
    try {
      await Promise.all(taken.map(([task, t]) => this.#commitTask(task, t)));
    } finally {
      this.gate.committed();
      this.#turnEnded = performance.now();
    }
  }

  async #commitTask(task: RelayTask, t: TakenWork): Promise<void> {
    const { metrics, log } = this.deps;
    const started = performance.now();
    try {
      await this.failure.race(task.commit(t, this.consumer));
    } catch (e) {
      if (e instanceof FencedError) return this.tasks.fenced(task);
      // A task given away meanwhile: its new owner re-reads what this commit held.
      if (task.state !== "running") {
        return log.warn("relay: commit of a stopped task", { stage: this.kind, error: e });
      }
      this.failure.fail(e);
      throw e;
    }
    metrics.commits.inc();
    metrics.commitSeconds.observe((performance.now() - started) / 1000);
    for (const [eventType, n] of t.skipped) {
      const labels = { source: this.input.source, event_type: eventType, outcome: "skipped" };
      metrics.records.inc(labels, n);
    }
  }

  /** Looks up the input partitions' ends: caught-up proofs, lag, fenced tasks to revive. */
  async #pollEnds(): Promise<void> {
    const { admin, deps } = this;
    try {
      while (!deps.stop.aborted && !this.failure.failed) {
        const askedAt = Date.now();
        const ends = await admin.fetchTopicOffsets(this.input.topic);
        const answeredAt = Date.now();
        deps.contact.answered(askedAt, answeredAt);
        for (const e of ends) {
          const task = this.tasks.running(e.partition);
          if (task === undefined) continue;
          task.progress.verify(e.partition, BigInt(e.high), askedAt, answeredAt);
          const lag = task.progress.lag().get(e.partition) ?? 0n;
          deps.tasks.lag(this.kind, e.partition, Number(lag));
        }
        this.tasks.revive(answeredAt);
        await sleep(OFFSETS_POLL_MS, deps.stop);
      }
    } catch (e) {
      this.failure.fail(e);
    }
  }
}
