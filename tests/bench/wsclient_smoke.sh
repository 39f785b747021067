#!/usr/bin/env bash
# Smoke test of rfmgw_wsclient against abapsim: 2 connections for 1 s; the JSON line must report
# calls > 0 and no errors. Also the base of scripts that measure abapsim's throughput:
#   WSCLIENT_ARGS="--connections 8 --seconds 10" bash tests/bench/wsclient_smoke.sh
set -euo pipefail
: "${WSCLIENT_BIN:?}" "${ABAPSIM_BIN:?}" "${RFMGW_SOURCE_DIR:?}"

WORK=$(mktemp -d /tmp/rfmgw-bench.XXXXXX)
SIM_PID=
cleanup() {
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

bash "$RFMGW_SOURCE_DIR/scripts/demo-pki.sh" "$WORK/pki" >/dev/null
printf 'Bench-Passw0rd\n' > "$WORK/secret"
h=$("$ABAPSIM_BIN" --hash-password --iterations 1000 < "$WORK/secret")
cat > "$WORK/sim.conf" <<EOC
listen = { address = "127.0.0.1"; port = 0; };
tls = { cert = "pki/server.pem"; key = "pki/server.key"; };
hosts = ( { name = "my100000-api.abapsim.test"; client = "100"; } );
users = ( { name = "CC0000000001"; password = "$h"; } );
scenarios = ( { id = "Z_BENCH"; rfms = [ "STFC_CONNECTION", "RFC_PING" ]; } );
systems = ( { id = "BENCH"; users = [ "CC0000000001" ]; } );
arrangements = ( { scenario = "Z_BENCH"; system = "BENCH"; } );
${SIM_EXTRA:-}
EOC
"$ABAPSIM_BIN" -c "$WORK/sim.conf" --ready-file "$WORK/port" --log-level "${SIM_LOG_LEVEL:-warn}" \
  2>"$WORK/sim.log" &
SIM_PID=$!
for _ in $(seq 1 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
[ -s "$WORK/port" ] || { echo "abapsim did not start"; cat "$WORK/sim.log"; exit 1; }

# shellcheck disable=SC2086
out=$("$WSCLIENT_BIN" --port "$(cat "$WORK/port")" --ca "$WORK/pki/ca.pem" --user CC0000000001 \
  --password-file "$WORK/secret" ${WSCLIENT_ARGS:---connections 2 --seconds 1}) || {
  echo "wsclient failed: $out"; cat "$WORK/sim.log"; exit 1; }
echo "$out"
calls=$(printf '%s' "$out" | jq -r '.calls')
errors=$(printf '%s' "$out" | jq -r '.errors')
[ "$calls" -gt 0 ] && [ "$errors" -eq 0 ] || { echo "expected calls > 0 and no errors"; exit 1; }

kill -TERM "$SIM_PID"
rc=0
wait "$SIM_PID" || rc=$?
SIM_PID=
[ "$rc" -eq 0 ] || { echo "abapsim exited $rc"; cat "$WORK/sim.log"; exit 1; }
echo "ok"
