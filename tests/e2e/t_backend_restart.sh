#!/usr/bin/env bash
# The simulator dies and comes back during traffic: requests in the outage get a quick 502/503
# (no hang), /readyz says not ready, and the gateway recovers by itself within a few seconds.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
port=$SIM_PORT
write_gw_conf "$port" "" "" 'pool = { max = 4; min_idle = 1; reconnect_min_ms = 50; reconnect_max_ms = 500; breaker_threshold = 3; breaker_cooldown_ms = 1000; ready_cache_ms = 0; };'
start_gw
load 100 20 POST /api/v1/connection-test '{"REQUTEXT":"before"}'
[ "$(count_status 200)" -eq 100 ] && ok "before the outage: 100 of 100" || fail "before: $(sort "$WORK/load.status" | uniq -c | tr '\n' ' ')"

kill -9 "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true; SIM_PID=
load 100 20 POST /api/v1/connection-test '{"REQUTEXT":"during"}'
bad=$(grep -vcE '^(502|503)$' "$WORK/load.status" || true)
[ "$bad" -eq 0 ] && ok "during the outage: every answer 502 or 503 ($LOAD_MS ms for 100)" \
  || fail "during the outage: $(sort "$WORK/load.status" | uniq -c | tr '\n' ' ')"
[ "$LOAD_MS" -lt 10000 ] && ok "no hang during the outage" || fail "100 requests took $LOAD_MS ms"
req GET /readyz
expect_status 503 "not ready while the backend is down"

# the simulator comes back on the same port
sed -i "s/port = 0;/port = $port;/" "$WORK/sim.conf"
start_sim
t0=$(date +%s%N); recovered=0
for _ in $(seq 1 100); do
  req POST /api/v1/connection-test '{"REQUTEXT":"after"}'
  [ "$STATUS" = 200 ] && { recovered=1; break; }
  sleep 0.1
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $recovered -eq 1 ] && [ $ms -lt 5000 ] && ok "recovered $ms ms after the simulator returned" || fail "not recovered after $ms ms (last: $STATUS $BODY)"
load 100 20 POST /api/v1/connection-test '{"REQUTEXT":"after"}'
[ "$(count_status 200)" -eq 100 ] && ok "after the outage: 100 of 100" || fail "after: $(sort "$WORK/load.status" | uniq -c | tr '\n' ' ')"
req GET /readyz
expect_status 200 "ready again"
finish
