#!/usr/bin/env bash
# The benchmark: rfmgw next to the limits it sits between, side by side in one run, interleaved,
# medians of ROUNDS runs. Loopback only; every process it starts is stopped at the end.
#   backend  the direct WebSocket client (rfmgw_wsclient) calling STFC_CONNECTION on abapsim over
#            N TLS connections: calls/s, p50/p99, its CPU per call
#   rfmgw    POST /api/v1/connection-test through rfmgw (pool max N) to the same abapsim, wrk
#            with N connections: req/s, p50/p99, rfmgw's CPU per request (/proc/PID/stat)
#   http     nginx `return 200` (workers = rfmgw's HTTP threads) vs rfmgw /healthz, wrk -c64
# Usage: tests/bench/run.sh            (SECONDS_PER_RUN=5 ROUNDS=3 CONNS="4 8")
# Prints one table; exits non-zero when something could not be measured (not when slow).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
secs=${SECONDS_PER_RUN:-5}
rounds=${ROUNDS:-3}
conns=${CONNS:-4 8}
scripts/deps.sh wrk nginx-light >/dev/null
build=${RFMGW_BENCH_BUILD:-build-bench}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target rfmgw abapsim rfmgw_wsclient >/dev/null

W=$(mktemp -d /tmp/rfmgw-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT

bash scripts/demo-pki.sh "$W/pki" >/dev/null
printf 'Bench-Passw0rd\n' > "$W/secret"
h=$("$build/abapsim" --hash-password --iterations 1000 < "$W/secret")
cat > "$W/sim.conf" <<EOC
listen = { address = "127.0.0.1"; port = 0; };
tls = { cert = "pki/server.pem"; key = "pki/server.key"; };
hosts = ( { name = "my100000-api.abapsim.test"; client = "100"; } );
users = ( { name = "CC0000000001"; password = "$h"; } );
EOC
"$build/abapsim" -c "$W/sim.conf" --ready-file "$W/sim.port" --log-level error 2>"$W/sim.log" &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$W/sim.port" ] && break; sleep 0.1; done
sim_port=$(cat "$W/sim.port")

start_gw() { # pool max
  cat > "$W/gw$1.conf" <<EOC
listen = { address = "127.0.0.1"; port = 0; threads = 2; connection_limit = 4096; };
log = { level = "warn"; };
mappings = "routes.conf";
destinations = ( { name = "sim"; host = "my100000-api.abapsim.test"; port = $sim_port; address = "127.0.0.1";
  auth = { user = "CC0000000001"; password_file = "secret"; }; tls = { ca_file = "pki/ca.pem"; };
  pool = { max = $1; min_idle = $1; }; } );
EOC
  "$build/rfmgw" -c "$W/gw$1.conf" --ready-file "$W/gw$1.port" 2>"$W/gw$1.log" &
  pids+=($!)
  eval "gw_pid_$1=$!"
  for _ in $(seq 1 100); do [ -s "$W/gw$1.port" ] && break; sleep 0.1; done
}
cat > "$W/routes.conf" <<'EOC'
routes = ( { method = "POST"; path = "/api/v1/connection-test"; destination = "sim"; function = "STFC_CONNECTION"; } );
EOC
for n in $conns; do start_gw "$n"; done

cat > "$W/post.lua" <<'EOC'
wrk.method = "POST"
wrk.body = '{"REQUTEXT":"hello"}'
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"us":%d,"errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
EOC
cp "$W/post.lua" "$W/get.lua"; sed -i '1,3d' "$W/get.lua"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# nginx `return 200` with as many workers as rfmgw has HTTP threads
cat > "$W/nginx.conf" <<EOC
worker_processes 2; daemon off; pid $W/nginx.pid; error_log $W/nginx.err warn;
events { worker_connections 4096; }
http { access_log off; server { listen 127.0.0.1:0 reuseport; listen 127.0.0.1:18089;
  location / { default_type application/json; return 200 '{"status":"ok"}'; } } }
EOC
sed -i 's/listen 127.0.0.1:0 reuseport; //' "$W/nginx.conf"
nginx -c "$W/nginx.conf" 2>"$W/nginx.start" &
pids+=($!)
sleep 0.5

results="$W/results"
: > "$results"
for r in $(seq 1 "$rounds"); do
  for n in $conns; do
    out=$("$build/tests/bench/rfmgw_wsclient" --port "$sim_port" --ca "$W/pki/ca.pem" --user CC0000000001 \
          --password-file "$W/secret" --connections "$n" --seconds "$secs")
    echo "backend $n $(jq -r '[.calls_per_s, .p50_us, .p99_us, .cpu_us_per_call, .errors] | @tsv' <<<"$out")" >> "$results"
    pid=$(eval echo "\$gw_pid_$n")
    c0=$(cpu_ticks "$pid")
    out=$(wrk -t1 -c"$n" -d"${secs}s" -s "$W/post.lua" "http://127.0.0.1:$(cat "$W/gw$n.port")/api/v1/connection-test" | tail -n 1)
    c1=$(cpu_ticks "$pid")
    req=$(jq -r .requests <<<"$out")
    echo "rfmgw $n $(jq -r --argjson c "$((c1 - c0))" --argjson hz "$hz" \
      '[(.requests / (.us / 1e6)), .p50_us, .p99_us, (if .requests > 0 then $c / $hz * 1e6 / .requests else 0 end), .errors] | @tsv' <<<"$out")" >> "$results"
    [ "$req" -gt 0 ] || { echo "no requests measured"; exit 1; }
  done
  n1=$(echo "$conns" | awk '{print $1}')
  out=$(wrk -t1 -c64 -d"${secs}s" -s "$W/get.lua" "http://127.0.0.1:18089/" | tail -n 1)
  echo "nginx-200 64 $(jq -r '[(.requests / (.us / 1e6)), .p50_us, .p99_us, 0, .errors] | @tsv' <<<"$out")" >> "$results"
  out=$(wrk -t1 -c64 -d"${secs}s" -s "$W/get.lua" "http://127.0.0.1:$(cat "$W/gw$n1.port")/healthz" | tail -n 1)
  echo "healthz 64 $(jq -r '[(.requests / (.us / 1e6)), .p50_us, .p99_us, 0, .errors] | @tsv' <<<"$out")" >> "$results"
done

# medians per (what, N) and the ratios the targets are about
python_free_median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
med() { awk -v w="$1" -v n="$2" -v col="$3" '$1==w && $2==n {print $col}' "$results" | python_free_median; }
printf '\n%-10s %5s %12s %9s %9s %13s %7s\n' what N "req/s" "p50 µs" "p99 µs" "CPU µs/call" errors
for key in $(awk '{print $1"/"$2}' "$results" | awk '!seen[$0]++'); do
  w=${key%/*}; n=${key#*/}
  printf '%-10s %5s %12.0f %9.0f %9.0f %13.1f %7.0f\n' "$w" "$n" "$(med "$w" "$n" 3)" "$(med "$w" "$n" 4)" \
    "$(med "$w" "$n" 5)" "$(med "$w" "$n" 6)" "$(med "$w" "$n" 7)"
done
echo
for n in $conns; do
  awk -v n="$n" -v tb="$(med backend "$n" 3)" -v tr="$(med rfmgw "$n" 3)" -v cb="$(med backend "$n" 6)" \
      -v cr="$(med rfmgw "$n" 6)" -v pb="$(med backend "$n" 4)" -v pr="$(med rfmgw "$n" 4)" 'BEGIN {
    printf "N=%s: throughput rfmgw/backend %.2f; CPU per call rfmgw/direct client %.2f; added p50 %+.0f µs\n",
      n, tr / tb, cr / cb, pr - pb }'
done
awk -v a="$(med healthz 64 3)" -v b="$(med nginx-200 64 3)" 'BEGIN { printf "healthz/nginx return 200: %.2f\n", a / b }'
echo "(medians of $rounds interleaved runs of ${secs}s; raw rows in the order measured:)"
cat "$results"
