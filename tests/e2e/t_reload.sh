#!/usr/bin/env bash
# SIGHUP reloads the mappings atomically (requests in flight finish on the old table), re-reads
# the password after a logon failure, and keeps the running configuration when the new one is bad.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
write_gw_conf "$SIM_PORT"
printf 'wrong-password\n' > "$WORK/secret"
start_gw

req POST /api/v1/connection-test '{"REQUTEXT":"x"}'
expect_status 502 "wrong password"
req GET /api/v1/echo/hi
expect_status 404 "no echo route yet"

# fix the password, add a route, reload
printf '%s\n' "$SIM_PASSWORD" > "$WORK/secret"
add_routes '{ method = "GET"; path = "/api/v1/echo/{text}"; destination = "sim"; function = "STFC_CONNECTION";
    bind = ( { to = "REQUTEXT"; from = "path.text"; } ); }'
kill -HUP "$GW_PID"
for _ in $(seq 1 50); do grep -q 'SIGHUP: reloaded' "$WORK/rfmgw.log" && break; sleep 0.1; done
req GET /api/v1/echo/hi
expect_status 200 "the new route after SIGHUP"
expect_json '.ECHOTEXT == "hi"' "and it works"
req POST /api/v1/connection-test '{"REQUTEXT":"x"}'
expect_status 200 "the reloaded password logs on"

# a request in flight during a reload finishes
in_flight 700 "$WORK/w.status"
pw=$BG
kill -HUP "$GW_PID"
wait "$pw"
[ "$(cat "$WORK/w.status")" = 200 ] && ok "a call in flight finished across the reload" || fail "in flight: $(cat "$WORK/w.status")"

# a broken mapping file: logged, the running routes stay
printf 'routes = ( { method = "GET"; path = "/x" \n' > "$WORK/routes.conf"
kill -HUP "$GW_PID"
for _ in $(seq 1 50); do grep -q 'keeping the running one' "$WORK/rfmgw.log" && break; sleep 0.1; done
grep -q 'keeping the running one' "$WORK/rfmgw.log" && grep -q 'routes.conf:2' "$WORK/rfmgw.log" \
  && ok "a bad reload is refused with file:line" || fail "no refusal logged"
req GET /api/v1/echo/still
expect_status 200 "the previous routes still serve"
finish
