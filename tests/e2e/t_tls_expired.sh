#!/usr/bin/env bash
# A backend whose server certificate has expired (signed by the trusted CA, right host name) is
# refused: the call fails with 502 backend-tls-failed saying "certificate has expired", no
# logon happens and no data comes back.
source "$(dirname "$0")/lib.sh"
make_pki
pki=$WORK/pki
mkdir -p "$pki/ca-db"
: > "$pki/ca-db/index.txt"
echo 1000 > "$pki/ca-db/serial"
cat > "$pki/ca-db/ca.cnf" <<EOC
[ ca ]
default_ca = expired
[ expired ]
database = $pki/ca-db/index.txt
serial = $pki/ca-db/serial
new_certs_dir = $pki/ca-db
default_md = sha256
policy = any
copy_extensions = none
x509_extensions = ext
[ any ]
commonName = supplied
[ ext ]
subjectAltName = DNS:my100000-api.abapsim.test,IP:127.0.0.1
extendedKeyUsage = serverAuth
basicConstraints = CA:FALSE
EOC
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$pki/expired.key" 2>/dev/null
openssl req -new -key "$pki/expired.key" -subj "/CN=my100000-api.abapsim.test" -out "$pki/expired.csr" 2>/dev/null
openssl ca -batch -config "$pki/ca-db/ca.cnf" -cert "$pki/ca.pem" -keyfile "$pki/ca.key" \
  -startdate 20200101000000Z -enddate 20200201000000Z -in "$pki/expired.csr" -out "$pki/expired.pem" 2>/dev/null
openssl x509 -in "$pki/expired.pem" -noout -checkend 0 >/dev/null 2>&1 \
  && fail "test set-up: the certificate is not expired" || ok "test set-up: an expired server certificate from the trusted CA"
write_sim_conf
sed -i 's#cert = "pki/server.pem"; key = "pki/server.key";#cert = "pki/expired.pem"; key = "pki/expired.key";#' "$WORK/sim.conf"
grep -q expired.pem "$WORK/sim.conf" || fail "test set-up: abapsim does not use the expired certificate"
start_sim
write_gw_conf "$SIM_PORT"
start_gw
req POST /api/v1/connection-test '{"REQUTEXT":"hello"}'
expect_status 502 "a backend with an expired certificate"
expect_json '.type == "urn:rfmgw:problem:backend-tls-failed" and (.detail | test("certificate has expired"))' \
  "the reason is the expiry"
expect_json 'has("ECHOTEXT") | not' "no data"
grep -q 'logon user' "$WORK/abapsim.log" && fail "a logon happened" || ok "no logon over the refused connection"
finish
