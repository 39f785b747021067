#!/usr/bin/env bash
# Slow calls: a call timeout answers 504 in time and the session is not reused; a full queue
# answers 503 with Retry-After at once; a client that hangs up mid-call breaks nothing; SIGTERM
# lets the call in flight finish.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
write_gw_conf "$SIM_PORT" "" "" 'pool = { max = 1; queue_max = 1; acquire_timeout_ms = 10000; ping_interval_ms = 0; };'
# the timeout under test on a route of its own; the other calls keep the default (5 s), so that
# a loaded machine does not turn their waits into timeouts
sed -i 's|^);$|  , { method = "POST"; path = "/api/v1/wait-1s"; destination = "sim"; function = "Z_RFMGW_WAIT"; timeout_ms = 1000; }\n);|' "$WORK/routes.conf"
start_gw

req POST /api/v1/connection-test '{"REQUTEXT":"warm"}'
expect_status 200 "first call"
t0=$(date +%s%N)
req POST /api/v1/wait-1s '{"MILLISECONDS":3000}'
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_status 504 "a 3 s call with a 1 s call timeout"
expect_json '.type == "urn:rfmgw:problem:backend-timeout"' "backend-timeout problem"
[ $ms -ge 900 ] && [ $ms -lt 2800 ] && ok "answered after $ms ms" || fail "answered after $ms ms"
req POST /api/v1/connection-test '{"REQUTEXT":"next"}'
expect_status 200 "the next call works"
n=$(grep -c ': logon user CC0000000001' "$WORK/abapsim.log" || true)
[ "$n" -eq 2 ] && ok "the timed-out session was not reused (a second logon)" || fail "$n logons; expected 2"

# pool max 1, queue 1: one runs, one waits, the third is refused at once (each only once the one
# before has surely reached the pool: rfmgw logs a call when it hands it over)
in_flight 3000 "$WORK/a.status"
pa=$BG
in_flight 100 "$WORK/b.status"
pb=$BG
t0=$(date +%s%N)
req POST /api/v1/connection-test '{"REQUTEXT":"third"}'
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_status 503 "queue full"
expect_header '^retry-after: [0-9]+' "503 carries Retry-After"
expect_json '.type == "urn:rfmgw:problem:no-capacity"' "no-capacity problem"
# queued, it would have waited for the running call's 3 s
[ $ms -lt 1500 ] && ok "refused at once ($ms ms)" || fail "refusal took $ms ms"
wait "$pa" "$pb"
[ "$(cat "$WORK/a.status")" = 200 ] && [ "$(cat "$WORK/b.status")" = 200 ] && ok "the running and the queued call both succeeded" \
  || fail "running/queued: $(cat "$WORK/a.status") $(cat "$WORK/b.status")"

# a client that hangs up while its call runs
curl -s -o /dev/null --max-time 0.3 -H 'Content-Type: application/json' --data '{"MILLISECONDS":700}' "$GW/api/v1/wait" || true
sleep 0.6
req POST /api/v1/connection-test '{"REQUTEXT":"after hang-up"}'
expect_status 200 "served normally after a client hung up mid-call"

# SIGTERM while a call is in flight: the call completes, rfmgw exits 0
in_flight 600 "$WORK/c.status"
pc=$BG
stop_gw
wait "$pc"
[ "$(cat "$WORK/c.status")" = 200 ] && ok "the call in flight finished during the graceful shutdown" || fail "in-flight call: $(cat "$WORK/c.status")"
finish
