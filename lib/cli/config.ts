/**
 * The service's configuration (SPEC §7): every variable of the original Python service with its
 * name and default, the new ones, and a kebab-case flag for each.
 * @module
 */
import { type OptionValues, parseOptions, parsers, UsageError } from "./options.ts";
import type { UnknownItemPolicy } from "../core/mod.ts";

const { string, nonEmpty, bool, number, oneOf } = parsers;

/** `UNKNOWN_ITEM_PRICE`: a price, or `skip`. */
export function parseUnknownItemPrice(raw: string): UnknownItemPolicy {
  if (raw.trim().toLowerCase() === "skip") return { kind: "skip" };
  try {
    return { kind: "price", price: number(0, 1e9)(raw) };
  } catch {
    throw new Error(`expected a price (a number, 0 or more) or skip; got "${raw}"`);
  }
}

function brokerList(raw: string): string[] {
  const list = raw.split(",").map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new Error("expected host:port[,host:port…]");
  for (const b of list) {
    if (!/^[^\s:]+:\d{1,5}$/.test(b) && !/^\[[0-9a-f:]+\]:\d{1,5}$/i.test(b)) {
      throw new Error(`"${b}" is not host:port`);
    }
  }
  return list;
}

/** Every option of `pos-producer run`, in `--help` order. */
export const SERVICE_OPTIONS = {
  broker: {
    flag: "broker",
    env: "KAFKA_BROKER",
    default: "kafka:9092",
    help: "Kafka bootstrap servers, comma-separated",
    parse: brokerList,
  },
  footTopic: {
    flag: "foot-topic",
    env: "FOOT_TOPIC",
    default: "foot_traffic",
    help: "input topic of foot-traffic sessions",
    parse: nonEmpty,
  },
  shelfTopic: {
    flag: "shelf-topic",
    env: "SHELF_TOPIC",
    default: "shelf_events",
    help: "input topic of shelf pickup/putback events",
    parse: nonEmpty,
  },
  posTopic: {
    flag: "pos-topic",
    env: "POS_TOPIC",
    default: "pos_transactions",
    help: "output topic of priced transactions",
    parse: nonEmpty,
  },
  dlqTopic: {
    flag: "dlq-topic",
    env: "DLQ_TOPIC",
    default: "pos_dlq",
    help: "dead-letter topic for invalid and late records (empty: off)",
    parse: string,
  },
  stateTopic: {
    flag: "state-topic",
    env: "STATE_TOPIC",
    default: "pos_producer_state",
    help: "compacted changelog of open carts and sessions",
    parse: nonEmpty,
  },
  groupIdShelf: {
    flag: "group-id-shelf",
    env: "GROUP_ID_SHELF",
    default: "pos-simulator-shelf",
    help: "consumer group holding the shelf topic's committed offsets (its lag is the shelf " +
      "input's); every instance is a member that reads nothing, so another application on it " +
      "is refused",
    parse: nonEmpty,
  },
  groupIdFoot: {
    flag: "group-id-foot",
    env: "GROUP_ID_FOOT",
    default: "pos-simulator-foot",
    help: "consumer group holding the foot-traffic topic's committed offsets (its lag is the " +
      "foot input's); every instance is a member that reads nothing, so another application " +
      "on it is refused",
    parse: nonEmpty,
  },
  storeParquet: {
    flag: "store-parquet",
    aliases: ["store"],
    env: "STORE_PARQUET",
    default: "/data/store_inventory_final.parquet",
    help: "inventory parquet (shelf_id, item_price, …)",
    parse: nonEmpty,
  },
  discountParquet: {
    flag: "discount-parquet-path",
    aliases: ["discounts"],
    env: "DISCOUNT_PARQUET_PATH",
    default: "/data/all_discounts.parquet",
    help: "weekly discounts parquet (missing file: no discounts)",
    parse: nonEmpty,
  },
  forceCheckoutIfEmpty: {
    flag: "force-checkout-if-empty",
    env: "FORCE_CHECKOUT_IF_EMPTY",
    default: "0",
    help: "emit a transaction for an empty cart too",
    boolean: true,
    parse: bool,
  },
  maxSessionAgeSec: {
    flag: "max-session-age-sec",
    env: "MAX_SESSION_AGE_SEC",
    default: "10800",
    help: "longest session; carts without a session close this long after their first event",
    parse: number(1, 365 * 86400, true),
  },
  checkoutGraceSec: {
    flag: "checkout-grace-sec",
    env: "CHECKOUT_GRACE_SEC",
    default: "2",
    help: "wait this long after exit_time for late shelf events",
    parse: number(0, 86400),
  },
  idleSec: {
    flag: "idle-sec",
    env: "IDLE_SEC",
    default: "5",
    help: "an input with nothing produced for this long is idle: when all are, the last carts " +
      "are checked out (records produced this close to their event times count as real time)",
    parse: number(0.1, 3600),
  },
  clock: {
    flag: "clock",
    env: "CLOCK",
    help: "deprecated and ignored: stream time is event time, with idle inputs passing the " +
      "wall clock (wall or event still accepted)",
    parse: oneOf("wall", "event"),
  },
  unknownItemPrice: {
    flag: "unknown-item-price",
    env: "UNKNOWN_ITEM_PRICE",
    default: "5.0",
    help: "unit price of items not in the inventory, or skip (line to the DLQ)",
    parse: parseUnknownItemPrice,
  },
  delivery: {
    flag: "delivery",
    env: "DELIVERY",
    default: "exactly-once",
    help: "exactly-once (Kafka transactions) or at-least-once",
    parse: oneOf("exactly-once", "at-least-once"),
  },
  commitIntervalMs: {
    flag: "commit-interval-ms",
    env: "COMMIT_INTERVAL_MS",
    default: "50",
    help: "how often outputs, state and offsets are committed, in one transaction per instance " +
      "(a record forwarded to a task on another instance passes two commits)",
    parse: number(10, 60_000, true),
  },
  heapTargetMib: {
    flag: "heap-target-mib",
    env: "HEAP_TARGET_MIB",
    default: "0",
    help: "soft cap on the JavaScript heap, in MiB: a full garbage collection whenever the heap " +
      "grows past it, trading CPU for memory on a small edge server (0: off, V8 decides; " +
      "never a crash when the live data outgrows it)",
    parse: number(0, 1_000_000, true),
  },
  applicationId: {
    flag: "application-id",
    env: "APPLICATION_ID",
    default: "pos-producer",
    help: "shared by every instance: prefix of each one's transactional id (<id>-tasks-<p>, " +
      "p the lowest task it owns), of the tasks' consumer group (<id>-checkout) and of the " +
      "default repartition topic (unset: TRANSACTIONAL_ID if set)",
    parse: nonEmpty,
  },
  repartitionTopic: {
    flag: "repartition-topic",
    env: "REPARTITION_TOPIC",
    default: "",
    help: "internal topic of foot and shelf records forwarded to their customer's task on " +
      "another instance, keyed by customer, as many partitions as the foot topic " +
      "(empty: <APPLICATION_ID>-by-customer)",
    parse: string,
  },
  transactionalId: {
    flag: "transactional-id",
    env: "TRANSACTIONAL_ID",
    help: "deprecated: the application id when APPLICATION_ID is not set",
    parse: nonEmpty,
  },
  createTopics: {
    flag: "create-topics",
    env: "CREATE_TOPICS",
    default: "0",
    help: "create missing input and output topics at start (missing internal topics are " +
      "always created)",
    boolean: true,
    parse: bool,
  },
  topicPartitions: {
    flag: "topic-partitions",
    env: "TOPIC_PARTITIONS",
    default: "3",
    help: "partitions of the input and output topics made by --create-topics (the internal " +
      "topics always get the foot topic's count)",
    parse: number(1, 10_000, true),
  },
  metricsPort: {
    flag: "metrics-port",
    env: "METRICS_PORT",
    default: "9464",
    help: "port of /metrics, /healthz, /readyz (0: off)",
    parse: number(0, 65535, true),
  },
  logLevel: {
    flag: "log-level",
    env: "LOG_LEVEL",
    default: "info",
    help: "debug, info, warn or error",
    parse: oneOf("debug", "info", "warn", "error"),
  },
  logFormat: {
    flag: "log-format",
    env: "LOG_FORMAT",
    default: "auto",
    help: "json (one JSON object a line, for machines), text (a line for people: time, level, " +
      "message, key=value) or auto: text when stderr is a terminal, else json",
    parse: oneOf("auto", "json", "text"),
  },
  clientId: {
    flag: "client-id",
    env: "KAFKA_CLIENT_ID",
    default: "pos-producer",
    help: "Kafka client id",
    parse: nonEmpty,
  },
  ssl: {
    flag: "ssl",
    env: "KAFKA_SSL",
    default: "0",
    help: "connect with TLS",
    boolean: true,
    parse: bool,
  },
  sslCaFile: {
    flag: "ssl-ca-file",
    env: "KAFKA_SSL_CA_FILE",
    help: "CA certificate (PEM) to verify the brokers; implies --ssl",
    parse: nonEmpty,
  },
  saslMechanism: {
    flag: "sasl-mechanism",
    env: "KAFKA_SASL_MECHANISM",
    help: "plain, scram-sha-256 or scram-sha-512",
    parse: oneOf("plain", "scram-sha-256", "scram-sha-512"),
  },
  saslUsername: {
    flag: "sasl-username",
    env: "KAFKA_SASL_USERNAME",
    help: "SASL user",
    parse: nonEmpty,
  },
  saslPassword: {
    flag: "sasl-password",
    env: "KAFKA_SASL_PASSWORD",
    help: "SASL password (never printed)",
    secret: true,
    parse: string,
  },
} as const;

