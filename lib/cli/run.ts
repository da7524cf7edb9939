/**
 * `pos-producer [run]`: the Kafka service. Parses the configuration, loads the price book
 * (watched for changes), serves metrics and runs the pipeline until SIGINT/SIGTERM.
 * @module
 */
import { parseServiceConfig, redacted, SERVICE_OPTIONS, type ServiceConfig } from "./config.ts";
import { optionsHelp, UsageError } from "./options.ts";
import { jsonLogger, type Logger } from "../observe/log.ts";
import { serveMetrics } from "../observe/metrics.ts";
import { CatalogWatcher } from "../catalog/watcher.ts";
import { CatalogError } from "../core/price_book.ts";
import { catalogErrorLine } from "../catalog/hint.ts";
import { ServiceMetrics } from "../kafka/service_metrics.ts";
import { FencedError, runService } from "../kafka/service.ts";

const HELP = `pos-producer [run] [options]

Consumes foot-traffic sessions and shelf events, keeps every shopper's cart, and writes one
priced transaction per checkout. A flag beats its environment variable.

Options (flag, variable, [default], meaning):
${optionsHelp(SERVICE_OPTIONS)}
  --help                                  this text

Exit codes: 0 stopped by SIGINT/SIGTERM, 1 runtime failure, 2 bad usage or bad data.`;

/** How long a stop may take before the process exits anyway (SPEC §6: within 10 s). */
const STOP_BOUND_MS = 9_000;

/** Entry point of `run`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  let config: ServiceConfig;
  try {
    const parsed = parseServiceConfig(args);
    if (parsed.help) {
      console.log(HELP);
      return 0;
    }
    config = parsed.config;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`pos-producer: ${e.message}\n(see pos-producer run --help)`);
      return 2;
    }
    throw e;
  }
  const log = jsonLogger(config.logLevel);
  log.info("starting pos-producer", { config: redacted(config) });
  if (config.clock !== undefined) {
    log.warn(
      "CLOCK / --clock is no longer used and is ignored: stream time is event time, and idle " +
        "inputs pass the wall clock (see IDLE_SEC)",
      { clock: config.clock },
    );
  }

  let catalog: CatalogWatcher;
  const metrics = new ServiceMetrics();
  try {
    catalog = await CatalogWatcher.start({
      storePath: config.storeParquet,
      discountPath: config.discountParquet,
      unknownItem: config.unknownItemPrice,
      log: (level, msg, fields) => log[level](msg, fields),
      onReload: () => metrics.observeCatalog(catalog.reloads, catalog.failures),
    });
  } catch (e) {
    if (e instanceof CatalogError) {
      log.error("cannot load the price book", { error: e.message, file: e.file });
      console.error(
        `pos-producer: ${
          catalogErrorLine(e, { store: config.storeParquet, discounts: config.discountParquet })
        }`,
      );
      return 2;
    }
    throw e;
  }
  logCatalog(log, catalog);

  const stop = new AbortController();
  const onSignal = (sig: string) => () => {
    if (stop.signal.aborted) return;
    log.info(`received ${sig}: stopping`);
    stop.abort();
    // A stop that hangs (broker gone) must still end the process in time.
    setTimeout(() => {
      log.error("stop took too long; exiting without a final commit");
      Deno.exit(1);
    }, STOP_BOUND_MS);
  };
  Deno.addSignalListener("SIGINT", onSignal("SIGINT"));
  Deno.addSignalListener("SIGTERM", onSignal("SIGTERM"));

  let server;
  try {
    server = config.metricsPort > 0
      ? serveMetrics(config.metricsPort, metrics.registry, {
        alive: () => true,
        ready: () => metrics.ready,
      }, stop.signal)
      : undefined;
  } catch (e) {
    if (!(e instanceof Deno.errors.AddrInUse)) throw e;
    catalog.close();
    log.error("metrics port in use", { port: config.metricsPort });
    console.error(
      `pos-producer: metrics port ${config.metricsPort} is in use (another pos-producer?); ` +
        `set --metrics-port / METRICS_PORT to a free port, or 0 to turn metrics off`,
    );
    return 1;
  }

  try {
    const poll = setInterval(() => metrics.observeCatalog(catalog.reloads, catalog.failures), 5000);
    try {
      await runService({
        config,
        pricer: catalog,
        log,
        metrics,
        stop: stop.signal,
        exitBeforeOffsetCommitAfter: testFault("POS_TEST_EXIT_BEFORE_OFFSET_COMMIT"),
      });
    } finally {
      clearInterval(poll);
    }
    return 0;
  } catch (e) {
    if (e instanceof FencedError) {
      log.error("fenced: another instance took over; exiting", { error: e.message });
      return 1;
    }
    log.error("fatal", { error: e });
    return 1;
  } finally {
    catalog.close();
    stop.abort();
    await server?.finished;
  }
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
