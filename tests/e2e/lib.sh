# Shared helpers of the end-to-end tests: start abapsim and rfmgw on free loopback ports with
# inline configs in a temporary directory, talk to rfmgw with curl, and clean up whatever
# happens. Every wait is bounded; everything started is killed on exit. KEEP_WORK=1 keeps the
# temporary directory (configs, logs, bodies) for a look after a failure.
set -euo pipefail
umask 077 # secrets written by the tests are private (rfmgw warns about readable ones)

: "${RFMGW_BIN:?run through ctest (RFMGW_BIN unset)}"
: "${ABAPSIM_BIN:?run through ctest (ABAPSIM_BIN unset)}"
: "${RFMGW_SOURCE_DIR:?}"

WORK=$(mktemp -d /tmp/rfmgw-e2e.XXXXXX)
PIDS=()
FAILS=0
PASSES=0

cleanup() {
  local rc=$? live p
  # only PIDs still ours: one already waited for may since belong to another test's process
  live=" $(jobs -p | tr '\n' ' ') "
  local mine=()
  for p in "${PIDS[@]}"; do [[ $live == *" $p "* ]] && mine+=("$p"); done
  PIDS=("${mine[@]}")
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  if [ $rc -ne 0 ] || [ $FAILS -ne 0 ]; then
    for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "---- $f"; tail -n 40 "$f"; }; done
  fi
  keep_logs
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}

