/**
 * JSON log lines on stderr (`LOG_LEVEL`), one object a line, and a rate limiter for messages
 * that bad input could otherwise repeat thousands of times a second.
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