/** The service's configuration. */
export type ServiceConfig = OptionValues<typeof SERVICE_OPTIONS>;

/** Parses the service's flags and environment; throws `UsageError` on bad values. */
export function parseServiceConfig(
  args: string[],
  env?: (name: string) => string | undefined,
): { config: ServiceConfig; help: boolean } {
  // Without its default, an unset APPLICATION_ID is told apart from one set to the default.
  const table = {
    ...SERVICE_OPTIONS,
    applicationId: { ...SERVICE_OPTIONS.applicationId, default: undefined },
  };
  const { values, help } = parseOptions(table, args, env);
  return { config: resolveNames(checkSasl(values)), help };
}

/**
 * Fills in the names that default to others: the application id (`APPLICATION_ID`, else the
 * deprecated `TRANSACTIONAL_ID`, else `pos-producer`), the repartition topic
 * (`<application id>-by-customer` when empty) and `transactionalId` (the application id when
 * unset), so every field of the result is the final name.
 */
export function resolveNames(values: ServiceConfig): ServiceConfig {
  const applicationId = values.applicationId ?? values.transactionalId ??
    SERVICE_OPTIONS.applicationId.default;
  const repartitionTopic = values.repartitionTopic?.trim()
    ? values.repartitionTopic.trim()
    : `${applicationId}-by-customer`;
  return {
    ...values,
    applicationId,
    repartitionTopic,
    transactionalId: values.transactionalId ?? applicationId,
  };
}

/** Throws `UsageError` when a SASL mechanism is set without a user and a password. */
export function checkSasl<
  T extends { saslMechanism?: string; saslUsername?: string; saslPassword?: string },
>(values: T): T {
  if (values.saslMechanism && (!values.saslUsername || values.saslPassword === undefined)) {
    throw new UsageError(
      "--sasl-mechanism / KAFKA_SASL_MECHANISM needs --sasl-username and --sasl-password " +
        "(KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD)",
    );
  }
  return values;
}

/** The configuration as it may be logged: secrets replaced. */
export function redacted(config: ServiceConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(SERVICE_OPTIONS)) {
    const v = config[k as keyof ServiceConfig];
    if (v === undefined) continue;
    out[k] = "secret" in spec && spec.secret ? "***" : v;
  }
  return out;
}
