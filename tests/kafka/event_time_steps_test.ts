/**
 * Reading in event-time step (lib/kafka/tasks/event_time_steps.ts): which input partitions read
 * here are paused because they are ahead of the slowest one with records left. No broker.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  aheadOfStep,
  type PartitionHead,
  STEP_SKEW_US,
} from "../../lib/kafka/tasks/event_time_steps.ts";

const MIN = 60e6;
const head = (
  key: string,
  headUs: number,
  lag: bigint,
): PartitionHead => ({ key, source: key.startsWith("foot") ? "foot" : "shelf", headUs, lag });
const paused = (heads: PartitionHead[], paceFoot = true) => [...aheadOfStep(heads, { paceFoot })];

Deno.test("a shelf partition more than the skew ahead of the slowest shelf partition waits for it", () => {
  assert.equal(STEP_SKEW_US, MIN);
  const heads = [
    head("shelf/0", 10 * MIN, 5n),
    head("shelf/1", 11 * MIN, 5n), // within the skew
    head("shelf/2", 11 * MIN + 1, 5n),
    head("shelf/3", 30 * MIN, 0n), // nothing left, ahead all the same
  ];
  assert.deepEqual(paused(heads), ["shelf/2", "shelf/3"]);
});

Deno.test("a shelf partition at all ahead of the slowest foot partition waits for its sessions", () => {
  const heads = [head("foot/0", 10 * MIN, 3n), head("shelf/0", 10 * MIN + 1, 900n)];
  assert.deepEqual(paused(heads), ["shelf/0"]);
  assert.deepEqual(paused(heads, false), ["shelf/0"], "whether tasks run elsewhere or not");
  assert.deepEqual(paused([head("foot/0", 10 * MIN, 3n), head("shelf/0", 10 * MIN, 9n)]), []);
  // A foot partition read to its end holds nothing back.
  assert.deepEqual(paused([head("foot/0", 10 * MIN, 0n), head("shelf/0", 20 * MIN, 9n)]), []);
});

Deno.test("in real time (heads within the skew of the wall clock) nothing is held back", () => {
  const now = 100 * MIN;
  const heads = [head("foot/0", now - 30e6, 1n), head("shelf/0", now - 1e6, 40n)];
  assert.deepEqual([...aheadOfStep(heads, { paceFoot: true, nowUs: now })], []);
  // A backlog behind the wall clock still steps.
  const backlog = [head("foot/0", now - 30 * MIN, 1n), head("shelf/0", now - 20 * MIN, 40n)];
  assert.deepEqual([...aheadOfStep(backlog, { paceFoot: true, nowUs: now })], ["shelf/0"]);
});

Deno.test("a foot partition waits for the shelf partitions only when every task runs here", () => {
  const heads = [head("foot/0", 30 * MIN, 10n), head("shelf/0", 5 * MIN, 900n)];
  assert.deepEqual(paused(heads, true), ["foot/0"], "25 minutes ahead");
  assert.deepEqual(paused(heads, false), [], "tasks elsewhere: sessions are never held back");
  assert.deepEqual(paused([head("foot/0", 6 * MIN, 10n), head("shelf/0", 5 * MIN, 9n)]), []);
});

Deno.test("the slowest partition with records left is never paused, nor is anything when none is left", () => {
  const heads = [
    head("foot/0", 50 * MIN, 1n),
    head("shelf/0", 2 * MIN, 0n), // slower, but read to its end
    head("shelf/1", 40 * MIN, 7n),
    head("shelf/2", 45 * MIN, 7n),
  ];
  assert.deepEqual(paused(heads), ["foot/0", "shelf/2"]);
  const done = heads.map((h) => ({ ...h, lag: 0n }));
  assert.deepEqual(paused(done), [], "nothing left anywhere: nothing waits");
});

Deno.test("a partition with records left that has read none yet holds back every one that has", () => {
  const heads = [
    head("foot/0", -Infinity, 4n),
    head("shelf/0", 1 * MIN, 4n),
    head("shelf/1", -Infinity, 4n),
  ];
  assert.deepEqual(paused(heads), ["shelf/0"]);
});

const headsArb = fc.array(
  fc.record({
    source: fc.constantFrom("foot" as const, "shelf" as const),
    headUs: fc.oneof(
      { weight: 1, arbitrary: fc.constant(-Infinity) },
      { weight: 6, arbitrary: fc.integer({ min: 0, max: 10 * MIN }) },
    ),
    lag: fc.bigInt({ min: 0n, max: 3n }),
  }),
  { maxLength: 8 },
).map((hs) => hs.map((h, i) => ({ ...h, key: `${h.source}/${i}` })));

Deno.test("property: the slowest partition with records left is never paused; every paused one is ahead of it by the rules", () => {
  fc.assert(
    fc.property(headsArb, fc.boolean(), (heads, paceFoot) => {
      const out = aheadOfStep(heads, { paceFoot });
      const lagging = heads.filter((h) => h.lag > 0n);
      const low = (source?: "foot" | "shelf") =>
        Math.min(...lagging.filter((h) => !source || h.source === source).map((h) => h.headUs));
      const min = low();
      if (lagging.length > 0) {
        const slowest = lagging.filter((h) => h.headUs === min);
        for (const h of slowest) assert.ok(!out.has(h.key), `${h.key} is the slowest`);
      }
      for (const h of heads) {
        // The rules, stated for each partition (the reference).
        const want = h.source === "shelf"
          ? h.headUs > low("shelf") + STEP_SKEW_US || h.headUs > low("foot")
          : paceFoot && h.headUs > low("shelf") + STEP_SKEW_US;
        assert.equal(out.has(h.key), want, h.key);
        if (want) assert.ok(h.headUs > min, `${h.key} is ahead of the slowest`);
      }
      for (const key of out) assert.ok(heads.some((h) => h.key === key));
    }),
    { numRuns: 2000 },
  );
});

Deno.test("property: reading whatever is not paused, every partition is read to its end", () => {
  const partition = fc.record({
    source: fc.constantFrom("foot" as const, "shelf" as const),
    // Event times of its records, in the order written (producers go back in time too).
    times: fc.array(fc.integer({ min: 0, max: 20 * MIN }), { maxLength: 12 }),
  });
  fc.assert(
    fc.property(
      fc.array(partition, { minLength: 1, maxLength: 6 }),
      fc.boolean(),
      fc.array(fc.nat(), { minLength: 200, maxLength: 200 }),
      (parts, paceFoot, picks) => {
        const read = parts.map(() => 0);
        const heads = () =>
          parts.map((p, i) => ({
            key: `${p.source}/${i}`,
            source: p.source,
            headUs: read[i] === 0 ? -Infinity : p.times[read[i] - 1],
            lag: BigInt(p.times.length - read[i]),
          }));
        const total = parts.reduce((n, p) => n + p.times.length, 0);
        for (let step = 0; step < total; step++) {
          const hs = heads();
          const out = aheadOfStep(hs, { paceFoot });
          const readable = hs.map((_, i) => i).filter((i) => hs[i].lag > 0n && !out.has(hs[i].key));
          assert.ok(readable.length > 0, `stuck at step ${step}: ${JSON.stringify([...out])}`);
          read[readable[picks[step % picks.length] % readable.length]]++;
        }
        assert.deepEqual(read, parts.map((p) => p.times.length));
      },
    ),
    { numRuns: 500 },
  );
});
