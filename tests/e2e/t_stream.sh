#!/usr/bin/env bash
# Streaming large tables as NDJSON: STREAM_ROWS (default 200,000) SBOOK rows through rfmgw with
# bounded memory, backpressure from a slow client back to abapsim, a reader that sleeps instead
# of spinning, the Accept header, and the final line after a failure.
source "$(dirname "$0")/lib.sh"
ROWS=${STREAM_ROWS:-200000}
# Memory is measured on a build without sanitizers when there is one (ASan keeps freed memory).
MEASURE_MEM=0
if [ -n "${RFMGW_RELEASE_BIN:-}" ] && [ -x "$RFMGW_RELEASE_BIN" ]; then
  RFMGW_BIN=$RFMGW_RELEASE_BIN; MEASURE_MEM=1
else
  echo "# RFMGW_RELEASE_BIN not built: memory growth is not measured (ASan keeps freed memory)"
fi
make_pki
write_sim_conf "data = { sbook_rows = $ROWS; };"
rm -f "$WORK/sim.port" "$WORK/admin.port"
"$ABAPSIM_BIN" -c "$WORK/sim.conf" --ready-file "$WORK/sim.port" --admin-port 0 \
  --admin-ready-file "$WORK/admin.port" >>"$WORK/abapsim.log" 2>&1 &
SIM_PID=$!; PIDS+=("$SIM_PID")
wait_file "$WORK/sim.port" "$SIM_PID" abapsim
wait_file "$WORK/admin.port" "$SIM_PID" abapsim
SIM_PORT=$(cat "$WORK/sim.port")
ADMIN="http://127.0.0.1:$(cat "$WORK/admin.port")"
GW_CALL_TIMEOUT_MS=120000
write_gw_conf "$SIM_PORT" "" "" 'pool = { max = 4; };'
sed -i 's/threads = \([0-9]*\);/threads = \1; drain_timeout_ms = 1000;/' "$WORK/gw.conf" # for step 5
add_routes '{ method = "GET"; path = "/api/v1/sbook"; destination = "sim"; function = "RFC_READ_TABLE";
    bind = ( { to = "QUERY_TABLE"; const = "SBOOK"; },
             { to = "ROWCOUNT"; from = "query.rows"; default = "0"; } );
    result = { stream = true; stream_table = "DATA"; }; },
  { method = "POST"; path = "/api/v1/read"; destination = "sim"; function = "RFC_READ_TABLE";
    read_only = true; result = { stream_table = "DATA"; }; },
  { method = "POST"; path = "/api/v1/read-any"; destination = "sim"; function = "RFC_READ_TABLE";
    read_only = true; },
  { method = "GET"; path = "/api/v1/sbook-slow"; destination = "sim"; function = "RFC_READ_TABLE";
    timeout_ms = 1500;
    bind = ( { to = "QUERY_TABLE"; const = "SBOOK"; } );
    result = { stream = true; stream_table = "DATA"; }; }'
start_gw
req POST /api/v1/connection-test '{"REQUTEXT":"warm"}'
expect_status 200 "warm-up call"

mem() { awk '/^VmHWM/ {print $2}' "/proc/$GW_PID/status"; }   # peak RSS, KiB
cpu() { awk '{print $14 + $15}' "/proc/$GW_PID/stat"; }       # utime + stime, ticks
parts() { curl -s "$ADMIN/stats" | jq .result_parts; }

