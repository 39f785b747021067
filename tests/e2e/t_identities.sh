#!/usr/bin/env bash
# Backend identities: principal mapping (an API key's caller, a scope) picks a configured
# password or certificate identity; pass-through callers log on with their own Basic user and
# password in pools of their own (two callers get their own sessions and results, a wrong
# password is the caller's 401 and does not touch the other caller, a refused logon is answered
# from memory instead of retried); pass-through pools beyond max_identities are evicted least
# recently used first; pool.total_max makes room by closing another identity's idle session;
# configuration mistakes are file:line errors; no password reaches a log.
source "$(dirname "$0")/lib.sh"
make_pki

ALICE_PW="Alice-Sap-$RANDOM-Pw"
BOB_PW="Bob-Sap-$RANDOM-Pw"
CAROL_PW="Carol-Sap-$RANDOM-Pw"
SALES_PW="Sales-Sap-$RANDOM-Pw"
KEY_SHOP=$(openssl rand -hex 24)
KEY_OPS=$(openssl rand -hex 24)
KEY_PLAIN=$(openssl rand -hex 24)
register_secret "$ALICE_PW" "$BOB_PW" "$CAROL_PW" "$SALES_PW" "$KEY_SHOP" "$KEY_OPS" "$KEY_PLAIN"

write_sim_conf "$(cat <<EOC
users_extra_marker = 0;
EOC
)"
# more communication users in the simulator: ALICE, BOB, CAROL (pass-through), SALES (configured)
sed -i '/^users_extra_marker/d' "$WORK/sim.conf"
sed -i "s|^users = ( |users = ( { name = \"ALICE\"; password = \"$(hash_password "$ALICE_PW")\"; },\n          { name = \"BOB\"; password = \"$(hash_password "$BOB_PW")\"; },\n          { name = \"CAROL\"; password = \"$(hash_password "$CAROL_PW")\"; },\n          { name = \"SALES\"; password = \"$(hash_password "$SALES_PW")\"; },\n          |" "$WORK/sim.conf"
sed -i 's|users = \[ "CC0000000001", "CC0000000002" \]|users = [ "CC0000000001", "CC0000000002", "ALICE", "BOB", "CAROL", "SALES" ]|' "$WORK/sim.conf"
start_sim

{
  echo "shop:$(printf '%s\n' "$KEY_SHOP" | "$RFMGW_BIN" --hash-api-key)"
  echo "ops:$(printf '%s\n' "$KEY_OPS" | "$RFMGW_BIN" --hash-api-key):certs"
  echo "plain:$(printf '%s\n' "$KEY_PLAIN" | "$RFMGW_BIN" --hash-api-key)"
} > "$WORK/api-keys"
printf 'not-%s\n' "$SALES_PW" > "$WORK/sales.pw" # wrong at first: fixed and reloaded below

GW_CALLERS='callers = {
  methods = ( { name = "apps"; type = "api_key"; file = "api-keys"; },
              { name = "sap"; type = "passthrough"; realm = "SAP users"; } );
  default = [ "apps" ];
};'
# (the nwrfc backend has no certificate identities: its PSE holds the destination's one)
ROBOT='{ name = "robot"; auth = { method = "certificate"; cert = "pki/client.pem"; key = "pki/client.key"; };
      scopes = [ "certs" ]; }'
[ "${GW_BACKEND:-native}" = nwrfc ] && ROBOT='{ name = "robot"; auth = { method = "password"; user = "CC0000000002"; password = "x"; }; scopes = [ "none-such" ]; }'
IDENTITIES="identities = (
    { name = \"sales\"; auth = { method = \"password\"; user = \"SALES\"; password_file = \"sales.pw\"; };
      pool_max = 1; callers = [ \"apps:shop\" ]; },
    $ROBOT
  );"'
  passthrough = { enabled = true; pool_max = 1; max_identities = 2; idle_timeout_ms = 60000;
                  failure_ttl_ms = 60000; };
  pool = { max = 2; total_max = 3; };'
write_gw_conf "$SIM_PORT" "" "" "$IDENTITIES"
add_routes '{ method = "POST"; path = "/api/v1/me"; destination = "sim"; function = "STFC_CONNECTION";
    identity = "passthrough"; auth = [ "sap" ]; },
  { method = "POST"; path = "/api/v1/as-sales"; destination = "sim"; function = "STFC_CONNECTION";
    identity = "sales"; }'
