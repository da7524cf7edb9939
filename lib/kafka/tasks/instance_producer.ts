/**
 * The one producer of an instance (docs/service.md, "One commit"): every task's output, DLQ
 * records, changelog, forwarded records and offsets go through it, in one transaction per commit
 * (exactly-once; Kafka Streams' `exactly_once_v2`), or written and then committed
 * (at-least-once). The delivery mode is decided here, once.
 *
 * Exactly-once fencing is the tasks' group generation (KIP-447, lib/kafka/kafkajs/). The
 * transactional id is `<APPLICATION_ID>-tasks-<lowest task owned>`, and an assignment that
 * brings tasks initialises the id of each of them once: the previous holder of such an id (an
 * instance killed or paused, whose tasks these were) is fenced at once and its open transaction
 * aborted, instead of the new owner waiting up to the transaction timeout for the broker to
 * abort it. Ids are unique in a generation because tasks are.
 * @module
 */
import type { Kafka, Producer } from "kafkajs";
import { Partitioners } from "../kafkajs.ts";
import type { Logger } from "../../observe/log.ts";

/**
 * A transaction open longer than this is aborted by the broker (Kafka Streams' value for
 * `exactly_once_v2`): bounds how long a new owner waits for a dead owner's open transaction
 * whose id nobody took over.
 */
export const TRANSACTION_TIMEOUT_MS = 10_000;

/** The transactional id whose holder commits task `task`'s work when it is its lowest. */
export function tasksTransactionalId(applicationId: string, task: number): string {
  return `${applicationId}-tasks-${task}`;
}

/** The instance's producer, made anew when its transactional id changes. */
export class InstanceProducer {
  #producer?: Producer;
  #id?: string;

  constructor(
    private readonly kafka: Kafka,
    readonly eos: boolean,
    private readonly applicationId: string,
    private readonly log: Logger,
  ) {}

  /** The producer of the last {@link prepare} (none before, or with no task owned). */
  get producer(): Producer | undefined {
    return this.#producer;
  }

  /** Its transactional id (exactly-once). */
  get transactionalId(): string | undefined {
    return this.#id;
  }

  /**
   * The producer for `owned` tasks, with the ids of the tasks `gained` fenced first (their
   * previous holders' transactions end before the committed offsets and the changelog are read).
   */
  async prepare(owned: number[], gained: number[]): Promise<Producer | undefined> {
    if (!this.eos) {
      if (this.#producer === undefined) {
        this.#producer = this.#make(undefined);
        await this.#producer.connect();
      }
      return this.#producer;
    }
    if (owned.length === 0) {
      await this.close();
      return undefined;
    }
    const lowest = Math.min(...owned);
    const id = tasksTransactionalId(this.applicationId, lowest);
    // Fencing a gained task's id only spares the wait for a dead holder's transaction timeout:
    // one that fails (a coordinator still loading) is told and the start goes on.
    const sweep = gained.filter((t) => t !== lowest).map((t) =>
      this.#fence(t).catch((e) =>
        this.log.warn("could not fence a gained task's previous holder", { task: t, error: e })
      )
    );
    try {
      if (id !== this.#id || this.#producer === undefined) {
        await this.close();
        const p = this.#make(id);
        this.#producer = p;
        this.#id = id;
        await p.connect();
        await initProducerId(p);
      }
    } finally {
      await Promise.all(sweep);
    }
    return this.#producer;
  }

  /** Initialises task `task`'s id once: fences its previous holder. */
  async #fence(task: number): Promise<void> {
    const p = this.#make(tasksTransactionalId(this.applicationId, task));
    try {
      await p.connect();
      await initProducerId(p);
    } finally {
      await p.disconnect().catch(() => {});
    }
    this.log.debug("fenced the previous holder of a gained task's id", { task });
  }

  #make(transactionalId: string | undefined): Producer {
    return this.kafka.producer({
      ...(transactionalId ? { transactionalId } : {}),
      idempotent: true,
      maxInFlightRequests: 1,
      // The changelog and repartition topics are made by the service only, the outputs by it
      // or an operator: never by the broker's auto.create.topics.enable.
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 5000 },
      transactionTimeout: TRANSACTION_TIMEOUT_MS,
    });
  }

  async close(): Promise<void> {
    const p = this.#producer;
    this.#producer = undefined;
    this.#id = undefined;
    await p?.disconnect().catch(() => {});
  }
}

/**
 * InitProducerId, which KafkaJS sends lazily at the first transaction: an empty transaction
 * makes it happen now (fences the id's previous holder, ends its open transaction).
 */
async function initProducerId(p: Producer): Promise<void> {
  await (await p.transaction()).abort();
}
