#!/usr/bin/env bash
# GET /metrics in Prometheus text format: requests by route and status, latency histograms by
# route and by phase, pool gauges per destination; checked with promtool when it is installed.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
write_gw_conf "$SIM_PORT"
start_gw
for _ in 1 2 3; do req POST /api/v1/connection-test '{"REQUTEXT":"m"}'; done
req POST /api/v1/connection-test '{"NOPE":1}'
req GET /nowhere
req GET /healthz

curl -s -D "$WORK/mh" -o "$WORK/metrics" "$GW/metrics"
grep -qi '^content-type: text/plain; version=0.0.4' "$WORK/mh" && ok "Prometheus text format" || fail "content type: $(cat "$WORK/mh")"
m() { grep -c "$1" "$WORK/metrics" || true; }
grep -q '^rfmgw_http_requests_total{route="POST /api/v1/connection-test",status="200"} 3$' "$WORK/metrics" \
  && ok "3 successful connection-tests counted" || fail "$(grep requests_total "$WORK/metrics")"
grep -q '^rfmgw_http_requests_total{route="POST /api/v1/connection-test",status="400"} 1$' "$WORK/metrics" \
  && ok "the 400 counted apart" || fail "no 400 row"
grep -q '^rfmgw_http_requests_total{route="unmatched",status="404"} 1$' "$WORK/metrics" \
  && ok "unmatched paths share one label (bounded cardinality)" || fail "no unmatched row"
grep -q '^rfmgw_http_request_duration_seconds_count{route="POST /api/v1/connection-test"} 4$' "$WORK/metrics" \
  && ok "duration histogram by route" || fail "no duration count"
[ "$(m '^rfmgw_request_phase_seconds_count{phase="backend"} [1-9]')" -eq 1 ] && ok "backend phase histogram" || fail "no backend phase"
grep -q '^rfmgw_pool_sessions{destination="sim"} 1$' "$WORK/metrics" && ok "pool gauge per destination" || fail "$(grep pool_sessions "$WORK/metrics")"
grep -q 'Test-Passw0rd\|Authorization' "$WORK/metrics" && fail "a secret in /metrics" || ok "no secrets in /metrics"
if command -v promtool >/dev/null; then
  promtool check metrics < "$WORK/metrics" > "$WORK/promtool.out" 2>&1 && ok "promtool check metrics" \
    || fail "promtool: $(cat "$WORK/promtool.out")"
else
  echo "# promtool not installed: format check skipped"
fi
finish
