/**
 * Comparing records whatever their key order, and counting them: shared by the tests that compare
 * a real broker's output with `replay` of its input.
 * @module
 */

/** JSON with sorted keys, for comparing records whatever their key order. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${
      Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(",")
    }}`;
  }
  return JSON.stringify(v);
}

/** How often each key occurs. */
export function counts(keys: string[]): Record<string, number> {
  const n: Record<string, number> = {};
  for (const k of keys) n[k] = (n[k] ?? 0) + 1;
  return n;
}
