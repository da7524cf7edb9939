/**
 * The checkout tasks of the scale-out service (docs/service.md, "Several instances"):
 * {@link runCheckoutTasks} runs this instance's share of them, in consumer group
 * {@link checkoutGroupId} (`<APPLICATION_ID>-checkout`) over the repartition topic.
 * @module
 */
export { checkoutGroupId, type CheckoutTasksDeps, runCheckoutTasks } from "./checkout_tasks.ts";
export { coPartitioned, coPartitionedAssigner, planTasks } from "./assigner.ts";
