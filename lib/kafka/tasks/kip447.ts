/**
 * What the tasks use of KIP-447 (lib/kafka/kafkajs/): offset commits that carry the tasks'
 * group generation, and committed offsets read stable.
 * @module
 */
export { generationOf } from "../kafkajs/group_membership.ts";
export { isGenerationFenced, setTxnMember } from "../kafkajs/txn_offset_commit.ts";
export { fetchStableOffsets } from "../kafkajs/stable_offsets.ts";
