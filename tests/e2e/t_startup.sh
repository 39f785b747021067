#!/usr/bin/env bash
# The start-up summary: configuration, listener, each destination probed (TCP + TLS with the
# certificate check, bounded by startup.probe_timeout_ms, no logon) and shown reachable or not
# with what to do, the routes, and the ready line — before the ready file is written. In JSON
# log format the same items are JSON lines of module "startup".
source "$(dirname "$0")/lib.sh"
make_pki
bash "$RFMGW_SOURCE_DIR/scripts/demo-pki.sh" "$WORK/otherpki" >/dev/null # an unrelated CA
for f in "$WORK"/otherpki/*.key; do register_secret $(grep -v -- '-----' "$f"); done
write_sim_conf
start_sim
# a second abapsim, stopped: the kernel accepts TCP connections, nobody answers the TLS hello
"$ABAPSIM_BIN" -c "$WORK/sim.conf" --ready-file "$WORK/sim2.port" >>"$WORK/abapsim2.log" 2>&1 &
SIM2_PID=$!
PIDS+=("$SIM2_PID")
wait_file "$WORK/sim2.port" "$SIM2_PID" abapsim2
kill -STOP "$SIM2_PID"

printf '%s\n' "$SIM_PASSWORD" > "$WORK/secret"
dest() { # name host port [ca_file]
  printf '{ name = "%s"; host = "%s"; port = %s; address = "127.0.0.1"; connect_timeout_ms = 3000;
    auth = { user = "RFMGW_TEST"; alias_user = true; password_file = "secret"; };
    tls = { ca_file = "%s"; }; }' "$1" "$2" "$3" "${4:-pki/ca.pem}"
}
gw_conf() { # extra top-level settings
  cat > "$WORK/gw.conf" <<EOC
listen = { address = "127.0.0.1"; port = 0; threads = 2; };
mappings = "routes.conf";
startup = { probe_timeout_ms = 700; verify_timeout_ms = 0; };
$1
destinations = ( $(dest sim my100000-api.abapsim.test "$SIM_PORT"), $(dest down my100000-api.abapsim.test 1),
  $(dest badname wrong.example "$SIM_PORT"), $(dest badca my100000-api.abapsim.test "$SIM_PORT" otherpki/ca.pem),
  $(dest silent my100000-api.abapsim.test "$(cat "$WORK/sim2.port")") );
$OPEN_CALLERS
EOC
  cat > "$WORK/routes.conf" <<'EOC'
routes = (
  { method = "POST"; path = "/api/v1/connection-test"; destination = "sim"; function = "STFC_CONNECTION"; },
  { method = "POST"; path = "/api/v1/down"; destination = "down"; function = "STFC_CONNECTION"; }
);
EOC
}
gw_conf ""
t0=$(date +%s%N)
start_gw
start_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
port=$(cat "$WORK/gw.port")
log="$WORK/rfmgw.log"
has() { # regex what
  if grep -qE "$1" "$log"; then ok "$2"; else fail "$2: no line matching '$1' in: $(cat "$log")"; fi
}
# The probe closes right after its TLS handshake (close_notify, then close with the server's
# session tickets unread: the kernel answers with a reset). abapsim must not spin on that
# connection (libwebsockets 4.1 retried its own close_notify into EPIPE at 100 % CPU).
sim_ticks() { awk '{print $14 + $15}' "/proc/$SIM_PID/stat"; }
c0=$(sim_ticks); sleep 1; c1=$(sim_ticks)
[ $((c1 - c0)) -le 20 ] && ok "abapsim idles after the probe ($((c1 - c0)) ticks in 1 s)" \
  || fail "abapsim used $((c1 - c0)) ticks of CPU in 1 s of idling after the start-up probe"
has '^rfmgw [0-9.]+ start-up$' "a title line"
has "^  ✓ configuration .*/gw.conf: 5 destinations, 2 routes from 1 mapping file$" "configuration counted"
has "^  ✓ listening on http://127.0.0.1:$port \(2 HTTP threads\)$" "the listener"
has "^  ✓ destination sim: wss://my100000-api.abapsim.test:$SIM_PORT/rfmgw/rfc/v1 via 127.0.0.1 reachable \(TLSv1\.[23], certificate verified, valid until 20[0-9]{2}-[0-9]{2}-[0-9]{2}; [0-9]+ ms\)$" \
  "a reachable destination: TLS version, certificate checked, its expiry"
