/**
 * Runs `pos-producer` as a real subprocess for service tests, with its log in a file, and
 * helpers to produce traffic and read the output topics.
 * @module
 */
import assert from "node:assert/strict";
import { CompressionTypes, type Kafka } from "kafkajs";
import type { TrafficRecord } from "./test_store.ts";
import { freePort } from "./kafka.ts";
import { SERVICE_ENV, SERVICE_V8_FLAGS } from "./deno_tasks.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** A running service process. */
export interface ServiceProcess {
  readonly logFile: string;
  readonly metricsPort: number;
  readonly pid: number;
  /** Sends a signal; `wait()` gives the exit code. */
  kill(signal: Deno.Signal): void;
  wait(): Promise<number>;
  /** The log so far. */
  log(): Promise<string>;
}

/**
 * Starts `deno run main.ts run <args>` with `env`, as the project ships it: with the compiled
 * binary's V8 flags and `deno task start`'s environment.
 */
export async function startService(
  args: string[],
  env: Record<string, string> = {},
): Promise<ServiceProcess> {
  const logFile = await Deno.makeTempFile({ prefix: "pos-service-", suffix: ".log" });
  const metricsPort = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      ...SERVICE_V8_FLAGS,
      MAIN,
      "run",
      "--metrics-port",
      String(metricsPort),
      ...args,
    ],
    env: { LOG_LEVEL: "info", ...SERVICE_ENV, ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const log = await Deno.open(logFile, { write: true, append: true });
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const c of s) await log.write(c);
  };
  const pumped = Promise.all([pump(child.stdout), pump(child.stderr)]).finally(() => log.close());
  let code: Promise<number> | undefined;
  return {
    logFile,
    metricsPort,
    pid: child.pid,
    kill: (signal) => {
      try {
        child.kill(signal);
      } catch { /* gone */ }
    },
    wait: () => code ??= child.status.then(async (s) => (await pumped, s.code)),
    log: () => Deno.readTextFile(logFile),
  };
}

/** Produces records in order, `batch` at a time, with `compression`. */
export async function produce(
  kafka: Kafka,
  topic: string,
  records: TrafficRecord[],
  opts: { compression?: CompressionTypes; batch?: number } = {},
): Promise<void> {
  // Idempotent: a retry across a broker restart must not write a batch twice (the events have no
  // id, so no consumer could tell the copies from two real pickups).
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const size = opts.batch ?? 500;
  for (let i = 0; i < records.length; i += size) {
    await producer.send({
      topic,
      compression: opts.compression ?? CompressionTypes.None,
      messages: records.slice(i, i + size).map((r) => ({ key: r.key, value: r.value })),
    });
  }
  await producer.disconnect();
}

