/**
 * An instance's tasks (docs/service.md, "Tasks"): one consumer in the tasks' group
 * (`<APPLICATION_ID>-checkout`) over the foot, shelf and repartition topics, task *p* being
 * partition *p* of each; one producer; one commit loop. A record read here goes to its
 * customer's task at once when that task runs here, else through the repartition topic. Each
 * assignment stops what ran and starts the new share from the last commit (instance_start.ts);
 * each commit is one transaction for everything (instance_commit.ts, instance_committer.ts).
 * @module
 */
import type { Admin, Consumer, EachBatchPayload } from "kafkajs";
import { RateLimiter } from "../../observe/log.ts";
import { atMost, sleep, untilAborted } from "../../sleep.ts";
import { MAX_UNCOMMITTED_RECORDS } from "../commit_loop.ts";
import { PipelineFailure } from "../failure.ts";
import { leaveGroup } from "../group_exit.ts";
import type { RelaySource } from "../relay_records.ts";
import { refuseDisagreement, type SharedSettings, sharedSettings } from "../shared_settings.ts";
import { stageConsumerConfig } from "../stage.ts";
import { waitForTopics } from "../topics.ts";
import { WorkGate } from "../work_gate.ts";
import { coPartitionedAssigner } from "./assigner.ts";
import { logDlq, observeCheckoutDelays } from "./commit_reports.ts";
import { stageMetrics, zeroMetrics } from "./engine_totals.ts";
import { aheadOfStep } from "./event_time_steps.ts";
import { type InstanceCommit, instanceCommit, isEmptyCommit } from "./instance_commit.ts";
import {
  atLeastOnceCommitter,
  type InstanceCommitter,
  transactionalCommitter,
} from "./instance_committer.ts";
import { InstanceProducer } from "./instance_producer.ts";
import { type InstanceParts, startParts, type TaskPlan } from "./instance_start.ts";
import { generationOf, isGenerationFenced, setTxnMember } from "./kip447.ts";
import { Router } from "./routing.ts";
import { Presence } from "./presence.ts";
import { checkoutGroupId, type TasksDeps } from "./task_context.ts";
import { CheckoutTask } from "./checkout_task.ts";
import { isFencingError } from "../fencing.ts";
import type { EngineMetrics } from "../../core/mod.ts";

/** How long a life's end waits for a commit or a start in flight. */
const CLOSE_BOUND_MS = 5000;
/** How long a stop waits for the consumer to leave the group. */
const DISCONNECT_BOUND_MS = 2000;
/** A commit fenced and no new assignment within this long: the life starts over (rejoins). */
const STALE_BOUND_MS = 20_000;
/** End look-ups while busy (a caught-up partition passes the wall clock of its latest one). */
export const LOOKUP_MS = 100;
/** End look-ups and commit turns while quiet: nothing read, no cart or session open. */
export const QUIET_LOOKUP_MS = 1000;

/** Where the instance is between assignments. */
type Phase = "joining" | "starting" | "running" | "stale";

/** Runs this instance's tasks until `deps.stop` (commits what it applied) or a failure. */
export async function runTasks(deps: TasksDeps): Promise<void> {
  const inst = new TaskInstance(deps);
  try {
    await inst.run();
  } finally {
    await inst.close();
  }
}

