/**
 * KafkaJS's values, for the whole of lib/: loaded only after `message_grouping.ts` and
 * `record_decoder.ts` have put their linear grouping and fast record decoder in KafkaJS's module
 * cache (they must come first; ES modules evaluate their imports in order). Types may be
 * imported from "kafkajs" directly (they are erased).
 * @module
 */
import "./message_grouping.ts";
import "./record_decoder.ts";
export {
  AssignerProtocol,
  CompressionCodecs,
  CompressionTypes,
  ConfigResourceTypes,
  Kafka,
  logLevel,
  Partitioners,
} from "kafkajs";
