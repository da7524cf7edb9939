/**
 * The checkout stage of the scale-out service (docs/service.md, "Several instances"): one
 * consumer over the repartition topic only, in consumer group `<APPLICATION_ID>-checkout`
 * ({@link checkoutGroupId}; the input groups GROUP_ID_FOOT and GROUP_ID_SHELF are the relays'),
 * with the sticky co-partitioned assigner, and one {@link CheckoutTask} per assigned partition.
 * Both inputs reach the tasks through the relays, routed by murmur2(customer id), so a
 * customer's session and shelf events meet in one task whatever partitioner the upstream
 * producers used. A rebalance starts the tasks that arrive and stops those that leave; the
 * others go on from where they are.
 * @module
 */
import type { Admin, Consumer, EachBatchPayload } from "kafkajs";
import { RateLimiter } from "../../observe/log.ts";
import { sleep, untilAborted } from "../../sleep.ts";
import { leaveGroup } from "../group_exit.ts";
import { OFFSETS_POLL_MS } from "../commit_loop.ts";
import { waitForTopics } from "../topics.ts";
import { stageConsumerConfig } from "../stage.ts";
import { coPartitionedAssigner } from "./assigner.ts";
import { CheckoutTask } from "./checkout_task.ts";
import { stageMetrics, zeroMetrics } from "./engine_totals.ts";
import {
  checkoutGroupId,
  type CheckoutTasksDeps,
  kafkaTaskIo,
  type TaskContext,
} from "./task_context.ts";
import type { InputPartitions } from "./task_input.ts";
import { refuseDisagreement, type SharedSettings, sharedSettings } from "../shared_settings.ts";

export { checkoutGroupId, type CheckoutTasksDeps } from "./task_context.ts";

/** How long a stop waits for the consumer to leave the group. */
const DISCONNECT_BOUND_MS = 2000;

/**
 * Runs this instance's checkout tasks until `deps.stop` aborts (each task then commits what it
 * applied) and resolves; rejects on a failure that is not one task's fencing.
 */
export async function runCheckoutTasks(deps: CheckoutTasksDeps): Promise<void> {
  const stage = new CheckoutStage(deps);
  try {
    await stage.run();
  } finally {
    await stage.close();
  }
}

/** The stage's consumer, its tasks and its first fatal failure. */
class CheckoutStage {
  readonly tasks = new Map<number, CheckoutTask>();
  readonly #lives = new Set<Promise<void>>();
  readonly #retired = zeroMetrics();
  readonly #unknownLimiter = new RateLimiter(5, 10_000);
  #unknown = 0;
  #admin?: Admin;
  #consumer?: Consumer;
  /** The consumer's `run()`: settled once its first join completed or failed. */
  #running: Promise<unknown> | undefined;
  #consumerStopped?: Promise<unknown>;
  #fatal?: { error: unknown };
  readonly #failed = Promise.withResolvers<never>();
  readonly #settings: SharedSettings;

  constructor(readonly deps: CheckoutTasksDeps) {
    this.#failed.promise.catch(() => {});
    this.#settings = sharedSettings(deps.config);
  }

