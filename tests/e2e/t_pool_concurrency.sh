#!/usr/bin/env bash
# 200 concurrent clients against a pool of max 4: every request succeeds and the simulator never
# sees more than 4 sessions. /readyz probes the destination and reports the pool.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
GW_CALL_TIMEOUT_MS=25000
write_gw_conf "$SIM_PORT" "" "" 'pool = { max = 4; queue_max = 1000; acquire_timeout_ms = 20000; };'
sed -i 's/threads = \([0-9]*\);/threads = \1; connection_limit = 1000;/' "$WORK/gw.conf"
start_gw

load 600 200 POST /api/v1/connection-test '{"REQUTEXT":"load"}'
ok200=$(count_status 200)
[ "$ok200" -eq 600 ] && ok "600 requests, 200 at a time: all 200 OK ($LOAD_MS ms)" \
  || fail "only $ok200 of 600 were 200: $(sort "$WORK/load.status" | uniq -c | tr '\n' ' ')"
sessions=$(grep -c ': logon user CC0000000001' "$WORK/abapsim.log" || true)
[ "$sessions" -ge 1 ] && [ "$sessions" -le 4 ] && ok "the simulator saw $sessions sessions (cap 4)" \
  || fail "the simulator saw $sessions sessions; the cap is 4"

req GET /readyz
expect_status 200 "ready"
expect_json '.status == "ready" and .destinations.sim.ready == true and .destinations.sim.state == "ok" and .destinations.sim.sessions <= 4' \
  "readiness names the destination and its pool"
finish
