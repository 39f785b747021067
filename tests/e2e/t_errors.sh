#!/usr/bin/env bash
# Every error class an ABAP function can end with, through Z_RFMGW_RAISE_ERROR, an unknown
# function and one outside the user's communication scenarios: the problem type, the HTTP status and SAP's error details (group, key, message
# class/type/number, V1-V4); the destination keeps serving afterwards. Registered for both
# backends (GW_BACKEND=nwrfc: the SAP NW RFC SDK's fake).
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
# the communication scenario leaves out Z_RFMGW_WAIT: calling it is an authorization failure
sed -i 's/rfms = \[ "\*" \]/rfms = [ "STFC_*", "RFC_*", "Z_RFMGW_RAISE_ERROR" ]/' "$WORK/sim.conf"
grep -q '"Z_RFMGW_RAISE_ERROR" ]' "$WORK/sim.conf" || { echo "FATAL: scenario not restricted"; exit 1; }
start_sim
write_gw_conf "$SIM_PORT"
add_routes '{ method = "POST"; path = "/api/v1/raise"; destination = "sim"; function = "Z_RFMGW_RAISE_ERROR"; }'
start_gw

req POST /api/v1/raise '{"METHOD":"EXCEPTION"}'
expect_status 422 "RAISE exception"
expect_json '.type == "urn:rfmgw:problem:abap-exception" and .rfc.group == "ABAP_EXCEPTION" and .rfc.key == "RAISE_EXCEPTION"' \
  "ABAP exception with its name"

req POST /api/v1/raise '{"METHOD":"MESSAGE","MESSAGE_V1":"one","MESSAGE_V2":"two","MESSAGE_V3":"three","MESSAGE_V4":"four"}'
expect_status 422 "MESSAGE type E"
expect_json '.type == "urn:rfmgw:problem:abap-message" and .rfc.group == "ABAP_MESSAGE"' "ABAP message problem"
expect_json '.rfc.messageClass == "SR" and .rfc.messageType == "E" and .rfc.messageNumber == "001"' "message class, type and number"
expect_json '.rfc.messageV1 == "one" and .rfc.messageV2 == "two" and .rfc.messageV3 == "three" and .rfc.messageV4 == "four"' "V1 to V4"

req POST /api/v1/raise '{"METHOD":"DUMP"}'
expect_status 502 "short dump"
expect_json '.type == "urn:rfmgw:problem:abap-runtime-failure" and .rfc.group == "RUNTIME_FAILURE" and .rfc.key == "COMPUTE_INT_ZERODIVIDE"' \
  "runtime failure with the dump's key"

req POST /api/v1/raise '{"METHOD":"RETURN","MESSAGE_V1":"v1"}'
expect_status 422 "an error reported in RETURN"
expect_json '.type == "urn:rfmgw:problem:bapi-error" and .messages[0].TYPE == "E" and .messages[0].ID == "SR" and .messages[0].NUMBER == "002" and .messages[0].MESSAGE_V1 == "v1"' \
  "BAPI error with RETURN's message"

req POST /api/v1/missing '{}'
expect_status 502 "unknown function"
expect_json '.type == "urn:rfmgw:problem:function-not-found" and .rfc.group == "FUNCTION_NOT_FOUND" and .rfc.key == "FU_NOT_FOUND"' \
  "FU_NOT_FOUND"

req POST /api/v1/wait '{"MILLISECONDS":1}'
expect_status 403 "a function outside the user's communication scenarios"
expect_json '.type == "urn:rfmgw:problem:backend-authorization-failure" and .rfc.group == "AUTHORIZATION_FAILURE" and .rfc.key == "RFC_NO_AUTHORITY"' \
  "authorization failure with SAP's key"

req POST /api/v1/connection-test '{"REQUTEXT":"still here"}'
expect_status 200 "the destination keeps serving after every error"
expect_json '.ECHOTEXT == "still here"' "and answers correctly"
finish
