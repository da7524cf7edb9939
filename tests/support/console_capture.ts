/**
 * Runs code with `console.log` and `console.error` captured, for tests of CLI `main` functions
 * in-process.
 * @module
 */

/** What `fn` returned, and the lines it printed to stdout (`out`) and stderr (`err`). */
export async function captureConsole<T>(
  fn: () => T | Promise<T>,
): Promise<{ result: T; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  try {
    return { result: await fn(), out, err };
  } finally {
    console.log = log;
    console.error = error;
  }
}
