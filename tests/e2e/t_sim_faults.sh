#!/usr/bin/env bash
# abapsim's faults, switched at run time through the admin endpoint: latency, garbage and
# truncated replies, dropped connections, close-all, refused and black-holed connections, and the
# conversation limit.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
rm -f "$WORK/sim.port" "$WORK/admin.port"
"$ABAPSIM_BIN" -c "$WORK/sim.conf" --ready-file "$WORK/sim.port" --admin-ready-file "$WORK/admin.port" \
  --log-level debug >>"$WORK/abapsim.log" 2>&1 &
SIM_PID=$!
PIDS+=("$SIM_PID")
wait_file "$WORK/sim.port" "$SIM_PID" abapsim
wait_file "$WORK/admin.port" "$SIM_PID" abapsim
SIM_PORT=$(cat "$WORK/sim.port")
ADMIN="http://127.0.0.1:$(cat "$WORK/admin.port")"
GW_CALL_TIMEOUT_MS=4000
write_gw_conf "$SIM_PORT"
start_gw

faults() { # JSON → sets faults, expects 200
  local code
  code=$(curl -s -o "$WORK/admin.out" -w '%{http_code}' -X PUT --data-binary "$1" "$ADMIN/faults")
  [ "$code" = 200 ] || fail "PUT /faults $1: HTTP $code $(cat "$WORK/admin.out")"
}
reset_faults() { curl -s -o /dev/null -X POST "$ADMIN/faults/reset"; }

curl -s "$ADMIN/faults" | jq -e '.latency_ms == 0 and .drop_probability == 0 and .black_hole == false and .max_sessions == 1000' >/dev/null \
  && ok "GET /faults: all off" || fail "GET /faults: $(curl -s "$ADMIN/faults")"
code=$(curl -s -o "$WORK/admin.out" -w '%{http_code}' -X PUT --data-binary '{"latency_ms":-5}' "$ADMIN/faults")
[ "$code" = 400 ] && jq -e '.error | test("latency_ms")' "$WORK/admin.out" >/dev/null && ok "a bad PUT is 400 with the reason" \
  || fail "bad PUT: $code $(cat "$WORK/admin.out")"

req POST /api/v1/connection-test '{"REQUTEXT":"warm"}'
expect_status 200 "no faults"

# the delay is far above what a loaded machine adds to a call (process starts, ASan)
faults '{"rfms":{"STFC_CONNECTION":{"latency_ms":1500}}}'
t0=$(date +%s%N); req POST /api/v1/connection-test '{"REQUTEXT":"slow"}'; ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_status 200 "with latency"
[ "$ms" -ge 1500 ] && ok "latency applied ($ms ms)" || fail "latency not applied ($ms ms)"
t0=$(date +%s%N); req GET /api/v1/ping; ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 1000 ] && ok "other RFMs are not delayed ($ms ms)" || fail "RFC_PING took $ms ms"
reset_faults

faults '{"garbage_reply":true}'
req POST /api/v1/connection-test '{"REQUTEXT":"x"}'
expect_status 502 "garbage reply"
expect_json '.type == "urn:rfmgw:problem:backend-protocol-error"' "garbage is a protocol error"
reset_faults
faults '{"truncate_reply":true}'
req POST /api/v1/connection-test '{"REQUTEXT":"x"}'
expect_status 502 "truncated reply"
expect_json '.type == "urn:rfmgw:problem:backend-protocol-error"' "truncation is a protocol error"
reset_faults
faults '{"drop_probability":1}'
req POST /api/v1/connection-test '{"REQUTEXT":"x"}'
expect_status 502 "dropped connection"
reset_faults
req POST /api/v1/connection-test '{"REQUTEXT":"after"}'
expect_status 200 "back to normal after the faults are reset"

sim_close_all && ok "POST /close-all: every session closed, and rfmgw noticed" \
  || fail "close-all: $(curl -s "$ADMIN/stats")"
req POST /api/v1/connection-test '{"REQUTEXT":"reconnected"}'
expect_status 200 "the gateway reconnects after close-all"
stop_gw

# new connections: refused, black-holed, over the conversation limit
GW_CALL_TIMEOUT_MS=1500
write_gw_conf "$SIM_PORT"
faults '{"refuse_connections":true}'
start_gw
req POST /api/v1/connection-test '{"REQUTEXT":"x"}'
[ "$STATUS" = 502 ] || [ "$STATUS" = 503 ] && ok "refused connection: HTTP $STATUS" || fail "refused: HTTP $STATUS $BODY"
stop_gw
reset_faults
faults '{"black_hole":true}'
start_gw
t0=$(date +%s%N); req POST /api/v1/connection-test '{"REQUTEXT":"x"}'; ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$STATUS" -ge 500 ] && ok "black hole: HTTP $STATUS after $ms ms" || fail "black hole: HTTP $STATUS"
curl -s "$ADMIN/stats" | jq -e '.black_holed >= 1' >/dev/null && ok "black-holed connection counted" || fail "stats: $(curl -s "$ADMIN/stats")"
stop_gw
reset_faults
faults '{"max_sessions":1}'
write_gw_conf "$SIM_PORT" "" "" 'pool = { max = 2; };'
start_gw
in_flight 800 "$WORK/a.status"
pa=$BG
# the gateway's second connection is refused with HTTP 503; the request itself may still be
# served by the first session once it is free
req POST /api/v1/connection-test '{"REQUTEXT":"second session"}'
wait "$pa"
grep -q 'conversation limit reached' "$WORK/abapsim.log" && ok "the limit is logged" || fail "no limit in the log"
curl -s "$ADMIN/stats" | jq -e '.refused_session_limit >= 1' >/dev/null && ok "limit refusals counted" || fail "stats: $(curl -s "$ADMIN/stats")"
reset_faults
finish