# RFMGW_LOG_DIR (set by ctest): every log a test wrote is kept there, and the secrets it used are
# listed in secrets.list, for tests/e2e/check_log_secrets.sh, which runs after all of them.
keep_logs() {
  [ -n "${RFMGW_LOG_DIR:-}" ] || return 0
  mkdir -p "$RFMGW_LOG_DIR"
  for f in "$WORK"/*.log; do [ -f "$f" ] && cp "$f" "$RFMGW_LOG_DIR/$(basename "$0" .sh)${GW_BACKEND:+.$GW_BACKEND}${GW_HTTP_THREADS:+.threads}.$(basename "$f")"; done
  return 0
}
# register_secret VALUE…: values that must never appear in a log
register_secret() {
  [ -n "${RFMGW_LOG_DIR:-}" ] || return 0
  mkdir -p "$RFMGW_LOG_DIR"
  printf '%s\n' "$@" >> "$RFMGW_LOG_DIR/secrets.list"
}
trap cleanup EXIT

# The demo PKI is made once per test; P-256 keys take milliseconds.
make_pki() {
  bash "$RFMGW_SOURCE_DIR/scripts/demo-pki.sh" "$WORK/pki" >/dev/null
  local f
  for f in "$WORK"/pki/*.key; do register_secret $(grep -v -- '-----' "$f"); done # key material
}

SIM_PASSWORD='Test-Passw0rd'
register_secret "$SIM_PASSWORD"
hash_password() { printf '%s\n' "$1" | "$ABAPSIM_BIN" --hash-password --iterations 1000; }

# write_sim_conf [extra settings]; SIM_EXTRA_HOSTS adds entries to `hosts` (", { ... }")
write_sim_conf() {
  local h1 h2
  h1=$(hash_password "$SIM_PASSWORD")
  h2=$(hash_password "unused-$RANDOM$RANDOM")
  cat > "$WORK/sim.conf" <<EOC
system = { sid = "T01"; release = "758"; timezone = "UTC"; };
listen = { address = "127.0.0.1"; port = 0; };
tls = { cert = "pki/server.pem"; key = "pki/server.key"; client_ca = "pki/ca.pem"; };
hosts = ( { name = "my100000-api.abapsim.test"; client = "100"; },
          { name = "my200000-api.abapsim.test"; client = "200"; }${SIM_EXTRA_HOSTS:-} );
users = ( { name = "CC0000000001"; alias = "RFMGW_TEST"; password = "$h1"; },
          { name = "CC0000000002"; password = "$h2"; } );
certificates = ( { subject = "CN=RFMGW_CERT_USER,O=rfmgw demo"; user = "CC0000000002"; } );
scenarios = ( { id = "Z_RFMGW_TEST"; description = "every simulated RFM"; rfms = [ "*" ]; } );
systems = ( { id = "RFMGW_GATEWAY"; users = [ "CC0000000001", "CC0000000002" ]; } );
arrangements = ( { scenario = "Z_RFMGW_TEST"; system = "RFMGW_GATEWAY";
                   auth_methods = [ "password", "certificate" ]; } );
${1:-}
EOC
}

wait_file() { # file pid name
  for _ in $(seq 1 100); do
    [ -s "$1" ] && return 0
    kill -0 "$2" 2>/dev/null || { echo "FATAL: $3 exited during start-up"; cat "$WORK/$3.log" || true; exit 1; }
    sleep 0.1
  done
  echo "FATAL: $3 not ready within 10 s"; exit 1
}

# log_count FILE REGEX: how many lines of FILE match REGEX (0 without a match or a file)
log_count() { grep -cE "$2" "$1" 2>/dev/null || true; }

# wait_log FILE REGEX MORE_THAN [SECONDS (10)]: until more than MORE_THAN lines of FILE match
# REGEX; returns 1 after SECONDS. Instead of a fixed sleep, which a loaded machine outruns.
wait_log() {
  local n
  for _ in $(seq 1 $((${4:-10} * 10))); do
    n=$(log_count "$1" "$2")
    [ "${n:-0}" -gt "$3" ] && return 0
    sleep 0.1
  done
  return 1
}

# in_flight MS STATUS_FILE [SENDER…]: POST /api/v1/wait (Z_RFMGW_WAIT for MS ms) in the
# background, through SENDER (default req; e.g. `ik KEY`), its HTTP status into STATUS_FILE when
# it ends and its PID in BG. Returns once rfmgw has handed the call to its pool (it logs `CALL
# Z_RFMGW_WAIT on`), so the next request surely comes after it: a fixed sleep is outrun by a
# loaded machine, which may start the background request late.
in_flight() {
  local ms=$1 out=$2 w0
  shift 2
  w0=$(log_count "$WORK/rfmgw.log" 'CALL Z_RFMGW_WAIT on')
  ( "${@:-req}" POST /api/v1/wait "{\"MILLISECONDS\":$ms}"; echo "$STATUS" > "$out" ) &
  BG=$!
  wait_log "$WORK/rfmgw.log" 'CALL Z_RFMGW_WAIT on' "$w0" 10 || fail "the ${ms} ms call did not reach the pool"
}

# openapi_validate FILE: @apidevtools/swagger-parser (tests/openapi, installed from npm on first
# use) must accept the OpenAPI document FILE; skips without node/npm or the package. Installs
# under a lock on the folder: tests run at once (ctest -j), and `npm ci` first deletes
# node_modules.
openapi_validate() {
  local validator="$RFMGW_SOURCE_DIR/tests/openapi" out
  if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
    echo "# SKIP validator: node/npm not installed"
    return 0
  fi
  (
    flock -x 9
    if [ ! -d "$validator/node_modules/@apidevtools/swagger-parser" ]; then
      (cd "$validator" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null 2>&1) || echo "# npm ci failed"
    fi
  ) 9<"$validator"
  if [ -d "$validator/node_modules/@apidevtools/swagger-parser" ]; then
    out=$(node "$validator/validate.mjs" "$1" 2>&1) && ok "swagger-parser: $out" || fail "swagger-parser: $out"
  else
    echo "# SKIP validator: @apidevtools/swagger-parser could not be installed from npm"
  fi
}

# sim_close_all: abapsim closes every session (POST $ADMIN/close-all), and this returns once
# abapsim has none left and rfmgw has noticed each loss — close-all only asks abapsim's threads,
# and a call sent before rfmgw notices would go out on a closing connection. 1 after 10 s.
sim_close_all() {
  local had lost
  had=$(curl -s "$ADMIN/stats" | jq -r '.sessions')
  lost=$(log_count "$WORK/rfmgw.log" 'connection lost')
  curl -s -o /dev/null -X POST "$ADMIN/close-all" || return 1
  for _ in $(seq 1 100); do
    curl -s "$ADMIN/stats" | jq -e '.sessions == 0' >/dev/null && break
    sleep 0.1
  done
  wait_log "$WORK/rfmgw.log" 'connection lost' $((lost + had - 1)) 10
}

start_sim() {
  rm -f "$WORK/sim.port"
  "$ABAPSIM_BIN" -c "$WORK/sim.conf" --ready-file "$WORK/sim.port" --log-level debug \
    >>"$WORK/abapsim.log" 2>&1 &
  SIM_PID=$!
  PIDS+=("$SIM_PID")
  wait_file "$WORK/sim.port" "$SIM_PID" abapsim
  SIM_PORT=$(cat "$WORK/sim.port")
}

stop_sim() { stop_checked "$SIM_PID" abapsim; SIM_PID=; }
stop_gw() { stop_checked "$GW_PID" rfmgw; GW_PID=; }

OPEN_CALLERS='callers = { methods = ( { name = "open"; type = "none"; } ); default = [ "open" ]; };'

# write_gw_conf SIM_PORT [auth group] [tls group] [extra destination settings]
# (GW_EXTRA_TOP: extra top-level settings; GW_CALLERS: the callers group (default: anonymous); GW_CALL_TIMEOUT_MS: the call timeout;
#  GW_DEST_NAME: the destination's name; GW_MAPPINGS: the mapping file; GW_VERIFY_MS: the
#  start-up check of the routes against metadata, off by default here so that tests count
#  logons and sessions without it; GW_BACKEND=nwrfc: the nwrfc backend against the fake SDK,
#  see start_gw)
write_gw_conf() {
  local port=$1
  local auth=${2:-"auth = { method = \"password\"; user = \"RFMGW_TEST\"; alias_user = true; password_file = \"secret\"; };"}
  local tls=${3:-"tls = { ca_file = \"pki/ca.pem\"; };"}
  local target='address = "127.0.0.1";'
  if [ "${GW_BACKEND:-native}" = nwrfc ]; then
    printf 'a stand-in PSE for the fake SDK\n' > "$WORK/fake.pse"
    target='backend = "nwrfc"; nwrfc = { pse = "fake.pse"; };'
    [ -z "${3:-}" ] && tls=''
  fi
  printf '%s\n' "$SIM_PASSWORD" > "$WORK/secret"
  cat > "$WORK/gw.conf" <<EOC
listen = { address = "127.0.0.1"; port = 0; threads = ${GW_HTTP_THREADS:-0}; };
mappings = "${GW_MAPPINGS:-routes.conf}";
${GW_CALLERS:-$OPEN_CALLERS}
startup = { verify_timeout_ms = ${GW_VERIFY_MS:-0}; };
${GW_EXTRA_TOP:-}
destinations = ( {
  name = "${GW_DEST_NAME:-sim}"; host = "https://my100000-api.abapsim.test"; port = $port; $target
  $auth
  $tls
  connect_timeout_ms = 3000; call_timeout_ms = ${GW_CALL_TIMEOUT_MS:-5000};
  ${4:-}
} );
EOC
  cat > "$WORK/routes.conf" <<EOC
routes = (
  { method = "POST"; path = "/api/v1/connection-test"; destination = "sim"; function = "STFC_CONNECTION"; },
  { method = "GET"; path = "/api/v1/ping"; destination = "sim"; function = "RFC_PING"; },
  { method = "POST"; path = "/api/v1/missing"; destination = "sim"; function = "Z_DOES_NOT_EXIST"; },
  { method = "POST"; path = "/api/v1/wait"; destination = "sim"; function = "Z_RFMGW_WAIT"; }
);
EOC
}

start_gw() {
  rm -f "$WORK/gw.port"
  # the fake SDK (GW_BACKEND=nwrfc) answers in-process from the simulator's configuration and
  # logs to the simulator's log, so tests count logons and calls the same way; only the
  # simulator's port "answers" (none while no simulator runs)
  RFMGW_FAKE_NWRFC_SYSTEM="$WORK/sim.conf" RFMGW_FAKE_NWRFC_LOG="$WORK/abapsim.log" \
  RFMGW_FAKE_NWRFC_PORT="${SIM_PORT:-}" "$RFMGW_BIN" -c "$WORK/gw.conf" --ready-file "$WORK/gw.port" --log-level debug \
    >>"$WORK/rfmgw.log" 2>&1 &
  GW_PID=$!
  PIDS+=("$GW_PID")
  wait_file "$WORK/gw.port" "$GW_PID" rfmgw
  GW="http://127.0.0.1:$(cat "$WORK/gw.port")"
}

# req METHOD PATH [BODY [CONTENT-TYPE]] → $STATUS, $BODY, $HEADERS  (BODY "@file" reads a file)
req() {
  local method=$1 path=$2 body=${3-} ctype=${4:-application/json}
  local out="$WORK/body.$BASHPID" hdr="$WORK/headers.$BASHPID" # one per (sub)shell
  local args=(-s -S --max-time 15 -X "$method" -o "$out" -D "$hdr" -w '%{http_code}')
  [ -n "$body" ] && args+=(-H "Content-Type: $ctype" --data-binary "$body")
  rm -f "$out" "$hdr"
  STATUS=$(curl "${args[@]}" "$GW$path" || true)
  BODY=$(cat "$out" 2>/dev/null || true)
  HEADERS=$(cat "$hdr" 2>/dev/null || true)
  cp "$out" "$WORK/body" 2>/dev/null || true
}

ok() { PASSES=$((PASSES + 1)); echo "ok - $*"; }
fail() { FAILS=$((FAILS + 1)); echo "not ok - $*"; }

expect_status() { # expected what
  if [ "$STATUS" = "$1" ]; then ok "$2: HTTP $1"; else fail "$2: HTTP $STATUS, expected $1 (body: $BODY)"; fi
}

expect_json() { # jq-filter-that-must-be-true what
  if printf '%s' "$BODY" | jq -e "$1" >/dev/null 2>&1; then ok "$2"; else fail "$2: '$1' is not true of $BODY"; fi
}

expect_header() { # regex what
  # a here-string, not a pipe: with pipefail, `grep -q` leaving early would fail printf (SIGPIPE)
  if grep -qiE "$1" <<<"$HEADERS"; then ok "$2"; else
    fail "$2: no header matching '$1' (HTTP $STATUS; headers: $(printf '%s' "$HEADERS" | tr -d '\r' | tr '\n' '|'))"
  fi
}

# stop_checked PID NAME: SIGTERM, then the process must exit 0 within 10 s (under ASan a leak
# or an error report makes the exit status non-zero).
stop_checked() {
  local pid=$1 name=$2 rc=0
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || rc=$?; [ $rc -eq 0 ] && ok "$name had exited cleanly" || fail "$name died earlier (exit $rc)"; return 0; }
  kill -TERM "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then fail "$name did not stop within 10 s of SIGTERM"; return 0; fi
  wait "$pid" 2>/dev/null || rc=$?
  if [ $rc -eq 0 ]; then ok "$name stopped cleanly on SIGTERM"; else fail "$name exited $rc on SIGTERM (see its log)"; fi
}

# finish: stops what is still running (checking clean exits) and prints the summary line.
finish() {
  [ -n "${GW_PID:-}" ] && stop_checked "$GW_PID" rfmgw
  [ -n "${SIM_PID:-}" ] && stop_checked "$SIM_PID" abapsim
  echo "$PASSES passed, $FAILS failed"
  [ "$FAILS" -eq 0 ]
}

# load N CONCURRENCY METHOD PATH [BODY]: N requests, CONCURRENCY at a time (curl --parallel);
# the status codes land one per line in $WORK/load.status. Sets LOAD_MS (wall time).
load() {
  local n=$1 conc=$2 method=$3 path=$4 body=${5-}
  local cfg="$WORK/load.curl"
  : > "$cfg"
  for _ in $(seq 1 "$n"); do printf 'url = "%s%s"\noutput = "/dev/null"\n' "$GW" "$path" >> "$cfg"; done
  local args=(-s --parallel --parallel-immediate --parallel-max "$conc" --max-time 30 -X "$method"
              -w '%{http_code}\n' -K "$cfg")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  local t0
  t0=$(date +%s%N)
  curl "${args[@]}" > "$WORK/load.status" 2>/dev/null || true
  LOAD_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}

# count_status CODE: how many lines of the last load were CODE
count_status() { grep -c "^$1\$" "$WORK/load.status" || true; }

# add_routes TEXT: appends route groups ("{ ... }, { ... }") to the routes.conf of write_gw_conf.
add_routes() {
  local f="$WORK/routes.conf"
  sed -i '$d' "$f"                       # the closing ");"
  sed -i '$ s/}$/},/' "$f"               # comma after the last route
  printf '%s\n);\n' "$1" >> "$f"
}
