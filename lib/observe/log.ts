/**
 * Log lines on stderr (`LOG_LEVEL`): JSON, one object a line, for machines, or text for people
 * (`LOG_FORMAT`); a rate limiter for messages that bad input could otherwise repeat thousands of
 * times a second, and a limiter of repeated warnings and errors.
 * @module
 */

/** Log levels, least to most severe. */
export type LogLevel = "debug" | "info" | "warn" | "error";
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** A structured logger. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** A logger that writes JSON lines at `level` and above through `write`. */
export function jsonLogger(
  level: LogLevel,
  write: (line: string) => void = (l) => console.error(l),
  now: () => Date = () => new Date(),
): Logger {
  const at = (lvl: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < RANK[level]) return;
    write(JSON.stringify({ ts: now().toISOString(), level: lvl, msg, ...fields }, errors));
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/**
 * A logger that writes a line for people at `level` and above through `write`:
 * `2026-12-07 10:00:00.123 INFO  ready: consuming … key=value …` (UTC; values that are not plain
 * words in JSON).
 */
export function textLogger(
  level: LogLevel,
  write: (line: string) => void = (l) => console.error(l),
  now: () => Date = () => new Date(),
): Logger {
  const at = (lvl: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < RANK[level]) return;
    const ts = now().toISOString().replace("T", " ").replace("Z", "");
    const kv = Object.entries(fields ?? {}).filter(([, v]) => v !== undefined).map(([k, v]) =>
      ` ${k}=${textValue(v)}`
    ).join("");
    write(`${ts} ${lvl.toUpperCase().padEnd(5)} ${msg}${kv}`);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

function textValue(v: unknown): string {
  if (v instanceof Error) return JSON.stringify(`${v.name}: ${v.message}`);
  if (typeof v === "string") return /^[\w.:/@,-]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v, errors) ?? String(v);
}

/** The log format `LOG_FORMAT` names: `auto` is text on a terminal, else JSON. */
export function logFormat(
  setting: "auto" | "json" | "text",
  isTerminal: () => boolean = () => Deno.stderr.isTerminal(),
): "json" | "text" {
  return setting === "auto" ? (isTerminal() ? "text" : "json") : setting;
}

function errors(_key: string, value: unknown): unknown {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === "bigint") return value.toString();
  return value;
}

/**
 * Lets through at most `perInterval` messages of one kind per `intervalMs`, and reports how
 * many were held back when the next one goes through.
 */
export class RateLimiter {
  #windows = new Map<string, { start: number; count: number; suppressed: number }>();
  constructor(readonly perInterval = 5, readonly intervalMs = 10_000) {}

  /** Whether to log now; `suppressed` says how many were dropped since the last one. */
  allow(kind: string, nowMs: number): { ok: boolean; suppressed: number } {
    let w = this.#windows.get(kind);
    if (!w || nowMs - w.start >= this.intervalMs) {
      const suppressed = w?.suppressed ?? 0;
      w = { start: nowMs, count: 0, suppressed: 0 };
      this.#windows.set(kind, w);
      w.count++;
      return { ok: true, suppressed };
    }
    if (w.count < this.perInterval) {
      w.count++;
      return { ok: true, suppressed: 0 };
    }
    w.suppressed++;
    return { ok: false, suppressed: 0 };
  }
}

/** What {@link RepeatLimiter.seen} says about one message. */
export type RepeatVerdict = "log" | "drop";

/**
 * Repeated messages once a minute (issue 24: a 25 s outage gave 96 lines of KafkaJS's "trying
 * another broker from the list"): the first of a kind is logged, the next ones within
 * `windowMs` are counted, and when the window ends the count is told ("N more like this in the
 * last minute"). A kind is the level, the message and the fields that name a place (stage,
 * task, topic, partition, group), so distinct tasks' lines are not merged. Clock injected.
 */
export class RepeatLimiter {
  readonly #windows = new Map<
    string,
    { level: LogLevel; msg: string; fields?: Record<string, unknown>; start: number; more: number }
  >();
  constructor(readonly windowMs = 60_000) {}

  /** A message at `nowMs`: log it, or drop it (it is counted). */
  seen(
    level: LogLevel,
    msg: string,
    fields: Record<string, unknown> | undefined,
    nowMs: number,
  ): RepeatVerdict {
    const key = repeatKey(level, msg, fields);
    const w = this.#windows.get(key);
    if (w !== undefined && nowMs - w.start < this.windowMs) {
      w.more++;
      return "drop";
    }
    this.#windows.set(key, { level, msg, fields, start: nowMs, more: 0 });
    return "log";
  }

  /**
   * The windows ended by `nowMs` (forgotten): one summary each for those that dropped lines,
   * to log at the level of the lines they stand for.
   */
  ended(nowMs: number): { level: LogLevel; msg: string; fields?: Record<string, unknown> }[] {
    const out = [];
    for (const [key, w] of this.#windows) {
      if (nowMs - w.start < this.windowMs) continue;
      this.#windows.delete(key);
      if (w.more === 0) continue;
      const minutes = this.windowMs === 60_000 ? "minute" : `${this.windowMs / 1000} s`;
      out.push({
        level: w.level,
        msg: `${w.msg} (${w.more} more like this in the last ${minutes})`,
        fields: { ...w.fields, repeated: w.more },
      });
    }
    return out;
  }
}

/** The fields that tell two lines of one message apart as different places, not repeats. */
const PLACE_FIELDS = ["stage", "task", "topic", "partition", "groupId"];

function repeatKey(level: LogLevel, msg: string, fields?: Record<string, unknown>): string {
  const place = PLACE_FIELDS.map((f) => fields?.[f]).filter((v) => v !== undefined);
  return `${level}\u0000${msg}\u0000${place.join("\u0000")}`;
}

/**
 * `log` with its warnings and errors repeated once a minute at most ({@link RepeatLimiter});
 * debug and info lines pass as they are. A timer (not keeping the process alive) tells the
 * counts when their minute ends.
 */
export function limitRepeats(log: Logger, limiter = new RepeatLimiter()): Logger {
  const flush = () => {
    for (const s of limiter.ended(Date.now())) log[s.level](s.msg, s.fields);
  };
  const timer = setInterval(flush, Math.min(limiter.windowMs, 10_000));
  Deno.unrefTimer(timer);
  const limited = (level: "warn" | "error") => (msg: string, fields?: Record<string, unknown>) => {
    flush();
    if (limiter.seen(level, msg, fields, Date.now()) === "log") log[level](msg, fields);
  };
  return { debug: log.debug, info: log.info, warn: limited("warn"), error: limited("error") };
}
