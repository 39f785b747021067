#!/usr/bin/env bash
# CORS: a preflight from a listed origin is answered 204 by the gateway itself — without
# credentials and without a backend call — with the configured methods, headers, max-age and
# credentials; another origin gets 403 and no Access-Control-* header; actual answers (200 and
# 401) name an allowed origin only. Every answer carries the security headers.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
KEY=$(openssl rand -hex 24)
echo "web:$(printf '%s\n' "$KEY" | "$RFMGW_BIN" --hash-api-key)" > "$WORK/api-keys"
register_secret "$KEY"
GW_CALLERS='callers = { methods = ( { name = "keys"; type = "api_key"; file = "api-keys"; } ); default = [ "keys" ]; };'
GW_EXTRA_TOP='cors = { enabled = true; origins = [ "https://app.example.com", "http://localhost:5173" ];
  credentials = true; max_age_s = 900; };'
write_gw_conf "$SIM_PORT"
start_gw

hreq() { # METHOD PATH [curl args…] → $STATUS $HEADERS $BODY
  local m=$1 p=$2
  shift 2
  STATUS=$(curl -s -o "$WORK/c.body" -D "$WORK/c.h" -w '%{http_code}' --max-time 10 -X "$m" "$@" "$GW$p" || true)
  HEADERS=$(cat "$WORK/c.h"); BODY=$(cat "$WORK/c.body")
}
no_header() { # regex what
  if grep -qiE "$1" <<<"$HEADERS"; then fail "$2"; else ok "$2"; fi
}
calls() { grep -c 'CALL STFC_CONNECTION' "$WORK/abapsim.log" || true; }
security_headers() { # what
  expect_header '^x-content-type-options: nosniff' "$1: nosniff"
  expect_header '^x-frame-options: DENY' "$1: X-Frame-Options"
  expect_header '^referrer-policy: no-referrer' "$1: Referrer-Policy"
}

n=$(calls)
hreq OPTIONS /api/v1/connection-test -H 'Origin: https://app.example.com' \
  -H 'Access-Control-Request-Method: POST' -H 'Access-Control-Request-Headers: content-type, x-api-key'
expect_status 204 "preflight from a listed origin, without credentials"
expect_header '^access-control-allow-origin: https://app\.example\.com' "…names the origin"
expect_header '^access-control-allow-methods: GET, POST, PUT, PATCH, DELETE' "…allowed methods"
expect_header '^access-control-allow-headers: .*X-API-Key' "…allowed headers include X-API-Key"
expect_header '^access-control-max-age: 900' "…max-age"
expect_header '^access-control-allow-credentials: true' "…credentials"
expect_header '^vary: Origin' "…Vary: Origin"
security_headers "preflight"
hreq OPTIONS /api/v1/connection-test -H 'Origin: https://evil.example.net' -H 'Access-Control-Request-Method: POST'
expect_status 403 "preflight from another origin"
no_header '^access-control-allow-origin' "…no Access-Control-Allow-Origin"
[ "$(calls)" -eq "$n" ] && ok "preflights never reach the backend" || fail "a preflight reached the backend"

hreq POST /api/v1/connection-test -H 'Origin: http://localhost:5173' -H "X-API-Key: $KEY" \
  -H 'Content-Type: application/json' --data-binary '{"REQUTEXT":"cors"}'
expect_status 200 "the actual request from a listed origin"
expect_header '^access-control-allow-origin: http://localhost:5173' "…names that origin"
expect_header '^access-control-expose-headers: X-Request-Id' "…exposes X-Request-Id"
expect_header '^cache-control: no-store' "…Cache-Control: no-store"
expect_header "^content-security-policy: default-src 'none'" "…a CSP that allows nothing"
security_headers "200"
hreq POST /api/v1/connection-test -H 'Origin: https://evil.example.net' -H "X-API-Key: $KEY" \
  -H 'Content-Type: application/json' --data-binary '{"REQUTEXT":"cors"}'
no_header '^access-control-allow-origin' "another origin's request: no Access-Control-Allow-Origin"
hreq POST /api/v1/connection-test -H 'Origin: https://app.example.com' \
  -H 'Content-Type: application/json' --data-binary '{"REQUTEXT":"cors"}'
expect_status 401 "without a key"
expect_header '^access-control-allow-origin: https://app\.example\.com' "…a listed origin can read the 401"
security_headers "401"
for p in /healthz /nowhere /metrics; do
  hreq GET "$p"
  security_headers "GET $p ($STATUS)"
done
finish
