import assert from "node:assert/strict";
import { Backoff } from "../../lib/sleep.ts";

Deno.test("back-off: doubles from 0.5 s to a 30 s cap, and starts over after a good run", () => {
  const b = new Backoff(500, 30_000, 60_000);
  const t = 1_000_000;
  const delays = Array.from({ length: 8 }, () => b.next(t, t + 1000));
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  assert.equal(b.next(t, t + 61_000), 500, "a try that ran over a minute resets it");
  assert.equal(b.next(t, t + 1000), 1000);
});
