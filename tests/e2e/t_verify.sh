#!/usr/bin/env bash
# Routes against the functions' metadata: at start-up (in the background) and in --check-config when
# the backend is reachable, else on the route's first call — each problem with file:line.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
GW_VERIFY_MS=3000
write_gw_conf "$SIM_PORT"
add_routes '{ method = "POST"; path = "/api/v1/bad-bind"; destination = "sim"; function = "STFC_CONNECTION";
    bind = ( { to = "REQUTXT"; from = "body.text"; } ); },
  { method = "GET"; path = "/api/v1/bad-result"; destination = "sim"; function = "RFC_SYSTEM_INFO";
    result = { include = [ "RFCSI_EXPORTT" ]; }; },
  { method = "POST"; path = "/api/v1/bad-field"; destination = "sim"; function = "STFC_STRUCTURE";
    bind = ( { to = "IMPORTSTRUCT.NOPE"; from = "body.x"; }, { to = "ECHOSTRUCT"; from = "body.y"; } ); }'
line_of() { grep -n "$1" "$WORK/routes.conf" | head -1 | cut -d: -f1; }
L1=$(line_of bad-bind); L2=$(line_of bad-result); L3=$(line_of bad-field)

# --check-config with the backend up: exit 2, every problem with file:line
rc=0; (cd "$WORK" && "$RFMGW_BIN" -c gw.conf --check-config) > "$WORK/check.out" 2> "$WORK/check.err" || rc=$?
[ $rc = 2 ] && ok "--check-config exits 2 when a route does not match the metadata" || fail "--check-config: exit $rc: $(cat "$WORK/check.err")"
grep -q "routes.conf:$L1: POST /api/v1/bad-bind: STFC_CONNECTION has no parameter REQUTXT" "$WORK/check.err" \
  && ok "binding to a missing parameter, with file:line" || fail "bind: $(cat "$WORK/check.err")"
grep -q "routes.conf:$L2: GET /api/v1/bad-result: RFC_SYSTEM_INFO returns no parameter RFCSI_EXPORTT (result.include)" "$WORK/check.err" \
  && ok "include of a missing parameter, with file:line" || fail "include: $(cat "$WORK/check.err")"
grep -q "routes.conf:$L3: POST /api/v1/bad-field: IMPORTSTRUCT of STFC_STRUCTURE has no field NOPE" "$WORK/check.err" \
  && ok "binding to a missing field of a structure" || fail "field: $(cat "$WORK/check.err")"
grep -q "ECHOSTRUCT is an EXPORTING parameter" "$WORK/check.err" && ok "binding to an EXPORTING parameter" || fail "exporting: $(cat "$WORK/check.err")"
grep -q "routes.conf:$(line_of /api/v1/missing): POST /api/v1/missing: destination sim has no function Z_DOES_NOT_EXIST" "$WORK/check.err" \
  && ok "a function the backend does not have" || fail "missing function: $(cat "$WORK/check.err")"
grep -q 'connection-test' "$WORK/check.err" && fail "a good route reported" || ok "good routes not reported"
grep -q 'metadata: 7 routes checked, 0 not' "$WORK/check.out" && ok "all 7 routes checked" || fail "summary: $(cat "$WORK/check.out")"

# start-up: logged in the background, the good route's metadata is cached, bad routes answer 500
start_gw
for _ in $(seq 1 50); do grep -q 'routes do not match' "$WORK/rfmgw.log" && break; sleep 0.1; done
grep -q "verify: .*routes.conf:$L1: POST /api/v1/bad-bind" "$WORK/rfmgw.log" && ok "start-up check logs the problem with file:line" \
  || fail "start-up log: $(grep -i verify "$WORK/rfmgw.log" | head -5)"
grep -q '4 of 7 routes do not match' "$WORK/rfmgw.log" && ok "start-up summary: 4 of 7 routes bad" || fail "summary line: $(grep 'routes' "$WORK/rfmgw.log" | tail -2)"
d0=$(grep -c 'DESCRIBE STFC_CONNECTION' "$WORK/abapsim.log" || true)
req POST /api/v1/connection-test '{"REQUTEXT":"hi"}'
expect_status 200 "a good route works"
d1=$(grep -c 'DESCRIBE STFC_CONNECTION' "$WORK/abapsim.log" || true)
[ "$d0" -ge 1 ] && [ "$d1" = "$d0" ] && ok "its metadata came from the start-up check (no DESCRIBE for the call)" || fail "DESCRIBEs: $d0 then $d1"
req POST /api/v1/bad-bind '{"text":"x"}'
expect_status 500 "a route that does not match the metadata"
expect_json ".type | endswith(\"config-error\")" "problem type config-error"
expect_json ".detail | test(\"routes.conf:$L1: .*REQUTXT\")" "the detail names file:line and the parameter"

# SIGHUP: a mapping that does not match the metadata is refused, the running routes stay
sed -i 's/"REQUTXT"/"REQUTEXT"/' "$WORK/routes.conf"
sed -i 's|path = "/api/v1/bad-result"|path = "/api/v1/new-bad"|' "$WORK/routes.conf"
kill -HUP "$GW_PID"
for _ in $(seq 1 50); do grep -q 'keeping the running routes' "$WORK/rfmgw.log" && break; sleep 0.1; done
grep -q 'SIGHUP: 3 routes do not match' "$WORK/rfmgw.log" && ok "SIGHUP with routes that do not match the metadata: refused" \
  || fail "reload: $(grep SIGHUP "$WORK/rfmgw.log" | tail -3)"
req GET /api/v1/new-bad
expect_status 404 "the refused mapping's new route is not there"
# fixed: accepted
cat > "$WORK/routes.conf" <<'EOC'
routes = (
  { method = "POST"; path = "/api/v1/connection-test"; destination = "sim"; function = "STFC_CONNECTION"; },
  { method = "POST"; path = "/api/v1/bad-bind"; destination = "sim"; function = "STFC_CONNECTION"; body = "bound";
    bind = ( { to = "REQUTEXT"; from = "body.text"; } ); }
);
EOC
cp "$WORK/routes.conf" "$WORK/routes.after"
kill -HUP "$GW_PID"
for _ in $(seq 1 50); do grep -q 'SIGHUP: reloaded' "$WORK/rfmgw.log" && break; sleep 0.1; done
grep -q 'SIGHUP: reloaded' "$WORK/rfmgw.log" && ok "SIGHUP with matching routes: reloaded" || fail "reload 2: $(grep SIGHUP "$WORK/rfmgw.log" | tail -3; cat "$WORK/routes.after")"
req POST /api/v1/bad-bind '{"text":"now fine"}'
expect_status 200 "the fixed binding works after the reload"
stop_gw

# backend down: --check-config checks what it can and says the rest is checked on first call
stop_sim
rc=0; (cd "$WORK" && "$RFMGW_BIN" -c gw.conf --check-config) > "$WORK/check.out" 2> "$WORK/check.err" || rc=$?
[ $rc = 0 ] && grep -q 'metadata: 0 routes checked, 2 not' "$WORK/check.out" && ok "backend down: --check-config passes, both routes left for their first call" \
  || fail "backend down: exit $rc: $(cat "$WORK/check.out" "$WORK/check.err")"
finish
