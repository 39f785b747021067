#!/usr/bin/env bash
# TLS failures are reported with their reason: a server certificate from a CA the gateway does
# not trust, and a client certificate from a CA the simulator does not trust.
source "$(dirname "$0")/lib.sh"
make_pki
# a tenant host name the simulator serves but its certificate does not name
SIM_EXTRA_HOSTS=', { name = "unlisted.abapsim.test"; client = "300"; }'
write_sim_conf
start_sim

write_gw_conf "$SIM_PORT" "" 'tls = { ca_file = "pki/other-ca.pem"; };'
start_gw
req POST /api/v1/connection-test '{"REQUTEXT":"hello"}'
expect_status 502 "server certificate from an untrusted CA"
expect_json '.type == "urn:rfmgw:problem:backend-tls-failed" and (.detail | test("certificate verify failed: (unable to get local issuer certificate|self-signed certificate in certificate chain)"))' \
  "the reason is the verification error"
stop_gw

write_gw_conf "$SIM_PORT"
sed -i 's/my100000-api.abapsim.test/unlisted.abapsim.test/' "$WORK/gw.conf"
start_gw
req POST /api/v1/connection-test '{"REQUTEXT":"hello"}'
expect_status 502 "server certificate for another host name"
expect_json '.type == "urn:rfmgw:problem:backend-tls-failed" and (.detail | test("hostname mismatch"))' \
  "the host name is checked against the certificate"
stop_gw

write_gw_conf "$SIM_PORT" 'auth = { method = "certificate"; cert = "pki/other-client.pem"; key = "pki/other-client.key"; };'
start_gw
req POST /api/v1/connection-test '{"REQUTEXT":"hello"}'
expect_status 502 "client certificate from an unknown CA"
# TLS 1.3 finishes the client's handshake before the server judges its certificate: the client
# sees the server's "unknown CA" alert, or only the connection closing, depending on timing.
expect_json '.status == 502 and (.detail | test("unknown CA|client certificate refused"))' \
  "rejected during the TLS handshake, and the answer says so"
grep -q 'CC0000000002' "$WORK/abapsim.log" && fail "the foreign certificate logged on" || ok "no logon with the foreign certificate"
finish
