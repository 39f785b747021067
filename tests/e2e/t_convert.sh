#!/usr/bin/env bash
# Large results are turned into JSON on a work thread (listen.convert_threads, limits.convert_rows):
# the answer is byte for byte the one the HTTP thread writes, ?fields= applies, and small results
# stay on the HTTP thread. Large request bodies (limits.convert_body) are parsed and converted on
# the work thread: the same answers, errors (line/column, unknown parameters, not an object) and
# values bound from the query and headers as on the HTTP thread. (How much this helps a concurrent small call is measured by
# tests/bench/run.sh, not here: timings in a test are noise on these machines.)
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf "data = { sbook_rows = 20000; };"
start_sim
ROUTE='{ method = "GET"; path = "/api/v1/sbook"; destination = "sim"; function = "RFC_READ_TABLE";
    bind = ( { to = "QUERY_TABLE"; const = "SBOOK"; }, { to = "ROWCOUNT"; from = "query.rows"; } ); }'
answers() { # convert_threads → files rows10000.<n>, rows5.<n>, fields.<n>
  write_gw_conf "$SIM_PORT"
  sed -i "s/threads = \([0-9]*\);/threads = \1; convert_threads = $1;/" "$WORK/gw.conf"
  add_routes "$ROUTE"
  start_gw
  req GET "/api/v1/sbook?rows=10000"; expect_status 200 "10,000 rows with convert_threads = $1"
  cp "$WORK/body" "$WORK/rows10000.$1"
  req GET "/api/v1/sbook?rows=5"; cp "$WORK/body" "$WORK/rows5.$1"
  req GET "/api/v1/sbook?rows=2000&fields=DATA"; cp "$WORK/body" "$WORK/fields.$1"
  stop_gw
}
answers 0
answers 1
[ "$(jq '.DATA | length' "$WORK/rows10000.1")" = 10000 ] && ok "10,000 rows converted on the work thread" || fail "rows: $(head -c 200 "$WORK/rows10000.1")"
cmp -s "$WORK/rows10000.0" "$WORK/rows10000.1" && ok "same bytes as on the HTTP thread ($(stat -c %s "$WORK/rows10000.1") bytes)" || fail "the work thread's answer differs"
cmp -s "$WORK/rows5.0" "$WORK/rows5.1" && ok "small results: same answer" || fail "small answers differ"
jq -e 'keys == ["DATA"] and (.DATA | length) == 2000' "$WORK/fields.1" >/dev/null && cmp -s "$WORK/fields.0" "$WORK/fields.1" \
  && ok "?fields=DATA applies on the work thread" || fail "fields: $(head -c 200 "$WORK/fields.1")"
grep -q 'convert_threads = 1' "$WORK/gw.conf" && ok "ran with convert_threads = 1" || fail "config"
# ---- request bodies ----
awk -v n=3000 -f "$RFMGW_SOURCE_DIR/tests/bench/structure_body.awk" > "$WORK/rows.json"
BROUTES='{ method = "POST"; path = "/api/v1/structure"; destination = "sim"; function = "STFC_STRUCTURE"; },
  { method = "POST"; path = "/api/v1/changing"; destination = "sim"; function = "STFC_CHANGING";
    bind = ( { to = "START_VALUE"; from = "query.start"; }, { to = "COUNTER"; from = "header.X-Counter"; } ); }'
bodies() { # tag convert_threads convert_body → files b.<case>.<tag>
  local tag=$1
  GW_EXTRA_TOP="limits = { convert_body = $3; };" write_gw_conf "$SIM_PORT"
  sed -i "s/threads = \([0-9]*\);/threads = \1; convert_threads = $2;/" "$WORK/gw.conf"
  add_routes "$BROUTES"
  start_gw
  for i in 1 2; do # the first call describes STFC_STRUCTURE, the second finds it cached
    req POST /api/v1/structure "@$WORK/rows.json"; expect_status 200 "3,000 rows in ($tag, call $i)"
    jq -S 'del(.RESPTEXT)' "$WORK/body" > "$WORK/b.rows$i.$tag"
  done
  req POST /api/v1/structure '{"IMPORTSTRUCT": {"RFCINT4": 1}, "NOPE": 1}'; expect_status 400 "an unknown parameter ($tag)"
  printf '%s' "$BODY" > "$WORK/b.unknown.$tag"
  req POST /api/v1/structure $'{\n  "IMPORTSTRUCT": {"RFCINT4": 1,}\n}'; expect_status 400 "malformed JSON ($tag)"
  jq -c '{detail, line, column}' "$WORK/body" > "$WORK/b.syntax.$tag"
  req POST /api/v1/structure '[1, 2]'; expect_status 400 "not an object ($tag)"
  jq -c .detail "$WORK/body" > "$WORK/b.array.$tag"
  curl -s -X POST -H 'Content-Type: application/json' -H 'X-Counter: 7' --data-binary '{}' \
    "$GW/api/v1/changing?start=35" > "$WORK/b.bound.$tag"
  # batches: step bodies without references are converted before the unit starts (on the work
  # thread when the batch body is large), a step with a reference when its turn comes
  for c in batchok batchbad batchref; do
    curl -s -X POST -H 'Content-Type: application/json' -H 'X-Counter: 7' --data-binary "@$WORK/$c.json" \
      "$GW/api/v1/batch" | jq -S 'del(.results[]?.body.RESPTEXT)' > "$WORK/b.$c.$tag"
  done
  stop_gw
}
jq -c -n --slurpfile b "$WORK/rows.json" '{steps: [{method: "POST", path: "/api/v1/structure", body: $b[0]},
  {method: "POST", path: "/api/v1/changing?start=35", body: {}}]}' > "$WORK/batchok.json"
