#!/usr/bin/env bash
# TLS failures are reported with their reason: a server certificate from a CA the gateway does
# not trust, and a client certificate from a CA the simulator does not trust.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim

write_gw_conf "$SIM_PORT" "" 'tls = { ca_file = "pki/other-ca.pem"; };'
start_gw
req POST /api/v1/connection-test '{"REQUTEXT":"hello"}'
expect_status 502 "server certificate from an untrusted CA"
expect_json '.type == "urn:rfmgw:problem:backend-tls-failed" and (.detail | test("certificate verify failed: (unable to get local issuer certificate|self-signed certificate in certificate chain)"))' \
  "the reason is the verification error"
stop_gw

write_gw_conf "$SIM_PORT" 'auth = { method = "certificate"; cert = "pki/other-client.pem"; key = "pki/other-client.key"; };'
start_gw
req POST /api/v1/connection-test '{"REQUTEXT":"hello"}'
expect_status 502 "client certificate from an unknown CA"
expect_json '.type != "urn:rfmgw:problem:backend-logon-failed" and .status == 502' "rejected in the TLS handshake"
grep -q 'CC0000000002' "$WORK/abapsim.log" && fail "the foreign certificate logged on" || ok "no logon with the foreign certificate"
finish