/** Waits until `check` returns true, polling; throws with `what` after `timeoutMs`. */
export async function eventually(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
  everyMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A record read by {@link readRecords}, with where it was. */
export interface TopicRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/**
 * Reads every partition of `topic` to its current end, without a consumer group
 * (read_committed unless `readCommitted` is false).
 */
export async function readRecords(
  kafka: Kafka,
  topic: string,
  opts: { readCommitted?: boolean; groupPrefix?: string } = {},
): Promise<TopicRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const target = new Map(ends.map((e) => [e.partition, BigInt(e.high)]));
  const pos = new Map(ends.map((e) => [e.partition, BigInt(e.low)]));
  const out: TopicRecord[] = [];
  const done = () => [...target].every(([p, h]) => (pos.get(p) ?? 0n) >= h);
  if (done()) return out;
  const consumer = kafka.consumer({
    groupId: `${opts.groupPrefix ?? "read-all"}-${crypto.randomUUID()}`,
    readUncommitted: opts.readCommitted === false,
    maxWaitTimeInMs: 100,
  });
  consumer.on(consumer.events.END_BATCH_PROCESS, (ev) => {
    const last = BigInt(ev.payload.lastOffset) + 1n;
    if (last > (pos.get(ev.payload.partition) ?? 0n)) pos.set(ev.payload.partition, last);
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const dec = new TextDecoder();
  await consumer.run({
    autoCommit: false,
    eachBatch: ({ batch }) => {
      for (const m of batch.messages) {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(m.headers ?? {})) {
          if (v !== undefined) headers[k] = dec.decode(v as Uint8Array);
        }
        out.push({
          partition: batch.partition,
          offset: m.offset,
          key: m.key ? dec.decode(m.key) : null,
          value: m.value ? dec.decode(m.value) : null,
          headers,
        });
        const next = BigInt(m.offset) + 1n;
        if (next > (pos.get(batch.partition) ?? 0n)) pos.set(batch.partition, next);
      }
      return Promise.resolve();
    },
  });
  await eventually(`reading ${topic} to its end`, done, 30_000, 50);
  await consumer.disconnect();
  return out;
}

/** Reads a whole topic with read_committed into memory, without a consumer group. */
export async function readAll(
  kafka: Kafka,
  topic: string,
  opts: { readCommitted?: boolean } = {},
): Promise<{ key: string | null; value: string | null; headers: Record<string, string> }[]> {
  return (await readRecords(kafka, topic, opts)).map(({ key, value, headers }) => ({
    key,
    value,
    headers,
  }));
}

/** SIGTERM, then the exit code. */
export async function stopService(svc: ServiceProcess): Promise<number> {
  svc.kill("SIGTERM");
  return await svc.wait();
}

/**
 * Starts the service with `args` and `env` and runs `body` with it; then SIGTERM must stop it
 * with exit code 0. It is SIGKILLed in the end whatever happens.
 */
export async function withService(
  args: string[],
  body: (svc: ServiceProcess) => Promise<void>,
  env: Record<string, string> = {},
): Promise<void> {
  const svc = await startService(args, env);
  try {
    await body(svc);
    assert.equal(await stopService(svc), 0);
  } finally {
    svc.kill("SIGKILL");
  }
}

/** Waits until the service on `port` answers 200 on /readyz; fails once `deadline` (epoch ms) passed. */
export async function readyBy(port: number, deadline: number): Promise<void> {
  while (
    (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 0)) !== 200
  ) {
    assert.ok(Date.now() < deadline, "the service never became ready");
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The service's /metrics text. */
export async function metricsText(svc: ServiceProcess): Promise<string> {
  return await fetch(`http://127.0.0.1:${svc.metricsPort}/metrics`).then((r) => r.text());
}

/** Whether /readyz answers 200. */
export async function isReady(svc: ServiceProcess): Promise<boolean> {
  const r = await fetch(`http://127.0.0.1:${svc.metricsPort}/readyz`).catch(() => undefined);
  await r?.body?.cancel();
  return r?.status === 200;
}

/** The value of one metric line (`name{labels}`) in a /metrics text, 0 when absent. */
export function metricValue(text: string, line: string): number {
  const found = text.split("\n").find((l) => l.startsWith(line + " "));
  return found ? Number(found.slice(line.length + 1)) : 0;
}

/** Records read by {@link watchTopic}, with the wall clock at which each became readable. */
export interface Watched {
  records: { value: string; atMs: number }[];
  stop(): Promise<void>;
}

/**
 * Reads `topic` (read_committed) continuously from its start and notes when each record
 * arrives: the moment a downstream consumer could see it.
 */
export async function watchTopic(kafka: Kafka, topic: string): Promise<Watched> {
  const consumer = kafka.consumer({
    groupId: `watch-${crypto.randomUUID()}`,
    readUncommitted: false,
    maxWaitTimeInMs: 20,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const records: Watched["records"] = [];
  const dec = new TextDecoder();
  await consumer.run({
    autoCommit: false,
    eachBatch: ({ batch }) => {
      const atMs = Date.now();
      for (const m of batch.messages) records.push({ value: dec.decode(m.value!), atMs });
      return Promise.resolve();
    },
  });
  return { records, stop: () => consumer.disconnect() };
}

/**
 * What `expr` evaluates to in a fresh process that first loads what `pos-producer run` loads,
 * then imports `names` from the repository module `module` (a KafkaJS patch's check, say).
 */
export async function inRunProcess(module: string, names: string[], expr: string): Promise<string> {
  const script = `import "./lib/cli/run.ts";
    import { ${names.join(", ")} } from "./${module}";
    console.log(${expr});`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", script],
    cwd: new URL("../../", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

/** Whether `module`'s `installed()` says true in a process that loads `pos-producer run`. */
export async function installedInRunProcess(module: string, installed: string): Promise<boolean> {
  return await inRunProcess(module, [installed], `${installed}()`) === "true";
}
