/**
 * The Kafka service (SPEC §6, docs/service.md): an instance's share of the tasks
 * (lib/kafka/tasks/), task *p* reading foot, shelf and repartition partition *p*, one engine per
 * task, everything the instance writes in one Kafka transaction per commit. Any number of
 * instances with one configuration share the tasks through the tasks' consumer group. A failure
 * (the broker gone, a transaction that failed) ends this instance's life and starts a new one
 * from the last commits, with capped back-off; a topology that cannot work is not retried.
 * @module
 */
import type { Admin } from "kafkajs";
import type { Pricer } from "../core/mod.ts";
import type { ServiceConfig } from "../cli/config.ts";
import type { Logger } from "../observe/log.ts";
import { Backoff, sleep } from "../sleep.ts";
import { BrokerContact, READY_CONTACT_MS } from "./broker_contact.ts";
import type { ServiceMetrics } from "./service_metrics.ts";
import { createKafka } from "./client.ts";
import { runTasks } from "./tasks/mod.ts";
import type { RelayDeps } from "./stage.ts";
import { checkTopology, TopologyError } from "./topics.ts";
import { groupsHaveOffsets, StateHistory, stateLossLine } from "./lost_state.ts";
import { refuseDisagreement, type ServiceGroup, sharedSettings } from "./shared_settings.ts";
import { checkoutGroupId } from "./tasks/mod.ts";

/** What the service needs from outside: config, prices, logs, metrics, a stop signal. */
export interface ServiceDeps {
  config: ServiceConfig;
  pricer: Pricer;
  log: Logger;
  metrics: ServiceMetrics;
  /** Aborted on SIGINT/SIGTERM. */
  stop: AbortSignal;
  /** Test hook: called after each successful commit. */
  onCommit?: (info: { transactions: number }) => void;
  /**
   * Fault injection for tests of at-least-once delivery: exit the process (status 137, as a
   * SIGKILL would) after this many output writes, before their offsets are committed.
   */
  exitBeforeOffsetCommitAfter?: number;
}

/** Runs the service until `deps.stop` aborts; retries failures with capped back-off. */
export async function runService(deps: ServiceDeps): Promise<void> {
  const { log, stop, config } = deps;
  const backoff = new Backoff(500, 30_000, 60_000);
  // One for the process: the gap a failed life leaves is what the next life must see.
  const contact = new BrokerContact();
  deps.metrics.brokerAnswers = () => contact.answeredWithin(READY_CONTACT_MS, Date.now());
  const watch = watchContact(deps, contact);
  // What earlier lives had: a broker that lost it all is told (lost_state.ts).
  const history = new StateHistory();
  try {
    while (!stop.aborted) {
      const started = Date.now();
      try {
        await runInstance(deps, contact, history);
        return; // stopped on purpose
      } catch (e) {
        if (history.running) {
          const { metrics } = deps;
          history.held = { carts: metrics.openCarts.get(), sessions: metrics.openSessions.get() };
          history.running = false;
        }
        deps.metrics.ready = false;
        deps.metrics.engineStopped();
        if (e instanceof TopologyError) throw e;
        deps.metrics.restarts.inc();
        const retryInMs = backoff.next(started); // reset when it ran well for a while
        log.error("pipeline failed; restarting from the last commit", {
          error: e,
          brokers: config.broker.join(","),
          retryInMs,
        });
        await sleep(retryInMs, stop);
      }
    }
  } finally {
    clearInterval(watch);
  }
}

/**
 * Tells when readiness goes with broker contact: a warning once the broker has not answered for
 * {@link READY_CONTACT_MS} while the service was consuming, a line when it answers again.
 */
