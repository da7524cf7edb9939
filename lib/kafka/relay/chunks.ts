/**
 * Splits a task's records into producer calls below the broker's batch limit (as
 * output_messages.ts does for the single pipeline), keeping their order.
 * @module
 */
import type { RoutedRecord } from "./routing.ts";

/** Bytes per producer call, below the broker's default 1 MiB batch limit. */
const SEND_CHUNK_BYTES = 512 * 1024;

/** `records` in order, in runs of at most SEND_CHUNK_BYTES (one record may exceed it alone). */
export function* chunks(records: RoutedRecord[]): Generator<RoutedRecord[]> {
  let cur: RoutedRecord[] = [];
  let bytes = 0;
  for (const r of records) {
    const size = (r.key?.length ?? 0) + (r.value?.length ?? 0) + 96;
    if (bytes + size > SEND_CHUNK_BYTES && cur.length > 0) {
      yield cur;
      cur = [];
      bytes = 0;
    }
    cur.push(r);
    bytes += size;
  }
  if (cur.length > 0) yield cur;
}