/** The instance's consumer, producer, parts and commit loop. */
class TaskInstance {
  readonly gate = new WorkGate(MAX_UNCOMMITTED_RECORDS);
  readonly failure = new PipelineFailure(this.gate);
  readonly #settings: SharedSettings;
  readonly #producer: InstanceProducer;
  readonly #taskGroup: string;
  readonly #dlqLimiter = new RateLimiter(5, 10_000);
  readonly #unknownLimiter = new RateLimiter(5, 10_000);
  readonly #retired = zeroMetrics();
  #unknown = 0;
  #admin?: Admin;
  #consumer?: Consumer;
  #running?: Promise<unknown>;
  #routers!: Record<RelaySource, Router>;
  #presences: Presence[] = [];
  #presenceChecked: Promise<unknown> = Promise.resolve();
  #inputCounts = { foot: 0, shelf: 0 };
  #phase: Phase = "joining";
  #staleSince = 0;
  /** Bumped by every assignment: work of an earlier one is dropped. */
  #epoch = 0;
  #owned: number[] = [];
  #plan: TaskPlan = { tasks: [], foot: [], shelf: [] };
  #parts: InstanceParts = { tasks: new Map(), inputs: { foot: new Map(), shelf: new Map() } };
  #committer?: InstanceCommitter;
  #inflight: Promise<unknown> = Promise.resolve();
  #starts: Promise<void> = Promise.resolve();
  #paused = new Set<string>();
  #lastActivityMs = Date.now();
  /** Aborted when a record ends a quiet time: the look-ups and the commit loop wake. */
  #woken = new AbortController();
  #lookupFailed = false;
  #quiet = false;
  #turnEnded = performance.now();

