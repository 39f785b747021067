#!/usr/bin/env bash
# Idempotency-Key: a repeat gets the recorded answer without calling the backend again; the same
# key with another body is 422; while the first runs 409; after a timeout (outcome unknown) 409;
# a request refused before the backend saw it leaves the key free. Bodies of limits.convert_body
# (here 40) bytes or more are hashed and parsed on a work thread: the same rules hold for them.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
GW_CALL_TIMEOUT_MS=3000 # room for a loaded machine: K2 (1.5 s) must not time out, K3 (6 s) must
GW_EXTRA_TOP="limits = { convert_body = 40; };" write_gw_conf "$SIM_PORT"
start_gw

ik() { # key method path body
  local out="$WORK/ik.$BASHPID"
  STATUS=$(curl -s -o "$out" -D "$out.h" -w '%{http_code}' --max-time 10 -X "$2" -H "Idempotency-Key: $1" \
           -H 'Content-Type: application/json' --data-binary "$4" "$GW$3")
  BODY=$(cat "$out"); HEADERS=$(cat "$out.h")
}
calls() { grep -c 'CALL STFC_CONNECTION' "$WORK/abapsim.log" || true; }

ik K1 POST /api/v1/connection-test '{"REQUTEXT":"once"}'
expect_status 200 "first request with a key"
first=$BODY
n=$(calls)
sleep 1.1
ik K1 POST /api/v1/connection-test '{"REQUTEXT":"once"}'
expect_status 200 "the same request again"
[ "$BODY" = "$first" ] && ok "the recorded answer, byte for byte (same RESPTEXT time)" || fail "a different answer: $BODY"
expect_header '^idempotent-replayed: true' "marked as replayed"
[ "$(calls)" -eq "$n" ] && ok "the backend was not called again" || fail "the backend was called again"

ik K1 POST /api/v1/connection-test '{"REQUTEXT":"other"}'
expect_status 422 "the same key with another body"
expect_json '.type == "urn:rfmgw:problem:idempotency-key-reused"' "idempotency-key-reused"

in_flight 1500 "$WORK/k2.status" ik K2
p2=$BG
ik K2 POST /api/v1/wait '{"MILLISECONDS":1500}'
expect_status 409 "while the first request with the key runs"
wait "$p2"
[ "$(cat "$WORK/k2.status")" = 200 ] && ok "the first one finished" || fail "first K2: $(cat "$WORK/k2.status")"

ik K3 POST /api/v1/wait '{"MILLISECONDS":6000}'
expect_status 504 "a call that times out"
ik K3 POST /api/v1/wait '{"MILLISECONDS":6000}'
expect_status 409 "its outcome is unknown: never run twice"
expect_json '.detail | test("unknown")' "says the outcome is unknown"

ik K4 POST /api/v1/connection-test '{"REQUTEXT":1}'
expect_status 400 "refused before the backend"
ik K4 POST /api/v1/connection-test '{"REQUTEXT":"fixed"}'
expect_status 200 "the key is free again after a refusal"

big='{"REQUTEXT":"a body past limits.convert_body"}' # 46 bytes
ik K6 POST /api/v1/connection-test "$big"
expect_status 200 "a large body with a key"
first=$BODY
n=$(calls)
ik K6 POST /api/v1/connection-test "$big"
expect_status 200 "the same large body again"
[ "$BODY" = "$first" ] && ok "the recorded answer, byte for byte" || fail "a different answer: $BODY"
[ "$(calls)" -eq "$n" ] && ok "the backend was not called again" || fail "the backend was called again"
ik K6 POST /api/v1/connection-test '{"REQUTEXT":"another body past the limit, sent"}'
expect_status 422 "the same key with another large body"
ik K6 POST /api/v1/connection-test '{"REQUTEXT":"another body, and not JSON at all"'
expect_status 422 "the key is looked at before the body's syntax"
grep -q 'body of 46 bytes hashed, parsed and converted on a work thread' "$WORK/rfmgw.log" &&
  ok "the large body was hashed and parsed on a work thread" || fail "no large body hashed on a work thread (log)"

ik K5 GET /api/v1/ping ''
ik K5 GET /api/v1/ping ''
grep -qi '^idempotent-replayed' <<<"$HEADERS" && fail "a read-only route replayed" || ok "read-only routes ignore the key"
finish
