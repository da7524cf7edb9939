/**
 * How a replacement of one of KafkaJS's modules is put in (docs/service.md, "KafkaJS's hot
 * paths"): KafkaJS is CommonJS, and a module binds what it requires when it loads; so a
 * replacement is written into KafkaJS's module cache before the module that binds it (the
 * "binder") loads. `lib/kafka/kafkajs.ts`, the one module of lib/ that imports KafkaJS's values,
 * imports every replacement first. If the binder was loaded already, KafkaJS keeps its own.
 * @module
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const cache = require.cache as Record<string, { exports: unknown } | undefined>;

/** A KafkaJS module and its replacement. */
export interface Swap<T> {
  /** KafkaJS's own (tests compare the two). */
  original: T;
  replacement: T;
  /** Whether KafkaJS loads the replacement in this process. */
  installed(): boolean;
}

/**
 * Puts `replace(original)` in KafkaJS's module cache at `path` (e.g.
 * `kafkajs/src/consumer/batch.js`), unless `binder`, the KafkaJS module that binds it, has
 * loaded already.
 */
export function swapIn<T>(path: string, binder: string, replace: (original: T) => T): Swap<T> {
  const tooLate = cache[require.resolve(binder)] !== undefined;
  const original = require(path) as T;
  const replacement = replace(original);
  if (!tooLate) cache[require.resolve(path)]!.exports = replacement;
  return { original, replacement, installed: () => !tooLate && require(path) === replacement };
}
