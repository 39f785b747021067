#!/usr/bin/env bash
# /openapi.json's security: a scheme per callers method that takes credentials (api_key →
# apiKey in its header, basic → http basic, jwt → http bearer JWT; `none` has none), and per
# operation the alternatives it accepts with the scopes it needs ({} where anonymous callers
# may call), 401/403 answers where a caller is needed; built-ins as rfmgw gates them. A real
# validator (swagger-parser) accepts the document.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
KEY=$(openssl rand -hex 24)
echo "mobile:$(printf '%s\n' "$KEY" | "$RFMGW_BIN" --hash-api-key):stfc" > "$WORK/api-keys"
echo "alice:$(printf '%s\n' 'Alice-Passw0rd-e2e' | "$RFMGW_BIN" --hash-password --iterations 20000):stfc" > "$WORK/users"
export RFMGW_TEST_HS_SECRET=$(openssl rand -hex 24)
register_secret "$KEY" 'Alice-Passw0rd-e2e' "$RFMGW_TEST_HS_SECRET"
GW_CALLERS='callers = {
  methods = (
    { name = "keys"; type = "api_key"; file = "api-keys"; header = "X-Client-Key"; },
    { name = "staff"; type = "basic"; file = "users"; },
    { name = "hs"; type = "jwt"; algorithm = "HS256"; secret = "${RFMGW_TEST_HS_SECRET}"; },
    { name = "open"; type = "none"; }
  );
  default = [ "keys", "hs" ];
  public_openapi = true;
};' write_gw_conf "$SIM_PORT"
add_routes '  { method = "POST"; path = "/api/v1/scoped"; destination = "sim"; function = "STFC_CONNECTION"; scopes = [ "stfc" ]; },
  { method = "POST"; path = "/api/v1/staff-only"; destination = "sim"; function = "STFC_CONNECTION"; auth = [ "staff" ]; },
  { method = "POST"; path = "/api/v1/anyone"; destination = "sim"; function = "STFC_CONNECTION"; auth = [ "open" ]; }'
start_gw

req GET /openapi.json
expect_status 200 "the document (callers.public_openapi)"
printf '%s' "$BODY" > "$WORK/openapi.json"
expect_json '.components.securitySchemes == {
  "keys": {"type": "apiKey", "in": "header", "name": "X-Client-Key", "description": "callers method (docs/security.md)"},
  "staff": {"type": "http", "scheme": "basic", "description": "callers method (docs/security.md)"},
  "hs": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "callers method (docs/security.md)"}}' \
  "a scheme per method with credentials (api_key in its header, basic, bearer JWT); none for none"
expect_json '.paths["/api/v1/connection-test"].post.security == [{"keys": []}, {"hs": []}]' "a route without auth: callers.default"
expect_json '.paths["/api/v1/scoped"].post.security == [{"keys": ["stfc"]}, {"hs": ["stfc"]}]' "…with the scopes it needs"
expect_json '.paths["/api/v1/staff-only"].post.security == [{"staff": []}]' "a route's own auth"
expect_json '.paths["/api/v1/anyone"].post.security == [{}] and (.paths["/api/v1/anyone"].post.responses | has("401") | not)' \
  "anonymous allowed: {} and no 401"
expect_json '.paths["/api/v1/connection-test"].post.responses | has("401") and has("403")' "401 and 403 where a caller is needed"
expect_json '.paths["/healthz"].get.security == [] and .paths["/readyz"].get.security == []' "probes: open"
expect_json '[.paths["/healthz"].get, .paths["/readyz"].get, .paths["/api/v1/functions/{NAME}"].get, .paths["/api/v1/batch"].post]
  | all(.responses["200"].content["application/json"].schema == {"type": "object"})' \
  "the built-ins are all there, each 200 an object (regression: a json_pack format one level too deep)"
expect_json '.paths["/metrics"].get.security == [{"keys": []}, {"hs": []}]' "/metrics: callers.default (public_metrics is off)"
expect_json '.paths["/docs"].get.security == []' "/docs: open with public_openapi"
expect_json '.paths["/api/v1/batch"].post.security == [{"keys": []}, {"hs": []}]' "the batch: callers.default"
# the schemes are what rfmgw really accepts
st=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Client-Key: $KEY" --json '{"REQUTEXT":"k"}' "$GW/api/v1/scoped")
[ "$st" = 200 ] && ok "the apiKey scheme's header is accepted" || fail "X-Client-Key: $st"
st=$(curl -s -o /dev/null -w '%{http_code}' -u 'alice:Alice-Passw0rd-e2e' --json '{"REQUTEXT":"b"}' "$GW/api/v1/staff-only")
[ "$st" = 200 ] && ok "the basic scheme is accepted" || fail "basic: $st"

openapi_validate "$WORK/openapi.json"
finish
