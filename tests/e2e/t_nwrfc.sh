#!/usr/bin/env bash
# What only the nwrfc backend has (built against the SDK's fake): --check-config refuses PEM and
# PKCS#12 identities (the SDK needs a PSE) with file:line; a host the SDK cannot reach answers
# 502 at once; a call timeout cancels the SDK call (RfcCancel) instead of letting it run on.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
GW_BACKEND=nwrfc

check() { # expect the --check-config output to match a regex
  set +e
  out=$("$RFMGW_BIN" --check-config -c "$WORK/gw.conf" 2>&1); rc=$?
  set -e
  if [ $rc -eq 2 ] && grep -qE "$1" <<<"$out"; then ok "$2"; else fail "$2: rc=$rc $out"; fi
}

# a streamed answer (Accept: application/x-ndjson) and max_result for a whole one
GW_DEST_NAME=demo GW_MAPPINGS="$RFMGW_SOURCE_DIR/mappings/demo.conf" write_gw_conf "$SIM_PORT" "" "" 'max_result = 4096;'
start_gw
curl -s -S --max-time 20 -H 'Accept: application/x-ndjson' -D "$WORK/s.hdr" -o "$WORK/s.ndjson" "$GW/api/v1/tables/SBOOK?count=300"
grep -qi '^content-type: application/x-ndjson' "$WORK/s.hdr" && ok "streamed as NDJSON" || fail "content type: $(cat "$WORK/s.hdr")"
head -n 1 "$WORK/s.ndjson" | jq -e '."@head".FIELDS | length > 5' >/dev/null && ok "@head with the FIELDS table" || fail "head: $(head -c 300 "$WORK/s.ndjson")"
tail -n 1 "$WORK/s.ndjson" | jq -e '."@end".rows == 300' >/dev/null && ok "@end: 300 rows" || fail "end: $(tail -n 1 "$WORK/s.ndjson")"
[ "$(grep -c '"WA":' "$WORK/s.ndjson")" -eq 300 ] && ok "300 row lines, more than max_result allows unstreamed" || fail "$(grep -c '"WA":' "$WORK/s.ndjson") row lines"
req GET '/api/v1/tables/SBOOK?count=300'
expect_status 502 "the same result unstreamed is over max_result"
expect_json '.type == "urn:rfmgw:problem:result-too-large" and (.detail | test("max_result"))' "result-too-large, naming max_result"
req GET '/api/v1/tables/SCARR?count=2'
expect_status 200 "a small result still fits"
stop_gw

# PEM client certificate, CA file, PEM or PKCS#12 "PSE", a TCP address: all refused
write_gw_conf "$SIM_PORT" 'auth = { method = "certificate"; cert = "pki/client.pem"; key = "pki/client.key"; };'
line=$(grep -n 'auth = { method = "certificate"' "$WORK/gw.conf" | cut -d: -f1)
check "gw.conf:$line: destination 'sim': auth.cert/auth.key cannot be used with backend nwrfc; the SAP NW RFC SDK's TLS needs a PSE" \
  "a PEM client certificate is refused, naming the PSE, with file:line"
write_gw_conf "$SIM_PORT" "" 'tls = { ca_file = "pki/ca.pem"; };'
check "gw.conf:[0-9]+: destination 'sim': tls.ca_file cannot be used with backend nwrfc; .*needs a PSE" "a PEM CA file is refused"
cp "$WORK/pki/client.pem" "$WORK/client.p12"
write_gw_conf "$SIM_PORT"
sed -i 's/pse = "fake.pse"/pse = "client.p12"/' "$WORK/gw.conf"
check "gw.conf:[0-9]+: destination 'sim': nwrfc.pse .*client.p12 is a PEM or PKCS#12 file; the SAP NW RFC SDK's TLS needs a PSE" \
  "a PKCS#12 file given as the PSE is refused"
