#!/usr/bin/env bash
# Every file of JSONTestSuite's test_parsing/ (../shared/testdata) as a request body:
# n_ files (must be rejected) get a 4xx problem+json, nothing gets a 5xx, rfmgw never crashes.
source "$(dirname "$0")/lib.sh"
suite="$RFMGW_SOURCE_DIR/../shared/testdata/JSONTestSuite/test_parsing"
if [ ! -d "$suite" ]; then
  echo "SKIP: $suite is absent (it is shared test data, not part of a clone)"
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
fi
make_pki
write_sim_conf
start_sim
write_gw_conf "$SIM_PORT"
start_gw

n_ok=0; n_bad=0; five=0; total=0
for f in "$suite"/*.json; do
  total=$((total + 1))
  name=$(basename "$f")
  req POST /api/v1/connection-test "@$f"
  case "$STATUS" in
    5*|000|"") five=$((five + 1)); echo "# $name → HTTP ${STATUS:-none}: $BODY" ;;
  esac
  if [[ $name == n_* ]]; then
    if [[ $STATUS == 4* ]] && grep -qi '^content-type: application/problem+json' <<<"$HEADERS"; then
      n_ok=$((n_ok + 1))
    else
      n_bad=$((n_bad + 1)); echo "# $name accepted: HTTP $STATUS"
    fi
  fi
done
[ $five -eq 0 ] && ok "no 5xx for $total files" || fail "$five of $total files got a 5xx or no answer"
[ $n_bad -eq 0 ] && ok "all $n_ok n_ files rejected with a 4xx problem+json" || fail "$n_bad n_ files not rejected"
req POST /api/v1/connection-test '{"REQUTEXT":"after the suite"}'
expect_status 200 "rfmgw still serves after the suite"
finish
