/**
 * The relay stage of the scale-out service (docs/service.md, "Several instances"): foot and
 * shelf records, whatever partitioner produced them, rewritten by customer to the repartition
 * topic, exactly once, with control records that carry each input partition's progress to
 * every checkout task.
 * @module
 */
export { runRelay } from "./relay_stage.ts";
export { type RelayInput, relayInputs, relayStageKind } from "./input.ts";
