/**
 * KafkaJS's values, for the whole of lib/: loaded only after `message_grouping.ts` has put its
 * linear grouping in KafkaJS's module cache (it must come first; ES modules evaluate their
 * imports in order). Types may be imported from "kafkajs" directly (they are erased).
 * @module
 */
import "./message_grouping.ts";
export {
  AssignerProtocol,
  CompressionCodecs,
  CompressionTypes,
  ConfigResourceTypes,
  Kafka,
  logLevel,
  Partitioners,
} from "kafkajs";
