/**
 * The lines an operator reads first (issue 24): one when the service is ready (what it consumes,
 * from where, how far behind), and while it is behind, one every ~10 s with its pace (records/s,
 * records behind, open carts, time to catch up), then one when it has caught up. Pure: fed with
 * what the metrics say ({@link OperatorView}), it returns the lines; `pos-producer run` looks
 * every second (lib/cli/run.ts).
 * @module
 */
import type { ServiceConfig } from "../cli/config.ts";
import type { ServiceMetrics } from "./service_metrics.ts";

/** What the metrics say at one moment. */
export interface OperatorView {
  nowMs: number;
  ready: boolean;
  /** The input partitions this instance reads, by input (those of its tasks). */
  inputs: { foot: number[]; shelf: number[] };
  /** This instance's checkout tasks. */
  checkoutTasks: number[];
  /** Input records not yet read, by input; undefined until every input partition here reported. */
  inputLag: { foot: number; shelf: number } | undefined;
  /** Records forwarded to this instance's checkout tasks and not yet applied (repartition lag). */
  forwardedLag: number;
  /** Records the checkout tasks applied so far (a counter). */
  applied: number;
  openCarts: number;
  openSessions: number;
}

/** A line to log. */
export interface OperatorLine {
  level: "info" | "warn";
  msg: string;
  fields: Record<string, unknown>;
}

/** How often a progress line comes while behind. */
export const PROGRESS_EVERY_MS = 10_000;
/** Behind by fewer records than this is caught up (a commit interval's worth is normal). */
export const BEHIND_AT = 1000;
/**
 * Ready without a partition of each input, or without their lag, for this long: the ready line
 * goes out as things are.
 */
const LAG_WAIT_MS = 5000;

/** Lines for people from successive views. */
export class OperatorLines {
  #ready = false;
  #readySince: number | undefined;
  #readyOnce = false;
  #behind = false;
  #last: { nowMs: number; applied: number; behind: number } | undefined;

  constructor(
    readonly config: Pick<
      ServiceConfig,
      "broker" | "footTopic" | "shelfTopic" | "groupIdFoot" | "groupIdShelf" | "applicationId"
    >,
    readonly everyMs = PROGRESS_EVERY_MS,
  ) {}

  /** The lines to log for `v` (mostly none). */
  look(v: OperatorView): OperatorLine[] {
    if (!v.ready) {
      this.#ready = false;
      this.#readySince = undefined;
      return [];
    }
    if (!this.#ready) {
      this.#readySince ??= v.nowMs;
      // The input partitions start a moment after readiness (an instance of several may have none).
      const settling = v.inputLag === undefined || v.inputs.foot.length === 0 ||
        v.inputs.shelf.length === 0;
      if (settling && v.nowMs - this.#readySince < LAG_WAIT_MS) return [];
      this.#ready = true;
      const line = this.#readyLine(v);
      this.#readyOnce = true;
      this.#last = { nowMs: v.nowMs, applied: v.applied, behind: behindOf(v) ?? 0 };
      this.#behind = (behindOf(v) ?? 0) >= BEHIND_AT;
      return [line];
    }
    const last = this.#last!;
    if (v.nowMs - last.nowMs < this.everyMs) return [];
    const behind = behindOf(v);
    if (behind === undefined) return [];
    this.#last = { nowMs: v.nowMs, applied: v.applied, behind };
    const seconds = (v.nowMs - last.nowMs) / 1000;
    const rate = Math.max(0, (v.applied - last.applied) / seconds);
    if (behind >= BEHIND_AT) {
      this.#behind = true;
      const gaining = (last.behind - behind) / seconds;
      const eta = gaining > 0
        ? `caught up in ~${duration(behind / gaining)}`
        : `not gaining: the backlog grows by ${count(-gaining)} records/s`;
      return [{
        level: "info",
        msg: `catching up: ${count(rate)} records/s, ${count(behind)} records behind ` +
          `(${lagText(v)}), ${count(v.openCarts)} open carts, ${eta}`,
        fields: {
          recordsPerSecond: Math.round(rate),
          behind,
          openCarts: v.openCarts,
          ...(gaining > 0 ? { catchUpSeconds: Math.round(behind / gaining) } : {}),
        },
      }];
    }
    if (!this.#behind) return [];
    this.#behind = false;
    return [{
      level: "info",
      msg: `caught up: ${count(behind)} records behind, ${count(v.openCarts)} open carts, ` +
        `${count(v.openSessions)} open sessions`,
      fields: { behind, openCarts: v.openCarts, openSessions: v.openSessions },
    }];
  }

  #readyLine(v: OperatorView): OperatorLine {
    const c = this.config;
    const input = (topic: string, group: string, tasks: number[]) =>
      `${topic} (${tasks.length === 0 ? "no partition here" : `partitions ${ranges(tasks)}`}, ` +
      `group ${group})`;
    const behind = behindOf(v);
    const how = behind === undefined
      ? "how far behind is not known yet"
      : behind < BEHIND_AT
      ? `caught up (${lagText(v)})`
      : `${count(behind)} records behind (${lagText(v)})`;
    const tasks = v.checkoutTasks.length === 0
      ? "no checkout task here (standing by)"
      : `checkout tasks ${ranges(v.checkoutTasks)}`;
    return {
      level: "info",
      msg: `${this.#readyOnce ? "ready again" : "ready"}: consuming ` +
        `${input(c.footTopic, c.groupIdFoot, v.inputs.foot)} and ` +
        `${input(c.shelfTopic, c.groupIdShelf, v.inputs.shelf)} from ${c.broker.join(",")} ` +
        `as application ${c.applicationId}, ${tasks}; ${how}; ${count(v.openCarts)} open carts`,
      fields: { behind, openCarts: v.openCarts },
    };
  }
}

/** What the service has not done yet: input not read plus forwarded not applied. */
function behindOf(v: OperatorView): number | undefined {
  return v.inputLag === undefined ? undefined : v.inputLag.foot + v.inputLag.shelf + v.forwardedLag;
}

function lagText(v: OperatorView): string {
  const l = v.inputLag!;
  return `foot ${count(l.foot)}, shelf ${count(l.shelf)}, forwarded ${count(v.forwardedLag)}`;
}

/** 12,345 */
function count(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** "4 s", "3 min", "1 h 5 min". */
function duration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  const min = Math.round(seconds / 60);
  return min < 90 ? `${min} min` : `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** "0-2,5" */
function ranges(ns: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < ns.length; i++) {
    let j = i;
    while (j + 1 < ns.length && ns[j + 1] === ns[j] + 1) j++;
    out.push(j > i ? `${ns[i]}-${ns[j]}` : `${ns[i]}`);
    i = j;
  }
  return out.join(",");
}

/** The view of the service's metrics now. */
export function operatorView(metrics: ServiceMetrics, nowMs: number): OperatorView {
  const t = metrics.tasks;
  const foot = t.stageLag("foot");
  const shelf = t.stageLag("shelf");
  return {
    nowMs,
    ready: metrics.ready,
    inputs: { foot: t.assignedTasks("foot"), shelf: t.assignedTasks("shelf") },
    checkoutTasks: t.assignedTasks("task"),
    inputLag: foot === undefined || shelf === undefined ? undefined : { foot, shelf },
    forwardedLag: t.stageLag("task") ?? 0,
    applied: metrics.recordsApplied.get(),
    openCarts: metrics.openCarts.get(),
    openSessions: metrics.openSessions.get(),
  };
}
