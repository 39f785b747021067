#!/usr/bin/env bash
# The HTTP status of each kind of backend error is configurable: globally (`status`) and per route,
# with the defaults of docs/errors.md; out-of-range and unknown settings are file:line errors.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
GW_EXTRA_TOP='status = { abap_exception = 409; };'
write_gw_conf "$SIM_PORT"
add_routes '{ method = "POST"; path = "/api/v1/raise"; destination = "sim"; function = "Z_RFMGW_RAISE_ERROR"; },
  { method = "POST"; path = "/api/v1/raise-strict"; destination = "sim"; function = "Z_RFMGW_RAISE_ERROR";
    status = { abap_exception = 400; runtime_failure = 500; }; }'
start_gw
req POST /api/v1/raise '{"METHOD":"EXCEPTION"}'
expect_status 409 "an ABAP exception with the global status = { abap_exception = 409; }"
expect_json '.type | endswith("abap-exception")' "the problem type stays abap-exception"
req POST /api/v1/raise '{"METHOD":"DUMP"}'
expect_status 502 "a runtime failure: the default 502"
req POST /api/v1/raise '{"METHOD":"MESSAGE"}'
expect_status 422 "an ABAP message: the default 422"
req POST /api/v1/raise-strict '{"METHOD":"EXCEPTION"}'
expect_status 400 "the route's own abap_exception = 400 wins over the global one"
req POST /api/v1/raise-strict '{"METHOD":"DUMP"}'
expect_status 500 "the route's runtime_failure = 500"
req POST /api/v1/missing '{}'
expect_status 502 "FU_NOT_FOUND on a mapped route: 502 by default"
stop_gw

# bad settings: file:line
for bad in 'status = { timeout = 200; };' 'status = { nope = 500; };'; do
  GW_EXTRA_TOP=$bad write_gw_conf "$SIM_PORT"
  rc=0; "$RFMGW_BIN" -c "$WORK/gw.conf" --check-config > "$WORK/c.out" 2>&1 || rc=$?
  [ $rc = 2 ] && grep -q 'gw.conf:[0-9]*: ' "$WORK/c.out" && ok "'$bad' refused: $(grep 'gw.conf:' "$WORK/c.out" | head -1 | sed 's/.*gw.conf/gw.conf/')" \
    || fail "'$bad': exit $rc: $(cat "$WORK/c.out")"
done
finish