jq -c -n --slurpfile b "$WORK/rows.json" '{steps: [{method: "POST", path: "/api/v1/changing?start=1", body: {}},
  {method: "POST", path: "/api/v1/structure", body: {IMPORTSTRUCT: {RFCINT4: 1}, NOPE: 1}},
  {method: "POST", path: "/api/v1/structure", body: $b[0]}]}' > "$WORK/batchbad.json"
jq -c -n --slurpfile b "$WORK/rows.json" '{steps: [{method: "POST", path: "/api/v1/structure", body: $b[0]},
  {method: "POST", path: "/api/v1/structure", body: {IMPORTSTRUCT: {RFCINT4: "${0.RFCTABLE.2999.RFCINT4}"}}}]}' > "$WORK/batchref.json"
bodies http 0 262144
bodies work 1 1
grep -q 'convert_body = 1;' "$WORK/gw.conf" && grep -q 'convert_threads = 1;' "$WORK/gw.conf" && ok "ran with convert_body = 1" || fail "config"
n=$(grep -c 'parsed and converted on a work thread' "$WORK/rfmgw.log" || true)
[ "$n" -ge 2 ] && ok "bodies parsed and converted on the work thread ($n)" || fail "no body converted on a work thread"
n=$(grep -c 'batch step bodies converted on a work thread' "$WORK/rfmgw.log" || true)
[ "$n" -eq 3 ] && ok "the three batches' step bodies were converted on the work thread" || fail "batch conversions on a work thread: $n"
for c in rows1 rows2 unknown syntax array bound batchok batchbad batchref; do
  cmp -s "$WORK/b.$c.http" "$WORK/b.$c.work" && ok "body $c: the same answer as on the HTTP thread" \
    || fail "body $c differs: $(head -c 300 "$WORK/b.$c.http") / $(head -c 300 "$WORK/b.$c.work")"
done
jq -e '.RFCTABLE | length == 3001' "$WORK/b.rows2.work" >/dev/null && ok "3,001 rows back" || fail "rows back: $(head -c 200 "$WORK/b.rows2.work")"
jq -e '.RESULT == 42' "$WORK/b.bound.work" >/dev/null && ok "query and header values bound on the work thread" || fail "bound: $(cat "$WORK/b.bound.work")"
jq -e '.committed == true and (.results[0].body.RFCTABLE | length) == 3001 and .results[1].body.RESULT == 42' "$WORK/b.batchok.work" >/dev/null &&
  ok "a batch converted ahead: 3,001 rows back, the step's query and header bound" || fail "batchok: $(head -c 300 "$WORK/b.batchok.work")"
jq -e '.failedStep == 1 and .results[0].status == 200 and .results[2].status == "skipped" and
  .results[1].body.errors[0].pointer == "/steps/1/body/NOPE"' "$WORK/b.batchbad.work" >/dev/null &&
  ok "a step that failed its conversion ahead fails in its turn: the step before ran, the one after is skipped" ||
  fail "batchbad: $(head -c 400 "$WORK/b.batchbad.work")"
jq -e '.results[1].body.ECHOSTRUCT.RFCINT4 == .results[0].body.RFCTABLE[2999].RFCINT4' "$WORK/b.batchref.work" >/dev/null &&
  ok "a step with a reference is converted in its turn" || fail "batchref: $(head -c 300 "$WORK/b.batchref.work")"
grep -q 'line' "$WORK/b.syntax.work" && jq -e '.line == 2' "$WORK/b.syntax.work" >/dev/null && ok "the syntax error keeps its line" || fail "syntax: $(cat "$WORK/b.syntax.work")"
finish
