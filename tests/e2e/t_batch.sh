#!/usr/bin/env bash
# POST /api/v1/batch: mapped calls in one session as one unit of work — committed only when all
# succeed, rolled back otherwise; a step can use a value an earlier step returned.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
GW_DEST_NAME=demo GW_MAPPINGS="$RFMGW_SOURCE_DIR/mappings/demo.conf" write_gw_conf "$SIM_PORT"
start_gw

req GET '/api/v1/flights?airline=LH&max=3'
read -r conn date < <(printf '%s' "$BODY" | jq -r '.flights[2] | "\(.CONNECTID) \(.FLIGHTDATE)"')
free() { req GET "/api/v1/flights/LH/$conn/$date"; printf '%s' "$BODY" | jq .availability.ECONOFREE; }
f0=$(free)
bk="{\"airline\":\"LH\",\"connection\":\"$conn\",\"date\":\"$date\",\"customer\":\"7\",\"class\":\"Y\"}"

req POST /api/v1/batch "{\"steps\":[
  {\"method\":\"POST\",\"path\":\"/api/v1/bookings\",\"body\":$bk},
  {\"method\":\"POST\",\"path\":\"/api/v1/bookings\",\"body\":$bk},
  {\"method\":\"POST\",\"path\":\"/api/v1/connection-test\",\"body\":{\"REQUTEXT\":\"\${1.BOOKINGNUMBER}\"}}]}"
expect_status 200 "a batch of two bookings and a call that uses the second booking number"
expect_json '.committed == true and ([.results[].status] == [200,200,200])' "all steps succeeded, committed"
expect_json '.results[2].body.ECHOTEXT == .results[1].body.BOOKINGNUMBER' "step 2 used step 1's booking number"
[ "$(free)" -eq $((f0 - 2)) ] && ok "both bookings are visible afterwards" || fail "seats: $f0 → $(free)"
n=$(grep -c ': logon user' "$WORK/abapsim.log" || true)

req POST /api/v1/batch "{\"steps\":[
  {\"method\":\"POST\",\"path\":\"/api/v1/bookings\",\"body\":$bk},
  {\"method\":\"POST\",\"path\":\"/api/v1/bookings\",\"body\":$(printf '%s' "$bk" | jq -c '.class = "Z"')},
  {\"method\":\"GET\",\"path\":\"/api/v1/ping\"}]}"
expect_status 422 "a batch whose second step fails"
expect_json '.type == "urn:rfmgw:problem:batch-failed" and .failedStep == 1 and .committed == false' "names the failed step"
expect_json '[.results[].status] == [200,422,"skipped"]' "step results: ok, failed, skipped"
[ "$(free)" -eq $((f0 - 2)) ] && ok "the batch left nothing behind (first booking rolled back)" || fail "seats changed: $(free)"

# Step answers are kept as JSON text: a large one is copied into the batch's answer unchanged,
# also into a failed batch's problem; references reach into arrays by index.
req GET '/api/v1/tables/SBOOK?count=3000'
printf '%s' "$BODY" | jq -cS . > "$WORK/plain.json"
req POST /api/v1/batch '{"steps":[{"method":"GET","path":"/api/v1/tables/SBOOK?count=3000"},
  {"method":"POST","path":"/api/v1/connection-test","body":{"REQUTEXT":"${0.DATA.2999.WA}"}}]}'
expect_status 200 "a batch whose first step answers 3,000 rows"
printf '%s' "$BODY" | jq -cS '.results[0].body' > "$WORK/step.json"
cmp -s "$WORK/plain.json" "$WORK/step.json" && ok "the step's answer equals the plain call's" ||
  fail "the step's answer differs from the plain call's ($(wc -c < "$WORK/step.json") vs $(wc -c < "$WORK/plain.json") bytes)"
expect_json '.results[1].body.ECHOTEXT == .results[0].body.DATA[2999].WA' "a reference by array index (row 2999)"
req POST /api/v1/batch '{"steps":[{"method":"GET","path":"/api/v1/tables/SBOOK?count=3000"},
  {"method":"POST","path":"/api/v1/connection-test","body":{"REQUTEXT":"${0.DATA.3000.WA}"}}]}'
expect_status 400 "a reference past the last row"
expect_json '.failedStep == 1 and (.results[1].body.detail | test("has no such value")) and (.results[0].body.DATA | length) == 3000' \
  "the problem names the step and carries the 3,000 rows of the step before it"
printf '%s' "$BODY" | jq -cS '.results[0].body' > "$WORK/step.json"
cmp -s "$WORK/plain.json" "$WORK/step.json" && ok "the failed batch carries the step's answer unchanged" ||
  fail "the failed batch's step answer differs from the plain call's"

# Answers no later step refers to are written when the batch answers: on a work thread once the
# steps' rows reach limits.convert_rows (1,000), also for a failed batch's problem.
req POST /api/v1/batch "{\"steps\":[{\"method\":\"GET\",\"path\":\"/api/v1/tables/SBOOK?count=3000\"},
  {\"method\":\"POST\",\"path\":\"/api/v1/bookings\",\"body\":$(printf '%s' "$bk" | jq -c '.class = "Z"')}]}"
expect_status 422 "a batch whose 3,000-row first step is followed by a failing step"
expect_json '.failedStep == 1 and .results[1].status == 422' "names the failed step"
printf '%s' "$BODY" | jq -cS '.results[0].body' > "$WORK/step.json"
cmp -s "$WORK/plain.json" "$WORK/step.json" && ok "its problem carries the step's answer unchanged" ||
  fail "the failed batch's step answer differs from the plain call's"
req POST /api/v1/batch '{"steps":[{"method":"GET","path":"/api/v1/tables/SBOOK?count=3000"},{"method":"GET","path":"/api/v1/ping"}]}'
expect_status 200 "a batch with a 3,000-row step and no references"
printf '%s' "$BODY" | jq -cS '.results[0].body' > "$WORK/step.json"
cmp -s "$WORK/plain.json" "$WORK/step.json" && ok "the step's answer equals the plain call's" ||
  fail "the step's answer differs from the plain call's"
# (3,024 rows: RFC_READ_TABLE's FIELDS table counts too.) The batches before these wrote their
# large answer on the loop, when a later step referred to it; small ones never go to a work thread.
n=$(grep -c 'batch answers of 3024 rows written on a work thread' "$WORK/rfmgw.log" || true)
all=$(grep -c 'batch answers of .* written on a work thread' "$WORK/rfmgw.log" || true)
[ "$n" -eq 2 ] && [ "$all" -eq 2 ] && ok "exactly these two batches' answers were written on a work thread" ||
  fail "work-thread writes logged: $n of 3,024 rows, $all in all; expected 2 and 2"

req POST /api/v1/batch '{"steps":[{"method":"GET","path":"/api/v1/ping"},{"method":"GET","path":"/nowhere"}]}'
expect_status 400 "a step without a route"
expect_json '.errors[0].pointer == "/steps/1"' "points at the step"
req POST /api/v1/batch '{"steps":[{"method":"POST","path":"/api/v1/connection-test","body":{"REQUTEXT":"${3.X}"}}]}'
expect_status 400 "a reference to a later step"
# "${N}" is step N's whole answer, with one digit as with more: here an object where a text goes.
for ref in '${0}' '${00}'; do
  req POST /api/v1/batch "{\"steps\":[{\"method\":\"POST\",\"path\":\"/api/v1/connection-test\",\"body\":{\"REQUTEXT\":\"x\"}},
    {\"method\":\"POST\",\"path\":\"/api/v1/connection-test\",\"body\":{\"REQUTEXT\":\"$ref\"}}]}"
  expect_status 400 "$ref is the first step's whole answer (an object), not the text $ref"
  expect_json '.failedStep == 1 and (.results[1].body.errors[0].detail | test("got an object"))' "$ref: the step's problem says it got an object"
done
for ref in '${x}' '${}'; do
  req POST /api/v1/batch "{\"steps\":[{\"method\":\"GET\",\"path\":\"/api/v1/ping\"},{\"method\":\"POST\",\"path\":\"/api/v1/connection-test\",\"body\":{\"REQUTEXT\":\"$ref\"}}]}"
  expect_status 400 "$ref names no step"
done
req POST /api/v1/batch '{"steps":[]}'
expect_status 400 "an empty batch"
req GET /api/v1/batch
expect_status 405 "GET on the batch endpoint"
finish
