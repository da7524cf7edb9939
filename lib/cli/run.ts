/**
 * `pos-producer [run]`: the Kafka service. Parses the configuration, loads the price book
 * (watched for changes), serves metrics and runs the pipeline until SIGINT/SIGTERM.
 * @module
 */
import { parseServiceConfig, redacted, SERVICE_OPTIONS, type ServiceConfig } from "./config.ts";
import { nearMissVariables, optionsHelp, UsageError } from "./options.ts";
import { jsonLogger, limitRepeats, logFormat, type Logger, textLogger } from "../observe/log.ts";
import { OperatorLines, operatorView } from "../kafka/operator_lines.ts";
import { serveMetrics } from "../observe/metrics.ts";
import { CatalogWatcher } from "../catalog/watcher.ts";
import { fullGcFunction } from "../catalog/full_gc.ts";
import { HEAP_CHECK_MS, HeapTarget } from "../observe/heap_target.ts";
import { IDLE_CHECK_MS, IdleCollector } from "../observe/idle_collector.ts";
import { CatalogError } from "../core/mod.ts";
import { catalogErrorLine } from "../catalog/hint.ts";
import { ServiceMetrics } from "../kafka/service_metrics.ts";
import { runService, type ServiceDeps } from "../kafka/service.ts";
import { TopologyError } from "../kafka/topics.ts";
import { MixedSettingsError } from "../kafka/shared_settings.ts";
import { CommandExit } from "./command_exit.ts";

const HELP = `pos-producer [run] [options]

Consumes foot-traffic sessions and shelf events, keeps every shopper's cart, and writes one
priced transaction per checkout. A flag beats its environment variable.

Options (flag, variable, [default], meaning):
${optionsHelp(SERVICE_OPTIONS)}
  -h, --help
      this text

Exit codes: 0 stopped by SIGINT/SIGTERM, 1 runtime failure, 2 bad usage or bad data.`;

/** How long a stop may take before the process exits anyway (SPEC §6: within 10 s). */
const STOP_BOUND_MS = 9_000;

/** The configuration; null for --help. Bad usage is exit 2. */
function runConfig(args: string[]): ServiceConfig | null {
  try {
    const parsed = parseServiceConfig(args);
    if (parsed.help) return null;
    return parsed.config;
  } catch (e) {
    if (e instanceof UsageError) {
      throw new CommandExit(2, `${e.message}\n(see pos-producer run --help)`);
    }
    throw e;
  }
}

/** The price book, watched for changes; a bad file is exit 2 with a hint. */
async function startCatalog(
  config: ServiceConfig,
  log: Logger,
  metrics: ServiceMetrics,
): Promise<CatalogWatcher> {
  try {
    const catalog: CatalogWatcher = await CatalogWatcher.start({
      storePath: config.storeParquet,
      discountPath: config.discountParquet,
      unknownItem: config.unknownItemPrice,
      log: (level, msg, fields) => log[level](msg, fields),
      onReload: () => metrics.observeCatalog(catalog.reloads, catalog.failures),
    });
    return catalog;
  } catch (e) {
    if (!(e instanceof CatalogError)) throw e;
    log.error("cannot load the price book", { error: e.message, file: e.file });
    const paths = { store: config.storeParquet, discounts: config.discountParquet };
    throw new CommandExit(2, catalogErrorLine(e, paths));
  }
}

/** SIGINT/SIGTERM abort `stop`; a stop that hangs (broker gone) still ends the process. */
function stopOnSignals(log: Logger, stop: AbortController): void {
  const onSignal = (sig: string) => () => {
    if (stop.signal.aborted) return;
    log.info(`received ${sig}: stopping`);
    stop.abort();
    setTimeout(() => {
      log.error("stop took too long; exiting without a final commit");
      Deno.exit(1);
    }, STOP_BOUND_MS);
  };
  Deno.addSignalListener("SIGINT", onSignal("SIGINT"));
  Deno.addSignalListener("SIGTERM", onSignal("SIGTERM"));
}

