/**
 * The relay tasks this instance owns for one input, following its group's assignments. KafkaJS has no
 * revoke callback: each `GROUP_JOIN` carries the new assignment; tasks that left it stop (their
 * commit in flight finishes or aborts first), new ones start (pause, fence, seek, resume), the
 * others go on untouched. A task fenced by another owner stops; if the group still gives it to
 * us after a while (we were the stale member, and the group settled back on us), it starts again.
 * @module
 */
import type { Admin, Consumer, Kafka } from "kafkajs";
import type { RelayDeps, StageKind } from "../stage.ts";
import { FencedError } from "../fencing.ts";
import { RelayTask } from "./relay_task.ts";
import { type RelayInput, relayStageKind } from "./input.ts";

/** A fenced task still assigned to us after this long is started again. */
const FENCED_RESTART_MS = 15_000;

/** The tasks of one relay stage (one input). */
export class RelayTasks {
  readonly #tasks = new Map<number, RelayTask>();
  #assigned = new Set<number>();
  readonly #fencedAt = new Map<number, number>();
  /** Assignments are applied one after the other. */
  #chain: Promise<void> = Promise.resolve();
  readonly #stage: StageKind;

  constructor(
    private readonly deps: RelayDeps,
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly consumer: Consumer,
    private readonly fail: (e: unknown) => void,
    private readonly input: RelayInput,
  ) {
    this.#stage = relayStageKind(input.source);
  }

  /** The running task of input partition `s`, if any. */
  running(s: number): RelayTask | undefined {
    const t = this.#tasks.get(s);
    return t?.state === "running" ? t : undefined;
  }

  /** Every running task. */
  allRunning(): RelayTask[] {
    return [...this.#tasks.values()].filter((t) => t.state === "running");
  }

  /**
   * A new assignment: tasks that left it stop writing at once; new partitions are paused now
   * (before any fetch of this generation); then, once `before` (the check that the group's
   * members agree on the shared settings) passed, the changes are applied in order.
   */
  assign(partitions: number[], before: () => Promise<void> = () => Promise.resolve()): void {
    this.#assigned = new Set(partitions);
    for (const s of partitions) this.#fencedAt.delete(s);
    for (const [s, t] of this.#tasks) if (!this.#assigned.has(s)) t.state = "stopped";
    this.#pause(partitions.filter((s) => !this.#tasks.has(s)));
    this.#enqueue(async () => {
      await before();
      await this.#apply();
    });
  }

  /** Stops the tasks no longer ours, starts the new ones. */
  async #apply(): Promise<void> {
    const gone = [...this.#tasks].filter(([s, t]) =>
      !this.#assigned.has(s) || t.state === "stopped"
    );
    await Promise.all(gone.map(([s]) => this.#stop(s)));
    const fresh = [...this.#assigned].filter((s) => !this.#tasks.has(s) && !this.#fencedAt.has(s));
    this.#pause(fresh);
    await Promise.all(fresh.map((s) => this.#start(s)));
  }

  /** A commit of `task` was fenced: it is no longer ours. */
  fenced(task: RelayTask): void {
    this.deps.log.warn("relay task fenced by another owner", { stage: this.#stage, task: task.s });
    task.state = "stopped";
    this.#fencedAt.set(task.s, Date.now());
    this.#enqueue(async () => {
      if (this.#tasks.get(task.s) === task) await this.#stop(task.s);
    });
  }

  /** Starts again fenced tasks the group still gives us after {@link FENCED_RESTART_MS}. */
  revive(nowMs: number): void {
    const due = [...this.#fencedAt].filter(([s, at]) =>
      nowMs - at >= FENCED_RESTART_MS && this.#assigned.has(s) && !this.#tasks.has(s)
    ).map(([s]) => s);
    if (due.length === 0) return;
    for (const s of due) this.#fencedAt.delete(s);
    this.#pause(due);
    this.#enqueue(() => Promise.all(due.map((s) => this.#start(s))).then(() => {}));
  }

  /** Stops every task (after the assignments under way). */
  async stopAll(): Promise<void> {
    await this.#chain;
    await Promise.all([...this.#tasks.keys()].map((s) => this.#stop(s)));
  }

  #enqueue(step: () => Promise<void>): void {
    this.#chain = this.#chain.then(step).catch((e) => this.fail(e));
  }

  #pause(partitions: number[]): void {
    if (partitions.length === 0) return;
    this.consumer.pause([{ topic: this.input.topic, partitions }]);
  }

  /** Starts task `s` (its partition is paused): fence, seek, resume. */
  async #start(s: number): Promise<void> {
    const task = new RelayTask(s, this.kafka, this.deps, this.input);
    this.#tasks.set(s, task);
    try {
      await task.start(this.admin, this.consumer);
    } catch (e) {
      await task.stop();
      this.#tasks.delete(s);
      if (!(e instanceof FencedError)) throw e;
      this.deps.log.warn("relay task fenced while starting", { stage: this.#stage, task: s });
      this.#fencedAt.set(s, Date.now());
      return;
    }
    if (task.state !== "running") return;
    this.consumer.resume([{ topic: this.input.topic, partitions: [s] }]);
    this.deps.tasks.assigned(this.#stage, s, true);
    const offset = task.next.toString();
    this.deps.log.info("relay task started", { stage: this.#stage, task: s, offset });
  }

  async #stop(s: number): Promise<void> {
    const task = this.#tasks.get(s);
    if (task === undefined) return;
    this.#tasks.delete(s);
    await task.stop();
    this.deps.tasks.assigned(this.#stage, s, false);
    this.deps.log.info("relay task stopped", { stage: this.#stage, task: s });
  }
}
