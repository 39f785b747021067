#!/usr/bin/env bash
# abapsim's communication management: an RFM outside the user's communication scenarios is an
# authorization failure (403), an unknown one is FU_NOT_FOUND; a user whose arrangements do not
# allow the logon method cannot log on; consecutive wrong passwords lock the user at run time.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf 'security = { max_failed_logons = 2; };'
# only STFC_CONNECTION and RFC_PING in the scenario (instead of "*")
sed -i 's/rfms = \[ "\*" \]/rfms = [ "STFC_CONNECTION", "RFC_PING" ]/' "$WORK/sim.conf"
start_sim
write_gw_conf "$SIM_PORT"
start_gw

req POST /api/v1/connection-test '{"REQUTEXT":"allowed"}'
expect_status 200 "STFC_CONNECTION is in the scenario"
req POST /api/v1/wait '{"MILLISECONDS":1}'
expect_status 403 "Z_RFMGW_WAIT is outside the scenario"
expect_json '.type == "urn:rfmgw:problem:backend-authorization-failure"' "authorization failure problem"
grep -q 'no RFC authorization for Z_RFMGW_WAIT' "$WORK/abapsim.log" && ok "simulator logs the refusal" \
  || fail "no refusal in the simulator log"
grep -q 'CALL Z_RFMGW_WAIT seq .*RESULT' "$WORK/abapsim.log" && fail "the refused RFM ran" || ok "the refused RFM never ran"
req POST /api/v1/missing '{}'
expect_json '.type == "urn:rfmgw:problem:function-not-found"' "an unknown RFM is FU_NOT_FOUND, not an authorization failure"
req POST /api/v1/connection-test '{"REQUTEXT":"still fine"}'
expect_status 200 "the session stays usable after an authorization failure"
stop_gw

# wrong passwords: the second consecutive one locks the user (max_failed_logons = 2)
for i in 1 2; do
  write_gw_conf "$SIM_PORT"
  printf 'wrong-%s\n' "$i" > "$WORK/secret"
  start_gw
  req POST /api/v1/connection-test '{"REQUTEXT":"x"}'
  expect_status 502 "wrong password $i"
  stop_gw
done
grep -q 'user CC0000000001 locked after 2 consecutive failed logons' "$WORK/abapsim.log" \
  && ok "the user was locked" || fail "no lock in the simulator log"
write_gw_conf "$SIM_PORT"   # the right password again
start_gw
req POST /api/v1/connection-test '{"REQUTEXT":"x"}'
expect_status 502 "the right password no longer works for the locked user"
expect_json '.type == "urn:rfmgw:problem:backend-logon-failed"' "a plain logon failure for the caller"
grep -q 'logon failed: user locked (too many failed logons)' "$WORK/abapsim.log" \
  && ok "the log names the lock as the reason" || fail "no lock reason in the log"
stop_gw

# the certificate user's arrangement allows passwords only: certificate logon fails
stop_sim
write_sim_conf
sed -i 's/auth_methods = \[ "password", "certificate" \]/auth_methods = [ "password" ]/' "$WORK/sim.conf"
start_sim
write_gw_conf "$SIM_PORT" 'auth = { method = "certificate"; cert = "pki/client.pem"; key = "pki/client.key"; };'
start_gw
req POST /api/v1/connection-test '{"REQUTEXT":"by certificate"}'
expect_status 502 "certificate logon not allowed by any arrangement"
grep -q 'logon method certificate is not allowed for user CC0000000002' "$WORK/abapsim.log" \
  && ok "the log names the method" || fail "no method reason in the log"
finish