/** The metrics server (none for port 0); a port in use is exit 1. */
function startMetrics(
  config: ServiceConfig,
  log: Logger,
  metrics: ServiceMetrics,
  stop: AbortSignal,
): ReturnType<typeof serveMetrics> | undefined {
  if (config.metricsPort <= 0) return undefined;
  try {
    return serveMetrics(config.metricsPort, metrics.registry, {
      alive: () => true,
      ready: () => metrics.ready,
    }, stop);
  } catch (e) {
    if (!(e instanceof Deno.errors.AddrInUse)) throw e;
    log.error("metrics port in use", { port: config.metricsPort });
    throw new CommandExit(
      1,
      `metrics port ${config.metricsPort} is in use (another pos-producer?); ` +
        `set --metrics-port / METRICS_PORT to a free port, or 0 to turn metrics off`,
    );
  }
}

/** Runs the service until stopped; 0 when stopped on purpose, 1 on a fatal failure. */
async function serve(deps: ServiceDeps, catalog: CatalogWatcher): Promise<number> {
  const { log, metrics } = deps;
  const poll = setInterval(() => metrics.observeCatalog(catalog.reloads, catalog.failures), 5000);
  try {
    await runService(deps);
    return 0;
  } catch (e) {
    if (e instanceof TopologyError) return topologyExit(log, e);
    log.error("fatal", { error: e });
    return 1;
  } finally {
    clearInterval(poll);
  }
}

/** Entry point of `run`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  let config: ServiceConfig | null;
  try {
    config = runConfig(args);
  } catch (e) {
    if (!(e instanceof CommandExit)) throw e;
    console.error(`pos-producer: ${e.message}`);
    return e.code;
  }
  if (config === null) {
    console.log(HELP);
    return 0;
  }
  // JSON for machines, text for people (LOG_FORMAT); warnings and errors that repeat (an
  // outage's) once a minute, with the count.
  const format = logFormat(config.logFormat);
  const log = limitRepeats(
    format === "text" ? textLogger(config.logLevel) : jsonLogger(config.logLevel),
  );
  log.info("starting pos-producer", { config: redacted(config) });
  warnNearMissVariables(log);
  if (config.clock !== undefined) {
    log.warn(
      "CLOCK / --clock is no longer used and is ignored: stream time is event time, and idle " +
        "inputs pass the wall clock (see IDLE_SEC)",
      { clock: config.clock },
    );
  }
  return await runWith(config, log);
}

/**
 * A variable one edit away from one of ours (`KAFKA_BROKERS`, `FOOT_TOPICS`) is most likely a
 * typo that would leave the default in place: one warning each, at start. Only such names are
 * looked at. Without the permission to list the environment (the compiled binary may read only
 * its own variables) there is nothing to compare, and nothing is said.
 */
function warnNearMissVariables(log: Logger): void {
  let present: string[];
  try {
    // Asked first: without the permission, a terminal would prompt for it.
    if (Deno.permissions.querySync({ name: "env" }).state !== "granted") return;
    present = Object.keys(Deno.env.toObject());
  } catch {
    return;
  }
  const known = Object.values(SERVICE_OPTIONS).map((o) => o.env);
  for (const { variable, meant, line } of nearMissVariables(present, known)) {
    log.warn(line, { variable, meant });
  }
}

/** Loads the catalog, serves metrics and runs the service, closing all of it at the end. */
async function runWith(config: ServiceConfig, log: Logger): Promise<number> {
  const metrics = new ServiceMetrics();
  let catalog: CatalogWatcher | undefined;
  let server: ReturnType<typeof serveMetrics> | undefined;
  const stop = new AbortController();
  try {
    catalog = await startCatalog(config, log, metrics);
    logCatalog(log, catalog);
    stopOnSignals(log, stop);
    keepHeapTarget(config, metrics, stop.signal);
    collectWhenIdle(config, metrics, stop.signal);
    tellOperator(config, metrics, log, stop.signal);
    server = startMetrics(config, log, metrics, stop.signal);
    return await serve({
      config,
      pricer: catalog,
      log,
      metrics,
      stop: stop.signal,
      exitBeforeOffsetCommitAfter: testFault("POS_TEST_EXIT_BEFORE_OFFSET_COMMIT"),
    }, catalog);
  } catch (e) {
    if (!(e instanceof CommandExit)) throw e;
    console.error(`pos-producer: ${e.message}`);
    return e.code;
  } finally {
    catalog?.close();
    stop.abort();
    await server?.finished;
  }
}

