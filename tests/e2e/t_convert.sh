#!/usr/bin/env bash
# Large results are turned into JSON on a work thread (listen.convert_threads, limits.convert_rows):
# the answer is byte for byte the one the HTTP thread writes, ?fields= applies, and small results
# stay on the HTTP thread. (How much this helps a concurrent small call is measured by
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
finish
