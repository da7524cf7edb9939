/**
 * What the end-to-end benchmarks share: kcat as producer and as the pass-through baseline, the
 * service's metrics, and its memory from /proc.
 * @module
 */
import type { TrafficRecord } from "../tests/support/test_store.ts";
import { eventually, type ServiceProcess } from "../tests/support/service_process.ts";

/** Produces records (`key\tvalue` lines through a file) with kcat, lz4: a fast, real producer. */
export async function kcatProduce(
  bootstrap: string,
  dir: string,
  topic: string,
  records: TrafficRecord[],
): Promise<void> {
  const file = `${dir}/${topic}.tsv`;
  await Deno.writeTextFile(
    file,
    records.map((r) => `${r.key ?? ""}\t${r.value}`).join("\n") + "\n",
  );
  const out = await new Deno.Command("kcat", {
    args: ["-b", bootstrap, "-t", topic, "-P", "-K", "\t", "-z", "lz4", "-l", file],
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  await Deno.remove(file);
}

/** Seconds kcat takes to read every record of `from` and write it to `to` (the baseline). */
export async function kcatPassThrough(
  bootstrap: string,
  from: string,
  to: string,
): Promise<number> {
  const t0 = performance.now();
  const piped = await new Deno.Command("bash", {
    args: [
      "-c",
      `kcat -C -b ${bootstrap} -t ${from} -e -o beginning -q -f '%s\\n' | kcat -P -b ${bootstrap} -t ${to}`,
    ],
  }).output();
  if (!piped.success) throw new Error("kcat pass-through failed");
  return (performance.now() - t0) / 1000;
}

/** The sum of the service's metric lines starting with `prefix` (0 when unreachable). */
export async function metric(svc: ServiceProcess, prefix: string): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${svc.metricsPort}/metrics`).then((r) => r.text())
    .catch(() => "");
  return text.split("\n").filter((l) => l.startsWith(prefix)).reduce(
    (n, l) => n + Number(l.split(" ").pop()),
    0,
  );
}

/** Waits until `/readyz` answers 200. */
export async function ready(svc: ServiceProcess): Promise<void> {
  await eventually(
    "service ready",
    async () => {
      const r = await fetch(`http://127.0.0.1:${svc.metricsPort}/readyz`).catch(() => undefined);
      await r?.body?.cancel();
      return r?.status === 200;
    },
    60_000,
    50,
  );
}

/** RSS now and its peak (VmHWM) of a process, MiB. */
export function rss(pid: number): { rssMiB: number; peakMiB: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  // `deno run` is the process itself (no wrapper), so this is the service's memory.
  return { rssMiB: Math.round(kb("VmRSS") / 1024), peakMiB: Math.round(kb("VmHWM") / 1024) };
}

/** Quantiles of a Prometheus histogram (`name_bucket{le=...}` lines), by linear interpolation. */
export async function histogramQuantiles(
  svc: ServiceProcess,
  name: string,
  qs: number[],
): Promise<number[]> {
  const text = await fetch(`http://127.0.0.1:${svc.metricsPort}/metrics`).then((r) => r.text());
  const buckets = text.split("\n").filter((l) => l.startsWith(`${name}_bucket`)).map((l) => ({
    le: Number(/le="([^"]+)"/.exec(l)![1].replace("+Inf", "Infinity")),
    n: Number(l.split(" ").pop()),
  })).sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.n ?? 0;
  return qs.map((q) => {
    const want = q * total;
    let prevLe = 0;
    let prevN = 0;
    for (const b of buckets) {
      if (b.n >= want) {
        if (!Number.isFinite(b.le)) return prevLe;
        return prevLe + (b.le - prevLe) * ((want - prevN) / Math.max(1, b.n - prevN));
      }
      prevLe = b.le;
      prevN = b.n;
    }
    return NaN;
  });
}