has "^  ✗ destination down: wss://my100000-api.abapsim.test:1/rfmgw/rfc/v1 via 127.0.0.1 NOT reachable: connection refused by 127.0.0.1:1$" \
  "an unreachable destination: connection refused"
grep -A1 '✗ destination down:' "$log" | grep -qE '^      → nothing listens there: is the backend running' \
  && ok "…and what to do about it" || fail "no hint under the refused destination"
has "^  ✗ destination badname: .* NOT reachable: the server's certificate is not accepted: [Hh]ostname mismatch$" "a host name the certificate does not name"
grep -A1 '✗ destination badname:' "$log" | grep -q 'does not name wrong.example: destinations\[\].host' \
  && ok "…hint: destinations[].host must be in the certificate" || fail "no host name hint"
has "^  ✗ destination badca: .* NOT reachable: the server's certificate is not accepted: (unable to get local issuer certificate|self-signed certificate in certificate chain)$" "an untrusted CA"
grep -A1 '✗ destination badca:' "$log" | grep -q 'tls.ca_file must hold the CA .*otherpki/ca.pem' \
  && ok "…hint names tls.ca_file" || fail "no ca_file hint"
has "^  ✗ destination silent: .* NOT reachable: the TLS handshake did not finish within 700 ms$" "a silent backend: the probe's bound"
[ "$start_ms" -lt 6000 ] && ok "start-up with a silent backend took ${start_ms} ms (probes bounded)" || fail "start-up took ${start_ms} ms"
has "^      POST /api/v1/down → STFC_CONNECTION @ down$" "routes listed"
has "^  ! 4 of 5 destinations not reachable: rfmgw runs anyway" "the count of unreachable destinations"
has "^ready on http://127.0.0.1:$port — GET /readyz" "the ready line, with where to look next"
grep -q 'logon user' "$WORK/abapsim.log" && fail "the probe logged on" || ok "the probe does not log on"

req POST /api/v1/connection-test '{"REQUTEXT":"after the summary"}'
expect_status 200 "the reachable destination serves"
req POST /api/v1/down '{"REQUTEXT":"x"}'
expect_status 502 "the unreachable one answers 502"
stop_gw

# JSON log format: the same items as JSON lines of module "startup"
gw_conf 'log = { format = "json"; };'
: > "$log"
start_gw
stop_gw
jq -e -s 'map(select(.module == "startup")) | length >= 8' "$log" >/dev/null && ok "JSON: startup lines" || fail "JSON startup lines: $(head -5 "$log")"
jq -e -s 'map(select(.module == "startup" and .level == "warn" and (.msg | test("^destination down: .*NOT reachable: connection refused")))) | length == 1' "$log" >/dev/null \
  && ok "JSON: an unreachable destination is a warn line" || fail "no warn line for down"
jq -e -s 'map(select(.module == "startup" and (.msg | test("^destination down: what to do: nothing listens")))) | length == 1' "$log" >/dev/null \
  && ok "JSON: what to do, with the destination's name" || fail "no JSON hint"
jq -e -s 'map(select(.module == "startup" and .level == "info" and (.msg | test("^destination sim: .* reachable")))) | length == 1' "$log" >/dev/null \
  && ok "JSON: a reachable destination is an info line" || fail "no info line for sim"

# probes off
gw_conf 'startup = { probe_timeout_ms = 0; };'
sed -i '3d' "$WORK/gw.conf" # the first startup group
: > "$log"
start_gw
stop_gw
has "^  · destination down: .* \(not probed: startup.probe_timeout_ms = 0\)$" "startup.probe_timeout_ms = 0: not probed"
gw_conf 'startup = { summary = false; };'
sed -i '3d' "$WORK/gw.conf"
: > "$log"
start_gw
stop_gw
grep -q 'start-up$' "$log" && fail "a summary with startup.summary = false" || ok "startup.summary = false: no summary"
has "main: rfmgw [0-9.]+ listening on http://127.0.0.1:" "…the one-line start message instead"

kill -CONT "$SIM2_PID"
stop_checked "$SIM2_PID" abapsim2
finish
