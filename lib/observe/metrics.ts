/**
 * Prometheus metrics in the text exposition format, and the HTTP endpoint that serves them
 * with `/healthz` (the process is alive) and `/readyz` (state restored, consuming; 503 while any
 * task of this instance restores its changelog partition: `ServiceMetrics.ready`).
 * @module
 */

type Labels = Record<string, string>;

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) =>
    `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`
  );
  return parts.length ? `{${parts.join(",")}}` : "";
}

interface Family {
  help: string;
  type: "counter" | "gauge" | "histogram";
  render(name: string): string[];
}

/** A monotonic counter with labels. */
export class Counter {
  readonly values = new Map<string, { labels: Labels; value: number }>();
  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    const cur = this.values.get(key);
    if (cur) cur.value += by;
    else this.values.set(key, { labels, value: by });
  }
  /** Sets the running total (for counters kept elsewhere, e.g. by the engine). */
  set(labels: Labels, value: number): void {
    this.values.set(labelText(labels), { labels, value });
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelText(labels))?.value ?? 0;
  }
  /** Drops one series (e.g. a task no longer here), so it is not exported any more. */
  delete(labels: Labels): void {
    this.values.delete(labelText(labels));
  }
}

/** A value that goes up and down. */
export class Gauge extends Counter {}

/** A histogram with fixed upper bounds (seconds, for latencies). */
export class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly bounds: number[]) {
    this.counts = bounds.map(() => 0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.bounds.length; i++) if (v <= this.bounds[i]) this.counts[i]++;
  }
}

/** A set of named metric families that renders as Prometheus text. */
export class Registry {
  #families = new Map<string, Family>();

  counter(name: string, help: string): Counter {
    const c = new Counter();
    this.#families.set(name, { help, type: "counter", render: (n) => renderValues(n, c) });
    return c;
  }

  gauge(name: string, help: string): Gauge {
    const g = new Gauge();
    this.#families.set(name, { help, type: "gauge", render: (n) => renderValues(n, g) });
    return g;
  }

  histogram(name: string, help: string, bounds: number[]): Histogram {
    const h = new Histogram(bounds);
    this.#families.set(name, {
      help,
      type: "histogram",
      render: (n) => [
        ...h.bounds.map((b, i) => `${n}_bucket{le="${b}"} ${h.counts[i]}`),
        `${n}_bucket{le="+Inf"} ${h.count}`,
        `${n}_sum ${h.sum}`,
        `${n}_count ${h.count}`,
      ],
    });
    return h;
  }

  /** The exposition text. */
  render(): string {
    const out: string[] = [];
    for (const [name, f] of this.#families) {
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`, ...f.render(name));
    }
    return out.join("\n") + "\n";
  }
}

function renderValues(name: string, c: Counter): string[] {
  return [...c.values.values()].map((v) => `${name}${labelText(v.labels)} ${v.value}`);
}

/** What the health endpoints report. */
export interface Health {
  alive(): boolean;
  ready(): boolean;
}

/** Serves `/metrics`, `/healthz` and `/readyz` on `port` until `signal` aborts. */
export function serveMetrics(
  port: number,
  registry: Registry,
  health: Health,
  signal: AbortSignal,
  hostname = "0.0.0.0",
): Deno.HttpServer {
  return Deno.serve({ port, hostname, signal, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/metrics") {
      return new Response(registry.render(), {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      });
    }
    if (path === "/healthz") {
      return health.alive() ? new Response("ok\n") : new Response("down\n", { status: 503 });
    }
    if (path === "/readyz") {
      return health.ready()
        ? new Response("ready\n")
        : new Response("not ready\n", { status: 503 });
    }
    return new Response("not found\n", { status: 404 });
  });
}
