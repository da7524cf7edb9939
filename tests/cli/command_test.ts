import assert from "node:assert/strict";
import { kafkaClientOptions, parseCommand, readEnv } from "../../lib/cli/command.ts";
import { parsers, UsageError } from "../../lib/cli/options.ts";
import { captureConsole } from "../support/console_capture.ts";

const OPTIONS = {
  size: {
    flag: "size",
    env: "TEST_SIZE",
    default: "3",
    help: "a size",
    parse: parsers.number(1, 9),
  },
  ...kafkaClientOptions("test-client"),
} as const;

const spec = {
  name: "pos-producer test",
  usage: "Usage: test",
  options: OPTIONS,
  env: () => undefined,
};

Deno.test("parseCommand: values with defaults; the client options of a Kafka command", async () => {
  const { result } = await captureConsole(() => parseCommand(spec, ["--size", "5"]));
  assert.ok("values" in result);
  assert.equal(result.values.size, 5);
  assert.equal(result.values.clientId, "test-client");
  assert.equal(result.values.logLevel, "warn");
  assert.equal(result.values.ssl, false);
});

Deno.test("parseCommand: --help prints the usage and exits 0", async () => {
  const { result, out } = await captureConsole(() => parseCommand(spec, ["-h"]));
  assert.deepEqual(result, { exitCode: 0 });
  assert.deepEqual(out, ["Usage: test"]);
});

Deno.test("parseCommand: bad usage exits 2 with one line and a pointer to --help", async () => {
  const bad = await captureConsole(() => parseCommand(spec, ["--size", "12"]));
  assert.deepEqual(bad.result, { exitCode: 2 });
  assert.match(bad.err[0], /^pos-producer test: invalid value "12" for --size \/ TEST_SIZE/);
  assert.match(bad.err[0], /\n\(see pos-producer test --help\)$/);
  const unknown = await captureConsole(() =>
    parseCommand({ ...spec, helpCommand: "pos-producer test run" }, ["--nope"])
  );
  assert.deepEqual(unknown.result, { exitCode: 2 });
  assert.match(unknown.err[0], /\(see pos-producer test run --help\)$/);
});

Deno.test("parseCommand: the check sees the values and may refuse them", async () => {
  const check = <T extends { size: number }>(v: T): T => {
    if (v.size > 4) throw new UsageError("--size over 4 needs more room");
    return v;
  };
  const ok = await captureConsole(() => parseCommand({ ...spec, check }, []));
  assert.ok("values" in ok.result && ok.result.values.size === 3);
  const refused = await captureConsole(() => parseCommand({ ...spec, check }, ["--size", "5"]));
  assert.deepEqual(refused.result, { exitCode: 2 });
  assert.match(refused.err[0], /--size over 4 needs more room/);
});

Deno.test({
  name: "readEnv: undefined without --allow-env instead of throwing",
  permissions: { env: false },
  fn: () => {
    assert.equal(readEnv("HOME"), undefined);
  },
});
