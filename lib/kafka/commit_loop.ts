/**
 * How much an instance applies between commits (lib/kafka/tasks/instance.ts, its commit loop).
 * @module
 */

/**
 * Records applied but not yet in a commit, at most: bounds the work per transaction (about one
 * 100 ms interval of a backlog) and the memory between commits.
 */
export const MAX_UNCOMMITTED_RECORDS = 20_000;
