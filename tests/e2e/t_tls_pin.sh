#!/usr/bin/env bash
# Pinning the backend's public key (destinations[].tls.pin_sha256): the right pin connects, a
# wrong one fails the TLS handshake with its reason before any logon — also with verification
# off — and a malformed pin is a file:line configuration error. rfmgw --pin-sha256 prints the
# same value as the usual openssl pipeline.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim

# 1. the pin of the simulator's certificate, two ways
pin=$("$RFMGW_BIN" --pin-sha256 "$WORK/pki/server.pem")
want="sha256//$(openssl x509 -in "$WORK/pki/server.pem" -pubkey -noout | openssl pkey -pubin -outform der |
  openssl dgst -sha256 -binary | base64)"
[ "$pin" = "$want" ] && ok "rfmgw --pin-sha256 prints the SPKI SHA-256 ($pin)" || fail "pin '$pin' vs openssl '$want'"
other=$("$RFMGW_BIN" --pin-sha256 "$WORK/pki/ca.pem") # a real key, but not the server's
openssl x509 -in "$WORK/pki/server.pem" -pubkey -noout > "$WORK/server.pub"
[ "$("$RFMGW_BIN" --pin-sha256 "$WORK/server.pub")" = "$pin" ] && ok "a PEM public key gives the same pin" \
  || fail "public key pin differs"
rc=0; "$RFMGW_BIN" --pin-sha256 "$WORK/secret-does-not-exist" >/dev/null 2>&1 || rc=$?
[ $rc = 2 ] && ok "--pin-sha256 of a missing file: exit 2" || fail "--pin-sha256 missing file: exit $rc"

calls() { grep -c 'logon user' "$WORK/abapsim.log" || true; }

# 2. the right pin (one of two) → the call goes through
write_gw_conf "$SIM_PORT" "" "tls = { ca_file = \"pki/ca.pem\"; pin_sha256 = [ \"$other\", \"${pin#sha256//}\" ]; };"
start_gw
req POST /api/v1/connection-test '{"REQUTEXT":"pinned"}'
expect_status 200 "the server's key is among the pins (one without the sha256// prefix)"
expect_json '.ECHOTEXT == "pinned"' "and the call ran"
stop_gw

# 3. a wrong pin → 502 backend-tls-failed with the reason, no logon, no data
before=$(calls)
write_gw_conf "$SIM_PORT" "" "tls = { ca_file = \"pki/ca.pem\"; pin_sha256 = [ \"$other\" ]; };"
start_gw
req POST /api/v1/connection-test '{"REQUTEXT":"pinned"}'
expect_status 502 "a server key that is not pinned"
expect_json '.type == "urn:rfmgw:problem:backend-tls-failed" and (.detail | test("public key does not match tls.pin_sha256")) and (has("ECHOTEXT") | not)' \
  "the answer names the pin mismatch and carries no data"
[ "$(calls)" = "$before" ] && ok "no logon reached abapsim" || fail "a logon reached abapsim despite the wrong pin"
stop_gw

# 4. verification off does not switch pinning off
write_gw_conf "$SIM_PORT" "" "tls = { verify = false; pin_sha256 = [ \"$other\" ]; };"
start_gw
req POST /api/v1/connection-test '{"REQUTEXT":"pinned"}'
expect_status 502 "tls.verify = false with a wrong pin still fails"
expect_json '.detail | test("tls.pin_sha256")' "for the pin"
stop_gw
write_gw_conf "$SIM_PORT" "" "tls = { verify = false; pin_sha256 = [ \"$pin\" ]; };"
start_gw
req POST /api/v1/connection-test '{"REQUTEXT":"pinned"}'
expect_status 200 "tls.verify = false with the right pin connects"
stop_gw

# 5. malformed pins are configuration errors with file:line
for bad in '"sha256//tooshort"' '"sha256//!!!!AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="' '[ ]' '42'; do
  write_gw_conf "$SIM_PORT" "" "tls = { ca_file = \"pki/ca.pem\"; pin_sha256 = $bad; };"
  rc=0; out=$("$RFMGW_BIN" -c "$WORK/gw.conf" --check-config 2>&1) || rc=$?
  [ $rc = 2 ] && grep -qE 'gw.conf:[0-9]+: .*pin_sha256' <<<"$out" && ok "pin_sha256 = $bad: exit 2 with file:line" \
    || fail "pin_sha256 = $bad: exit $rc: $out"
done
# 6. the nwrfc backend checks the server with its PSE: a pin there is refused
GW_BACKEND=nwrfc write_gw_conf "$SIM_PORT" "" "tls = { pin_sha256 = [ \"$pin\" ]; };"
rc=0; out=$("$RFMGW_BIN" -c "$WORK/gw.conf" --check-config 2>&1) || rc=$?
[ $rc = 2 ] && grep -q 'pin_sha256 is not supported by the nwrfc backend' <<<"$out" \
  && ok "pin_sha256 on an nwrfc destination: refused" || fail "nwrfc + pin: exit $rc: $out"
finish
