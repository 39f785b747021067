#!/usr/bin/env bash
# /metrics beyond requests: configuration reloads by result and when the running configuration
# was loaded; the expiry of each certificate a destination uses (its CA file, its client
# certificate, the backend's server certificate seen by the start-up probe), equal to what
# openssl reads from the files; the start-up summary warns about a certificate that expires
# within 14 days.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
# a CA certificate that expires in 5 days, for a second destination
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/soon.key" \
  -out "$WORK/soon.pem" -days 5 -subj "/CN=soon" 2>/dev/null
# a client certificate valid for 20 days (the demo PKI's are valid for 30), so each kind differs
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/client20.key" \
  -out "$WORK/client20.csr" -subj "/O=rfmgw demo/CN=RFMGW_CERT_USER" 2>/dev/null
printf 'extendedKeyUsage=clientAuth\n' > "$WORK/client20.ext"
openssl x509 -req -in "$WORK/client20.csr" -CA "$WORK/pki/ca.pem" -CAkey "$WORK/pki/ca.key" -CAcreateserial \
  -days 20 -sha256 -extfile "$WORK/client20.ext" -out "$WORK/client20.pem" 2>/dev/null
for f in "$WORK"/soon.key "$WORK"/client20.key; do register_secret $(grep -v -- '-----' "$f"); done
write_gw_conf "$SIM_PORT" 'auth = { method = "certificate"; cert = "client20.pem"; key = "client20.key"; };' "" \
  'identities = ( { name = "robot"; auth = { method = "certificate"; cert = "pki/client.pem"; key = "pki/client.key"; }; } );'
sed -i 's/^destinations = ( {/destinations = ( { name = "soon"; host = "my100000-api.abapsim.test"; port = 1; address = "127.0.0.1";\n  auth = { user = "X"; password = "y"; }; tls = { ca_file = "soon.pem"; }; }, {/' "$WORK/gw.conf"
add_routes '{ method = "POST"; path = "/api/v1/soon"; destination = "soon"; function = "STFC_CONNECTION"; }'
t_start=$(date +%s)
start_gw
metrics() { curl -s "$GW/metrics" > "$WORK/metrics"; }
val() { awk -v k="$1" 'index($0, k " ") == 1 { print $2 }' "$WORK/metrics"; }
enddate() { date -d "$(openssl x509 -enddate -noout -in "$1" | cut -d= -f2)" +%s; }
metrics
for c in "ca pki/ca.pem" "client client20.pem" "server pki/server.pem" "client:robot pki/client.pem"; do
  set -- $c
  got=$(val "rfmgw_certificate_expiry_timestamp_seconds{destination=\"sim\",certificate=\"$1\"}")
  want=$(enddate "$WORK/$2")
  [ -n "$got" ] && [ "$got" = "$want" ] && ok "$1 certificate expiry = notAfter of $2 ($want)" || fail "$1: got '$got', want $want"
done
got=$(val 'rfmgw_certificate_expiry_timestamp_seconds{destination="soon",certificate="ca"}')
[ "$got" = "$(enddate "$WORK/soon.pem")" ] && ok "the second destination's CA expiry" || fail "soon ca: '$got'"
grep -q 'certificate_expiry_timestamp_seconds{destination="soon",certificate="server"}' "$WORK/metrics" \
  && fail "a server expiry for an unreachable destination" || ok "no server expiry where the probe did not connect"
grep -qE "^  ! destination soon: the CA certificate \(tls.ca_file\) .*/soon.pem expires on [0-9-]{10}, in [45] days: renew it$" "$WORK/rfmgw.log" \
  && ok "the start-up summary warns about the CA certificate that expires in 5 days" || fail "no expiry warning: $(grep -i expir "$WORK/rfmgw.log")"
grep -q 'destination sim: the .* expires' "$WORK/rfmgw.log" && fail "a warning for certificates valid for 30 days" || ok "no warning for certificates valid for 30 days"

[ "$(val 'rfmgw_pool_connect_failures_total{destination="soon"}')" = 0 ] \
  && ok "connect failures: 0 after the start (the start-up probe is not a pool connect)" || fail "$(grep connect_failures_total "$WORK/metrics")"
req POST /api/v1/soon '{}'
expect_status 502 "a call to the unreachable destination"
curl -s "$GW/metrics" > "$WORK/metrics2"
n=$(awk 'index($0, "rfmgw_pool_connect_failures_total{destination=\"soon\"} ") == 1 { print $2 }' "$WORK/metrics2")
m=$(awk 'index($0, "rfmgw_pool_connect_failures_total{destination=\"sim\"} ") == 1 { print $2 }' "$WORK/metrics2")
[ "$n" = 1 ] && [ "$m" = 0 ] && ok "…counted in rfmgw_pool_connect_failures_total (soon 1, sim 0)" || fail "connect failures: soon '$n', sim '$m'"
[ "$(val 'rfmgw_config_reloads_total{result="success"}')" = 0 ] && [ "$(val 'rfmgw_config_reloads_total{result="failure"}')" = 0 ] \
  && ok "no reloads yet" || fail "reloads: $(grep reloads_total "$WORK/metrics")"
t0=$(val rfmgw_config_last_reload_success_timestamp_seconds)
[ -n "$t0" ] && [ "$t0" -ge "$t_start" ] && [ "$t0" -le "$(date +%s)" ] && ok "last reload timestamp = the start" || fail "timestamp '$t0' (start $t_start)"
sleep 1.1
kill -HUP "$GW_PID"
for _ in $(seq 1 50); do grep -q 'SIGHUP: reloaded' "$WORK/rfmgw.log" && break; sleep 0.1; done
metrics
[ "$(val 'rfmgw_config_reloads_total{result="success"}')" = 1 ] && ok "a reload counted as success" || fail "$(grep reloads_total "$WORK/metrics")"
t1=$(val rfmgw_config_last_reload_success_timestamp_seconds)
[ "$t1" -gt "$t0" ] && ok "…and the timestamp moved" || fail "timestamp $t0 → $t1"
printf 'routes = ( { method = "GET" } );\n' > "$WORK/routes.conf"
kill -HUP "$GW_PID"
for _ in $(seq 1 50); do grep -q 'keeping the running one' "$WORK/rfmgw.log" && break; sleep 0.1; done
metrics
[ "$(val 'rfmgw_config_reloads_total{result="failure"}')" = 1 ] && [ "$(val rfmgw_config_last_reload_success_timestamp_seconds)" = "$t1" ] \
  && ok "a refused reload counted as failure; the timestamp stays" || fail "$(grep reload "$WORK/metrics")"
if command -v promtool >/dev/null; then
  promtool check metrics < "$WORK/metrics" > "$WORK/promtool.out" 2>&1 && ok "promtool check metrics" || fail "promtool: $(cat "$WORK/promtool.out")"
else
  echo "# promtool not installed: format check skipped"
fi
finish
