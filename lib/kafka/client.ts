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
import { installFastRecordEncoding } from "./record_batch_encoder.ts";

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
      const { message, timestamp: _t, logger: _l, ...rest } = entry;
      // Per-request errors are retried by KafkaJS; what matters surfaces where it is used.
      const lvl = namespace === "Connection" ? "debug" : LEVELS[level] ?? "debug";
      log[lvl](`kafkajs ${namespace}: ${message}`, rest);
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
