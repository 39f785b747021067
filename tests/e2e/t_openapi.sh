#!/usr/bin/env bash
# GET /openapi.json: an OpenAPI 3.1 document of the demo routes, built from the mappings and the
# functions' metadata, that a real validator (@apidevtools/swagger-parser, from npm) accepts.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
GW_EXTRA_TOP='rfc_endpoint = { enabled = true; allow = [ "STFC_*" ]; };'
GW_DEST_NAME=demo GW_MAPPINGS="$RFMGW_SOURCE_DIR/mappings/demo.conf" write_gw_conf "$SIM_PORT"
start_gw

req GET /openapi.json
expect_status 200 "the document"
printf '%s' "$BODY" > "$WORK/openapi.json"
expect_json '.openapi == "3.1.0" and (.paths | has("/api/v1/flights/{carrier}/{connid}/{date}"))' "OpenAPI 3.1 with the demo routes"
expect_json '.paths["/api/v1/flights/{carrier}/{connid}/{date}"].get.parameters | map(select(.in == "path")) | map(.name) | sort == ["carrier","connid","date"]' \
  "path parameters declared"
expect_json '.paths["/api/v1/flights/{carrier}/{connid}/{date}"].get.parameters[] | select(.name == "date") | .schema.format == "date"' \
  "a bound DATE parameter is a date"
expect_json '.paths["/api/v1/bookings"].post.requestBody.content["application/json"].schema.required | sort == ["airline","connection","customer","date"]' \
  'body "bound": the required members'
expect_json '.paths["/api/v1/flights/{carrier}/{connid}/{date}"].get.responses["200"].content["application/json"].schema.properties | has("flight") and has("availability") and has("messages")' \
  "the answer's schema follows include, rename and BAPI messages"
expect_json '.paths["/api/v1/tables/{table}"].get.responses["200"].content["application/x-ndjson"].schema.properties | has("WA")' \
  "a route with stream_table also answers NDJSON: the schema of one DATA row"
expect_json '.paths["/api/v1/connection-test"].post.responses["200"].content | has("application/x-ndjson") | not' \
  "other routes answer JSON only"
expect_json '.paths["/api/v1/connection-test"].post.responses["400"].content["application/problem+json"].schema["$ref"] == "#/components/schemas/Problem"' \
  "problem+json errors"
n=$(grep -c 'DESCRIBE' "$WORK/abapsim.log" || true)
req GET /openapi.json
[ "$(grep -c 'DESCRIBE' "$WORK/abapsim.log" || true)" -eq "$n" ] && ok "the second document comes from the metadata cache" || fail "described again"

openapi_validate "$WORK/openapi.json"
finish
