/**
 * An instance's tasks (docs/service.md, "Tasks"): {@link runTasks} runs this instance's share of
 * them, in consumer group {@link checkoutGroupId} (`<APPLICATION_ID>-checkout`) over the foot,
 * shelf and repartition topics.
 * @module
 */
export { runTasks } from "./instance.ts";
export { checkoutGroupId, type TasksDeps } from "./task_context.ts";
export { coPartitioned, coPartitionedAssigner, planTasks } from "./assigner.ts";
