/**
 * The two input consumers (one group per topic): they apply whole batches to the engine through
 * the driver, wait at the {@link WorkGate} when a commit's worth is pending, move the input
 * positions, and turn a crash or a rebalance into a pipeline failure.
 * @module
 */
import type { Consumer, EachBatchPayload, Kafka } from "kafkajs";
import type { InputRecord, Source } from "../core/mod.ts";
import type { ServiceMetrics } from "./service_metrics.ts";
import { type InputPositions, SOURCES } from "./input_positions.ts";
import { type PipelineFailure, RebalanceError } from "./failure.ts";
import type { WorkGate } from "./work_gate.ts";

/** What the consumers feed and report to. */
export interface ConsumerDeps {
  kafka: Kafka;
  positions: InputPositions;
  gate: WorkGate;
  failure: PipelineFailure;
  metrics: ServiceMetrics;
  stop: AbortSignal;
}

/** Where the consumers apply records: the engine driver (lib/drive/driver.ts). */
export interface RecordSink {
  apply(rec: InputRecord): void;
}

/** Creates both consumers and wires their events (crash, group joins, empty batches). */
export function inputConsumers(deps: ConsumerDeps): Record<Source, Consumer> {
  const { positions, failure, metrics } = deps;
  const consumers = {
    foot: makeConsumer(deps.kafka, positions.groups.foot),
    shelf: makeConsumer(deps.kafka, positions.groups.shelf),
  };
  let joined = 0;
  for (const source of SOURCES) {
    const consumer = consumers[source];
    const tp = positions.topics[source];
    consumer.on(consumer.events.CRASH, (ev) => failure.fail(ev.payload.error));
    consumer.on(consumer.events.GROUP_JOIN, () => {
      // A second join means partitions moved: what we hold in memory may be re-delivered,
      // so the pipeline starts over from the last commit.
      if (++joined > 2) {
        failure.fail(new RebalanceError(`consumer group ${positions.groups[source]} rebalanced`));
      }
      // Ready once both groups have their partitions (and the state was restored before).
      if (joined === 2) metrics.ready = true;
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, (ev) => {
      const p = ev.payload;
      tp.sawHigh(p.partition, BigInt(p.highWatermark), Date.now());
      // Batches of only control records or aborted records move the position too.
      if (p.lastOffset !== undefined && p.lastOffset !== null) {
        const last = BigInt(p.lastOffset);
        if (last + 1n <= BigInt(p.highWatermark)) tp.processed(p.partition, last);
      }
    });
  }
  return consumers;
}

/** Starts consuming: eachBatch is synchronous inside, so a commit never sees half a batch. */
export async function startConsuming(
  consumers: Record<Source, Consumer>,
  driver: RecordSink,
  deps: ConsumerDeps,
): Promise<void> {
  const applier = new BatchApplier(driver, deps);
  for (const source of SOURCES) {
    await consumers[source].run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: 1,
      eachBatch: async (payload) => {
        // Backpressure: wait for the commit loop (never with half a batch applied).
        await deps.gate.room();
        if (deps.failure.failed || deps.stop.aborted) return;
        try {
          applier.apply(source, payload);
        } catch (e) {
          deps.failure.fail(e);
          throw e;
        }
        deps.gate.add(payload.batch.messages.length);
      },
    });
  }
}

/** Applies a fetched batch to the engine, record by record, and moves the positions. */
class BatchApplier {
  #decoder = new TextDecoder();
  // One record object for every message: the engine copies what it keeps (allocation per
  // record is what a backlog turns into RSS).
  #rec: InputRecord = {
    source: "shelf",
    topic: "",
    partition: 0,
    offset: "0",
    value: null,
    timestampMs: 0,
  };

  constructor(private readonly driver: RecordSink, private readonly deps: ConsumerDeps) {}

  apply(source: Source, { batch }: EachBatchPayload): void {
    const tp = this.deps.positions.topics[source];
    const messages = batch.messages;
    if (messages.length === 0) return;
    const rec = this.#rec;
    rec.source = source;
    rec.topic = batch.topic;
    rec.partition = batch.partition;
    let bytes = 0;
    for (const m of messages) {
      rec.offset = m.offset;
      rec.value = m.value;
      rec.timestampMs = Number(m.timestamp);
      rec.headers = hasHeaders(m.headers) ? headerStrings(m.headers!, this.#decoder) : undefined;
      this.driver.apply(rec);
      bytes += m.value?.length ?? 0;
    }
    tp.processed(batch.partition, BigInt(messages[messages.length - 1].offset));
    tp.sawHigh(batch.partition, BigInt(batch.highWatermark), Date.now());
    this.deps.metrics.consumedBytes.inc({ topic: batch.topic }, bytes);
  }
}

function makeConsumer(kafka: Kafka, groupId: string): Consumer {
  return kafka.consumer({
    groupId,
    readUncommitted: false, // read_committed: never see aborted upstream records
    maxWaitTimeInMs: 100,
    // A killed instance's membership blocks its successor's join until the session expires:
    // keep that short (the broker's minimum is 6 s).
    sessionTimeout: 10_000,
    rebalanceTimeout: 20_000,
    heartbeatInterval: 1000,
    // Bounded fetches: what a fetch brings in is decoded into garbage that V8 keeps as RSS
    // (footprint bench: peak 458–515 MiB instead of 553–576, ~8% slower on a backlog).
    maxBytesPerPartition: 512 * 1024,
    maxBytes: 2 * 1024 * 1024,
    // Never restart a consumer behind the pipeline's back: it would re-deliver records the
    // engine already holds. The pipeline restarts as a whole instead.
    retry: { retries: 5, restartOnFailure: () => Promise.resolve(false) },
  });
}

/** Whether a record has any header (KafkaJS gives `{}` for none). */
function hasHeaders(headers: Record<string, unknown> | undefined): boolean {
  for (const _ in headers) return true;
  return false;
}

function headerStrings(
  headers: Record<string, unknown>,
  decoder: TextDecoder,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const one = Array.isArray(v) ? v[v.length - 1] : v;
    out[k] = typeof one === "string" ? one : decoder.decode(one as Uint8Array);
  }
  return out;
}