# 1. every row, one JSON object per line, between the @head and @end lines
hwm0=$(mem)
t0=$(date +%s%N)
curl -s -S --max-time 100 -D "$WORK/s.hdr" "$GW/api/v1/sbook" -o "$WORK/s.ndjson"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
hwm1=$(mem)
lines=$(wc -l < "$WORK/s.ndjson")
[ "$lines" -eq $((ROWS + 2)) ] && ok "$ROWS rows in $ms ms as $lines lines" || fail "got $lines lines for $ROWS rows"
grep -qi '^content-type: application/x-ndjson' "$WORK/s.hdr" && ok "Content-Type application/x-ndjson" || fail "content type: $(cat "$WORK/s.hdr")"
grep -qi '^transfer-encoding: chunked' "$WORK/s.hdr" && ok "chunked transfer" || fail "not chunked"
head -n 1 "$WORK/s.ndjson" | jq -e '."@head".FIELDS | length > 5' >/dev/null && ok "first line: @head with the FIELDS table" || fail "head: $(head -c 300 "$WORK/s.ndjson")"
tail -n 1 "$WORK/s.ndjson" | jq -e --argjson n "$ROWS" '."@end".rows == $n' >/dev/null && ok "last line: @end with rows = $ROWS" || fail "end: $(tail -n 1 "$WORK/s.ndjson")"
bad=$(sed '1d;$d' "$WORK/s.ndjson" | jq -c 'select((.WA | type) != "string" or (keys | length) != 1)' | wc -l)
[ "$bad" -eq 0 ] && ok "every row line is one {\"WA\": …} object" || fail "$bad row lines are not rows"
first=$(sed -n 2p "$WORK/s.ndjson" | jq -r .WA | cut -c1-3)
[ "$first" = 100 ] && ok "rows start with client 100 (MANDT)" || fail "first row: $(sed -n 2p "$WORK/s.ndjson")"
if [ $MEASURE_MEM = 1 ]; then
  grow=$(( (hwm1 - hwm0) / 1024 ))
  [ $grow -lt 32 ] && ok "rfmgw peak RSS grew by $grow MiB (to $((hwm1 / 1024)) MiB) for $ROWS rows ($(( $(stat -c %s "$WORK/s.ndjson") / 1048576 )) MiB of NDJSON)" \
    || fail "rfmgw peak RSS grew by $grow MiB (limit 32 MiB)"
fi

# the request's log line is written when the stream has ended, with the whole body's size
size=$(stat -c %s "$WORK/s.ndjson")
for _ in $(seq 1 50); do grep -q "access: GET /api/v1/sbook → 200" "$WORK/rfmgw.log" && break; sleep 0.1; done
line=$(grep "access: GET /api/v1/sbook → 200" "$WORK/rfmgw.log" | tail -n 1)
logged=$(sed -E 's/.* out ([0-9]+) B .*/\1/' <<<"$line")
logged_ms=$(sed -E 's/.*RFC_READ_TABLE@sim ([0-9.]+) ms.*/\1/' <<<"$line")
[ "$logged" = "$size" ] && ok "the log line counts the whole stream: out $logged B, ${logged_ms} ms" \
  || fail "log line for the stream: '$line' (body $size B)"

# 2. Accept: application/x-ndjson on a route that answers JSON otherwise
SCARR='{"QUERY_TABLE":"SCARR","FIELDS":[{"FIELDNAME":"CARRID"}]}'
curl -s -S --max-time 30 -H 'Accept: application/x-ndjson' -H 'Content-Type: application/json' \
  --data "$SCARR" "$GW/api/v1/read" -o "$WORK/a.ndjson"
n=$(wc -l < "$WORK/a.ndjson")
req POST /api/v1/read "$SCARR"
nd=$(printf '%s' "$BODY" | jq '.DATA | length')
[ "$n" -eq $((nd + 2)) ] && [ "$nd" -gt 0 ] && ok "Accept: application/x-ndjson streams DATA ($nd rows, $n lines); without it one JSON object" \
  || fail "accept: $n lines vs $nd rows"
STATUS=$(curl -s --max-time 10 -o "$WORK/b" -w '%{http_code}' -H 'Accept: application/x-ndjson' \
  -H 'Content-Type: application/json' --data "$SCARR" "$GW/api/v1/read-any"); BODY=$(cat "$WORK/b")
expect_status 406 "NDJSON asked of a route whose result has several tables and no stream_table"
expect_json '.detail | test("more than one table")' "the 406 says why"

