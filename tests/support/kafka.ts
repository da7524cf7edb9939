/**
 * A real single-node Apache Kafka broker (KRaft) for tests, started from the official jars on
 * Maven Central (kafka/pom.xml) with the machine's Java 17.
 *
 * `startBroker()` gives a fresh broker on free ports in a temp dir; `testBroker()` gives the
 * broker shared by the whole test run (`KAFKA_TEST_BROKER=host:port`, which
 * tests/support/run_tests.ts sets) or, when a test file runs alone, one started for it.
 * @module
 */
import { Kafka, logLevel } from "kafkajs";
import { dropKafkaTimerWarning } from "./node_warnings.ts";

dropKafkaTimerWarning();

const KAFKA_DIR = new URL("../../kafka/", import.meta.url).pathname;
const LIBS_DIR = `${KAFKA_DIR}libs`;

/** A broker the test can talk to. */
export interface Broker {
  /** `host:port` of the PLAINTEXT listener. */
  readonly bootstrap: string;
  /** Where the broker's own log goes (kept for failed tests). */
  readonly logFile: string;
  /** SIGTERM, then SIGKILL after a bound; removes the data dir unless `keepData`. */
  stop(opts?: { keepData?: boolean }): Promise<void>;
  /** Stops and starts the same broker (same ports, same data) for fault tests. */
  restart(): Promise<void>;
  /** Kills the JVM at once (SIGKILL), keeping data; `start()` brings it back. */
  kill(): Promise<void>;
  /** Starts a stopped or killed broker again on the same ports and data. */
  start(): Promise<void>;
  /** The JVM's process id while it runs. */
  readonly pid: number | undefined;
  /** With TLS: the CA certificate (PEM) that signed the broker's certificate. */
  readonly caFile?: string;
  /** Settles when the running JVM exits (for a foreground broker). */
  readonly exited: Promise<unknown>;
}

/** Where and how a broker runs; by default free ports, a temp dir, PLAINTEXT. */
export interface BrokerOptions {
  sasl?: BrokerSasl;
  tls?: boolean;
  /** The client listener's port (default: a free one). */
  port?: number;
  /** Data folder, kept on stop and reused on the next start (default: a temp dir, removed). */
  dir?: string;
}

