#!/usr/bin/env bash
# HTTPS on the listener (listen.tls_cert/tls_key): a call over TLS with the certificate checked
# against the demo CA; TLS 1.1 and plain HTTP are refused; SIGHUP replaces the certificate and
# key without a restart (a bad pair refuses the reload and the running one stays); one of
# tls_cert/tls_key alone is a configuration error.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
write_gw_conf "$SIM_PORT"
cp "$WORK/pki/server.pem" "$WORK/front.pem"; cp "$WORK/pki/server.key" "$WORK/front.key"
sed -i 's/threads = \([0-9]*\); };/threads = \1; tls_cert = "front.pem"; tls_key = "front.key"; };/' "$WORK/gw.conf"
start_gw
port=${GW##*:}
grep -q "https://127.0.0.1:$port" "$WORK/rfmgw.log" && ok "the log says https" || fail "no https in the start-up line"
code=$(curl -s -o "$WORK/h.body" -w '%{http_code}' --max-time 10 --cacert "$WORK/pki/ca.pem" \
  --json '{"REQUTEXT":"tls"}' "https://localhost:$port/api/v1/connection-test" || true)
[ "$code" = 200 ] && jq -e '.ECHOTEXT == "tls"' "$WORK/h.body" >/dev/null && ok "a call over HTTPS, certificate verified" || fail "HTTPS call: $code $(cat "$WORK/h.body")"
# the client is told to allow TLS 1.1 (SECLEVEL=0), so a refusal is the server's
out=$(timeout 10 openssl s_client -connect "127.0.0.1:$port" -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' </dev/null 2>&1 || true)
grep -q "Cipher is (NONE)" <<<"$out" && ok "TLS 1.1 is refused by the server (no session)" || fail "TLS 1.1: $(grep -E 'Cipher|Protocol' <<<"$out")"
out=$(timeout 10 openssl s_client -connect "127.0.0.1:$port" -tls1_2 -cipher 'DEFAULT@SECLEVEL=0' </dev/null 2>&1 || true)
grep -q "Cipher is ECDHE" <<<"$out" && ok "…while the same client gets TLS 1.2" || fail "TLS 1.2 with s_client: $(grep -E 'Cipher|Protocol' <<<"$out")"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$WORK/pki/ca.pem" --tlsv1.2 --tls-max 1.2 \
  "https://localhost:$port/healthz" || true)
[ "$code" = 200 ] && ok "TLS 1.2 works" || fail "TLS 1.2: HTTP $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/healthz" || true)
[ "$code" != 200 ] && ok "plain HTTP on the HTTPS port gets no answer ($code)" || fail "plain HTTP answered 200"
# SIGHUP: a new certificate and key for new handshakes, no restart
fingerprint() { timeout 10 openssl s_client -connect "127.0.0.1:$port" </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256 2>/dev/null; }
fp_old=$(fingerprint)
fp_new=$(openssl x509 -in "$WORK/pki/other-server.pem" -noout -fingerprint -sha256)
[ -n "$fp_old" ] && [ "$fp_old" != "$fp_new" ] && ok "the listener shows the first certificate" || fail "fingerprint before: '$fp_old'"
cp "$WORK/pki/other-server.pem" "$WORK/front.pem"; cp "$WORK/pki/other-server.key" "$WORK/front.key"
reloads() { grep -c 'SIGHUP: HTTPS certificate and key reloaded' "$WORK/rfmgw.log" || true; }
n=$(reloads)
kill -HUP "$GW_PID"
for _ in $(seq 1 100); do [ "$(reloads)" -gt "$n" ] && break; sleep 0.05; done
[ "$(fingerprint)" = "$fp_new" ] && ok "after SIGHUP new handshakes get the new certificate" || fail "after SIGHUP: '$(fingerprint)'"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$WORK/pki/other-ca.pem" "https://localhost:$port/healthz" || true)
[ "$code" = 200 ] && ok "the new certificate serves requests (verified against its CA)" || fail "with the new certificate: HTTP $code"
exp=$(curl -s --max-time 10 --cacert "$WORK/pki/other-ca.pem" "https://localhost:$port/metrics" | sed -n 's/^rfmgw_certificate_expiry_timestamp_seconds{destination="",certificate="listener"} //p')
want=$(date -d "$(openssl x509 -enddate -noout -in "$WORK/pki/other-server.pem" | cut -d= -f2)" +%s)
[ "$exp" = "$want" ] && ok "the listener certificate's expiry metric follows the reload" || fail "listener expiry metric '$exp', want $want"
cp "$WORK/pki/server.key" "$WORK/front.key" # the key of another certificate
kill -HUP "$GW_PID"
for _ in $(seq 1 100); do grep -q 'SIGHUP: the configuration has errors' "$WORK/rfmgw.log" && break; sleep 0.05; done
grep -A2 'SIGHUP: the configuration has errors' "$WORK/rfmgw.log" | grep -q 'front.key is not the key of listen.tls_cert' \
  && ok "a key that does not fit the certificate refuses the reload, naming the files" || fail "mismatch: $(tail -4 "$WORK/rfmgw.log")"
[ "$(fingerprint)" = "$fp_new" ] && ok "the running certificate stays after a refused reload" || fail "after the refused reload: '$(fingerprint)'"
stop_gw
sed -i 's/ tls_key = "front.key";//' "$WORK/gw.conf"
out=$("$RFMGW_BIN" --check-config -c "$WORK/gw.conf" 2>&1) && rc=0 || rc=$?
[ "$rc" = 2 ] && grep -q "HTTPS needs both tls_cert and tls_key" <<<"$out" && ok "tls_cert without tls_key is an error" || fail "rc $rc: $out"
finish
