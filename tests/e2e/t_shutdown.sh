#!/usr/bin/env bash
# SIGTERM while a large request is still arriving or being converted: it is answered (drained),
# rfmgw exits 0 — regression test for an abort in libmicrohttpd ("MHD_stop_daemon() called while
# we have suspended connections") when shutdown did not wait for requests between two backend jobs.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
write_gw_conf "$SIM_PORT"
add_routes '{ method = "POST"; path = "/api/v1/read"; destination = "sim"; function = "RFC_READ_TABLE"; }'
{ printf '{"QUERY_TABLE":"SCARR","ROWCOUNT":1,"OPTIONS":['
  for i in $(seq 1 28000); do [ $i -gt 1 ] && printf ','; printf '{"TEXT":"CARRID = %sLH%s OR"}' "'" "'"; done
  printf ']}'; } > "$WORK/big.json"
# established TCP connections whose local port is rfmgw's (hex in /proc/net/tcp, state 01)
conns() { awk -v p="$(printf ':%04X' "${GW##*:}")" '$2 ~ p"$" && $4 == "01"' /proc/net/tcp | wc -l; }
for i in 1 2 3; do
  start_gw
  ( curl -s -o /dev/null -w '%{http_code}' --max-time 20 -H 'Content-Type: application/json' \
      --data-binary @"$WORK/big.json" "$GW/api/v1/read" > "$WORK/c.$i" ) &
  cp=$!
  # SIGTERM once the request is on its way (a loaded machine may start curl late)
  for _ in $(seq 1 200); do [ "$(conns)" -gt 0 ] && break; sleep 0.02; done
  sleep 0.05
  kill -TERM "$GW_PID"
  rc=0; wait "$GW_PID" || rc=$?
  wait "$cp" || true
  code=$(cat "$WORK/c.$i")
  [ "$rc" -eq 0 ] && ok "run $i: rfmgw exited 0" || fail "run $i: rfmgw exited $rc: $(grep -E 'Fatal|ERROR' "$WORK/rfmgw.log" | head -2)"
  [ "$code" != "000" ] && [ -n "$code" ] && ok "run $i: the request was answered (HTTP $code)" || fail "run $i: no answer"
  GW_PID=
done
finish
