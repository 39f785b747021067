#!/usr/bin/env bash
# SIGHUP reloads the backend TLS material — client certificate and key (PEM or PKCS#12), CA
# file, pins, a certificate identity's files — for new sessions, without dropping a call in
# flight; a certificate file that cannot be used refuses the whole reload and keeps the running
# material.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
rm -f "$WORK/sim.port" "$WORK/admin.port"
"$ABAPSIM_BIN" -c "$WORK/sim.conf" --ready-file "$WORK/sim.port" --admin-ready-file "$WORK/admin.port" \
  >>"$WORK/abapsim.log" 2>&1 &
SIM_PID=$!; PIDS+=("$SIM_PID")
wait_file "$WORK/sim.port" "$SIM_PID" abapsim
wait_file "$WORK/admin.port" "$SIM_PID" abapsim
SIM_PORT=$(cat "$WORK/sim.port")
ADMIN="http://127.0.0.1:$(cat "$WORK/admin.port")"
cp "$WORK/pki/client.pem" "$WORK/id.pem"; cp "$WORK/pki/client.key" "$WORK/id.key"; chmod 600 "$WORK/id.key"
cp "$WORK/pki/client.pem" "$WORK/robot.pem"; cp "$WORK/pki/client.key" "$WORK/robot.key"; chmod 600 "$WORK/robot.key"
write_gw_conf "$SIM_PORT" 'auth = { method = "certificate"; cert = "id.pem"; key = "id.key"; };' "" \
  'pool = { max = 2; };
  identities = ( { name = "robot"; auth = { method = "certificate"; cert = "robot.pem"; key = "robot.key"; }; } );'
add_routes '{ method = "POST"; path = "/api/v1/as-robot"; destination = "sim"; function = "STFC_CONNECTION"; identity = "robot"; }'
start_gw
reloaded() { grep -c 'TLS certificates and keys reloaded' "$WORK/rfmgw.log" || true; }
sighup_wait() { # count-before: SIGHUP, then wait for the next reload line
  kill -HUP "$GW_PID"
  for _ in $(seq 1 100); do [ "$(reloaded)" -gt "$1" ] && return 0; sleep 0.05; done
  return 1
}

# 1. the certificate abapsim maps
req POST /api/v1/connection-test '{"REQUTEXT":"before"}'
expect_status 200 "certificate logon before the reload"

# 2. a call in flight while the files change and SIGHUP arrives: it completes
curl -s -o "$WORK/slow.json" -w '%{http_code}' --max-time 20 -H 'Content-Type: application/json' \
  --data '{"MILLISECONDS":4000}' "$GW/api/v1/wait" > "$WORK/slow.code" &
slow=$!
for _ in $(seq 1 100); do grep -q 'CALL Z_RFMGW_WAIT on' "$WORK/rfmgw.log" && break; sleep 0.05; done
cp "$WORK/pki/other-client.pem" "$WORK/id.pem"; cp "$WORK/pki/other-client.key" "$WORK/id.key"
n=$(reloaded)
sighup_wait "$n" && ok "SIGHUP reloaded the TLS material" || fail "no reload line: $(tail -3 "$WORK/rfmgw.log")"
[ -s "$WORK/slow.code" ] && fail "the slow call ended before the reload" || ok "the reload came while the call ran"
wait "$slow" || true
[ "$(cat "$WORK/slow.code")" = 200 ] && ok "the call in flight during the reload completed (200)" \
  || fail "the call in flight: $(cat "$WORK/slow.code") $(cat "$WORK/slow.json")"

# 3. new sessions use the new certificate (from a CA abapsim does not trust): refused
sim_close_all || fail "close-all: abapsim or rfmgw did not let go of the sessions"
req POST /api/v1/connection-test '{"REQUTEXT":"after"}'
expect_status 502 "a new session with the reloaded (foreign) certificate"
expect_json '.detail | test("unknown CA|client certificate refused")' "refused in the TLS handshake"

# 4. back to the mapped certificate, now as PKCS#12: works again
openssl pkcs12 -export -in "$WORK/pki/client.pem" -inkey "$WORK/pki/client.key" -passout pass:reload-p12 \
  -out "$WORK/id.p12"
chmod 600 "$WORK/id.p12"
register_secret reload-p12
sed -i 's|auth = { method = "certificate"; cert = "id.pem"; key = "id.key"; };|auth = { method = "certificate"; pkcs12 = "id.p12"; pkcs12_password = "reload-p12"; };|' "$WORK/gw.conf"
n=$(reloaded)
sighup_wait "$n" && ok "SIGHUP with a PKCS#12 identity" || fail "no reload: $(tail -3 "$WORK/rfmgw.log")"
sim_close_all || fail "close-all: abapsim or rfmgw did not let go of the sessions"
req POST /api/v1/connection-test '{"REQUTEXT":"p12"}'
expect_status 200 "new sessions log on with the reloaded PKCS#12 identity"

# 5. a broken file: the reload is refused and the running identity stays
printf 'garbage\n' > "$WORK/bad.pem"
sed -i 's|auth = { method = "certificate"; pkcs12 = "id.p12"; pkcs12_password = "reload-p12"; };|auth = { method = "certificate"; cert = "bad.pem"; key = "id.key"; };|' "$WORK/gw.conf"
kill -HUP "$GW_PID"
for _ in $(seq 1 100); do grep -q 'SIGHUP: the configuration has errors' "$WORK/rfmgw.log" && break; sleep 0.05; done
grep -A2 'SIGHUP: the configuration has errors' "$WORK/rfmgw.log" | grep -q 'bad.pem holds no PEM certificate' \
  && ok "an unusable certificate refuses the reload, saying which file" || fail "refusal: $(tail -5 "$WORK/rfmgw.log")"
sim_close_all || fail "close-all: abapsim or rfmgw did not let go of the sessions"
req POST /api/v1/connection-test '{"REQUTEXT":"kept"}'
expect_status 200 "the running (PKCS#12) identity is kept"

# 6. a certificate identity's files reload too, apart from the destination's own
sed -i 's|auth = { method = "certificate"; cert = "bad.pem"; key = "id.key"; };|auth = { method = "certificate"; pkcs12 = "id.p12"; pkcs12_password = "reload-p12"; };|' "$WORK/gw.conf"
req POST /api/v1/as-robot '{"REQUTEXT":"robot"}'
expect_status 200 "the certificate identity robot before its files change"
cp "$WORK/pki/other-client.pem" "$WORK/robot.pem"; cp "$WORK/pki/other-client.key" "$WORK/robot.key"
n=$(reloaded)
sighup_wait "$n" && ok "SIGHUP after the identity's files changed" || fail "no reload: $(tail -3 "$WORK/rfmgw.log")"
sim_close_all || fail "close-all: abapsim or rfmgw did not let go of the sessions"
req POST /api/v1/as-robot '{"REQUTEXT":"robot-foreign"}'
expect_status 502 "new sessions of identity robot use its reloaded (foreign) certificate"
req POST /api/v1/connection-test '{"REQUTEXT":"own"}'
expect_status 200 "the destination's own identity is not affected"
cp "$WORK/pki/client.pem" "$WORK/robot.pem"; cp "$WORK/pki/client.key" "$WORK/robot.key"
n=$(reloaded)
sighup_wait "$n" && ok "SIGHUP after the identity's files were restored" || fail "no reload"
req POST /api/v1/as-robot '{"REQUTEXT":"robot-again"}'
expect_status 200 "identity robot logs on again with its restored certificate"
finish
