#!/usr/bin/env bash
# abapsim runs RFMs on worker threads: while one session runs Z_RFMGW_WAIT for 5 s, STFC_CONNECTION
# on another session answers at once; the admin endpoint counts sessions and calls.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
rm -f "$WORK/sim.port" "$WORK/admin.port"
"$ABAPSIM_BIN" -c "$WORK/sim.conf" --ready-file "$WORK/sim.port" --admin-port 0 \
  --admin-ready-file "$WORK/admin.port" --log-level debug >>"$WORK/abapsim.log" 2>&1 &
SIM_PID=$!
PIDS+=("$SIM_PID")
wait_file "$WORK/sim.port" "$SIM_PID" abapsim
SIM_PORT=$(cat "$WORK/sim.port")
ADMIN="http://127.0.0.1:$(cat "$WORK/admin.port")"
GW_CALL_TIMEOUT_MS=8000
write_gw_conf "$SIM_PORT" "" "" 'pool = { max = 4; min_idle = 2; };'
start_gw

# two sessions up front
( req POST /api/v1/wait '{"MILLISECONDS":200}' ) &
p1=$!
( req POST /api/v1/wait '{"MILLISECONDS":200}' ) &
p2=$!
wait "$p1" "$p2"

# only once the 5 s call is surely running (else the fast calls could pass without testing anything)
in_flight 5000 "$WORK/slow.status"
pw=$BG
sleep 0.2
best=999999
for _ in 1 2 3; do
  t=$(curl -s -o /dev/null -w '%{time_total}' -H 'Content-Type: application/json' \
        --data '{"REQUTEXT":"fast"}' "$GW/api/v1/connection-test")
  ms=$(awk -v t="$t" 'BEGIN { printf "%d", t * 1000 }')
  [ "$ms" -lt "$best" ] && best=$ms
done
# behind the 5 s call it would take seconds; 1 s leaves room for a loaded machine
[ "$best" -lt 1000 ] && ok "STFC_CONNECTION answered in $best ms during a 5 s call" \
  || fail "STFC_CONNECTION took $best ms during a 5 s call"
body=$(curl -s "$ADMIN/stats")
printf '%s' "$body" | jq -e '.sessions >= 2 and .sessions_peak >= 2 and .logons_ok >= 2' >/dev/null \
  && ok "stats: sessions and logons ($body)" || fail "stats: $body"
wait "$pw"
[ "$(cat "$WORK/slow.status")" = 200 ] && ok "the 5 s call completed" || fail "slow call: $(cat "$WORK/slow.status")"
body=$(curl -s "$ADMIN/stats")
printf '%s' "$body" | jq -e '.rfm_calls.Z_RFMGW_WAIT == 3 and .rfm_calls.STFC_CONNECTION >= 3' >/dev/null \
  && ok "per-RFM call counts" || fail "per-RFM call counts: $body"
finish
