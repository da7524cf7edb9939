/**
 * The Kafka service (SPEC §6): both input topics feed one engine; every commit interval the
 * outputs, the changed cart state and the input offsets of both consumer groups go into one
 * Kafka transaction. Open carts live in a compacted changelog topic and are restored from it
 * before processing starts. Any failure that could leave memory and Kafka apart (a failed
 * transaction, a consumer crash, a rebalance) tears the pipeline down (lib/kafka/pipeline.ts)
 * and builds it again from Kafka, with capped back-off.
 * @module
 */
import type { Pricer } from "../core/mod.ts";
import type { ServiceConfig } from "../cli/config.ts";
import type { Logger } from "../observe/log.ts";
import { Backoff, sleep } from "../sleep.ts";
import type { ServiceMetrics } from "./service_metrics.ts";
import { FencedError } from "./fencing.ts";
import { runPipeline } from "./pipeline.ts";

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
  while (!stop.aborted) {
    const started = Date.now();
    try {
      await runPipeline(deps);
      return; // stopped on purpose
    } catch (e) {
      deps.metrics.ready = false;
      deps.metrics.engineStopped();
      if (e instanceof FencedError) throw e;
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
}
