/**
 * KafkaJS's values, for the whole of lib/: loaded only after `message_grouping.ts`,
 * `record_decoder.ts`, `fetch_batch.ts` and `request_framing.ts` have put their linear grouping,
 * fast record decoder, fast fetch batch and copy-free request framing in KafkaJS's module cache,
 * and `kafkajs/group_membership.ts` and `kafkajs/txn_offset_commit.ts` their JoinGroup that
 * records each consumer's generation and their TxnOffsetCommit v3 that sends it (KIP-447)
 * (they must come first; ES modules evaluate their imports in order). Types may be imported
 * from "kafkajs" directly (they are erased).
 * @module
 */
import "./kafkajs/message_grouping.ts";
import "./kafkajs/record_decoder.ts";
import "./kafkajs/fetch_batch.ts";
import "./kafkajs/request_framing.ts";
import "./kafkajs/group_membership.ts";
import "./kafkajs/txn_offset_commit.ts";
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
