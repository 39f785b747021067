#!/usr/bin/env bash
# Function metadata: GET /api/v1/functions/{NAME} for mapped functions only, from the cache that
# SIGUSR1 clears; route-level type options.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
write_gw_conf "$SIM_PORT"
start_gw

req GET /api/v1/functions/STFC_CONNECTION
expect_status 200 "metadata of a mapped function"
expect_json '.name == "STFC_CONNECTION" and .destination == "sim"' "names the function and its destination"
expect_json '[.parameters[] | select(.name == "REQUTEXT") | .direction, .abapType.type, .abapType.length] == ["IMPORTING","CHAR",255]' \
  "REQUTEXT: IMPORTING CHAR 255"
expect_json '.response.properties.ECHOTEXT.maxLength == 255' "a JSON Schema for the response"

req GET /api/v1/functions/RFC_READ_TABLE
expect_status 404 "a function no route maps is not described"

# The first call described the function once; later calls use the cache; SIGUSR1 clears it.
req POST /api/v1/connection-test '{"REQUTEXT":"x"}'
req POST /api/v1/connection-test '{"REQUTEXT":"y"}'
n=$(grep -c 'DESCRIBE STFC_CONNECTION' "$WORK/abapsim.log" || true)
[ "$n" -eq 1 ] && ok "one DESCRIBE for three uses" || fail "$n DESCRIBEs"
kill -USR1 "$GW_PID"
for _ in $(seq 1 20); do grep -q 'metadata cache cleared' "$WORK/rfmgw.log" && break; sleep 0.1; done
req POST /api/v1/connection-test '{"REQUTEXT":"z"}'
expect_status 200 "a call after SIGUSR1"
n=$(grep -c 'DESCRIBE STFC_CONNECTION' "$WORK/abapsim.log" || true)
[ "$n" -eq 2 ] && ok "SIGUSR1 cleared the metadata cache (described again)" || fail "$n DESCRIBEs after SIGUSR1"
finish