start_gw

# call PATH [curl args…] → STATUS, BODY, HEADERS; USER = the logon user in RESPTEXT
call() {
  local path=$1
  shift
  rm -f "$WORK/c.body" "$WORK/c.hdr"
  STATUS=$(curl -s -S --max-time 15 -o "$WORK/c.body" -D "$WORK/c.hdr" -w '%{http_code}' \
    -X POST -H 'Content-Type: application/json' --data-binary '{"REQUTEXT":"who"}' "$@" "$GW$path" || true)
  BODY=$(cat "$WORK/c.body" 2>/dev/null || true)
  HEADERS=$(cat "$WORK/c.hdr" 2>/dev/null || true)
  USER_SEEN=$(printf '%s' "$BODY" | jq -r '.RESPTEXT // ""' 2>/dev/null | sed -n 's|.*Logon_Data: [0-9]*/\([^/]*\)/.*|\1|p')
}
expect_user() { # user what
  if [ "$STATUS" = 200 ] && [ "$USER_SEEN" = "$1" ]; then ok "$2: logged on as $1"; else fail "$2: HTTP $STATUS as '$USER_SEEN', expected 200 as $1 ($BODY)"; fi
}
logons() { grep -c "logon user $1 " "$WORK/abapsim.log" || true; }
failed_logons() { grep -c 'logon failed' "$WORK/abapsim.log" || true; }

# ---- principal mapping
call /api/v1/connection-test -H "X-API-Key: $KEY_PLAIN"
expect_user CC0000000001 "a caller without a mapping uses the destination's own identity"
call /api/v1/connection-test -H "X-API-Key: $KEY_SHOP"
expect_status 502 "a configured identity with a wrong password: the gateway's logon failure"
expect_json '.type == "urn:rfmgw:problem:backend-logon-failed"' "named backend-logon-failed"
call /api/v1/connection-test -H "X-API-Key: $KEY_PLAIN"
expect_user CC0000000001 "the destination's own identity is not affected"
printf '%s\n' "$SALES_PW" > "$WORK/sales.pw"
kill -HUP "$GW_PID"
for _ in $(seq 1 50); do grep -q 'SIGHUP: reloaded' "$WORK/rfmgw.log" && break; sleep 0.1; done
call /api/v1/connection-test -H "X-API-Key: $KEY_SHOP"
expect_user SALES "after SIGHUP with the right password, caller apps:shop is mapped to identity sales"
if [ "${GW_BACKEND:-native}" != nwrfc ]; then
  call /api/v1/connection-test -H "X-API-Key: $KEY_OPS"
  expect_user CC0000000002 "a caller with scope certs is mapped to the certificate identity"
fi
call /api/v1/as-sales -H "X-API-Key: $KEY_PLAIN"
expect_user SALES "a route's own identity wins over the mapping"
call /api/v1/connection-test
expect_status 401 "no API key: 401 before any identity is chosen"

# ---- pass-through
call /api/v1/me -u "ALICE:$ALICE_PW"
expect_user ALICE "pass-through: alice logs on as herself"
call /api/v1/me -u "BOB:$BOB_PW"
expect_user BOB "pass-through: bob logs on as himself"
call /api/v1/me -u "ALICE:$ALICE_PW"
expect_user ALICE "alice again: her own session"
if [ "$(logons ALICE)" = 1 ] && [ "$(logons BOB)" = 1 ]; then
  ok "each caller has one session of its own, reused (1 logon each)"
else
  fail "logons: ALICE $(logons ALICE), BOB $(logons BOB); expected 1 each"
