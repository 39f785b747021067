#!/usr/bin/env bash
# Creates a throw-away demo PKI in DIR (default run/demo-pki):
#   ca.pem / ca.key            the demo CA (signs everything below)
#   server.pem / server.key    abapsim's certificate for the tenant host names
#   client.pem / client.key    a client certificate for mutual TLS (CN=RFMGW_CERT_USER)
#   other-ca.pem, other-client.pem / .key   an unrelated CA and a client cert it signed
# P-256 keys, 30 days. Idempotent: an existing, complete DIR is kept.
set -euo pipefail
dir=${1:-run/demo-pki}
hosts=${DEMO_HOSTS:-"my100000-api.abapsim.test my200000-api.abapsim.test localhost"}
if [ -f "$dir/other-client.pem" ]; then
  exit 0
fi
mkdir -p "$dir"
cd "$dir"
umask 077

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ca() { # name cn
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -sha256 -days 30 -subj "/O=rfmgw demo/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$1.pem" 2>/dev/null
}

leaf() { # name ca subject ext
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$3" -out "$1.csr" 2>/dev/null
  printf '%s\n' "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 30 -sha256 \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

ca ca "rfmgw demo CA"
san=""
for h in $hosts; do san="${san:+$san,}DNS:$h"; done
san="$san,IP:127.0.0.1"
leaf server ca "/O=rfmgw demo/CN=${hosts%% *}" \
  "subjectAltName=$san
extendedKeyUsage=serverAuth
basicConstraints=CA:FALSE"
leaf client ca "/O=rfmgw demo/CN=RFMGW_CERT_USER" \
  "extendedKeyUsage=clientAuth
basicConstraints=CA:FALSE"
ca other-ca "unrelated CA"
leaf other-client other-ca "/O=elsewhere/CN=RFMGW_CERT_USER" \
  "extendedKeyUsage=clientAuth
basicConstraints=CA:FALSE"
leaf other-server other-ca "/O=elsewhere/CN=${hosts%% *}" \
  "subjectAltName=$san
extendedKeyUsage=serverAuth
basicConstraints=CA:FALSE"
rm -f ./*.srl
chmod 644 ./*.pem
echo "demo PKI written to $dir"
