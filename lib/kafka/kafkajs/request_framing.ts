/**
 * KafkaJS 2.2.4's request framing (`protocol/request.js`), without its copies, plugged in
 * without forking it. KafkaJS frames every request by writing the header and then the encoded
 * body into a new growable encoder, then that into another one behind the size: two zero-filled
 * buffers of up to twice the request and two copies of the body. For the service's produce
 * requests (chunks of up to 512 KiB, several per commit and task) that was 3–4 % of its CPU
 * and transient memory of several times each request. Here the frame is written once, into a
 * buffer of its exact size: the same bytes (property-tested against KafkaJS's).
 *
 * KafkaJS's `network/connection.js` binds the function when it loads, which is when `kafkajs` is
 * first imported: so the swap happens in this module's body, and `lib/kafka/kafkajs.ts` imports
 * this module before KafkaJS.
 * @module
 */
import { swapIn } from "./swap.ts";
import { Buffer } from "node:buffer";

/** A KafkaJS `Encoder`, as far as framing reads it: its buffer and how much of it is written. */
interface EncodedBody {
  buf: Buffer;
  offset: number;
}

/** What KafkaJS's connection passes for each request. */
export interface RequestInput {
  correlationId: number;
  clientId: string | null | undefined;
  request: { apiKey: number; apiVersion: number; encode(): Promise<EncodedBody> | EncodedBody };
}

/** `[size][apiKey][apiVersion][correlationId][clientId][body]`, as KafkaJS writes it. */
export async function frameRequest(
  { correlationId, clientId, request: { apiKey, apiVersion, encode } }: RequestInput,
): Promise<{ buffer: Buffer }> {
  const body = await encode();
  const idBytes = clientId == null ? -1 : Buffer.byteLength(clientId, "utf8");
  const headerSize = 2 + 2 + 4 + 2 + Math.max(idBytes, 0);
  const out = Buffer.allocUnsafe(4 + headerSize + body.offset);
  let at = out.writeInt32BE(headerSize + body.offset, 0);
  at = out.writeInt16BE(apiKey, at);
  at = out.writeInt16BE(apiVersion, at);
  at = out.writeInt32BE(correlationId, at);
  at = out.writeInt16BE(idBytes, at);
  if (idBytes > 0) at += out.write(clientId!, at, idBytes, "utf8");
  body.buf.copy(out, at, 0, body.offset);
  return { buffer: out };
}

const PATH = "kafkajs/src/protocol/request.js";
const CONNECTION = "kafkajs/src/network/connection.js";
const swap = swapIn<(input: RequestInput) => Promise<{ buffer: Buffer }>>(
  PATH,
  CONNECTION,
  () => frameRequest,
);
/** KafkaJS's own framing (tests compare the two). */
export const kafkajsFrameRequest = swap.original;

/** Whether KafkaJS's connections frame requests with {@link frameRequest} in this process. */
export function requestFramingInstalled(): boolean {
  return swap.installed();
}