  constructor(readonly deps: TasksDeps) {
    this.#settings = sharedSettings(deps.config);
    this.#taskGroup = checkoutGroupId(deps.config.applicationId);
    this.#producer = new InstanceProducer(
      deps.kafka,
      deps.config.delivery === "exactly-once",
      deps.config.applicationId,
      deps.log,
    );
  }

  async run(): Promise<void> {
    const { config, kafka, stop } = this.deps;
    this.deps.onReady(false);
    const admin = this.#admin = kafka.admin();
    await admin.connect();
    const topics = [config.footTopic, config.shelfTopic, config.repartitionTopic];
    await waitForTopics(admin, [...topics, config.stateTopic], this.deps.log, stop);
    if (stop.aborted) return;
    this.#inputCounts = {
      foot: (await admin.fetchTopicOffsets(config.footTopic)).length,
      shelf: (await admin.fetchTopicOffsets(config.shelfTopic)).length,
    };
    // Members of the input groups too, so another application reading them is seen.
    this.#presences = [
      { groupId: config.groupIdFoot, env: "GROUP_ID_FOOT", topic: config.footTopic },
      { groupId: config.groupIdShelf, env: "GROUP_ID_SHELF", topic: config.shelfTopic },
    ].map(({ topic, ...group }) =>
      new Presence(kafka, admin, group, topic, this.#settings, (e) => this.failure.fail(e))
    );
    this.#presenceChecked = Promise.all(this.#presences.map((p) => p.join()));
    this.#presenceChecked.catch((e) => this.failure.fail(e));
    this.#routers = {
      foot: new Router("foot", this.deps.taskCount),
      shelf: new Router("shelf", this.deps.taskCount),
    };
    const consumer = this.#consumer = kafka.consumer({
      ...stageConsumerConfig(this.#taskGroup),
      partitionAssigners: [coPartitionedAssigner(() => this.#owned, this.#settings)],
    });
    this.#wire(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    const joined = this.#running = consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.#eachBatch(payload),
    }).catch((e) => this.failure.fail(e));
    // The first join waits out a killed member's session timeout: a stop must not wait for it.
    await Promise.race([joined, untilAborted(stop), this.failure.promise]);
    const lookups = this.#lookups();
    try {
      await this.#commitLoop();
      // SIGINT/SIGTERM: nothing is read any more (eachBatch checks `stop` before applying);
      // commit what was applied while still a member of the group, then leave it (close).
      this.gate.close();
      await this.#inflight.catch(() => {});
      if (!this.failure.failed && this.#phase === "running") await this.#commitOnce();
    } finally {
      await lookups;
    }
    if (this.failure.failed) throw this.failure.error;
    this.deps.log.info("tasks stopped cleanly");
  }

  async close(): Promise<void> {
    this.gate.close();
    // A failed life does not wait long for a commit or a start in flight: KafkaJS retries a
    // send without end (a topic gone with a broker's data), and the next holder of the
    // transactional id fences what goes on unheard.
    await atMost(CLOSE_BOUND_MS, this.#inflight);
    await atMost(CLOSE_BOUND_MS, this.#starts);
    this.#dropParts();
    // Not before the first join is done (group_exit.ts), and a stop does not wait for that
    // join (up to a killed member's session timeout): past the bound it goes on meanwhile.
    // Every group at once: a member that does not leave holds the next start's join.
    await Promise.all([
      this.#consumer && leaveGroup(this.#consumer, this.#running, DISCONNECT_BOUND_MS),
      ...this.#presences.map((p) => p.leave()),
    ]);
    await atMost(CLOSE_BOUND_MS, this.#producer.close());
    await this.#admin?.disconnect().catch(() => {});
  }

  #wire(consumer: Consumer): void {
    consumer.on(consumer.events.CRASH, (ev) => this.failure.fail(ev.payload.error));
    consumer.on(consumer.events.GROUP_JOIN, (ev) => {
      const { memberAssignment, memberId } = ev.payload;
      if (this.deps.stop.aborted || this.failure.failed) {
        return this.deps.log.info("tasks: a join after this life ended; leaving", {
          assignment: memberAssignment,
        });
      }
      this.#assigned(memberAssignment, memberId);
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, (ev) => {
      const p = ev.payload;
      if (p.batchSize !== 0 || this.#phase !== "running") return;
      const { config } = this.deps;
      if (p.topic === config.repartitionTopic) {
        this.#parts.tasks.get(p.partition)?.readEmpty(p.lastOffset, p.highWatermark);
      } else {
        this.#input(p.topic, p.partition)?.readEmpty(p.firstOffset, p.lastOffset, p.highWatermark);
      }
    });
  }

  /**
   * A join's assignment: every partition of it paused now (before any fetch of the new
   * generation), everything that ran dropped once the commit in flight is done, and the new
   * share started from the last commit once the members are known to agree on the settings.
   */
  #assigned(assignment: Record<string, number[]>, memberId: string): void {
    const { config, log } = this.deps;
    const epoch = ++this.#epoch;
    const wasStale = this.#phase === "stale";
    this.#phase = "starting";
    this.deps.onReady(false);
    const plan: TaskPlan = {
      tasks: assignment[config.repartitionTopic] ?? [],
      foot: assignment[config.footTopic] ?? [],
      shelf: assignment[config.shelfTopic] ?? [],
    };
    this.#pauseAll(plan);
    const owned = [...new Set([...plan.tasks, ...plan.foot, ...plan.shelf])].sort((a, b) => a - b);
    // After a fenced commit every task counts as gained: its id may have been taken over.
    const gained = owned.filter((t) => wasStale || !this.#owned.includes(t));
    this.#owned = owned;
    log.info("tasks assigned", { tasks: plan.tasks, foot: plan.foot, shelf: plan.shelf });
    const checked = Promise.all([
      refuseDisagreement(this.#admin!, this.#settings, [{ groupId: this.#taskGroup }]),
      this.#presenceChecked,
    ]);
    const start = this.#starts.catch(() => {}).then(async () => {
      await checked;
      if (epoch !== this.#epoch) return;
      await this.#start(plan, owned, gained, memberId, epoch);
    });
    this.#starts = start.catch((e) => this.failure.fail(e));
  }

  async #start(
    plan: TaskPlan,
    owned: number[],
    gained: number[],
    memberId: string,
    epoch: number,
  ): Promise<void> {
    const { deps } = this;
    await this.#inflight.catch(() => {});
    this.#dropParts();
    const producer = await this.#producer.prepare(owned, gained);
    if (epoch !== this.#epoch) return;
    const id = this.#producer.transactionalId;
    if (id !== undefined) {
      setTxnMember(id, this.#taskGroup, {
        generationId: generationOf(memberId) ?? -1,
        memberId,
        groupInstanceId: null,
      });
    }
    const ended = new AbortController();
    const stopWatch = setInterval(() => {
      if (epoch !== this.#epoch || deps.stop.aborted || this.failure.failed) ended.abort();
    }, 100);
    let parts: InstanceParts | undefined;
    try {
      parts = await startParts(
        {
          ...deps,
          admin: this.#admin!,
          pricer: deps.pricer,
          inputCounts: this.#inputCounts,
          taskGroupId: this.#taskGroup,
        },
        plan,
        ended.signal,
      );
    } finally {
      clearInterval(stopWatch);
    }
    if (parts === undefined || epoch !== this.#epoch) {
      for (const t of parts?.tasks.values() ?? []) this.#retire(t.metrics());
      for (const p of plan.tasks) deps.tasks.assigned("task", p, false);
      return;
    }
    this.#parts = parts;
    this.#plan = plan;
    this.#committer = producer === undefined ? undefined : this.#makeCommitter(producer);
    for (const s of plan.foot) deps.tasks.assigned("foot", s, true);
    for (const s of plan.shelf) deps.tasks.assigned("shelf", s, true);
    this.#seekAll();
    this.#phase = "running";
    this.#lastActivityMs = Date.now();
    this.#step();
    deps.onReady(true);
    deps.log.info("tasks running", {
      tasks: plan.tasks,
      foot: plan.foot,
      shelf: plan.shelf,
      transactionalId: id,
    });
  }

  #makeCommitter(producer: NonNullable<InstanceProducer["producer"]>): InstanceCommitter {
    const { deps } = this;
    if (this.#producer.eos) return transactionalCommitter(producer);
    return atLeastOnceCommitter(
      deps.kafka,
      producer,
      this.#consumer!,
      this.#taskGroup,
      {
        exitAfterWrites: deps.exitBeforeOffsetCommitAfter,
        onExit: () =>
          deps.log.warn("test fault: exiting after writing outputs, before committing offsets"),
      },
      (groupId) => this.#presences.map((p) => p.member()).find((m) => m?.groupId === groupId),
    );
  }

  /** Drops every running part (their work not committed is redone by whoever starts them). */
  #dropParts(): void {
    for (const [p, t] of this.#parts.tasks) {
      this.#retire(t.metrics());
      this.deps.tasks.assigned("task", p, false);
    }
    for (const source of ["foot", "shelf"] as const) {
      for (const s of this.#parts.inputs[source].keys()) this.deps.tasks.assigned(source, s, false);
    }
    this.#parts = { tasks: new Map(), inputs: { foot: new Map(), shelf: new Map() } };
    this.#committer = undefined;
    this.gate.taken();
    this.gate.committed();
  }

  #retire(m: EngineMetrics): void {
    const totals = stageMetrics(this.#retired, [m]);
    Object.assign(this.#retired, totals, {
      openCarts: 0,
      openSessions: 0,
      closedMarkers: 0,
      streamTimeUs: -Infinity,
    });
  }

  #pauseAll(plan: TaskPlan): void {
    const { config } = this.deps;
    const c = this.#consumer!;
    const all = [
      { topic: config.repartitionTopic, partitions: plan.tasks },
      { topic: config.footTopic, partitions: plan.foot },
      { topic: config.shelfTopic, partitions: plan.shelf },
    ].filter((t) => t.partitions.length > 0);
    if (all.length > 0) c.pause(all);
    this.#paused = new Set([
      ...plan.foot.map((s) => `foot/${s}`),
      ...plan.shelf.map((s) => `shelf/${s}`),
    ]);
  }

  /** Every partition to where the parts start; the repartition partitions resume now. */
  #seekAll(): void {
    const { config } = this.deps;
    const c = this.#consumer!;
    for (const t of this.#parts.tasks.values()) {
      c.seek({ topic: config.repartitionTopic, partition: t.task, offset: String(t.next()) });
    }
    for (const source of ["foot", "shelf"] as const) {
      const topic = source === "foot" ? config.footTopic : config.shelfTopic;
      for (const ip of this.#parts.inputs[source].values()) {
        c.seek({ topic, partition: ip.s, offset: String(ip.next) });
      }
    }
    const tasks = [...this.#parts.tasks.keys()];
    if (tasks.length > 0) c.resume([{ topic: config.repartitionTopic, partitions: tasks }]);
  }

  #input(topic: string, partition: number) {
    const { config } = this.deps;
    const source = topic === config.footTopic ? "foot" : topic === config.shelfTopic ? "shelf" : "";
    return source === "" ? undefined : this.#parts.inputs[source].get(partition);
  }

  #accepting(epoch: number): boolean {
    return this.#phase === "running" && epoch === this.#epoch && !this.deps.stop.aborted &&
      !this.failure.failed;
  }

  async #eachBatch({ batch, isStale }: EachBatchPayload): Promise<void> {
    const epoch = this.#epoch;
    if (!this.#accepting(epoch) || isStale()) return;
    await this.gate.room(); // backpressure, never with half a batch applied
    if (!this.#accepting(epoch) || isStale()) return;
    try {
      this.gate.add(this.#read(batch));
    } catch (e) {
      this.failure.fail(e);
    }
  }

  /** Applies or forwards one fetched batch (synchronously); returns the records taken. */
  #read(batch: EachBatchPayload["batch"]): number {
    const { config, metrics } = this.deps;
    let bytes = 0;
    for (const m of batch.messages) bytes += m.value?.length ?? 0;
    metrics.consumedBytes.inc({ topic: batch.topic }, bytes);
    if (batch.messages.length > 0) {
      this.#lastActivityMs = Date.now();
      if (this.#quiet) this.#endQuiet();
    }
    if (batch.topic === config.repartitionTopic) {
      const task = this.#parts.tasks.get(batch.partition);
      if (task === undefined) return 0;
      const backlog = task.backlogRead;
      const n = task.read(batch, (offset) => this.#unknownRecord(task.task, offset));
      if (n > 0) metrics.recordsApplied.inc({}, n);
      if (!backlog && task.backlogRead) this.#step();
      return batch.messages.length;
    }
    const ip = this.#input(batch.topic, batch.partition);
    if (ip === undefined) return 0;
    const tasks = this.#parts.tasks;
    const n = ip.read(batch, this.#routers[ip.settings.source], (t) => tasks.get(t));
    if (ip.appliedHere > 0) {
      metrics.recordsApplied.inc({}, ip.appliedHere);
      ip.appliedHere = 0;
    }
    if (n < 0) {
      this.deps.log.warn("a batch past the partition's position; reading from it again", {
        topic: batch.topic,
        partition: ip.s,
        position: ip.next.toString(),
      });
      this.#consumer!.seek({ topic: batch.topic, partition: ip.s, offset: ip.next.toString() });
      return 0;
    }
    this.#step();
    return n;
  }

  /**
   * Pauses and resumes the input partitions read here: all of them until every task has read
   * its start's repartition backlog (what was forwarded from a partition before it moved here
   * comes first), then in event-time step (event_time_steps.ts).
   */
  #step(): void {
    if (this.#phase !== "running") return;
    const all = [...this.#parts.inputs.foot.values(), ...this.#parts.inputs.shelf.values()];
    const backlogsRead = [...this.#parts.tasks.values()].every((t) => t.backlogRead);
    const paceFoot = this.#parts.tasks.size === this.deps.taskCount;
    const ahead = backlogsRead
      ? aheadOfStep(
        all.map((ip) => ({
          key: `${ip.settings.source}/${ip.s}`,
          source: ip.settings.source,
          headUs: ip.headUs,
          lag: ip.lag(),
        })),
        { paceFoot, nowUs: Date.now() * 1000 },
      )
      : undefined;
    const c = this.#consumer!;
    for (const ip of all) {
      const key = `${ip.settings.source}/${ip.s}`;
      const pause = ahead === undefined || ahead.has(key);
      if (pause === this.#paused.has(key)) continue;
      const tp = [{ topic: ip.settings.topic, partitions: [ip.s] }];
      if (pause) {
        c.pause(tp);
        this.#paused.add(key);
      } else {
        c.resume(tp);
        this.#paused.delete(key);
      }
    }
  }

  /** A record was read while quiet: back to the busy pace at once. */
  #endQuiet(): void {
    this.#quiet = false;
    this.#woken.abort();
    this.#woken = new AbortController();
  }

  #unknownRecord(task: number, offset: string): void {
    this.#unknown++;
    const { ok, suppressed } = this.#unknownLimiter.allow("unknown", Date.now());
    if (!ok) return;
    this.deps.log.warn("repartition record neither forwarded data nor control: skipped", {
      task,
      offset,
      total: this.#unknown,
      ...(suppressed ? { suppressedSinceLast: suppressed } : {}),
    });
  }

  /** Commits every interval (at once when the gate is full) until stopped or failed. */
  async #commitLoop(): Promise<void> {
    const { config, stop } = this.deps;
    this.#turnEnded = performance.now();
    while (!stop.aborted) {
      if (this.failure.failed) throw this.failure.error;
      const interval = this.#quiet ? QUIET_LOOKUP_MS : config.commitIntervalMs;
      this.gate.commitDueAt(performance.now() + interval);
      await sleep(interval, stop, this.gate.fullSignal(), this.failure.signal, this.#woken.signal);
      if (stop.aborted || this.failure.failed) continue;
      if (this.#phase === "stale" && Date.now() - this.#staleSince > STALE_BOUND_MS) {
        this.failure.fail(new Error("a fenced commit and no new assignment: starting over"));
        continue;
      }
      if (this.#phase !== "running") continue;
      this.#inflight = this.#commitOnce();
      await this.#inflight.catch(() => {});
    }
  }

  /** Takes one commit (synchronously) and writes it; a fenced one waits for the next join. */
  async #commitOnce(): Promise<void> {
    const waited = (performance.now() - this.#turnEnded) / 1000;
    const epoch = this.#epoch;
    const c = this.#take();
    this.gate.taken();
    try {
      if (c === undefined || isEmptyCommit(c) || this.#committer === undefined) return;
      this.deps.metrics.commitWaitSeconds.observe(waited);
      for (const t of c.tasks) logDlq({ dlq: t.dlq } as never, this.#dlqLimiter, this.deps.log);
      const t0 = performance.now();
      try {
        await this.failure.race(this.#committer.commit(c));
      } catch (e) {
        if (epoch !== this.#epoch) return; // a new assignment redoes it anyway
        if (!isGenerationFenced(e) && !isFencingError(e)) throw e;
        this.#stale(e);
        return;
      }
      if (epoch !== this.#epoch) return;
      this.#committed(c, (performance.now() - t0) / 1000);
    } catch (e) {
      this.failure.fail(e);
    } finally {
      this.gate.committed();
      this.#turnEnded = performance.now();
    }
  }

  /** A commit was fenced: another member took tasks of ours. Nothing more until reassigned. */
  #stale(e: unknown): void {
    this.#phase = "stale";
    this.#staleSince = Date.now();
    this.deps.onReady(false);
    this.deps.log.warn("a commit was fenced: tasks moved; waiting for the new assignment", {
      error: e,
    });
    this.#dropParts();
    void this.#producer.close();
  }

  /** Everything read and drained since the last commit, at one synchronous moment. */
  #take(): InstanceCommit | undefined {
    const { config, contact } = this.deps;
    const { tasks, inputs } = this.#parts;
    if (tasks.size === 0 && inputs.foot.size === 0 && inputs.shelf.size === 0) return undefined;
    const remote: number[] = [];
    for (let p = 0; p < this.deps.taskCount; p++) if (!tasks.has(p)) remote.push(p);
    const reports = { foot: new Map(), shelf: new Map() };
    const partitions: InstanceCommit["partitions"] = [];
    for (const source of ["foot", "shelf"] as const) {
      for (const ip of inputs[source].values()) {
        const progress = ip.progress(contact.regainedAtMs);
        reports[source].set(ip.s, progress);
        partitions.push({ source, s: ip.s, take: ip.take(progress, remote) });
      }
    }
    const wallMs = Date.now();
    const taken = [...tasks.values()].map((t) => t.take(t.signals(reports), wallMs));
    return instanceCommit(
      {
        pos: config.posTopic,
        dlq: config.dlqTopic,
        state: config.stateTopic,
        repartition: config.repartitionTopic,
        inputs: {
          foot: { topic: config.footTopic, groupId: config.groupIdFoot },
          shelf: { topic: config.shelfTopic, groupId: config.groupIdShelf },
        },
        taskGroupId: this.#taskGroup,
      },
      partitions,
      taken,
      [...tasks.values()].map((t) => ({ partition: t.task, offset: String(t.next()) })),
    );
  }

  #committed(c: InstanceCommit, seconds: number): void {
    const { metrics } = this.deps;
    for (const { source, s, take } of c.partitions) {
      this.#parts.inputs[source].get(s)?.committed(take);
      for (const [eventType, n] of take.skipped) {
        metrics.records.inc({ source, event_type: eventType, outcome: "skipped" }, n);
      }
    }
    for (const t of c.tasks) {
      this.#parts.tasks.get(t.task)?.committed(t);
      observeCheckoutDelays(t as never, metrics);
    }
    metrics.commits.inc();
    metrics.commitSeconds.observe(seconds);
    this.deps.onCommit?.({ transactions: c.transactionCount });
  }

  /**
   * The topics' ends every {@link LOOKUP_MS} (every {@link QUIET_LOOKUP_MS} while quiet). A
   * look-up that fails (a partition's leader moving, a topic just made) is tried again at the
   * next turn: the broker's silence shows in readiness (broker_contact.ts), and what truly
   * breaks shows in the consumer and the commits.
   */
  async #lookups(): Promise<void> {
    const { deps } = this;
    while (!deps.stop.aborted && !this.failure.failed) {
      await this.#lookUp().then(
        () => this.#lookupFailed = false,
        (e) => {
          this.#lookupFailed = true;
          deps.log.debug("end look-up failed", { error: e });
        },
      );
      // While quiet, a second between look-ups, cut short by the first record read.
      const pause = this.#quiet ? QUIET_LOOKUP_MS : LOOKUP_MS;
      await sleep(pause, deps.stop, this.#woken.signal);
    }
  }

  async #lookUp(): Promise<void> {
    const { config, contact, metrics, tasks } = this.deps;
    const admin = this.#admin!;
    const askedAt = Date.now();
    const [foot, shelf, rep] = await Promise.all([
      admin.fetchTopicOffsets(config.footTopic),
      admin.fetchTopicOffsets(config.shelfTopic),
      admin.fetchTopicOffsets(config.repartitionTopic),
    ]);
    const answeredAt = Date.now();
    // After an answered look-up the wait until this one was the instance's own choice (a
    // second while quiet): no outage. After a failed one, the silence may be the broker's.
    contact.answered(askedAt, answeredAt, this.#lookupFailed ? 0 : Infinity);
    if (this.#phase !== "running") return;
    const ends = { foot, shelf };
    let moved = false;
    for (const source of ["foot", "shelf"] as const) {
      for (const e of ends[source]) {
        const ip = this.#parts.inputs[source].get(e.partition);
        if (ip === undefined) continue;
        const before = ip.position.partitions.get(ip.s)?.high;
        ip.position.verify(e.partition, BigInt(e.high), askedAt, answeredAt);
        if (ip.position.partitions.get(ip.s)?.high !== before) moved = true;
        const lag = Number(ip.lag());
        tasks.lag(source, e.partition, lag);
        metrics.lag.set({ topic: ip.settings.topic, partition: String(e.partition) }, lag);
      }
    }
    const live = [];
    for (const [p, task] of this.#parts.tasks) {
      const r = rep.find((e) => e.partition === p);
      if (r) task.repartition.sawHigh(p, BigInt(r.high), answeredAt);
      const lag = task.lag();
      tasks.lag("task", p, lag);
      metrics.lag.set({ topic: config.repartitionTopic, partition: String(p) }, lag);
      const m = task.metrics();
      tasks.openCarts(p, m.openCarts);
      live.push(m);
    }
    const totals = stageMetrics(this.#retired, live);
    metrics.observeEngine(totals);
    metrics.observeMemory();
    if (moved) this.#lastActivityMs = answeredAt;
    this.#quiet = totals.openCarts === 0 && totals.openSessions === 0 &&
      answeredAt - this.#lastActivityMs > 2 * config.idleSec * 1000 + QUIET_LOOKUP_MS;
    this.#step();
  }
}

export { CheckoutTask };
