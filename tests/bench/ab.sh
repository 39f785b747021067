#!/usr/bin/env bash
# Two rfmgw binaries side by side on one abapsim: CPU per sequential request (all threads,
# /proc/PID/task/*/schedstat, nanosecond resolution), alternating rounds, medians per thread name.
# For "did this change make a path cheaper": noise on a 2-core VM moves both binaries alike.
#
# Usage: tests/bench/ab.sh OLD_RFMGW NEW_RFMGW [structure ROWS | connection-test]
#   env: ROUNDS=8 (alternating rounds), CALLS=20 (sequential keep-alive requests per round),
#        OLD_LISTEN / NEW_LISTEN: more listen settings for one side, to compare one binary with
#        itself under two settings, e.g. NEW_LISTEN="connection_memory = 65536;"
# Both run listen.threads = 0 (the default), one convert thread, a pool of one session.
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,8p' "$0" >&2; exit 2; }
old=$(realpath "$1") new=$(realpath "$2")
what=${3:-structure}
rows=${4:-10000}
cd "$(dirname "$0")/../.."
source tests/bench/lib.sh
bench_build abapsim rfmgw_http_seq
bench_workdir rfmgw-ab
bench_start_sim
bench_routes
start() { # name binary more-listen-settings
  bench_gw_conf "$W/$1.conf" "threads = 0; max_body = 16777216; convert_threads = 1; $3" \
    "pool = { max = 1; min_idle = 1; ping_interval_ms = 0; };"
  "$2" -c "$W/$1.conf" --ready-file "$W/$1.port" 2>"$W/$1.log" &
  pids+=("$!")
  wait_ready "$W/$1.port" $! "$1"
  eval "pid_$1=$!"
}
start old "$old" "${OLD_LISTEN:-}"
start new "$new" "${NEW_LISTEN:-}"
bench_body "$what" "$rows"
calls=${CALLS:-20}
# µs of CPU so far, per thread name ("rfmgw", "rfmgw-loop", "rfmgw-convert") and in all
threads() {
  for t in /proc/"$1"/task/*; do printf '%s %s\n' "$(tr -d ' ' < "$t/comm")" "$(cut -d' ' -f1 "$t/schedstat")"; done |
    awk '{s[$1] += $2; all += $2} END {for (k in s) printf "%s %d\n", k, s[k] / 1000; printf "all %d\n", all / 1000}'
}
seq_run() { "$build/tests/bench/rfmgw_http_seq" "$(cat "$W/$1.port")" POST "$url" "$2" "$W/body.json" >/dev/null; }
for v in old new; do seq_run "$v" 3; done # warm-up: metadata, first conversions, memory
for r in $(seq 1 "${ROUNDS:-8}"); do
  for v in old new; do
    eval "p=\$pid_$v"
    threads "$p" > "$W/t0"
    seq_run "$v" "$calls"
    threads "$p" > "$W/t1"
    join "$W/t0" "$W/t1" | awk -v v="$v" -v n="$calls" '{printf "%s %s %d\n", v, $1, ($3 - $2) / n}'
  done
done > "$W/ab"
label=$what
[ "$what" = structure ] && label="structure ($rows rows)"
echo "CPU µs per $label request, medians of ${ROUNDS:-8} alternating rounds of $calls calls:"
for k in all rfmgw-loop rfmgw-convert rfmgw; do
  line="  $(printf '%-14s' "$k")"
  for v in old new; do
    m=$(awk -v v="$v" -v k="$k" '$1 == v && $2 == k {print $3}' "$W/ab" | sort -n |
      awk '{a[NR] = $1} END {if (NR) printf "%d", a[int((NR + 1) / 2)]; else printf "-"}')
    line="$line $v $(printf '%8s' "$m")"
  done
  echo "$line"
done
echo "  (per round, old and new: $(awk '$2 == "all" {printf "%s ", $3}' "$W/ab"))"