cp "$WORK/pki/ca.pem" "$WORK/looks-like.pse"
write_gw_conf "$SIM_PORT"
sed -i 's/pse = "fake.pse"/pse = "looks-like.pse"/' "$WORK/gw.conf"
check "nwrfc.pse .*looks-like.pse is a PEM or PKCS#12 file" "a PEM file is recognised by its content, whatever its name"
write_gw_conf "$SIM_PORT"
sed -i 's/ nwrfc = { pse = "fake.pse"; };/ address = "127.0.0.1";/' "$WORK/gw.conf"
check "gw.conf:[0-9]+: destination 'sim': address is not available with backend nwrfc" "address is refused"
check "backend nwrfc needs nwrfc.pse" "the PSE is required"
GW_BACKEND=native write_gw_conf "$SIM_PORT" "" "" 'nwrfc = { threads = 2; };'
check "the nwrfc group needs backend = \"nwrfc\"" "a native destination with an nwrfc group is refused"
GW_BACKEND=native write_gw_conf "$SIM_PORT" "" "" 'backend = "rfc3";'
check "backend must be \"native\" or \"nwrfc\", not 'rfc3'" "an unknown backend is refused"

# a port the fake's "network" does not answer on: unreachable, fast, with host and port
write_gw_conf 1
start_gw
t0=$(date +%s%N)
req POST /api/v1/connection-test '{"REQUTEXT":"hello"}'
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_status 502 "host not reached"
expect_json '.type == "urn:rfmgw:problem:backend-unreachable" and (.detail | test("my100000-api.abapsim.test:1"))' \
  "unreachable, naming host and port"
[ "$ms" -lt 3000 ] && ok "answered in $ms ms" || fail "took $ms ms"
stop_gw

# a call timeout cancels the SDK call; the worker thread is free again at once
GW_CALL_TIMEOUT_MS=500
write_gw_conf "$SIM_PORT" "" "" 'pool = { max = 1; }; nwrfc = { pse = "fake.pse"; threads = 1; };'
sed -i 's/ nwrfc = { pse = "fake.pse"; };//' "$WORK/gw.conf"
start_gw
req POST /api/v1/wait '{"MILLISECONDS":20000}'
expect_status 504 "a 20 s call with a 0.5 s timeout"
for _ in $(seq 1 100); do grep -q 'canceled' "$WORK/abapsim.log" && break; sleep 0.1; done
grep -q 'session [0-9]*: canceled' "$WORK/abapsim.log" && ok "the SDK call was cancelled (RfcCancel)" || fail "no RfcCancel reached the SDK"
t0=$(date +%s%N)
req POST /api/v1/connection-test '{"REQUTEXT":"after the timeout"}'
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_status 200 "the only worker thread serves the next call"
[ "$ms" -lt 2000 ] && ok "at once ($ms ms), not after the 20 s call" || fail "took $ms ms"
stop_gw

# many calls at once, most of them cancelled by their timeout, some timing out in the queue, on
# fewer threads than sessions: every one answered, nothing leaks or is used after free (ASan),
# and the destination serves normally afterwards
GW_CALL_TIMEOUT_MS=300
write_gw_conf "$SIM_PORT" "" "" 'pool = { max = 4; queue_max = 100; }; nwrfc = { pse = "fake.pse"; threads = 2; };'
sed -i 's/ nwrfc = { pse = "fake.pse"; };//' "$WORK/gw.conf"
start_gw
load 40 20 POST /api/v1/wait '{"MILLISECONDS":250}'
n200=$(count_status 200); n504=$(count_status 504); n503=$(count_status 503)
[ $((n200 + n504 + n503)) -eq 40 ] && ok "40 concurrent calls answered: $n200 × 200, $n504 × 504, $n503 × 503" \
  || fail "answers: $(sort "$WORK/load.status" | uniq -c | tr '\n' ' ')"
[ "$n504" -gt 0 ] && ok "some calls were cancelled on timeout" || fail "no timeouts under load"
req POST /api/v1/connection-test '{"REQUTEXT":"after the storm"}'
expect_status 200 "served normally afterwards"
finish
