/**
 * The runtime flags of the project's own tasks (deno.json), so that tests and benches run
 * `main.ts` as `deno task compile` builds it: the same permissions and the same V8 flags.
 * @module
 */

const DENO_JSON = new URL("../../deno.json", import.meta.url);
const tasks: Record<string, string> = JSON.parse(await Deno.readTextFile(DENO_JSON)).tasks;

/** The command line of task `name` in deno.json. */
export function taskCommand(name: string): string {
  const t = tasks[name];
  if (t === undefined) throw new Error(`deno.json has no task ${name}`);
  return t;
}

/** The `--v8-flags=…` arguments of a task's command line. */
export function v8FlagsOf(command: string): string[] {
  return command.split(/\s+/).filter((a) => a.startsWith("--v8-flags="));
}

/** The `NAME=value` assignments a task's command line starts with. */
export function envOf(command: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const word of command.split(/\s+/)) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(word);
    if (m === null) break;
    env[m[1]] = m[2];
  }
  return env;
}

/**
 * The environment `deno task start` gives the service (the Dockerfile sets the same for the
 * compiled binary): glibc's malloc settings.
 */
export const SERVICE_ENV: Readonly<Record<string, string>> = envOf(taskCommand("start"));

/** The V8 flags the compiled binary is built with (`deno task compile`). */
export const SERVICE_V8_FLAGS: readonly string[] = v8FlagsOf(taskCommand("compile"));
