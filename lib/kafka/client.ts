/**
 * The KafkaJS client as the service configures it: brokers, TLS with a CA file, SASL
 * (PLAIN, SCRAM-SHA-256/512), retries, and KafkaJS's own logs routed into our JSON log.
 * @module
 */
import process from "node:process";
import type { KafkaConfig, SASLOptions } from "kafkajs";
import { Kafka, logLevel } from "./kafkajs.ts";
import type { Logger } from "../observe/log.ts";
import { registerCodecs } from "./codecs.ts";
import { installFastRecordEncoding } from "./kafkajs/record_batch_encoder.ts";

/** The connection part of the configuration. */
export interface ConnectionConfig {
  broker: string[];
  clientId: string;
  ssl: boolean;
  sslCaFile?: string;
  saslMechanism?: "plain" | "scram-sha-256" | "scram-sha-512";
  saslUsername?: string;
  saslPassword?: string;
}

const LEVELS: Record<number, keyof Logger> = {
  [logLevel.ERROR]: "error",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "debug", // KafkaJS is chatty at INFO; keep ours readable
  [logLevel.DEBUG]: "debug",
};

/**
 * Our level for one of KafkaJS's lines (issue 24: error level only for what needs an operator).
 * KafkaJS logs at ERROR every attempt it retries (`retryCount` in the fields): a protocol error
 * it retries (CONCURRENT_TRANSACTIONS while the coordinator still writes the previous
 * transaction's markers, a partition whose leader moved) is debug; a connection it cannot make
 * is warn (an outage; repeats are limited to one a minute, and `/readyz` and our own lines
 * tell the rest). A consumer's crash and an offset out of range are warn: the crash ends the
 * life, which our own error line reports; the reset is KafkaJS's to make. What KafkaJS gives up
 * on surfaces where it is used. Its connection lines are debug.
 */
export function kafkajsLevel(
  namespace: string,
  level: number,
  message: string,
  fields: Record<string, unknown>,
): keyof Logger {
  if (namespace === "Connection") return "debug";
  const ours = LEVELS[level] ?? "debug";
  if (ours !== "error") return ours;
  if (/^Crash: |^Offset out of range/.test(message)) return "warn";
  if (fields.retryCount === undefined) return "error";
  return /connect|Connection|ECONNREFUSED|ECONNRESET|No broker available/i.test(message)
    ? "warn"
    : "debug";
}

let warningsRouted = false;

/**
 * KafkaJS schedules a timer with a negative delay at connect, and Node compat prints a
 * TimeoutNegativeWarning for it on stderr, outside the JSON log. Other warnings go to the log.
 */
function routeNodeWarnings(log: Logger): void {
  if (warningsRouted) return;
  warningsRouted = true;
  process.removeAllListeners("warning");
  process.on("warning", (w: Error) => {
    if (w.name !== "TimeoutNegativeWarning") log.warn(`${w.name}: ${w.message}`);
  });
}

/** A KafkaJS client for `cfg`; KafkaJS's messages go to `log` (secrets never included). */
export function createKafka(cfg: ConnectionConfig, log: Logger): Kafka {
  registerCodecs();
  // KafkaJS's own record encoding bounds the service's write rate (~60k records/s in Deno).
  if (!installFastRecordEncoding()) log.warn("KafkaJS already produced: fast record encoding off");
  routeNodeWarnings(log);
  const kcfg: KafkaConfig = {
    brokers: cfg.broker,
    clientId: cfg.clientId,
    connectionTimeout: 3000,
    requestTimeout: 30_000,
    retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5000 },
    logLevel: logLevel.WARN,
    logCreator: () => ({ namespace, level, log: entry }) => {
      const { message, timestamp: _t, logger: _l, stack, ...rest } = entry;
      const msg = `kafkajs ${namespace}: ${message}`;
      log[kafkajsLevel(namespace, level, message, rest)](msg, rest);
      // Stack traces only at debug.
      if (stack !== undefined) log.debug(`${msg} (stack)`, { stack });
    },
  };
  if (cfg.ssl || cfg.sslCaFile) {
    kcfg.ssl = cfg.sslCaFile ? { ca: [Deno.readTextFileSync(cfg.sslCaFile)] } : true;
  }
  if (cfg.saslMechanism) {
    kcfg.sasl = {
      mechanism: cfg.saslMechanism,
      username: cfg.saslUsername!,
      password: cfg.saslPassword ?? "",
    } as SASLOptions;
  }
  return new Kafka(kcfg);
}
