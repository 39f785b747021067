#!/usr/bin/env bash
# An idle connection that stops answering is found by the idle RFC_PING and closed before a
# request hits it.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
GW_CALL_TIMEOUT_MS=800
write_gw_conf "$SIM_PORT" "" "" 'pool = { max = 2; ping_interval_ms = 200; };'
start_gw
req POST /api/v1/connection-test '{"REQUTEXT":"hello"}'
expect_status 200 "first call"
kill -STOP "$SIM_PID"
for _ in $(seq 1 40); do grep -q 'did not answer RFC_PING' "$WORK/rfmgw.log" && break; sleep 0.1; done
kill -CONT "$SIM_PID"
grep -q 'did not answer RFC_PING' "$WORK/rfmgw.log" && ok "the dead idle connection was detected by the ping" || fail "no ping failure logged"
req POST /api/v1/connection-test '{"REQUTEXT":"again"}'
expect_status 200 "the next request gets a fresh connection"
finish
