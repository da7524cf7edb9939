#!/usr/bin/env bash
# Two backfills of the same day into one running service (issue 22's "producers go back in
# time"): a broker, the service at its defaults, `simulate --as-fast-as-possible` with seed A and
# then with seed B (new shoppers, the same default --date), then everything written is replayed
# and compared with what the service billed.
#
#   bench/backfill_again.sh [--service-dir DIR] [--customers N] [--seeds "101 202"]
#
# --service-dir runs the service from another checkout (e.g. a worktree of an earlier commit) to
# measure before/after; `simulate` and `replay` always come from this checkout. Needs kcat.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
service_dir="$here"
customers=1500
seeds="101 202"
while [ $# -gt 0 ]; do
  case "$1" in
    --service-dir) service_dir="$(cd "$2" && pwd)"; shift 2 ;;
    --customers) customers="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    *) echo "usage: $0 [--service-dir DIR] [--customers N] [--seeds \"A B\"]" >&2; exit 2 ;;
  esac
done
work="$(mktemp -d)"
port=$((20000 + RANDOM % 20000))
broker="127.0.0.1:$port"
cleanup() {
  [ -n "${svc:-}" ] && kill -TERM "$svc" 2>/dev/null && wait "$svc" 2>/dev/null || true
  [ -n "${kafka:-}" ] && kill -INT "$kafka" 2>/dev/null && wait "$kafka" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

(cd "$here" && exec deno run --allow-all deploy/kafka.ts --port "$port" >"$work/kafka.log" 2>&1) &
kafka=$!
for _ in $(seq 120); do kcat -b "$broker" -L >/dev/null 2>&1 && break; sleep 1; done

(cd "$service_dir" && exec deno run --allow-all main.ts run --broker "$broker" --create-topics \
  --store "$here/examples/store_inventory_final.parquet" \
  --discounts "$here/examples/all_discounts.parquet" --metrics-port 0 >"$work/service.log" 2>&1) &
svc=$!

count() { # committed transactions so far
  kcat -b "$broker" -C -t pos_transactions -X isolation.level=read_committed -e -q 2>/dev/null |
    wc -l
}
settle() { # until the output has not grown for 15 s
  local last=-1 same=0 n
  while [ "$same" -lt 15 ]; do
    n=$(count)
    if [ "$n" = "$last" ]; then same=$((same + 1)); else same=0; last=$n; fi
    sleep 1
  done
}

for seed in $seeds; do
  (cd "$here" && deno run -A main.ts simulate --broker "$broker" --create-topics \
    --customers "$customers" --as-fast-as-possible --seed "$seed" >/dev/null 2>&1)
  settle
done

kcat -b "$broker" -C -t foot_traffic -e -q >"$work/foot.jsonl"
kcat -b "$broker" -C -t shelf_events -e -q >"$work/shelf.jsonl"
kcat -b "$broker" -C -t pos_transactions -X isolation.level=read_committed -e -q \
  >"$work/billed.jsonl"
(cd "$here" && deno run -A main.ts replay --foot "$work/foot.jsonl" --shelf "$work/shelf.jsonl" \
  --store examples/store_inventory_final.parquet --discounts examples/all_discounts.parquet \
  --out "$work/replay.jsonl" 2>/dev/null)
late=$(kcat -b "$broker" -C -t pos_dlq -e -q -f '%h\n' 2>/dev/null | grep -c 'dlq.reason=late' || true)

deno eval '
const read = (f) => Deno.readTextFileSync(f).split("\n").filter((l) => l.trim() !== "")
  .map((l) => JSON.parse(l));
const key = (t) => JSON.stringify([t.customer_id, t.timestamp, t.items]);
const [billedF, replayF, late] = Deno.args;
const billed = read(billedF), expected = read(replayF);
const byCustomer = new Map(expected.map((t) => [t.customer_id, key(t)]));
const seen = new Set();
let equal = 0, wrong = 0, extra = 0, twice = 0;
for (const t of billed) {
  if (seen.has(t.customer_id)) twice++;
  seen.add(t.customer_id);
  const k = byCustomer.get(t.customer_id);
  if (k === undefined) extra++;
  else if (k === key(t)) equal++;
  else wrong++;
}
const missing = expected.filter((t) => !seen.has(t.customer_id)).length;
console.log(JSON.stringify({
  replay: expected.length, billed: billed.length, equal, missing, wrong, extra, twice,
  lateDlq: Number(late),
}));
' "$work/billed.jsonl" "$work/replay.jsonl" "$late"