# 3. a client reading at 100 KiB/s (10 KiB every 100 ms from a raw socket): rfmgw stops reading
#    from abapsim (so abapsim stops producing), its memory stays bounded and the response reader
#    sleeps instead of spinning
slow_reader() { # seconds
  exec 3<>"/dev/tcp/127.0.0.1/${GW##*:}"
  printf 'GET /api/v1/sbook HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' >&3
  for _ in $(seq 1 $(($1 * 10))); do dd bs=10240 count=1 iflag=fullblock <&3 2>/dev/null; sleep 0.1; done
  exec 3<&-
}
p0=$(parts); hwm0=$(mem)
slow_reader 12 > "$WORK/slow.ndjson" &
slow=$!
# abapsim produces until the socket buffers on the way are full (their size grows with load and
# kernel autotuning), then at the reader's pace (a part of 256 KiB every ~2.5 s): wait for 2 s
# without a new part, at most 9 s. Without backpressure it would have produced the whole result
# by then; with it, far less than half (on a loaded machine the parts may still trickle in).
last=-1; still=0; t=0; c1=0; stable=-1
while [ $t -lt 18 ]; do
  sleep 0.5; t=$((t + 1)); p=$(parts)
  if [ "$p" = "$last" ]; then still=$((still + 1)); else still=0; last=$p; c1=$(cpu); fi
  if [ $still -ge 4 ]; then stable=$((p - p0)); break; fi
done
c2=$(cpu); hwm1=$(mem)
kill $slow 2>/dev/null || true
wait $slow 2>/dev/null || true
total=$(( $(stat -c %s "$WORK/s.ndjson") / 262144 ))
got=$(stat -c %s "$WORK/slow.ndjson")
echo "# slow reader: abapsim stopped after $stable parts (the whole result: about $total) at $((t / 2)) s; client read $((got / 1024)) KiB; rfmgw CPU while stopped: $((c2 - c1)) ticks"
[ $((last - p0)) -lt $((total / 2)) ] \
  && ok "backpressure reaches abapsim: it produced $((last - p0)) of about $total parts while the client read 100 KiB/s" \
  || fail "abapsim did not stop producing for a 100 KiB/s reader (parts: $((last - p0)) of about $total after $((t / 2)) s)"
[ $((c2 - c1)) -lt 25 ] && ok "rfmgw used $((c2 - c1)) ticks of CPU in 2 s of slow reading (no busy loop)" \
  || fail "rfmgw used $((c2 - c1)) ticks of CPU in 2 s of slow reading"
if [ $MEASURE_MEM = 1 ]; then
  grow=$(( (hwm1 - hwm0) / 1024 ))
  [ $grow -lt 32 ] && ok "peak RSS grew by $grow MiB with a slow reader" || fail "peak RSS grew by $grow MiB with a slow reader"
fi
# the client went away: rfmgw gives the session up and the next call works
sleep 0.3
req POST /api/v1/connection-test '{"REQUTEXT":"after"}'
expect_status 200 "a call after an abandoned stream"

# 4. a failure after the first rows ends the stream with an @error line (here: the route's
#    1.5 s timeout, too short for the whole table read at 4 MiB/s)
curl -s --max-time 30 --limit-rate 4M "$GW/api/v1/sbook-slow" -o "$WORK/err.ndjson" 2>/dev/null || true
head -n 1 "$WORK/err.ndjson" | jq -e '."@head"' >/dev/null && ok "the failed stream began with @head" || fail "failed stream head: $(head -c 200 "$WORK/err.ndjson")"
tail -n 1 "$WORK/err.ndjson" | jq -e '."@error".status == 504 and (."@error".type | endswith("backend-timeout"))' >/dev/null \
  && ok "last line of the failed stream: @error with the problem (504 backend-timeout) after $(( $(wc -l < "$WORK/err.ndjson") - 2 )) rows" \
  || fail "failed stream ends with: $(tail -c 300 "$WORK/err.ndjson")"
grep -q '"@end"' "$WORK/err.ndjson" && fail "a failed stream must not say @end" || ok "no @end line in the failed stream"

# 5. SIGTERM while a slow client is in the middle of a stream: rfmgw ends the stream with @error
#    and exits cleanly (no abort on a suspended connection)
slow_reader 6 > "$WORK/term.ndjson" &
slow=$!
for _ in $(seq 1 100); do [ -s "$WORK/term.ndjson" ] && break; sleep 0.1; done
stop_gw
kill $slow 2>/dev/null || true
wait $slow 2>/dev/null || true
head -c 9 "$WORK/term.ndjson" | grep -q 'HTTP/1.1' && ok "the stream had begun when SIGTERM came" || fail "term: $(head -c 200 "$WORK/term.ndjson")"

finish