/** Copies the broker jars into kafka/libs with Maven when they are not there yet. */
export async function ensureKafkaJars(): Promise<void> {
  try {
    if ([...Deno.readDirSync(LIBS_DIR)].some((e) => e.name.startsWith("kafka_2.13-"))) return;
  } catch { /* not fetched yet */ }
  const out = await new Deno.Command("mvn", {
    args: ["-q", "-B", "-f", `${KAFKA_DIR}pom.xml`, "dependency:copy-dependencies"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `mvn could not fetch the Kafka jars:\n${new TextDecoder().decode(out.stdout)}${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
}

/** A TCP port nobody listens on right now. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

function java(args: string[]): Deno.ChildProcess {
  return new Deno.Command("java", {
    args: [
      "-Xms256m",
      "-Xmx768m",
      "-XX:+UseG1GC",
      `-Dlog4j2.configurationFile=${KAFKA_DIR}log4j2.yaml`,
      "-cp",
      `${LIBS_DIR}/*`,
      ...args,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function runJava(args: string[]): Promise<string> {
  const out = await java(args).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`java ${args.join(" ")} failed:\n${text}`);
  return text;
}

/** Extra broker properties a test may set (e.g. `auto.create.topics.enable`). */
export type BrokerProps = Record<string, string | number | boolean>;

/** SASL on the client listener: one user, known to PLAIN and to SCRAM-SHA-256/512. */
export interface BrokerSasl {
  username: string;
  password: string;
}

/** Starts a fresh single-node KRaft broker and waits until it answers a metadata request. */
export async function startBroker(
  extra: BrokerProps = {},
  opts: BrokerOptions = {},
): Promise<Broker> {
  await ensureKafkaJars();
  const keepDir = opts.dir !== undefined;
  const dir = opts.dir ?? await Deno.makeTempDir({ prefix: "pos-kafka-" });
  if (keepDir) await Deno.mkdir(dir, { recursive: true });
  const port = opts.port ?? freePort();
  const controllerPort = freePort();
  const sasl = opts.sasl;
  const proto = `${sasl ? "SASL_" : ""}${opts.tls ? "SSL" : "PLAINTEXT"}`;
  const listener = proto.toLowerCase();
  const tlsProps: BrokerProps = opts.tls ? await makeTlsMaterial(dir) : {};
  const caFile = opts.tls ? `${dir}/ca.pem` : undefined;
  const saslProps: BrokerProps = sasl
    ? {
      "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
      "sasl.mechanism.inter.broker.protocol": "PLAIN",
      [`listener.name.${listener}.plain.sasl.jaas.config`]:
        `org.apache.kafka.common.security.plain.PlainLoginModule required username="${sasl.username}" password="${sasl.password}" user_${sasl.username}="${sasl.password}";`,
      [`listener.name.${listener}.scram-sha-256.sasl.jaas.config`]:
        "org.apache.kafka.common.security.scram.ScramLoginModule required;",
      [`listener.name.${listener}.scram-sha-512.sasl.jaas.config`]:
        "org.apache.kafka.common.security.scram.ScramLoginModule required;",
    }
    : {};
  const props: BrokerProps = {
    "process.roles": "broker,controller",
    "node.id": 1,
    "controller.quorum.voters": `1@127.0.0.1:${controllerPort}`,
    "listeners": `${proto}://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    "advertised.listeners": `${proto}://127.0.0.1:${port}`,
    "controller.listener.names": "CONTROLLER",
    "listener.security.protocol.map": `${proto}:${proto},CONTROLLER:PLAINTEXT`,
    "inter.broker.listener.name": proto,
    ...saslProps,
    ...tlsProps,
    "log.dirs": `${dir}/data`,
    // One node: every internal topic has one replica, or transactions and groups hang.
    "offsets.topic.replication.factor": 1,
    "offsets.topic.num.partitions": 5,
    "transaction.state.log.replication.factor": 1,
    "transaction.state.log.min.isr": 1,
    "transaction.state.log.num.partitions": 5,
    "share.coordinator.state.topic.replication.factor": 1,
    "share.coordinator.state.topic.min.isr": 1,
    "group.initial.rebalance.delay.ms": 0,
    "num.partitions": 1,
    "auto.create.topics.enable": true,
    "log.flush.interval.messages": 1_000_000,
    // Compaction visible within a test run (the state changelog is compacted).
    "log.cleaner.backoff.ms": 1000,
    ...extra,
  };
  const propsFile = `${dir}/server.properties`;
  await Deno.writeTextFile(
    propsFile,
    Object.entries(props).map(([k, v]) => `${k}=${v}`).join("\n") + "\n",
  );
  const formatted = await Deno.stat(`${dir}/data/meta.properties`).then(() => true, () => false);
  const clusterId = (await runJava(["kafka.tools.StorageTool", "random-uuid"])).trim().split(
    /\s+/,
  ).pop()!;
  // SCRAM credentials live in the cluster metadata, written when the storage is formatted.
  const scram = sasl
    ? ["SCRAM-SHA-256", "SCRAM-SHA-512"].flatMap((m) => [
      "--add-scram",
      `${m}=[name=${sasl.username},password=${sasl.password}]`,
    ])
    : [];
  // A kept data folder is formatted once; its cluster id stays.
  if (!formatted) {
    await runJava([
      "kafka.tools.StorageTool",
      "format",
      "-t",
      clusterId,
      "-c",
      propsFile,
      ...scram,
    ]);
  }

  const logFile = `${dir}/broker.log`;
  const bootstrap = `127.0.0.1:${port}`;
  let child: Deno.ChildProcess | undefined;
  let logDone: Promise<void> = Promise.resolve();
  let exited: Promise<unknown> = Promise.resolve();

  const start = async () => {
    const log = await Deno.open(logFile, { create: true, append: true, write: true });
    child = java(["kafka.Kafka", propsFile]);
    exited = child.status;
    // Both streams into one file; the pipes must be drained or the JVM blocks.
    const pump = async (s: ReadableStream<Uint8Array>) => {
      for await (const chunk of s) await log.write(chunk);
    };
    logDone = Promise.all([pump(child.stdout), pump(child.stderr)]).then(() => log.close());
    await waitReady(bootstrap, child, logFile, 60_000, sasl, caFile);
  };

  const halt = async (signal: Deno.Signal, boundMs: number) => {
    const c = child;
    if (!c) return;
    child = undefined;
    try {
      c.kill(signal);
    } catch { /* already gone */ }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const exited = await Promise.race([
      c.status.then(() => true),
      new Promise<boolean>((r) => timer = setTimeout(() => r(false), boundMs)),
    ]);
    clearTimeout(timer);
    if (!exited) {
      try {
        c.kill("SIGKILL");
      } catch { /* gone */ }
      await c.status;
    }
    await logDone;
  };

  await start();
  return {
    bootstrap,
    logFile,
    async stop(opts = {}) {
      await halt("SIGTERM", 15_000);
      if (!opts.keepData && !keepDir) await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
    async restart() {
      await halt("SIGTERM", 15_000);
      await start();
    },
    async kill() {
      await halt("SIGKILL", 5_000);
    },
    start,
    get pid() {
      return child?.pid;
    },
    caFile,
    get exited() {
      return exited;
    },
  };
}

/**
 * A test CA and a broker certificate for 127.0.0.1 signed by it (openssl), as a PKCS12 keystore;
 * the broker trusts the CA for its own connections. Returns the broker's TLS properties.
 */
async function makeTlsMaterial(dir: string): Promise<BrokerProps> {
  const sh = async (cmd: string) => {
    const out = await new Deno.Command("bash", { args: ["-c", cmd], cwd: dir, stderr: "piped" })
      .output();
    if (!out.success) throw new Error(`${cmd}: ${new TextDecoder().decode(out.stderr)}`);
  };
  await sh(
    `openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=pos-test-ca"`,
  );
  await sh(
    `openssl req -newkey rsa:2048 -nodes -keyout broker.key -out broker.csr -subj "/CN=127.0.0.1"`,
  );
  await sh(
    `openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out broker.pem -days 2 -extfile <(printf "subjectAltName=IP:127.0.0.1")`,
  );
  await sh(
    `openssl pkcs12 -export -in broker.pem -inkey broker.key -out broker.p12 -passout pass:changeit -name broker`,
  );
  return {
    "ssl.keystore.type": "PKCS12",
    "ssl.keystore.location": `${dir}/broker.p12`,
    "ssl.keystore.password": "changeit",
    "ssl.key.password": "changeit",
    "ssl.truststore.type": "PEM",
    "ssl.truststore.location": `${dir}/ca.pem`,
  };
}

/** Resolves when a KafkaJS admin can fetch cluster metadata from `bootstrap`. */
export async function waitReady(
  bootstrap: string,
  child?: Deno.ChildProcess,
  logFile?: string,
  timeoutMs = 60_000,
  sasl?: BrokerSasl,
  caFile?: string,
): Promise<void> {
  let exited = false;
  child?.status.then(() => exited = true);
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline && !exited) {
    const admin = new Kafka({
      brokers: [bootstrap],
      clientId: "broker-ready",
      logLevel: logLevel.NOTHING,
      ...(sasl ? { sasl: { mechanism: "plain" as const, ...sasl } } : {}),
      ...(caFile ? { ssl: { ca: [Deno.readTextFileSync(caFile)] } } : {}),
      retry: { retries: 0 },
      connectionTimeout: 1000,
    }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      await admin.disconnect();
      if (cluster.brokers.length > 0) return;
    } catch (e) {
      lastError = e;
      await admin.disconnect().catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  let tail = "";
  if (logFile) {
    tail = (await Deno.readTextFile(logFile).catch(() => "")).split("\n").slice(-40).join("\n");
  }
  throw new Error(
    `Kafka broker at ${bootstrap} not ready (${exited ? "JVM exited" : "timeout"}; ${lastError})` +
      `\nbroker log ${logFile}:\n${tail}`,
  );
}

let shared: Promise<{ bootstrap: string }> | undefined;

/**
 * The broker shared by this test run: `KAFKA_TEST_BROKER` when set, else one started on first
 * use and stopped when the test process exits. Tests on it must use their own topic and group
 * names (see `uniqueName`).
 */
export function testBroker(): Promise<{ bootstrap: string }> {
  const env = Deno.env.get("KAFKA_TEST_BROKER");
  if (env) return Promise.resolve({ bootstrap: env });
  shared ??= startBroker().then((b) => {
    globalThis.addEventListener("unload", () => {
      // Sync, so no JVM outlives the test process.
      if (b.pid) Deno.kill(b.pid, "SIGKILL");
    });
    return b;
  });
  return shared;
}

/** A name no other test in this run uses (topics, groups, transactional ids). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * The service's variables for topics, groups and transactional id, all named after `prefix`
 * uniquely, so a service run with its default names meets no other test on the shared broker.
 */
export function uniqueServiceNames(prefix: string): Record<string, string> {
  const id = uniqueName(prefix);
  return {
    FOOT_TOPIC: `${id}-foot`,
    SHELF_TOPIC: `${id}-shelf`,
    POS_TOPIC: `${id}-pos`,
    DLQ_TOPIC: `${id}-dlq`,
    STATE_TOPIC: `${id}-state`,
    GROUP_ID_FOOT: `${id}-gf`,
    GROUP_ID_SHELF: `${id}-gs`,
    TRANSACTIONAL_ID: id,
  };
}