fi
# both at once: each call runs on its caller's session
curl -s -o "$WORK/p1" -X POST -H 'Content-Type: application/json' --data-binary '{"REQUTEXT":"a"}' -u "ALICE:$ALICE_PW" "$GW/api/v1/me" &
p1=$!
curl -s -o "$WORK/p2" -X POST -H 'Content-Type: application/json' --data-binary '{"REQUTEXT":"b"}' -u "BOB:$BOB_PW" "$GW/api/v1/me" &
p2=$!
wait $p1 $p2 || true
if grep -q '/ALICE/' "$WORK/p1" && grep -q '/BOB/' "$WORK/p2" && grep -q '"ECHOTEXT":"a"' "$WORK/p1" && grep -q '"ECHOTEXT":"b"' "$WORK/p2"; then
  ok "concurrent pass-through callers get their own results"
else
  fail "concurrent results mixed up: $(cat "$WORK/p1") / $(cat "$WORK/p2")"
fi

before=$(failed_logons)
call /api/v1/me -u "BOB:wrong-$BOB_PW"
expect_status 401 "pass-through with a wrong password: the caller's 401"
expect_header '^WWW-Authenticate: Basic realm="SAP users"' "with a Basic challenge"
printf '%s' "$BODY" > "$WORK/body"
BODY=$(cat "$WORK/body")
expect_json '.type == "urn:rfmgw:problem:unauthenticated" and (.detail | test("refused the logon"))' "problem says the backend refused the logon"
call /api/v1/me -u "BOB:wrong-$BOB_PW"
expect_status 401 "the same wrong password again: 401"
if [ "$(( $(failed_logons) - before ))" = 1 ]; then ok "the repeated wrong password reached the backend once (answered from memory)"; else fail "$(( $(failed_logons) - before )) failed logons reached the backend, expected 1"; fi
call /api/v1/me -u "ALICE:$ALICE_PW"
expect_user ALICE "bob's wrong password does not affect alice"
call /api/v1/me -u "BOB:$BOB_PW"
expect_user BOB "bob with his right password works at once"
call /api/v1/me
expect_status 401 "pass-through route without credentials: 401"
expect_header '^WWW-Authenticate: Basic realm="SAP users"' "with a Basic challenge"
call /api/v1/me -H "X-API-Key: $KEY_PLAIN"
expect_status 401 "pass-through route with an API key instead: 401"

# max_identities = 2: a third caller evicts the least recently used idle caller pool
call /api/v1/me -u "CAROL:$CAROL_PW"
expect_user CAROL "a third pass-through caller"
if grep -q 'passthrough.max_identities (2) reached; closing the least recently used caller pool' "$WORK/rfmgw.log"; then
  ok "beyond max_identities the least recently used caller pool was closed"
else
  fail "no eviction logged"
fi
metrics=$(curl -s -H "X-API-Key: $KEY_PLAIN" "$GW/metrics")
n=$(printf '%s\n' "$metrics" | sed -n 's/^rfmgw_pool_passthrough_identities{destination="sim"} //p')
if [ "$n" = 2 ]; then ok "metrics: 2 pass-through pools kept"; else fail "rfmgw_pool_passthrough_identities is '$n', expected 2"; fi
all=$(printf '%s\n' "$metrics" | sed -n 's/^rfmgw_pool_sessions_all_identities{destination="sim"} //p')
if [ -n "$all" ] && [ "$all" -le 3 ]; then ok "metrics: $all sessions of all identities, within total_max 3"; else fail "sessions of all identities: '$all' (total_max 3)"; fi
if grep -q 'at pool.total_max; closing an idle session' "$WORK/rfmgw.log"; then
  ok "at pool.total_max another identity's idle session made room"
else
  fail "no session was closed for room at pool.total_max"
fi
call /api/v1/connection-test -H "X-API-Key: $KEY_SHOP"
expect_user SALES "configured identities still work after the evictions"

