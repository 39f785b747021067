#!/usr/bin/env bash
# The mapping language: bindings from path, query, header, body and constants; result shaping
# and ?fields=; body "bound"; the generic, allowlisted /api/v1/rfc/{FUNCTION} endpoint.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
GW_EXTRA_TOP='rfc_endpoint = { enabled = true; allow = [ "STFC_*", "RFC_PING", "Z_NOPE*" ]; };'
write_gw_conf "$SIM_PORT"
add_routes '{ method = "GET"; path = "/api/v1/echo/{text}"; destination = "sim"; function = "STFC_CONNECTION";
    bind = ( { to = "REQUTEXT"; from = "path.text"; } );
    result = { include = [ "ECHOTEXT" ]; rename = ( { from = "ECHOTEXT"; to = "echo"; } ); }; },
  { method = "GET"; path = "/api/v1/count"; destination = "sim"; function = "STFC_CHANGING";
    bind = ( { to = "START_VALUE"; from = "query.start"; required = true; },
             { to = "COUNTER"; from = "header.X-Counter"; default = "100"; } ); },
  { method = "POST"; path = "/api/v1/count"; destination = "sim"; function = "STFC_CHANGING"; body = "bound";
    bind = ( { to = "START_VALUE"; from = "body.numbers.start"; },
             { to = "COUNTER"; const = "1"; } );
    result = { rename = ( { from = "RESULT"; to = "sum"; } ); drop_empty = true; }; }'
start_gw

req GET /api/v1/echo/hello
expect_status 200 "path parameter bound to REQUTEXT"
expect_json '. == {"echo":"hello"}' "include + rename: only the echo, under its new name"

req GET '/api/v1/count?start=40'
expect_json '.RESULT == 140 and .COUNTER == 101' "query value converted to INT4; header default applied"
curl -s -H 'X-Counter: 2' "$GW/api/v1/count?start=40" > "$WORK/body"; BODY=$(cat "$WORK/body")
expect_json '.RESULT == 42 and .COUNTER == 3' "header bound to COUNTER"
req GET '/api/v1/count?start=40&fields=RESULT'
expect_json '. == {"RESULT":140}' "?fields= projection"
req GET '/api/v1/count'
expect_status 400 "a required query parameter missing"
expect_json '.errors[0].parameter == "query.start"' "the error names the query parameter"
req GET '/api/v1/count?start=forty'
expect_status 400 "text where a number is needed"
expect_json '.errors[0].parameter == "query.start" and (.errors[0].detail | test("not a number"))' "says which parameter and why"

req POST /api/v1/count '{"numbers":{"start":1}}'
expect_json '. == {"sum":2,"COUNTER":2}' "body member bound by path; constant; rename"
req POST /api/v1/count '{"numbers":{"start":1},"extra":true}'
expect_status 400 'body "bound" refuses members no binding reads'
expect_json '.errors[0].pointer == "/extra"' "names the stray member"

# query and header bindings inside a batch (later steps are prepared off the HTTP thread)
curl -s -H 'X-Counter: 2' -H 'Content-Type: application/json' --data-binary \
  '{"steps":[{"method":"GET","path":"/api/v1/count?start=40"},{"method":"GET","path":"/api/v1/count?start=1"}],"commit":false}' \
  "$GW/api/v1/batch" > "$WORK/body"; BODY=$(cat "$WORK/body")
expect_json '[.results[].body.RESULT] == [42, 3]' "batch steps read their query and the request's headers"

req POST /api/v1/rfc/STFC_CONNECTION '{"REQUTEXT":"generic"}'
expect_status 200 "generic endpoint, allowlisted function"
expect_json '.ECHOTEXT == "generic" and (.RESPTEXT | length) > 0' "all exports returned"
req POST /api/v1/rfc/RFC_READ_TABLE '{}'
expect_status 404 "a function outside the allowlist"
req POST /api/v1/rfc/Z_NOPE_NOT_THERE '{}'
expect_status 404 "FU_NOT_FOUND on the generic endpoint is a 404"
expect_json '.type == "urn:rfmgw:problem:function-not-found"' "function-not-found problem"
req GET /api/v1/rfc/STFC_CONNECTION
expect_status 405 "the generic endpoint takes POST"
finish