function watchContact(
  deps: ServiceDeps,
  contact: BrokerContact,
): ReturnType<typeof setInterval> {
  const { log, metrics, config } = deps;
  let lost = false;
  return setInterval(() => {
    if (!metrics.consuming) return; // a life starting over: not ready anyway
    const answers = contact.answeredWithin(READY_CONTACT_MS, Date.now());
    if (!answers && !lost) {
      lost = true;
      log.warn(
        `the broker has not answered for ${
          READY_CONTACT_MS / 1000
        } s: /readyz says 503 until it does`,
        { brokers: config.broker.join(",") },
      );
    } else if (answers && lost) {
      lost = false;
      log.info("the broker answers again: ready");
    }
  }, 500);
}

/** One life: check the topics, then run the instance's tasks until stopped or a failure. */
async function runInstance(
  deps: ServiceDeps,
  contact: BrokerContact,
  history: StateHistory,
): Promise<void> {
  const { config, log, metrics, stop } = deps;
  const kafka = createKafka(config, log);
  const admin = kafka.admin();
  try {
    // A broker out of reach keeps KafkaJS retrying for many seconds: a stop meanwhile has
    // nothing in flight to commit, so it ends this life at once.
    if (!await connectUnlessStopped(admin, stop)) return;
    const { taskCount, created } = await checkTopology(admin, config, log, stop);
    if (stop.aborted) return;
    await tellLostState(admin, deps, history, created);
    // Members of another application (or of this one, otherwise set) in the service's groups:
    // refused before joining them (and again at every rebalance, before tasks start).
    await refuseDisagreement(admin, sharedSettings(config), serviceGroups(config));
    const stage: RelayDeps = {
      kafka,
      config,
      log,
      metrics,
      tasks: metrics.tasks,
      stop,
      taskCount,
      contact,
    };
    await runTasks({
      ...stage,
      pricer: () => deps.pricer,
      onReady: (ready) => metrics.ready = ready,
      onCommit: deps.onCommit,
      exitBeforeOffsetCommitAfter: deps.exitBeforeOffsetCommitAfter,
    });
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * Connects `admin`; false when `stop` aborted first (the connect goes on, unheard, and ends with
 * the process). Nothing is left on `stop` after it.
 */
async function connectUnlessStopped(admin: Admin, stop: AbortSignal): Promise<boolean> {
  if (stop.aborted) return false;
  const connected = admin.connect();
  connected.catch(() => {}); // when stop wins, a later failure is nobody's concern
  let onAbort = () => {};
  const aborted = new Promise<void>((resolve) => onAbort = resolve);
  stop.addEventListener("abort", onAbort, { once: true });
  try {
    await Promise.race([connected, aborted]);
  } finally {
    stop.removeEventListener("abort", onAbort);
  }
  return !stop.aborted;
}

/**
 * Internal topics made anew where the process had them before (or a changelog missing while the
 * input groups have offsets): one error line saying what was lost and what to do.
 */
async function tellLostState(
  admin: Admin,
  deps: ServiceDeps,
  history: StateHistory,
  created: string[],
): Promise<void> {
  const { config, log, metrics } = deps;
  if (created.length > 0) {
    const offsetsNow = await groupsHaveOffsets(admin, [
      { groupId: config.groupIdFoot, topic: config.footTopic },
      { groupId: config.groupIdShelf, topic: config.shelfTopic },
    ]);
    const line = stateLossLine(config, {
      created,
      hadTopics: history.hadTopics,
      held: history.held,
      committedBefore: metrics.commits.get() > 0,
      offsetsNow,
    });
    if (line !== undefined) log.error(line, { created, held: history.held });
  }
  history.hadTopics = true;
  history.running = true;
}

/**
 * The service's consumer groups: the inputs' (their committed offsets; every instance a member
 * that reads nothing) and the tasks' (the instances, reading).
 */
function serviceGroups(config: ServiceDeps["config"]): ServiceGroup[] {
  return [
    { groupId: config.groupIdFoot, env: "GROUP_ID_FOOT" },
    { groupId: config.groupIdShelf, env: "GROUP_ID_SHELF" },
    { groupId: checkoutGroupId(config.applicationId) },
  ];
}
