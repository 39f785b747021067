#!/usr/bin/env bash
# Bad input gets a clear problem+json answer, never a 5xx or a hang.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
write_gw_conf "$SIM_PORT"
start_gw

req POST /api/v1/connection-test '{"REQUTEXT": "x",'
expect_status 400 "malformed JSON"
expect_header '^content-type: application/problem\+json' "problem+json content type"
expect_json '.type == "urn:rfmgw:problem:malformed-json" and .status == 400 and .line == 1 and (.detail | test("line 1, column"))' \
  "malformed JSON names line and column"

req POST /api/v1/connection-test '{"REQUTEXT":"a","REQUTEXT":"b"}'
expect_status 400 "duplicate keys rejected"

req POST /api/v1/connection-test '["REQUTEXT"]'
expect_status 400 "a body that is not an object"

req POST /api/v1/connection-test 'REQUTEXT=hello' 'application/x-www-form-urlencoded'
expect_status 415 "non-JSON content type"
expect_json '.type == "urn:rfmgw:problem:unsupported-media-type"' "415 problem type"

req GET /api/v1/nothing-here
expect_status 404 "unknown route"
expect_json '.type == "urn:rfmgw:problem:not-found" and .instance == "/api/v1/nothing-here"' "404 problem names the path"

req DELETE /api/v1/connection-test
expect_status 405 "wrong method"
expect_header '^allow: POST' "405 carries Allow"

req POST /api/v1/connection-test '{"REQUTEXT":"hi","NOPE":1,"ECHOTEXT":"x"}'
expect_status 400 "unknown and EXPORTING parameters"
expect_json '.type == "urn:rfmgw:problem:invalid-parameters" and ([.errors[].pointer] | sort) == ["/ECHOTEXT","/NOPE"]' \
  "every bad parameter listed with its JSON Pointer"

req POST /api/v1/connection-test "{\"REQUTEXT\":\"$(printf 'x%.0s' $(seq 1 256))\"}"
expect_status 400 "CHAR 255 overflow"
expect_json '.errors[0].pointer == "/REQUTEXT" and (.errors[0].detail | test("CHAR 255"))' "length error names the field"

req POST /api/v1/connection-test '{"REQUTEXT":"a\u0000b"}'
expect_status 400 "embedded NUL"

req POST /api/v1/connection-test '{"REQUTEXT":1}'
expect_status 400 "wrong JSON type"
expect_json '.errors[0].detail | test("expected a string")' "type error says what was expected"

req POST /api/v1/missing '{}'
expect_status 502 "function not in the backend"
expect_json '.type == "urn:rfmgw:problem:function-not-found" and .rfc.key == "FU_NOT_FOUND"' \
  "FU_NOT_FOUND with the RFC error details"

{ printf '{"REQUTEXT":"'; head -c 1100000 /dev/zero | tr '\0' 'a'; printf '"}'; } > "$WORK/big.json"
req POST /api/v1/connection-test "@$WORK/big.json"
expect_status 413 "body larger than listen.max_body"

# The gateway still answers normally after all that.
req POST /api/v1/connection-test '{"REQUTEXT":"still here"}'
expect_status 200 "still serving"
finish
