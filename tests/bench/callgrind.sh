#!/usr/bin/env bash
# A regression gate that does not depend on noise: instructions executed by the rfmgw process
# (all threads; valgrind --tool=callgrind, Release build) per request of the main paths.
#   healthz         GET /healthz
#   connection-test POST /api/v1/connection-test → STFC_CONNECTION (abapsim, TLS, pool of 1)
#   structure100    POST /api/v1/structure → STFC_STRUCTURE with a 100-row RFCTABLE
#   (these three with listen.threads = 2; loop-connection-test: connection-test with the default
#   listen.threads = 0, against its own start-up run)
# Start-up and first-request costs (TLS handshake, logon, DESCRIBE, caches) are removed by
# difference: a run with only a warm-up of every path is subtracted from a run with the warm-up
# plus COUNT requests of one path, both from process start to exit.
# Usage: tests/bench/callgrind.sh [--check | --update]
#   prints `path Ir/request` lines; --check compares with tests/bench/callgrind.baseline and
#   exits 1 when a path is more than 10 % worse (CALLGRIND_TOLERANCE=10); --update rewrites it.
#   CALLGRIND_KEEP=DIR keeps the callgrind.out files there (callgrind_annotate DIR/cg.structure100).
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=${1:-}
baseline=tests/bench/callgrind.baseline
tol=${CALLGRIND_TOLERANCE:-10}
warm=20
scripts/deps.sh valgrind >/dev/null
source tests/bench/lib.sh
bench_build rfmgw abapsim rfmgw_http_seq
seq_bin=$build/tests/bench/rfmgw_http_seq

bench_workdir rfmgw-callgrind
bench_before_rm() {
  if [ -n "${CALLGRIND_KEEP:-}" ]; then mkdir -p "$CALLGRIND_KEEP"; cp "$W"/cg.* "$CALLGRIND_KEEP"/ 2>/dev/null || true; fi
}
bench_start_sim

bench_routes
# one backend session, no idle pings or retirement during the run: the same work every time
bench_gw_conf "$W/gw.conf" "threads = 2; max_body = 16777216;" \
  "connect_timeout_ms = 60000; call_timeout_ms = 60000;
  pool = { max = 1; min_idle = 1; ping_interval_ms = 0; idle_timeout_ms = 86400000;
           max_lifetime_ms = 604800000; acquire_timeout_ms = 60000; };"
sed 's/threads = 2;/threads = 0;/' "$W/gw.conf" > "$W/gw-loop.conf"
printf '{"REQUTEXT":"hello"}' > "$W/conn.json"
awk -v n=100 -f tests/bench/structure_body.awk > "$W/rows100.json"

# path → method, url path, body file, requests
paths="healthz connection-test structure100"
declare -A P_METHOD=([healthz]=GET [connection-test]=POST [structure100]=POST)
declare -A P_URL=([healthz]=/healthz [connection-test]=/api/v1/connection-test [structure100]=/api/v1/structure)
declare -A P_BODY=([healthz]="" [connection-test]=$W/conn.json [structure100]=$W/rows100.json)
declare -A P_COUNT=([healthz]=${CG_HEALTHZ:-2000} [connection-test]=${CG_CONN:-1000} [structure100]=${CG_ROWS:-200})
conf=$W/gw.conf # run_once's configuration

send() { # port path count
  local body=${P_BODY[$2]}
  "$seq_bin" "$1" "${P_METHOD[$2]}" "${P_URL[$2]}" "$3" ${body:+"$body"} >/dev/null
}

run_once() { # label [path]: rfmgw under callgrind, warm-up of every path (+ COUNT of path); → total Ir
  local label=$1 what=${2:-} pid port
  rm -f "$W/gw.port"
  valgrind --tool=callgrind --callgrind-out-file="$W/cg.$label" \
    "$build/rfmgw" -c "$conf" --ready-file "$W/gw.port" 2>"$W/vg.$label.log" &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 1 600); do [ -s "$W/gw.port" ] && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  [ -s "$W/gw.port" ] || { echo "rfmgw under valgrind did not start" >&2; tail "$W/vg.$label.log" >&2; exit 1; }
  port=$(cat "$W/gw.port")
  for p in $paths; do send "$port" "$p" "$warm" || { echo "warm-up $p failed" >&2; exit 1; }; done
  if [ -n "$what" ]; then send "$port" "$what" "${P_COUNT[$what]}" || { echo "$what failed" >&2; exit 1; }; fi
  kill -TERM "$pid"
  for _ in $(seq 1 1200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  wait "$pid" || { echo "rfmgw under valgrind did not exit cleanly" >&2; exit 1; }
  awk '/^(summary|totals):/ {print $2; exit}' "$W/cg.$label"
}

base=$(run_once base)
out=""
for p in $paths; do
  t=$(run_once "$p" "$p")
  out+="$p $(( (t - base) / P_COUNT[$p] ))"$'\n'
done
conf=$W/gw-loop.conf
base=$(run_once base-loop)
t=$(run_once loop-connection-test connection-test)
out+="loop-connection-test $(( (t - base) / P_COUNT[connection-test] ))"$'\n'
printf 'callgrind: instructions (Ir) of the rfmgw process per request, start-up subtracted\n'
printf '%s' "$out" | while read -r p ir; do printf '  %-22s %10s Ir/request\n' "$p" "$ir"; done

case $mode in
--update)
  { echo "# tests/bench/callgrind.sh --update: Ir per request of rfmgw (Release), $(date -u +%Y-%m-%d)"
    printf '%s' "$out"; } > "$baseline"
  echo "baseline written: $baseline" ;;
--check)
  [ -f "$baseline" ] || { echo "no $baseline (run with --update)" >&2; exit 1; }
  bad=0
  while read -r p ir; do
    b=$(awk -v p="$p" '$1 == p {print $2}' "$baseline")
    [ -n "$p" ] || continue
    [ -n "$b" ] || { echo "  $p: not in the baseline"; continue; }
    pct=$(awk -v a="$ir" -v b="$b" 'BEGIN { printf "%+.1f", (a - b) * 100 / b }')
    if awk -v a="$ir" -v b="$b" -v t="$tol" 'BEGIN { exit !(a > b * (1 + t / 100)) }'; then
      echo "  $p: $ir vs baseline $b ($pct %): WORSE than $tol %"; bad=1
    else
      echo "  $p: $ir vs baseline $b ($pct %): ok"
    fi
  done <<<"$out"
  exit $bad ;;
esac
