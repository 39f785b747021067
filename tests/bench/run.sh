#!/usr/bin/env bash
# The benchmark: rfmgw next to the limits it sits between, side by side in one run, interleaved,
# medians of ROUNDS runs. Loopback only; every process it starts is stopped at the end.
# docs/performance.md explains every number and the targets.
#   backend  the direct WebSocket client (rfmgw_wsclient) calling STFC_CONNECTION on abapsim over
#            N TLS connections: calls/s, p50/p99, its CPU per call
#   rfmgw    POST /api/v1/connection-test through rfmgw (pool max N) to the same abapsim, wrk
#            with N connections: req/s, p50/p99, rfmgw's CPU per request (/proc/PID/stat), with
#            listen.threads = 2; rfmgw-loop the same with listen.threads = 0 (the default: HTTP
#            on the backend loop thread)
#   proxy    the same POST through nginx as a TLS reverse proxy (upstream keep-alive) to a second
#            nginx `return 200` over TLS: the proxying nginx's CPU per request (its workers)
#   c1       latency at concurrency 1: wsclient --connections 1 vs wrk -c1 through rfmgw
#   http     nginx `return 200` (workers = rfmgw's HTTP threads) vs rfmgw /healthz, wrk -c64
#   rows     STFC_STRUCTURE with an R-row RFCTABLE: wsclient --rows R vs POST /api/v1/structure
#            (rfmgw with the default listen.threads = 0)
#   floor    at 10,000 rows, what only a gateway does, each part at its cheapest: JSON in and out
#            (codec_bench, no network) and the body in and the answer out over loopback
#            (bytes_floor, 4 and 64 KiB reads, nothing else done); with the direct client's CPU,
#            the lowest per-row ratio (target 8) a gateway converting with this codec can reach
#   batch    POST /api/v1/batch with one step GET /api/v1/sbook10k (10,000 rows) vs that GET alone:
#            rfmgw's CPU per request, c=1 (what the batch machinery adds to a large answer)
#   memory   RssAnon of a fresh rfmgw idle, and its growth per idle keep-alive client with IDLE
#            clients, next to a minimal libmicrohttpd server (mhd_min) with the same limits
#   isolation  c=1 connection-test latency while another client keeps fetching 10,000-row
#            RFC_READ_TABLE results (JSON, ~1.8 MB each) through the same rfmgw: with the JSON
#            conversion on a work thread (listen.convert_threads = 1) and on the HTTP thread (0).
#            A third instance adds listen.sched_slice_us = 100 (iso-convs, iso-bgs).
#            For these rows rfmgw and the measuring client run on CPU 0, abapsim and the client
#            fetching the large results on CPU 1 (taskset; without it the rows are not run); the
#            same small call straight to abapsim from CPU 0 under the same load (iso-direct) is
#            the baseline: what rfmgw adds is the difference
#   callgrind  tests/bench/callgrind.sh: instructions per request (CALLGRIND=0 skips it)
# Usage: tests/bench/run.sh   (env: SECONDS_PER_RUN=5 ROUNDS=3 CONNS="4 8" ROWS="10 1000 10000"
#                              IDLE=10000 CALLGRIND=1 RFMGW_BENCH_BUILD=build-bench)
# Prints one table; exits non-zero when something could not be measured (not when slow).
set -euo pipefail
cd "$(dirname "$0")/../.."

secs=${SECONDS_PER_RUN:-5}
rounds=${ROUNDS:-3}
conns=${CONNS:-4 8}
rowsets=${ROWS:-10 1000 10000}
idle=${IDLE:-10000}
n1=${conns%% *}
scripts/deps.sh wrk nginx-light valgrind >/dev/null
source tests/bench/lib.sh
bench_build rfmgw abapsim rfmgw_wsclient rfmgw_idle_clients rfmgw_mhd_min rfmgw_http_seq rfmgw_codec_bench \
  rfmgw_bytes_floor
