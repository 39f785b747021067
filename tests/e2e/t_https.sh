#!/usr/bin/env bash
# HTTPS on the listener (listen.tls_cert/tls_key): a call over TLS with the certificate checked
# against the demo CA; TLS 1.1 and plain HTTP are refused; one of tls_cert/tls_key alone is a
# configuration error.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
write_gw_conf "$SIM_PORT"
sed -i 's/threads = \([0-9]*\); };/threads = \1; tls_cert = "pki\/server.pem"; tls_key = "pki\/server.key"; };/' "$WORK/gw.conf"
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
stop_gw
sed -i 's/ tls_key = "pki\/server.key";//' "$WORK/gw.conf"
out=$("$RFMGW_BIN" --check-config -c "$WORK/gw.conf" 2>&1) && rc=0 || rc=$?
[ "$rc" = 2 ] && grep -q "HTTPS needs both tls_cert and tls_key" <<<"$out" && ok "tls_cert without tls_key is an error" || fail "rc $rc: $out"
finish
