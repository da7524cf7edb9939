/**
 * KafkaJS's values, for the whole of lib/: loaded only after `message_grouping.ts`,
 * `record_decoder.ts`, `fetch_batch.ts` and `request_framing.ts` have put their linear grouping,
 * fast record decoder, fast fetch batch and copy-free request framing in KafkaJS's module cache
 * (they must come first; ES modules evaluate their imports in order). Types may be imported
 * from "kafkajs" directly (they are erased).
 * @module
 */
import "./message_grouping.ts";
import "./record_decoder.ts";
import "./fetch_batch.ts";
import "./request_framing.ts";
export {
  AssignerProtocol,
  CompressionCodecs,
  CompressionTypes,
  ConfigResourceTypes,
  Kafka,
  logLevel,
  PartitionAssigners,
  Partitioners,
} from "kafkajs";
