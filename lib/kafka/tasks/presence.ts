/**
 * An instance's presence in the input groups (`GROUP_ID_FOOT`, `GROUP_ID_SHELF`; docs/service.md,
 * "Tasks"). The instances read the inputs as members of the tasks' group, and commit the inputs'
 * offsets to the input groups; so that another application reading the same input groups (each
 * would bill every visit, and their offsets would interleave) is seen, each instance is also a
 * member of both input groups that reads nothing: its group metadata carries the shared
 * settings (lib/kafka/shared_settings.ts), and every join of it is checked like the tasks'
 * group's. Its partitions are paused at every join, so it never fetches.
 * @module
 */
import type { Admin, Consumer, Kafka } from "kafkajs";
import { leaveGroup } from "../group_exit.ts";
import {
  refuseDisagreement,
  roundRobinWithSettings,
  type ServiceGroup,
  type SharedSettings,
} from "../shared_settings.ts";
import { stageConsumerConfig } from "../stage.ts";
import { generationOf } from "./kip447.ts";

/** How long leaving waits. */
const LEAVE_BOUND_MS = 2000;

/** A member of one input group that reads nothing. */
export class Presence {
  readonly #consumer: Consumer;
  #running?: Promise<unknown>;
  readonly #joined = Promise.withResolvers<void>();
  #memberId?: string;

  /**
   * `fail`: told when a member that disagrees is found at a join, or the consumer crashes.
   */
  constructor(
    kafka: Kafka,
    private readonly admin: Admin,
    private readonly group: ServiceGroup,
    private readonly topic: string,
    private readonly settings: SharedSettings,
    private readonly fail: (e: unknown) => void,
  ) {
    this.#joined.promise.catch(() => {});
    this.#consumer = kafka.consumer({
      // A fetch turn as short as the tasks' consumer's: leaving the group waits for it, and a
      // member that did not leave holds the next start's join for its session timeout.
      ...stageConsumerConfig(group.groupId),
      // Its joins after the first hold nothing up: fewer heartbeats.
      heartbeatInterval: 3000,
      partitionAssigners: [roundRobinWithSettings(settings)],
    });
  }

  /** Joins; resolves once the first join was checked. */
  async join(): Promise<void> {
    const c = this.#consumer;
    c.on(c.events.CRASH, (ev) => this.fail(ev.payload.error));
    c.on(c.events.GROUP_JOIN, (ev) => {
      this.#memberId = ev.payload.memberId;
      const assigned = ev.payload.memberAssignment[this.topic] ?? [];
      if (assigned.length > 0) c.pause([{ topic: this.topic, partitions: assigned }]);
      refuseDisagreement(this.admin, this.settings, [this.group]).then(
        () => this.#joined.resolve(),
        (e) => {
          this.#joined.reject(e);
          this.fail(e);
        },
      );
    });
    await c.connect();
    await c.subscribe({ topic: this.topic, fromBeginning: true });
    this.#running = c.run({ autoCommit: false, eachBatch: () => Promise.resolve() });
    this.#running.catch((e) => this.fail(e));
    await this.#joined.promise;
  }

  /**
   * This member as an offset commit outside a transaction must name it (at-least-once: the
   * broker refuses a group-less commit to a group with members).
   */
  member(): { groupId: string; generationId: number; memberId: string } | undefined {
    const memberId = this.#memberId;
    const generationId = memberId === undefined ? undefined : generationOf(memberId);
    if (memberId === undefined || generationId === undefined) return undefined;
    return { groupId: this.group.groupId, generationId, memberId };
  }

  /** Leaves the group (not before its first join is done: group_exit.ts). */
  leave(): Promise<void> {
    return leaveGroup(this.#consumer, this.#running, LEAVE_BOUND_MS);
  }
}
