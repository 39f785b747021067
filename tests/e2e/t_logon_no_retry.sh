#!/usr/bin/env bash
# A wrong password with the simulator's lock threshold at 3: 100 requests plus readiness probes
# over 30 s cause at most 1 failed logon, and the communication user is not locked.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf 'security = { max_failed_logons = 3; };'
start_sim
write_gw_conf "$SIM_PORT" "" "" 'pool = { min_idle = 1; ping_interval_ms = 200; ready_cache_ms = 0; };'
printf 'wrong-password\n' > "$WORK/secret"
start_gw

end=$(( $(date +%s) + ${LOGON_TEST_SECONDS:-30} ))
sent=0; bad=0; probes=0
while [ "$(date +%s)" -lt "$end" ] || [ $sent -lt 100 ]; do
  if [ $sent -lt 100 ]; then
    req POST /api/v1/connection-test '{"REQUTEXT":"x"}'
    sent=$((sent + 1))
    [ "$STATUS" = 502 ] || bad=$((bad + 1))
  fi
  req GET /readyz
  probes=$((probes + 1))
  [ "$STATUS" = 503 ] || bad=$((bad + 1))
  sleep 0.2
done
[ $bad -eq 0 ] && ok "$sent requests answered 502 and $probes probes 503" || fail "$bad unexpected answers"
expect_json '.destinations.sim.state == "logon_failed"' "/readyz says logon_failed"
n=$(grep -c ': logon failed:' "$WORK/abapsim.log" || true)
[ "$n" -le 1 ] && ok "$n failed logon reached the simulator" || fail "$n failed logons reached the simulator"
grep -q 'locked after' "$WORK/abapsim.log" && fail "the user got locked" || ok "the user is not locked"

# The right password still works: the user was never locked.
stop_gw
printf '%s\n' "$SIM_PASSWORD" > "$WORK/secret"
start_gw
req POST /api/v1/connection-test '{"REQUTEXT":"fixed"}'
expect_status 200 "with the right password the same user logs on"
finish
