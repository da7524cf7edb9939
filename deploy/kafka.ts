/**
 * `deno task kafka [--port 9092] [--data DIR]`: the single-node KRaft broker the tests use
 * (tests/support/kafka.ts), in the foreground on localhost, for trying the service without
 * Docker. Data goes to a temp folder (removed at stop) or to `--data DIR` (kept, reused).
 * @module
 */
import { parseArgs } from "node:util";
import { startBroker } from "../tests/support/kafka.ts";

const USAGE = `Usage: deno task kafka [--port 9092] [--data DIR]

Starts one Apache Kafka broker (KRaft, one node, transactions enabled) on localhost:PORT in the
foreground; the first start fetches its jars with Maven (needs Java 17 and mvn). Ctrl-C stops
it. Without --data its data lives in a temp folder that is removed at stop.`;

/** Runs the broker until SIGINT/SIGTERM; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        port: { type: "string", default: "9092" },
        data: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    console.error(`kafka: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`kafka: --port must be 1..65535; got "${values.port}"`);
    return 2;
  }
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
  } catch (e) {
    if (!(e instanceof Deno.errors.AddrInUse)) throw e;
    console.error(
      `kafka: port ${port} is in use (a broker already running?); stop it or pick another with --port`,
    );
    return 1;
  }
  console.error(`kafka: starting a broker on localhost:${port} …`);
  let broker;
  try {
    broker = await startBroker({}, { port, dir: values.data });
  } catch (e) {
    console.error(`kafka: the broker did not start: ${(e as Error).message}`);
    return 1;
  }
  const where = values.data
    ? `data in ${values.data} (kept)`
    : `data in a temp folder (removed at stop)`;
  console.log(`kafka: ready on localhost:${port}; ${where}; log: ${broker.logFile}`);
  console.log(`kafka: stop it with Ctrl-C (or kill -TERM ${Deno.pid})`);
  const stop = Promise.withResolvers<string>();
  for (const s of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(s, () => stop.resolve(s));
  }
  const why = await Promise.race([stop.promise, broker.exited.then(() => "exit")]);
  if (why === "exit") {
    console.error(`kafka: the broker exited on its own; see ${broker.logFile}`);
    return 1;
  }
  console.error(`kafka: ${why}: stopping the broker`);
  await broker.stop();
  console.error("kafka: stopped");
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