# a reload cannot add identities (their pools are made at start): refused, the running ones kept
cp "$WORK/gw.conf" "$WORK/gw.conf.run"; cp "$WORK/routes.conf" "$WORK/routes.conf.run"
sed -i 's|identities = (|identities = ( { name = "newone"; auth = { method = "password"; user = "SALES"; password_file = "sales.pw"; }; },|' "$WORK/gw.conf"
add_routes '{ method = "POST"; path = "/api/v1/as-new"; destination = "sim"; function = "STFC_CONNECTION"; identity = "newone"; }'
kill -HUP "$GW_PID"
for _ in $(seq 1 50); do grep -q "identity 'newone' of destination 'sim' is new; a restart is needed" "$WORK/rfmgw.log" && break; sleep 0.1; done
if grep -q "routes.conf:[0-9]*: identity 'newone' of destination 'sim' is new; a restart is needed" "$WORK/rfmgw.log"; then
  ok "SIGHUP with a new identity is refused, naming file:line"
else
  fail "a new identity on SIGHUP was not refused"
fi
call /api/v1/as-sales -H "X-API-Key: $KEY_PLAIN"
expect_user SALES "the running routes and identities are kept"
cp "$WORK/gw.conf.run" "$WORK/gw.conf"; cp "$WORK/routes.conf.run" "$WORK/routes.conf"

# ---- no password in logs or answers
for pw in "$ALICE_PW" "$BOB_PW" "$CAROL_PW" "$SALES_PW"; do
  if grep -qF "$pw" "$WORK/rfmgw.log" "$WORK/abapsim.log"; then fail "a password appears in a log"; fi
done
ok "no caller or identity password in the logs"
stop_gw

# ---- configuration mistakes
check() { "$RFMGW_BIN" -c "$WORK/gw.conf" --check-config > "$WORK/check.out" 2>&1; }
cp "$WORK/gw.conf" "$WORK/gw.conf.good"
cp "$WORK/routes.conf" "$WORK/routes.conf.good"
# refused FILE SED-EXPRESSION REGEX WHAT: that edit of FILE fails --check-config, saying REGEX
refused() {
  sed -i "$2" "$WORK/$1"
  if ! check && grep -q -- "$3" "$WORK/check.out"; then ok "$4"; else fail "$4: not refused so: $(cat "$WORK/check.out")"; fi
  cp "$WORK/$1.good" "$WORK/$1"
}
refused routes.conf 's/identity = "sales";/identity = "nobody";/' \
  "routes.conf:[0-9]*: identity 'nobody': destination 'sim' has no such identity" \
  "an unknown identity in a route is a file:line error"
refused routes.conf 's/identity = "passthrough"; auth = \[ "sap" \];/identity = "passthrough"; auth = [ "apps" ];/' \
  "does not carry them" "pass-through with an API-key method is refused"
refused routes.conf 's/identity = "passthrough"; auth = \[ "sap" \];/auth = [ "sap" ];/' \
  'only routes with identity = "passthrough" may accept it' \
  "a passthrough method on a route that does not pass through is refused"
refused gw.conf 's/address = "127.0.0.1"; port = 0;/address = "0.0.0.0"; port = 0;/' \
  "passthrough sends the callers' passwords on to the backend, so it needs HTTPS" \
  "pass-through on a plain-HTTP public listener is refused"
refused gw.conf 's/name = "sales"; auth = { method = "password"; user = "SALES"; password_file = "sales.pw"; };/name = "sales"; auth = { method = "password"; user = "SALES"; };/' \
  "gw.conf:[0-9]*: auth method password needs exactly one of 'password' and 'password_file'" \
  "an identity's auth is checked like a destination's"
if [ "${GW_BACKEND:-native}" = nwrfc ]; then
  refused gw.conf 's|name = "robot"; auth = { method = "password"; user = "CC0000000002"; password = "x"; };|name = "robot"; auth = { method = "certificate"; };|' \
    "identity 'robot': certificate identities are not supported by the nwrfc backend" \
    "nwrfc: a certificate identity is refused, saying why"
fi
if check; then ok "the good configuration passes --check-config"; else fail "good configuration refused: $(cat "$WORK/check.out")"; fi
if grep -qF "$SALES_PW" "$WORK/check.out"; then fail "--check-config printed a password"; fi
finish