  /** The first fatal failure wins; every task stops without committing. */
  fail(error: unknown): void {
    if (this.#fatal) return;
    this.#fatal = { error };
    for (const t of this.tasks.values()) t.failure.fail(error);
    this.#failed.reject(error);
  }

  async run(): Promise<void> {
    const { deps } = this;
    const { config, kafka, stop } = deps;
    deps.onReady(false);
    const admin = this.#admin = kafka.admin();
    await admin.connect();
    const topics = [
      config.footTopic,
      config.repartitionTopic,
      config.stateTopic,
      config.shelfTopic,
    ];
    await waitForTopics(admin, topics, deps.log, stop);
    if (stop.aborted) return;
    // Every partition of both inputs must report (control records) before time passes.
    const inputs: InputPartitions = {
      foot: (await admin.fetchTopicOffsets(config.footTopic)).length,
      shelf: (await admin.fetchTopicOffsets(config.shelfTopic)).length,
    };
    const consumer = this.#consumer = this.#makeConsumer();
    const ctx = this.#context(kafkaTaskIo(kafka, admin, consumer, deps), inputs);
    this.#wire(consumer, ctx);
    await consumer.connect();
    await consumer.subscribe({ topic: config.repartitionTopic, fromBeginning: true });
    const joined = this.#running = consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.#route(payload),
    }).catch((e) => this.fail(e));
    // The first join waits out a killed member's session timeout: a stop must not wait for it.
    await Promise.race([joined, untilAborted(stop), this.#failed.promise]);
    const polling = this.#poll();
    await Promise.race([untilAborted(stop), this.#failed.promise]);
    // SIGINT/SIGTERM: stop fetching; every running task commits what it applied.
    this.#consumerStopped ??= consumer.stop();
    await Promise.allSettled([...this.#lives]);
    await polling;
    if (this.#fatal) throw this.#fatal.error;
    deps.log.info("checkout tasks stopped cleanly");
  }

  async close(): Promise<void> {
    for (const t of this.tasks.values()) t.revoke();
    await Promise.allSettled([...this.#lives]);
    // Not before the first join is done (group_exit.ts), and a stop does not wait for that
    // join (up to a killed member's session timeout): past the bound it goes on meanwhile.
    if (this.#consumer) await leaveGroup(this.#consumer, this.#running, DISCONNECT_BOUND_MS);
    await this.#admin?.disconnect().catch(() => {});
  }

  #makeConsumer(): Consumer {
    return this.deps.kafka.consumer({
      ...stageConsumerConfig(checkoutGroupId(this.deps.config.applicationId)),
      // Sticky: this member says which tasks it runs, so a rebalance leaves them here.
      partitionAssigners: [coPartitionedAssigner(() => [...this.tasks.keys()], this.#settings)],
    });
  }

  #wire(consumer: Consumer, ctx: TaskContext): void {
    consumer.on(consumer.events.CRASH, (ev) => this.fail(ev.payload.error));
    consumer.on(consumer.events.GROUP_JOIN, (ev) => {
      // A life that ended before its consumer's first join completed must not start tasks:
      // the next life owns them. Its close leaves the group once this join is done.
      if (this.deps.stop.aborted || this.#fatal !== undefined) {
        return this.deps.log.info("checkout tasks: a join after this life ended; leaving", {
          assignment: ev.payload.memberAssignment,
        });
      }
      // Every join: are the group's members agreed on the shared settings? New tasks wait.
      const groupId = checkoutGroupId(this.deps.config.applicationId);
      const checked = refuseDisagreement(this.#admin!, this.#settings, [{ groupId }]);
      checked.catch((e) => this.fail(e));
      this.#assign(ev.payload.memberAssignment, ctx, checked);
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, (ev) => {
      const p = ev.payload;
      if (p.topic !== this.deps.config.repartitionTopic) return;
      this.tasks.get(p.partition)?.endBatch(p.lastOffset, p.highWatermark);
    });
  }

  /**
   * A join's assignment: start the tasks that arrive (paused now, started once `checked`, the
   * members check, passed), stop those that left, keep the rest.
   */
  #assign(
    assignment: Record<string, number[]>,
    ctx: TaskContext,
    checked: Promise<void>,
  ): void {
    const { config, log, tasks } = this.deps;
    const wanted = new Set(assignment[config.repartitionTopic] ?? []);
    for (const [p, task] of this.tasks) {
      if (wanted.has(p)) continue;
      task.revoke();
      this.tasks.delete(p);
      tasks.assigned("task", p, false);
    }
    for (const p of [...wanted].sort((a, b) => a - b)) {
      const running = this.tasks.get(p);
      if (running) {
        running.keepPosition();
        continue;
      }
      const task = new CheckoutTask(p, ctx);
      this.tasks.set(p, task);
      tasks.assigned("task", p, true);
      ctx.io.consumer.pause(task.partitions); // synchronously, in the join that assigned it
      const life = checked.then(() => task.revoked ? undefined : task.run())
        .catch((e) => this.fail(e));
      this.#lives.add(life);
      life.finally(() => this.#lives.delete(life));
    }
    log.info("checkout tasks assigned", { tasks: [...this.tasks.keys()] });
    this.#ready();
  }

  #ready(): void {
    this.deps.onReady([...this.tasks.values()].every((t) => t.state === "running"));
  }

  #context(io: TaskContext["io"], inputPartitions: InputPartitions): TaskContext {
    const { deps } = this;
    return {
      deps,
      io,
      inputPartitions,
      dlqLimiter: new RateLimiter(5, 10_000),
      consumerStopped: () => this.#consumerStopped ??= this.#consumer!.stop(),
      onRunning: () => this.#ready(),
      onFenced: (t) => {
        if (this.tasks.get(t.task) !== t) return; // revoked meanwhile: the move was announced
        this.tasks.delete(t.task);
        deps.tasks.assigned("task", t.task, false);
        // Still ours by the last assignment, yet another owner fenced it: this instance's view
        // of the group is stale (it was paused past its session). Starting over rejoins.
        this.fail(new Error(`checkout task ${t.task} was taken over while assigned here`));
      },
      retire: (m) => this.#retire(m),
      unknownRelayed: (task, offset) => {
        this.#unknown++;
        const { ok, suppressed } = this.#unknownLimiter.allow("unknown", Date.now());
        if (!ok) return;
        deps.log.warn("repartition record neither relayed data nor control: skipped", {
          task,
          offset,
          total: this.#unknown,
          ...(suppressed ? { suppressedSinceLast: suppressed } : {}),
        });
      },
    };
  }

  #retire(m: ReturnType<CheckoutTask["metrics"]> & object): void {
    const totals = stageMetrics(this.#retired, [m]);
    Object.assign(this.#retired, totals, {
      openCarts: 0,
      openSessions: 0,
      closedMarkers: 0,
      streamTimeUs: -Infinity,
    });
  }

  /** A batch goes to its task (task *p* reads repartition partition *p*). */
  #route(payload: EachBatchPayload): Promise<void> {
    const task = this.tasks.get(payload.batch.partition);
    return task ? task.consume(payload) : Promise.resolve();
  }

  /** The repartition topic's ends every 100 ms: the tasks' lag, and the engine metrics. */
  async #poll(): Promise<void> {
    const { deps } = this;
    while (!deps.stop.aborted && !this.#fatal) {
      try {
        await this.#pollOnce();
      } catch (e) {
        this.fail(e);
        return;
      }
      await sleep(OFFSETS_POLL_MS, deps.stop);
    }
  }

  async #pollOnce(): Promise<void> {
    const { config, metrics, tasks } = this.deps;
    const rep = await this.#admin!.fetchTopicOffsets(config.repartitionTopic);
    const answeredAt = Date.now();
    const live = [];
    for (const [p, task] of this.tasks) {
      const pos = task.positions;
      const r = rep.find((e) => e.partition === p);
      if (!pos || !r) continue;
      pos.verify(BigInt(r.high), answeredAt);
      const lag = pos.lag();
      tasks.lag("task", p, lag);
      metrics.lag.set({ topic: config.repartitionTopic, partition: String(p) }, lag);
      const m = task.metrics();
      if (m) {
        tasks.openCarts(p, m.openCarts);
        live.push(m);
      }
    }
    metrics.observeEngine(stageMetrics(this.#retired, live));
    metrics.observeMemory();
  }
}