/** HEAP_TARGET_MIB: a full collection whenever the heap grew past it (off at 0). */
function keepHeapTarget(config: ServiceConfig, metrics: ServiceMetrics, stop: AbortSignal): void {
  if (config.heapTargetMib <= 0) return;
  const target = new HeapTarget(config.heapTargetMib * 2 ** 20, {
    heap: () => Deno.memoryUsage(),
    collect: fullGcFunction(),
    collected: () => metrics.heapTargetCollections.inc(),
  });
  lookEvery(HEAP_CHECK_MS, stop, (nowMs) => target.look(nowMs));
}

/**
 * While no input arrives, memory goes back (lib/observe/idle_collector.ts). Input is the bytes
 * the instance reads from the input topics and the records its tasks apply (an instance may
 * hold tasks and no input partition: what it applies is forwarded to it); the control records
 * the readers of an idle store's partitions keep sending are not input.
 */
function collectWhenIdle(config: ServiceConfig, metrics: ServiceMetrics, stop: AbortSignal): void {
  const inputs = [{ topic: config.footTopic }, { topic: config.shelfTopic }];
  const collector = new IdleCollector({
    activity: () =>
      metrics.consumedBytes.get(inputs[0]) + metrics.consumedBytes.get(inputs[1]) +
      metrics.recordsApplied.get(),
    heapTotal: () => Deno.memoryUsage().heapTotal,
    collect: fullGcFunction(),
    collected: () => metrics.idleCollections.inc(),
  }, Date.now());
  lookEvery(IDLE_CHECK_MS, stop, (nowMs) => collector.look(nowMs));
}

/**
 * The lines for people (lib/kafka/operator_lines.ts): ready (what, from where, how far behind),
 * progress every ~10 s while behind, caught up.
 */
function tellOperator(
  config: ServiceConfig,
  metrics: ServiceMetrics,
  log: Logger,
  stop: AbortSignal,
): void {
  // Tests of a short backlog see progress lines sooner (the binary is not given the variable).
  const lines = new OperatorLines(config, testFault("POS_TEST_PROGRESS_MS"));
  lookEvery(1000, stop, (nowMs) => {
    for (const l of lines.look(operatorView(metrics, nowMs))) log[l.level](l.msg, l.fields);
  });
}

/** Calls `look` with the wall clock every `ms` until `stop` aborts. */
function lookEvery(ms: number, stop: AbortSignal, look: (nowMs: number) => void): void {
  const timer = setInterval(() => look(Date.now()), ms);
  stop.addEventListener("abort", () => clearInterval(timer), { once: true });
}

/**
 * A topology that does not fit, or instances that disagree on what they share: exit 2 with the
 * check's one line (a restart cannot help).
 */
function topologyExit(log: Logger, e: TopologyError): number {
  const what = e instanceof MixedSettingsError
    ? "instances of the service disagree: refused"
    : "the topics do not fit the topology";
  log.error(what, { error: e.message });
  console.error(`pos-producer: ${e.message}`);
  return 2;
}

function logCatalog(log: Logger, catalog: CatalogWatcher): void {
  const r = catalog.book.report;
  log.info("price book loaded", { report: r });
}

/** A fault-injection count for tests, from a variable the compiled binary is not given. */
function testFault(name: string): number | undefined {
  try {
    const v = Deno.env.get(name);
    return v ? Number(v) : undefined;
  } catch {
    return undefined; // no permission to read it: not a test
  }
}
