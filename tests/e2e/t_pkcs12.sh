#!/usr/bin/env bash
# A client identity from a PKCS#12 file (auth.pkcs12 + its password from a file or ${ENV}):
# the certificate logon works as with PEM files (the file also carries the CA certificate, which
# goes out as the chain); a wrong password, a file that is not PKCS#12 and a certificate from a
# CA abapsim does not trust fail with a clear reason; the password never shows in logs.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
P12_PASSWORD="p12-Secret-$RANDOM$RANDOM"
register_secret "$P12_PASSWORD"
printf '%s\n' "$P12_PASSWORD" > "$WORK/p12pass"
chmod 600 "$WORK/p12pass"
openssl pkcs12 -export -in "$WORK/pki/client.pem" -inkey "$WORK/pki/client.key" \
  -certfile "$WORK/pki/ca.pem" -name rfmgw -passout "pass:$P12_PASSWORD" -out "$WORK/client.p12"
openssl pkcs12 -export -in "$WORK/pki/other-client.pem" -inkey "$WORK/pki/other-client.key" \
  -passout "pass:$P12_PASSWORD" -out "$WORK/other.p12"
chmod 600 "$WORK"/*.p12

# 1. PKCS#12 with the password from a file → certificate logon as the mapped user
write_gw_conf "$SIM_PORT" 'auth = { method = "certificate"; pkcs12 = "client.p12"; pkcs12_password_file = "p12pass"; };'
start_gw
req POST /api/v1/connection-test '{"REQUTEXT":"p12"}'
expect_status 200 "certificate logon with a PKCS#12 identity"
expect_json '.RESPTEXT | test("CC0000000002")' "logged on as the user abapsim maps the certificate to"
grep -q 'logon user CC0000000002 .* method certificate' "$WORK/abapsim.log" \
  && ok "abapsim saw a certificate logon" || fail "no certificate logon in abapsim's log"
stop_gw

# 2. the password from the environment
export RFMGW_TEST_P12_PASSWORD="$P12_PASSWORD"
write_gw_conf "$SIM_PORT" 'auth = { method = "certificate"; pkcs12 = "client.p12"; pkcs12_password = "${RFMGW_TEST_P12_PASSWORD}"; };'
start_gw
req POST /api/v1/connection-test '{"REQUTEXT":"p12-env"}'
expect_status 200 "PKCS#12 password from \${ENV}"
stop_gw

check() { # what → $rc, $out of --check-config
  rc=0; out=$("$RFMGW_BIN" -c "$WORK/gw.conf" --check-config 2>&1) || rc=$?
}
# 3. a wrong password: --check-config and the start both refuse, naming the field, not the value
printf 'not-the-password\n' > "$WORK/wrongpass"
write_gw_conf "$SIM_PORT" 'auth = { method = "certificate"; pkcs12 = "client.p12"; pkcs12_password_file = "wrongpass"; };'
check
[ $rc = 2 ] && grep -qE 'gw.conf:[0-9]+: auth.pkcs12: .*wrong password' <<<"$out" \
  && ok "wrong PKCS#12 password: --check-config exit 2 with file:line" || fail "wrong password: exit $rc: $out"
grep -q 'not-the-password' <<<"$out" && fail "the password is in the output" || ok "the password is not in the output"

# 4. not a PKCS#12 file; PEM and PKCS#12 at once
write_gw_conf "$SIM_PORT" 'auth = { method = "certificate"; pkcs12 = "pki/client.pem"; };'
check
[ $rc = 2 ] && grep -q 'is not a PKCS#12 file' <<<"$out" && ok "a PEM file as pkcs12: refused" || fail "pem as p12: $rc $out"
write_gw_conf "$SIM_PORT" 'auth = { method = "certificate"; pkcs12 = "client.p12"; pkcs12_password_file = "p12pass"; cert = "pki/client.pem"; key = "pki/client.key"; };'
check
[ $rc = 2 ] && grep -q "replaces 'cert' and 'key'" <<<"$out" && ok "pkcs12 with cert/key: refused" || fail "both: $rc $out"

# 5. a certificate from another CA, in PKCS#12: the TLS handshake is refused, no data, no logon
before=$(grep -c 'logon user' "$WORK/abapsim.log" || true)
write_gw_conf "$SIM_PORT" 'auth = { method = "certificate"; pkcs12 = "other.p12"; pkcs12_password_file = "p12pass"; };'
start_gw
req POST /api/v1/connection-test '{"REQUTEXT":"p12"}'
expect_status 502 "a PKCS#12 certificate from an unknown CA"
expect_json '(.detail | test("unknown CA|client certificate refused")) and (has("ECHOTEXT") | not)' \
  "refused in the handshake; no data"
[ "$(grep -c 'logon user' "$WORK/abapsim.log" || true)" = "$before" ] && ok "no logon" || fail "a logon happened"
stop_gw

# 6. the nwrfc backend needs a PSE
GW_BACKEND=nwrfc write_gw_conf "$SIM_PORT" 'auth = { method = "certificate"; pkcs12 = "client.p12"; pkcs12_password_file = "p12pass"; };'
check
[ $rc = 2 ] && grep -q 'auth.pkcs12 cannot be used with backend nwrfc' <<<"$out" \
  && ok "pkcs12 on an nwrfc destination: refused (PSE)" || fail "nwrfc + pkcs12: $rc $out"
finish
