#!/usr/bin/env bash
# A wrong password is a logon failure (502, its own problem type), distinct from transport
# failures, and is not retried: retries would lock the communication user.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
write_gw_conf "$SIM_PORT"
printf 'wrong-password\n' > "$WORK/secret"
start_gw

req POST /api/v1/connection-test '{"REQUTEXT":"hello"}'
expect_status 502 "wrong password"
expect_json '.type == "urn:rfmgw:problem:backend-logon-failed" and (.detail | test("LOGON_FAILURE"))' \
  "logon failure named as such"
if grep -q 'wrong-password\|Test-Passw0rd' "$WORK/rfmgw.log" "$WORK/abapsim.log" "$WORK/body"; then
  fail "a password appears in a log or an answer"
else
  ok "no password in logs or answers"
fi

for _ in 1 2 3 4 5; do req POST /api/v1/connection-test '{"REQUTEXT":"again"}'; done
expect_status 502 "later requests fail fast"
expect_json '.type == "urn:rfmgw:problem:backend-logon-failed"' "still a logon failure"
n=$(grep -ci 'logon fail\|logon refused\|wrong password' "$WORK/abapsim.log" || true)
if [ "$n" -eq 1 ]; then ok "exactly one failed logon reached the simulator"; else fail "$n failed logons reached the simulator"; fi
finish
