/**
 * POS transactions as SPEC §5 writes them, with deterministic ids (UUID version 5).
 *
 * @example
 * ```ts
 * import { sessionTransactionId, transactionJson } from "./transaction.ts";
 * const id = sessionTransactionId("c-1", 1762507800000000, 1762509000000000);
 * transactionJson(id, "c-1", "2025-11-07T09:50:00+00:00", []);
 * // '{"event_type":"pos_transaction","transaction_id":"…","customer_id":"c-1",…,"items":[]}'
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import type { PricedLine } from "../pricing/pricing.ts";

export type { PricedLine };

/** The fixed namespace of transaction ids. Never change it: every id would change with it. */
export const TRANSACTION_NAMESPACE = "9d3f4a5e-5f0b-5c8e-8f43-2d1e6b7a9c10";

function uuidBytes(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, "");
  const b = new Uint8Array(16);
  for (let i = 0; i < 16; i++) b[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return b;
}

const NS = uuidBytes(TRANSACTION_NAMESPACE);
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * RFC 9562 UUID version 5 of `name` (UTF-8) in `namespace` (bytes).
 *
 * @example
 * ```ts
 * import { uuidV5 } from "./transaction.ts";
 * uuidV5("cart\nc-1\n1762507800000000"); // a fixed id: same name, same id
 * ```
 */
export function uuidV5(name: string, namespace: Uint8Array = NS): string {
  const h = createHash("sha1").update(namespace).update(name, "utf8").digest();
  const b = new Uint8Array(h.buffer, h.byteOffset, 16);
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  let s = "";
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += "-";
    s += HEX[b[i]];
  }
  return s;
}

/** Id of the checkout of a session: from (customer, entry, exit), epoch µs. */
export function sessionTransactionId(customerId: string, entryUs: number, exitUs: number): string {
  return uuidV5(`session\n${customerId}\n${entryUs}\n${exitUs}`);
}

/** Id of the checkout of a cart that never got a session: from (customer, first event µs). */
export function cartTransactionId(customerId: string, firstUs: number): string {
  return uuidV5(`cart\n${customerId}\n${firstUs}`);
}

/** The transaction value (SPEC §5) as a JSON string; keys in the documented order. */
export function transactionJson(
  transactionId: string,
  customerId: string,
  timestamp: string,
  items: readonly PricedLine[],
): string {
  return JSON.stringify({
    event_type: "pos_transaction",
    transaction_id: transactionId,
    customer_id: customerId,
    timestamp,
    items: items.map((l) => ({
      item_id: l.item_id,
      quantity: l.quantity,
      unit_price: l.unit_price,
      discount: l.discount,
      total_price: l.total_price,
    })),
  });
}
