/**
 * The relay stage of the scale-out service (docs/service.md, "Several instances"): shelf
 * records, unkeyed upstream, rewritten by customer to the repartition topic, exactly once, with
 * control records that carry each shelf partition's progress to every checkout task.
 * @module
 */
export { runRelay } from "./relay_stage.ts";
