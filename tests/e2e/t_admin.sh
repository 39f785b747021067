#!/usr/bin/env bash
# The admin listener (config `admin`): on loopback, POST /admin/metadata/clear drops the
# metadata cache (the next call describes its function again), GET /metrics moves there with
# admin.metrics (the public listener answers 404), nothing else is served; a non-loopback
# address is a configuration error unless admin.allow_remote is set.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
GW_EXTRA_TOP='admin = { enabled = true; port = 0; metrics = true; };' write_gw_conf "$SIM_PORT"
start_gw
for _ in $(seq 1 50); do grep -q 'admin listener on http://127.0.0.1:' "$WORK/rfmgw.log" && break; sleep 0.1; done
aport=$(sed -nE 's/.*admin listener on http:\/\/127\.0\.0\.1:([0-9]+).*/\1/p' "$WORK/rfmgw.log" | head -n 1)
[ -n "$aport" ] && ok "the admin listener's port is logged ($aport)" || fail "no admin listener line: $(tail -5 "$WORK/rfmgw.log")"
ADMIN="http://127.0.0.1:$aport"
describes() { grep -c 'DESCRIBE STFC_CONNECTION' "$WORK/abapsim.log" || true; }

# 1. clearing the metadata cache: the next call fetches the description again
req POST /api/v1/connection-test '{"REQUTEXT":"a"}'; expect_status 200 "a call fills the cache"
req POST /api/v1/connection-test '{"REQUTEXT":"b"}'; expect_status 200 "a second call uses it"
d0=$(describes)
out=$(curl -s -w ' %{http_code}' -X POST "$ADMIN/admin/metadata/clear")
[[ "$out" =~ ^\{\"dropped\":[1-9][0-9]*\}\ 200$ ]] && ok "POST /admin/metadata/clear: $out" || fail "clear: $out"
grep -q 'admin: metadata cache cleared' "$WORK/rfmgw.log" && ok "and the log says so" || fail "no log line for the clear"
req POST /api/v1/connection-test '{"REQUTEXT":"c"}'; expect_status 200 "a call after the clear"
[ "$(describes)" -gt "$d0" ] && ok "described STFC_CONNECTION again after the clear" || fail "no new DESCRIBE after the clear ($d0)"
code=$(curl -s -o /dev/null -w '%{http_code}' "$ADMIN/admin/metadata/clear")
[ "$code" = 405 ] && ok "GET on the clear endpoint: 405" || fail "GET clear: $code"

# 2. /metrics on the admin listener only
m=$(curl -s "$ADMIN/metrics")
grep -qE '^rfmgw_http_requests_total\{.*POST /api/v1/connection-test.*\} 3$' <<<"$m" \
  && ok "GET /metrics on the admin listener counts the calls" || fail "admin metrics: $(head -c 400 <<<"$m")"
req GET /metrics
expect_status 404 "GET /metrics on the public listener with admin.metrics"
expect_json '.detail | test("admin listener")' "which says where it went"

# 3. nothing else, and no route of the public API
for p in /api/v1/connection-test /openapi.json /nothing; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$ADMIN$p")
  [ "$code" = 404 ] && ok "admin listener $p: 404" || fail "admin listener $p: $code"
done
stop_gw

# 4. a public address needs admin.allow_remote
GW_EXTRA_TOP='admin = { enabled = true; address = "0.0.0.0"; port = 0; };' write_gw_conf "$SIM_PORT"
rc=0; out=$("$RFMGW_BIN" -c "$WORK/gw.conf" --check-config 2>&1) || rc=$?
[ $rc = 2 ] && grep -qE 'gw.conf:[0-9]+: admin.address 0.0.0.0 is not loopback' <<<"$out" \
  && ok "admin on 0.0.0.0 without allow_remote: file:line error" || fail "admin 0.0.0.0: $rc $out"
GW_EXTRA_TOP='admin = { metrics = true; };' write_gw_conf "$SIM_PORT"
rc=0; out=$("$RFMGW_BIN" -c "$WORK/gw.conf" --check-config 2>&1) || rc=$?
[ $rc = 2 ] && grep -q 'admin.metrics needs admin.enabled' <<<"$out" && ok "admin.metrics without the listener: refused" \
  || fail "metrics without admin: $rc $out"
finish