bb=$build/tests/bench
# 10,000 idle clients + rfmgw's own sockets need more than the usual 1024 descriptors
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

bench_workdir rfmgw-bench
chmod 755 "$W" # nginx workers run as another user
failed=()
fail() { echo "NOT MEASURED: $*" >&2; failed+=("$*"); }

stop_pid() { # pid: SIGTERM, SIGKILL after 5 s, reaped and forgotten
  local p keep=()
  kill "$1" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  pids=("${keep[@]}")
}
free_port() { # a port nothing listens on now (nginx cannot listen on port 0 and tell us)
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  return 1
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
rss_anon() { awk '/^RssAnon:/ {print $2}' "/proc/$1/status"; } # kB

# ---- PKI, abapsim -------------------------------------------------------------------------
bench_start_sim

# ---- rfmgw: one instance per pool size ----------------------------------------------------
cat > "$W/routes.conf" <<'EOC'
routes = (
  { method = "POST"; path = "/api/v1/connection-test"; destination = "sim"; function = "STFC_CONNECTION"; },
  { method = "POST"; path = "/api/v1/structure"; destination = "sim"; function = "STFC_STRUCTURE"; },
  { method = "GET"; path = "/api/v1/sbook10k"; destination = "sim"; function = "RFC_READ_TABLE";
    bind = ( { to = "QUERY_TABLE"; const = "SBOOK"; }, { to = "ROWCOUNT"; const = "10000"; } ); }
);
EOC
start_gw() { # name pool-max [convert-threads [http-threads [more listen settings]]] → gw_pid_<name>, gw_port_<name>
  cat > "$W/gw$1.conf" <<EOC
listen = { address = "127.0.0.1"; port = 0; threads = ${4:-2}; connection_limit = $((idle + 50));
           max_body = 16777216; convert_threads = ${3:-1}; ${5:-} };
log = { level = "warn"; };
mappings = "routes.conf";
callers = { methods = ( { name = "open"; type = "none"; } ); default = [ "open" ]; };
destinations = ( { name = "sim"; host = "my100000-api.abapsim.test"; port = $sim_port; address = "127.0.0.1";
  auth = { user = "CC0000000001"; password_file = "secret"; }; tls = { ca_file = "pki/ca.pem"; };
  call_timeout_ms = 30000; pool = { max = $2; min_idle = $2; }; } );
EOC
  rm -f "$W/gw$1.port"
  "$build/rfmgw" -c "$W/gw$1.conf" --ready-file "$W/gw$1.port" 2>"$W/gw$1.log" &
  pids+=($!)
  wait_ready "$W/gw$1.port" $! "gw$1"
  eval "gw_pid_$1=$!; gw_port_$1=$(cat "$W/gw$1.port")"
}
for n in $conns; do start_gw "$n" "$n"; start_gw "loop$n" "$n" 1 0; done
start_gw conv0 2 0
start_gw conv1 2 1
start_gw convs 2 1 2 "sched_slice_us = 100;" # the latency setting (docs/performance.md)
gw_pid() { eval echo "\$gw_pid_$1"; }
gw_port() { eval echo "\$gw_port_$1"; }

# ---- nginx: `return 200` (plain and TLS) and the TLS reverse proxy -------------------------
start_nginx() { # name conf-template (@PORT@ replaced) scheme → nginx_pid_<name>, nginx_port_<name>
  local port pid
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    sed "s/@PORT@/$port/g; s#@W@#$W#g" "$2" > "$W/$1.conf"
    nginx -p "$W" -e "$W/$1.err" -c "$W/$1.conf" 2>>"$W/$1.log" &
    pid=$!
    for _ in $(seq 1 50); do
      curl -sk -o /dev/null --max-time 1 "$3://127.0.0.1:$port/" 2>/dev/null && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      pids+=("$pid")
      eval "nginx_pid_$1=$pid; nginx_port_$1=$port"
      return 0
    fi
    wait "$pid" 2>/dev/null || true
  done
  echo "FATAL: nginx $1 does not start: $(tail -n 3 "$W/$1.err" "$W/$1.log" 2>/dev/null)" >&2
  exit 1
}
common="daemon off; error_log @W@/@NAME@.err warn; pid @W@/@NAME@.pid;"
http_common="access_log off; client_body_temp_path @W@/tmp-@NAME@; proxy_temp_path @W@/tmp-@NAME@-p;"
ok_body="default_type application/json; return 200 '{\"status\":\"ok\"}';"
cat > "$W/ngx200.tmpl" <<EOC
worker_processes 2; ${common//@NAME@/ngx200}
events { worker_connections 4096; }
http { ${http_common//@NAME@/ngx200} server { listen 127.0.0.1:@PORT@; location / { $ok_body } } }
EOC
cat > "$W/ngxtls.tmpl" <<EOC
worker_processes 1; ${common//@NAME@/ngxtls}
events { worker_connections 4096; }
http { ${http_common//@NAME@/ngxtls}
  server { listen 127.0.0.1:@PORT@ ssl; server_name my100000-api.abapsim.test;
    ssl_certificate @W@/pki/server.pem; ssl_certificate_key @W@/pki/server.key;
    keepalive_requests 1000000; location / { $ok_body } } }
EOC
start_nginx ngx200 "$W/ngx200.tmpl" http
start_nginx ngxtls "$W/ngxtls.tmpl" https
# the proxy: as many workers as rfmgw has HTTP threads, verified TLS to the upstream, keep-alive
cat > "$W/ngxproxy.tmpl" <<EOC
worker_processes 2; ${common//@NAME@/ngxproxy}
events { worker_connections 4096; }
http { ${http_common//@NAME@/ngxproxy}
  upstream sim { server 127.0.0.1:$nginx_port_ngxtls; keepalive 32; keepalive_requests 1000000; }
  server { listen 127.0.0.1:@PORT@; keepalive_requests 1000000;
    location / { proxy_pass https://sim; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_ssl_verify on; proxy_ssl_trusted_certificate @W@/pki/ca.pem;
      proxy_ssl_name my100000-api.abapsim.test; proxy_ssl_server_name on; proxy_ssl_session_reuse on; } } }
EOC
start_nginx ngxproxy "$W/ngxproxy.tmpl" http
nginx_workers() { cat "/proc/$1/task/$1/children"; }
nginx_cpu() { local t=0 p; for p in $(nginx_workers "$1"); do t=$((t + $(cpu_ticks "$p"))); done; echo "$t"; }

# ---- wrk scripts and payloads -------------------------------------------------------------
report='done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("{\"requests\":%d,\"us\":%d,\"errors\":%d,\"p50_us\":%d,\"p99_us\":%d,\"kinds\":\"connect %d, read %d, write %d, status %d, timeout %d\"}\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99), e.connect, e.read, e.write, e.status, e.timeout))
end'
printf '%s\n' "$report" > "$W/get.lua"
printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n%s\n' \
  "'{\"steps\":[{\"method\":\"GET\",\"path\":\"/api/v1/sbook10k\"}]}'" "$report" > "$W/batch.lua"
printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n%s\n' \
  "'{\"REQUTEXT\":\"hello\"}'" "$report" > "$W/post.lua"
# STFC_STRUCTURE with R rows: the same values as wsclient --rows R (row i; IMPORTSTRUCT = row 0)
make_rows_json() { # rows file
  awk -v n="$1" -f tests/bench/structure_body.awk > "$2"
}
for r in $rowsets; do
  make_rows_json "$r" "$W/rows$r.json"
  printf 'wrk.method = "POST"\nlocal f = io.open("%s", "rb")\nwrk.body = f:read("*a")\nf:close()\nwrk.headers["Content-Type"] = "application/json"\n%s\n' \
    "$W/rows$r.json" "$report" > "$W/rows$r.lua"
done

# target 8's floor: what only a gateway does with the same call, each at its cheapest — JSON in and
# out (codec_bench, no network) and the HTTP body and answer bytes over loopback (bytes_floor;
# 4096-byte reads as libmicrohttpd's at the default connection_memory, and 65536)
floor_round() { # rows
  local cb in_ms out_ms out_bytes rs bf
  if ! cb=$("$bb/rfmgw_codec_bench" "$1" 5 2>&1); then fail "floor-json: $cb"; return; fi
  in_ms=$(jq -r 'select(.stage == "json_in") | .median_ms' <<<"$cb")
  out_ms=$(jq -r 'select(.stage == "json_out") | .median_ms' <<<"$cb")
  out_bytes=$(jq -r 'select(.stage == "json_out") | .bytes' <<<"$cb")
  echo "floor-json 1 0 0 0 $(awk -v a="$in_ms" -v b="$out_ms" 'BEGIN { printf "%.1f", (a + b) * 1000 }') 0" >> "$results"
  for rs in 4 64; do
    if bf=$("$bb/rfmgw_bytes_floor" "$(wc -c < "$W/rows$1.json")" "$out_bytes" $((rs * 1024)) 100 2>&1); then
      echo "floor-io${rs}k 1 0 0 0 $(jq -r .cpu_us_per_round <<<"$bf") 0" >> "$results"
    else
      fail "floor-io${rs}k: $bf"
    fi
  done
}

# ---- one measurement each -----------------------------------------------------------------
results="$W/results" # what N req/s p50 p99 cpu_us_per_call errors
: > "$results"
ws() { # what N [wsclient options]: the direct client
  local what=$1 n=$2 out
  shift 2
  if out=$(${WS_CPU:+taskset -c $WS_CPU} "$bb/rfmgw_wsclient" --port "$sim_port" --ca "$W/pki/ca.pem" --user CC0000000001 \
      --password-file "$W/secret" --reset-first --connections "$n" --seconds "${RUN_SECS:-$secs}" "$@" 2>"$W/ws.err") &&
      [ "$(jq -r .calls <<<"$out")" -gt 0 ]; then
    echo "$what $n $(jq -r '[.calls_per_s, .p50_us, .p99_us, .cpu_us_per_call, .errors] | @tsv' <<<"$out")" >> "$results"
  else
    fail "$what $n: $(tail -n 1 "$W/ws.err")"
  fi
}
wrk_run() { # what N url lua pid-for-cpu(gw pid, or "ngx:<master>", or -)
  local what=$1 n=$2 url=$3 lua=$4 who=$5 c0=0 c1=0 out req err
  case $who in -) ;; ngx:*) c0=$(nginx_cpu "${who#ngx:}") ;; *) c0=$(cpu_ticks "$who") ;; esac
  out=$(${WRK_CPU:+taskset -c $WRK_CPU} wrk -t1 -c"$n" -d"${RUN_SECS:-$secs}s" --timeout 30s -s "$lua" "$url" 2>&1 | tail -n 1) || true
  case $who in -) ;; ngx:*) c1=$(nginx_cpu "${who#ngx:}") ;; *) c1=$(cpu_ticks "$who") ;; esac
  req=$(jq -r .requests <<<"$out" 2>/dev/null || echo 0)
  err=$(jq -r .errors <<<"$out" 2>/dev/null || echo 0)
  if [ "${err:-0}" -gt 0 ]; then # what went wrong, for the record (the row still counts below 1 %)
    echo "$what $n: $err errors of $req requests ($(jq -r .kinds <<<"$out")); rfmgw's last warnings:" >&2
    grep -h -E ' (warn|error) ' "$W"/gw*.log | grep -v -E 'readable by every user|lets anonymous' | tail -n 3 >&2 || true
  fi
  if [ "${req:-0}" -gt 0 ] && [ "$((err * 100))" -le "$req" ]; then
    echo "$what $n $(jq -r --argjson c "$((c1 - c0))" --argjson hz "$hz" --arg who "$who" \
      '[(.requests / (.us / 1e6)), .p50_us, .p99_us,
        (if $who == "-" then 0 else $c / $hz * 1e6 / .requests end), .errors] | @tsv' <<<"$out")" >> "$results"
  else
    fail "$what $n: wrk: $out"
  fi
}
memory_round() { # fresh rfmgw and mhd_min, idle RssAnon, then $idle idle keep-alive clients on each
  local gp mp base with ip
  start_gw mem "$n1"
  gp=$(gw_pid mem)
  rm -f "$W/mhd.port"
  "$bb/rfmgw_mhd_min" "$W/mhd.port" $((idle + 50)) 2>"$W/mhd.log" &
  mp=$!
  pids+=("$mp")
  wait_ready "$W/mhd.port" "$mp" mhd
  sleep 1 # let rfmgw's pool finish its logons
  for what in rfmgw mhd_min; do
    local pid port
    if [ $what = rfmgw ]; then pid=$gp; port=$(gw_port mem); else pid=$mp; port=$(cat "$W/mhd.port"); fi
    curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$port/healthz" || true # first-request set-up
    base=$(rss_anon "$pid")
    rm -f "$W/idle.out"
    "$bb/rfmgw_idle_clients" "$port" "$idle" > "$W/idle.out" 2>"$W/idle.err" &
    ip=$!
    pids+=("$ip")
    for _ in $(seq 1 600); do [ -s "$W/idle.out" ] && break; kill -0 "$ip" 2>/dev/null || break; sleep 0.1; done
    if [ -s "$W/idle.out" ]; then
      sleep 0.5
      with=$(rss_anon "$pid")
      echo "mem-$what $idle $base $with $(( (with - base) * 1024 / idle ))" >> "$W/mem"
    else
      fail "memory $what: $(cat "$W/idle.err")"
    fi
    stop_pid "$ip"
  done
  stop_pid "$gp"; stop_pid "$mp"
}

# ---- the rounds: every pair back to back, the order repeated ------------------------------
: > "$W/mem"
t_start=$SECONDS
for round in $(seq 1 "$rounds"); do
  echo "round $round/$rounds ($((SECONDS - t_start)) s)" >&2
  for n in $conns; do
    ws backend "$n"
    wrk_run rfmgw "$n" "http://127.0.0.1:$(gw_port "$n")/api/v1/connection-test" "$W/post.lua" "$(gw_pid "$n")"
    wrk_run rfmgw-loop "$n" "http://127.0.0.1:$(gw_port "loop$n")/api/v1/connection-test" "$W/post.lua" "$(gw_pid "loop$n")"
    wrk_run ngx-proxy "$n" "http://127.0.0.1:$nginx_port_ngxproxy/api/v1/connection-test" "$W/post.lua" "ngx:$nginx_pid_ngxproxy"
  done
  ws backend-c1 1
  wrk_run rfmgw-c1 1 "http://127.0.0.1:$(gw_port "$n1")/api/v1/connection-test" "$W/post.lua" "$(gw_pid "$n1")"
  wrk_run rfmgw-loop-c1 1 "http://127.0.0.1:$(gw_port "loop$n1")/api/v1/connection-test" "$W/post.lua" "$(gw_pid "loop$n1")"
  wrk_run nginx-200 64 "http://127.0.0.1:$nginx_port_ngx200/" "$W/get.lua" "ngx:$nginx_pid_ngx200"
  wrk_run healthz 64 "http://127.0.0.1:$(gw_port "$n1")/healthz" "$W/get.lua" "$(gw_pid "$n1")"
  for r in $rowsets; do
    # at 10,000 rows a call takes ~0.2 s: run longer, or a handful of calls decide the median
    rs=$secs
    [ "$r" -ge 10000 ] && rs=$((secs * 3))
    RUN_SECS=$rs ws "direct-rows$r" 1 --rows "$r"
    RUN_SECS=$rs wrk_run "rfmgw-rows$r" 1 "http://127.0.0.1:$(gw_port "loop$n1")/api/v1/structure" "$W/rows$r.lua" "$(gw_pid "loop$n1")"
    if [ "$r" = 10000 ]; then floor_round "$r"; fi
  done
  # a batch whose one step reads 10,000 rows vs the same call alone: what the batch adds (longer
  # runs: ~45 calls and ~14 CPU ticks of 10 ms in 3 s left the ratio ±15 % from round to round)
  RUN_SECS=$((secs * 3)) wrk_run rfmgw-get10k 1 "http://127.0.0.1:$(gw_port "loop$n1")/api/v1/sbook10k" "$W/get.lua" "$(gw_pid "loop$n1")"
  RUN_SECS=$((secs * 3)) wrk_run rfmgw-batch10k 1 "http://127.0.0.1:$(gw_port "loop$n1")/api/v1/batch" "$W/batch.lua" "$(gw_pid "loop$n1")"
  if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    taskset -a -p -c 1 "$sim_pid" >/dev/null
    for ct in 1 s 0; do # c=1 small calls while 10,000-row answers are converted (s: short slices)
      taskset -a -p -c 0 "$(gw_pid "conv$ct")" >/dev/null
      taskset -c 1 wrk -t1 -c1 -d"$((2 * secs + 3))s" -s "$W/get.lua" "http://127.0.0.1:$(gw_port "conv$ct")/api/v1/sbook10k" >"$W/bg.out" 2>&1 &
      bgw=$!
      sleep 1
      WRK_CPU=0 wrk_run "iso-conv$ct" 1 "http://127.0.0.1:$(gw_port "conv$ct")/api/v1/connection-test" "$W/post.lua" -
      # the same small call straight to abapsim under the same load: what rfmgw adds is the difference
      [ "$ct" = 1 ] && WS_CPU=0 ws iso-direct 1
      wait "$bgw" || true
      # the large results delivered meanwhile: the small calls' p99 means little if they starved
      bgj=$(tail -n 1 "$W/bg.out")
      if jq -e '.requests > 0' <<<"$bgj" >/dev/null 2>&1; then
        echo "iso-bg$ct 1 $(jq -r '[(.requests / (.us / 1e6)), .p50_us, .p99_us, 0, .errors] | @tsv' <<<"$bgj")" >> "$results"
      else
        fail "iso-bg$ct: $bgj"
      fi
    done
    taskset -a -p -c 0-$(($(nproc) - 1)) "$sim_pid" >/dev/null
  fi
  memory_round
done

# ---- callgrind (instructions per request; independent of noise) --------------------------
cg_out=""
if [ "${CALLGRIND:-1}" != 0 ]; then
  echo "callgrind ($((SECONDS - t_start)) s)" >&2
  if ! cg_out=$(RFMGW_BENCH_BUILD=$build bash tests/bench/callgrind.sh 2>"$W/cg.err"); then
    fail "callgrind: $(tail -n 3 "$W/cg.err")"
  fi
fi

# ---- the table ----------------------------------------------------------------------------
median() { sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "nan"}'; }
med() { awk -v w="$1" -v n="$2" -v col="$3" '$1==w && $2==n {print $col}' "$results" | median; }
mmed() { awk -v w="$1" -v col="$2" '$1==w {print $col}' "$W/mem" | median; }
echo
echo "rfmgw benchmark $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -r), rounds=$rounds, ${secs}s per run"
printf '%-16s %5s %10s %9s %9s %12s %7s\n' what N "req/s" "p50 µs" "p99 µs" "CPU µs/req" errors
for key in $(awk '{print $1"/"$2}' "$results" | awk '!seen[$0]++'); do
  w=${key%/*}; n=${key#*/}
  printf '%-16s %5s %10.0f %9.0f %9.0f %12.1f %7.0f\n' "$w" "$n" "$(med "$w" "$n" 3)" "$(med "$w" "$n" 4)" \
    "$(med "$w" "$n" 5)" "$(med "$w" "$n" 6)" "$(med "$w" "$n" 7)"
done
if [ -s "$W/mem" ]; then
  printf '%-16s %7s %14s %18s %16s\n' memory clients "idle RssAnon" "with clients" "bytes/client"
  for w in rfmgw mhd_min; do
    printf '%-16s %7s %11.0f kB %15.0f kB %16.0f\n' "mem-$w" "$idle" "$(mmed "mem-$w" 3)" "$(mmed "mem-$w" 4)" "$(mmed "mem-$w" 5)"
  done
fi
[ -n "$cg_out" ] && { echo; printf '%s\n' "$cg_out"; }

# the ratios the targets are about (docs/performance.md)
echo
verdict() { awk -v v="$1" -v lim="$2" 'BEGIN { if (v == "nan" || v == "") print "n/a"; else if (v + 0 <= lim + 0) print "met"; else print "NOT met" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || b + 0 == 0) print "nan"; else printf "%.2f", a / b }'; }
diff_() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan") print "nan"; else printf "%.0f", a - b }'; }
for m in rfmgw rfmgw-loop; do
  for n in $conns; do
    cd_=$(ratio "$(med $m "$n" 6)" "$(med backend "$n" 6)"); cp_=$(ratio "$(med $m "$n" 6)" "$(med ngx-proxy "$n" 6)")
    printf 'N=%s  %sthroughput rfmgw/direct %s; CPU per call rfmgw/direct client %s (target <= 2: %s); rfmgw/nginx TLS proxy %s (target <= 1.5: %s)\n' "$n" \
      "$([ $m = rfmgw ] || echo "listen.threads = 0: ")" "$(ratio "$(med $m "$n" 3)" "$(med backend "$n" 3)")" \
      "$cd_" "$(verdict "$cd_" 2)" "$cp_" "$(verdict "$cp_" 1.5)"
  done
done
for n in $conns; do # the anchor: what a generic TLS reverse proxy costs next to the direct client
  printf 'N=%s  CPU per request of the nginx TLS proxy itself/direct client %s\n' "$n" "$(ratio "$(med ngx-proxy "$n" 6)" "$(med backend "$n" 6)")"
done
for m in rfmgw rfmgw-loop; do
  a50=$(diff_ "$(med "$m-c1" 1 4)" "$(med backend-c1 1 4)"); a99=$(diff_ "$(med "$m-c1" 1 5)" "$(med backend-c1 1 5)")
  printf 'c=1  %s added latency p50 %s µs (target <= 100: %s), p99 %s µs (target <= 1000: %s)\n' \
    "$([ $m = rfmgw ] && echo "threads=2" || echo "threads=0")" "$a50" "$(verdict "$a50" 100)" "$a99" "$(verdict "$a99" 1000)"
done
printf 'isolation: c=1 p99 while 10,000-row results convert: %s µs with convert_threads=1 (target <= 5000: %s), %s µs with listen.sched_slice_us = 100 as well (%s), %s µs on the HTTP thread; direct to abapsim under the same load %s µs; p50 %s / %s / %s / %s µs; 10,000-row results meanwhile %s/s, %s/s and %s/s\n' \
  "$(med iso-conv1 1 5)" "$(verdict "$(med iso-conv1 1 5)" 5000)" "$(med iso-convs 1 5)" "$(verdict "$(med iso-convs 1 5)" 5000)" "$(med iso-conv0 1 5)" "$(med iso-direct 1 5)" \
  "$(med iso-conv1 1 4)" "$(med iso-convs 1 4)" "$(med iso-conv0 1 4)" "$(med iso-direct 1 4)" \
  "$(awk -v v="$(med iso-bg1 1 3)" 'BEGIN { printf "%.1f", v }')" "$(awk -v v="$(med iso-bgs 1 3)" 'BEGIN { printf "%.1f", v }')" "$(awk -v v="$(med iso-bg0 1 3)" 'BEGIN { printf "%.1f", v }')"
printf 'http /healthz / nginx return 200 throughput %s; CPU per request %s\n' \
  "$(ratio "$(med healthz 64 3)" "$(med nginx-200 64 3)")" "$(ratio "$(med healthz 64 6)" "$(med nginx-200 64 6)")"
for r in $rowsets; do
  rr=$(ratio "$(med "rfmgw-rows$r" 1 6)" "$(med "direct-rows$r" 1 6)")
  printf 'rows=%-6s CPU per row rfmgw %s µs, direct %s µs, ratio %s%s\n' "$r" \
    "$(awk -v c="$(med "rfmgw-rows$r" 1 6)" -v r="$r" 'BEGIN { printf "%.3f", c / r }')" \
    "$(awk -v c="$(med "direct-rows$r" 1 6)" -v r="$r" 'BEGIN { printf "%.3f", c / r }')" "$rr" \
    "$([ "$r" = 10000 ] && echo " (target <= 1.5: $(verdict "$rr" 1.5))")"
done
fd=$(med direct-rows10000 1 6) fj=$(med floor-json 1 6)
if [ "$fj" != nan ] && [ "$fd" != nan ]; then
  f4=$(awk -v d="$fd" -v j="$fj" -v b="$(med floor-io4k 1 6)" 'BEGIN { printf "%.0f", d + j + b }')
  f64=$(awk -v d="$fd" -v j="$fj" -v b="$(med floor-io64k 1 6)" 'BEGIN { printf "%.0f", d + j + b }')
  printf 'rows=10000 floor: direct %.0f µs + JSON in and out %.0f µs (codec_bench) + body and answer over loopback %.0f µs (4096-byte reads; %.0f with 65536) = %s µs: lowest ratio for any gateway that converts with this codec %s (%s with 65536-byte reads); measured %s\n' \
    "$fd" "$fj" "$(med floor-io4k 1 6)" "$(med floor-io64k 1 6)" "$f4" "$(ratio "$f4" "$fd")" \
    "$(ratio "$f64" "$fd")" "$(ratio "$(med rfmgw-rows10000 1 6)" "$fd")"
fi
printf 'batch: one 10,000-row RFC_READ_TABLE step costs rfmgw %.0f µs CPU, the same call alone %.0f µs: ratio %s\n' \
  "$(med rfmgw-batch10k 1 6)" "$(med rfmgw-get10k 1 6)" "$(ratio "$(med rfmgw-batch10k 1 6)" "$(med rfmgw-get10k 1 6)")"
if [ -s "$W/mem" ]; then
  ia=$(mmed mem-rfmgw 3)
  gr=$(ratio "$(mmed mem-rfmgw 5)" "$(mmed mem-mhd_min 5)")
  printf 'memory: rfmgw idle RssAnon %.1f MiB (target <= 8: %s); growth per idle client rfmgw/mhd_min %s (target <= 1.2: %s)\n' \
    "$(awk -v k="$ia" 'BEGIN { print k / 1024 }')" "$(verdict "$(awk -v k="$ia" 'BEGIN { print k / 1024 }')" 8)" "$gr" "$(verdict "$gr" 1.2)"
fi
echo "(medians of $rounds interleaved runs of ${secs}s; total $((SECONDS - t_start)) s; raw rows in the order measured:)"
cat "$results" "$W/mem"
if [ ${#failed[@]} -gt 0 ]; then
  echo "NOT MEASURED (${#failed[@]}):"; printf '  %s\n' "${failed[@]}"
  exit 1
fi
