#!/usr/bin/env bash
# Where rfmgw spends its CPU: `perf record -g` on the rfmgw process while wrk drives one path.
# Usage: tests/bench/perf.sh [connection-test | structure ROWS]
#   env: SECONDS_PER_RUN=10 CONNS=8 THREADS=2 (listen.threads; 0 = loop mode) CALLGRAPH=fp (dwarf: callers through libraries built without
#   frame pointers, e.g. Jansson, at the price of a larger perf.data)
# Prints perf report --no-children (self time by function) and the top callers (children).
# Needs perf (Debian linux-perf) and a kernel that allows it (perf_event_paranoid <= 1 or root).
set -euo pipefail
cd "$(dirname "$0")/../.."
what=${1:-connection-test}
rows=${2:-1000}
secs=${SECONDS_PER_RUN:-10}
c=${CONNS:-8}
scripts/deps.sh wrk linux-perf >/dev/null
source tests/bench/lib.sh
bench_build rfmgw abapsim

bench_workdir rfmgw-perf
bench_start_sim
bench_routes
bench_gw_conf "$W/gw.conf" "threads = ${THREADS:-2}; max_body = 16777216;" \
  "call_timeout_ms = 30000; pool = { max = $c; min_idle = $c; };"
"$build/rfmgw" -c "$W/gw.conf" --ready-file "$W/gw.port" 2>"$W/gw.log" &
gw=$!
pids+=("$gw")
for _ in $(seq 1 100); do [ -s "$W/gw.port" ] && break; sleep 0.1; done
port=$(cat "$W/gw.port")

bench_body "$what" "$rows"
printf 'wrk.method = "POST"\nlocal f = io.open("%s", "rb")\nwrk.body = f:read("*a")\nf:close()\nwrk.headers["Content-Type"] = "application/json"\n' \
  "$W/body.json" > "$W/post.lua"

wrk -t1 -c"$c" -d1s -s "$W/post.lua" "http://127.0.0.1:$port$url" >/dev/null # warm-up
wrk -t1 -c"$c" -d"$((secs + 2))s" -s "$W/post.lua" "http://127.0.0.1:$port$url" > "$W/wrk.out" &
wp=$!
pids+=("$wp")
sleep 1
perf record -q --call-graph "${CALLGRAPH:-fp}" -F 2999 -p "$gw" -o "$W/perf.data" -- sleep "$secs" 2>"$W/perf.err" || { cat "$W/perf.err" >&2; exit 1; }
wait "$wp" || true
grep -E 'Requests/sec|Latency' "$W/wrk.out"
echo "== self time by function (perf report --no-children)"
perf report -i "$W/perf.data" --no-children --sort symbol --stdio -g none --percent-limit 0.7 2>/dev/null |
  grep -v '^#' | grep -v '^$' | head -50
echo "== self time by shared object"
perf report -i "$W/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -15
echo "== inclusive time (children) by function"
perf report -i "$W/perf.data" --children --sort symbol --stdio -g none --percent-limit 3 2>/dev/null |
  grep -v '^#' | grep -v '^$' | head -50
