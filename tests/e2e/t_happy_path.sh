#!/usr/bin/env bash
# The first call end to end: curl → rfmgw → WSS → abapsim → back, by password (alias user)
# and by X.509 client certificate; the backend connection is reused.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
write_gw_conf "$SIM_PORT"
start_gw

req POST /api/v1/connection-test '{"REQUTEXT":"hello"}'
expect_status 200 "STFC_CONNECTION"
expect_json '.ECHOTEXT == "hello"' "ECHOTEXT echoes REQUTEXT"
expect_json '.RESPTEXT | test("^SAP R/3 Rel\\. 758   Sysid: T01   Date: [0-9]{8}   Time: [0-9]{6}   Logon_Data: 100/CC0000000001/E$")' \
  "RESPTEXT shaped like SAP's, client 100 by host name, technical user behind the alias"
expect_header '^content-type: application/json' "JSON content type"

req POST /api/v1/connection-test '{"REQUTEXT":"ÄÖÜäöüßéèê and more"}'
expect_json '.ECHOTEXT == "ÄÖÜäöüßéèê and more"' "UTF-8 text round trip"

req POST /api/v1/connection-test '{"REQUTEXT":"trailing   "}'
expect_json '.ECHOTEXT == "trailing"' "CHAR output loses trailing blanks"

# HTTP keep-alive: two requests on one connection, GET and POST
v=$(curl -sv -o /dev/null -o /dev/null "$GW/api/v1/ping" "$GW/healthz" 2>&1)
grep -q 'Re-using existing connection' <<<"$v" && ! grep -qi '^< connection: close' <<<"$v" \
  && ok "GET answers keep the connection open" || fail "GET closed the connection"
v=$(curl -sv -o /dev/null -o /dev/null --json '{"REQUTEXT":"a"}' "$GW/api/v1/connection-test" "$GW/api/v1/connection-test" 2>&1)
grep -q 'Re-using existing connection' <<<"$v" && ok "POST answers keep the connection open" || fail "POST closed the connection"

# X-Request-Id (echoed, or made up) and W3C traceparent passed on to the backend
tp=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
h=$(curl -s -D - -o /dev/null -H "X-Request-Id: req-42" -H "traceparent: $tp" --json '{"REQUTEXT":"traced"}' "$GW/api/v1/connection-test")
grep -qi '^x-request-id: req-42' <<<"$h" && ok "X-Request-Id echoed" || fail "X-Request-Id not echoed: $h"
h=$(curl -s -D - -o /dev/null "$GW/api/v1/nothing")
grep -qiE '^x-request-id: [0-9a-f]{16}' <<<"$h" && ok "X-Request-Id made up when absent (also on errors)" || fail "no X-Request-Id: $h"
for _ in $(seq 1 20); do grep -q "traceparent $tp" "$WORK/abapsim.log" && break; sleep 0.1; done
grep -q "traceparent $tp" "$WORK/abapsim.log" && ok "traceparent reached the backend" || fail "traceparent not in the simulator's log"

req GET /api/v1/ping
expect_status 200 "RFC_PING"
expect_json '. == {}' "RFC_PING returns no parameters"

n=$(grep -c ': logon user CC0000000001 client 100' "$WORK/abapsim.log" || true)
if [ "$n" -eq 1 ]; then
  ok "one backend logon for four sequential requests (connection reused)"
else
  fail "expected exactly one logon in the simulator log, found $n"
fi

# The same through a certificate identity (mutual TLS, mapped to CC0000000002).
stop_gw
write_gw_conf "$SIM_PORT" 'auth = { method = "certificate"; cert = "pki/client.pem"; key = "pki/client.key"; };'
start_gw
req POST /api/v1/connection-test '{"REQUTEXT":"by certificate"}'
expect_status 200 "STFC_CONNECTION with an X.509 client certificate"
expect_json '.RESPTEXT | test("Logon_Data: 100/CC0000000002/E$")' "certificate mapped to its communication user"

finish
