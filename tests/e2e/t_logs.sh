#!/usr/bin/env bash
# Request logs: with log.format = "json" every line rfmgw writes is one JSON object, and each
# answered request has a line with the documented fields and the right values (ids, trace id,
# caller, route, function, destination, status, problem, durations, bytes); secrets never
# appear. log.format = "text" writes one readable line per request that a crafted path cannot
# split; log.requests = false turns the lines off; a bad log.format is a config error.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
GW_EXTRA_TOP='log = { format = "json"; };' write_gw_conf "$SIM_PORT"
start_gw

tp="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
register_secret c2VjcmV0LXZhbHVl # the Authorization header sent below
body='{"REQUTEXT":"logged"}'
out=$(curl -s -o "$WORK/ok.json" -w '%{http_code} %{size_download}' -H "X-Request-Id: log-ok-1" \
  -H "traceparent: $tp" -H "Authorization: Basic c2VjcmV0LXZhbHVl" --json "$body" \
  "$GW/api/v1/connection-test")
[ "${out%% *}" = 200 ] && ok "the logged call answered 200" || fail "logged call: $out"
size_ok=${out##* }
curl -s -o /dev/null -H "X-Request-Id: log-bad-1" --json '{"NOPE":1}' "$GW/api/v1/connection-test"
curl -s -o /dev/null -H "X-Request-Id: log-health" "$GW/healthz"
curl -s -o /dev/null -H "X-Request-Id: log-502" --json '{}' "$GW/api/v1/missing"
curl -s -o /dev/null -H "X-Request-Id: log-odd" "$GW/odd%22path%0A%7B%22x%22:1%7D%FF"
# a SIGHUP reload logs a multi-line error text: still one JSON object per line
printf 'routes = ( { method = "GET" } );\n' > "$WORK/routes.conf"
kill -HUP "$GW_PID"
for _ in $(seq 1 50); do grep -q 'keeping the running one' "$WORK/rfmgw.log" && break; sleep 0.1; done
stop_gw

log="$WORK/rfmgw.log"
total=$(wc -l < "$log")
good=$(jq -R -r 'try (fromjson | if type == "object" and (.time | type) == "string" and (.level | type) == "string"
                      and (.module | type) == "string" then "good" else "bad" end) catch "bad"' "$log" | grep -c '^good$' || true)
[ "$total" -gt 10 ] && [ "$good" -eq "$total" ] && ok "all $total lines are JSON objects with time, level, module" \
  || fail "$good of $total lines are JSON log objects: $(jq -R -r 'try (fromjson | empty) catch .' "$log" | head -3)"

line() { jq -c --arg id "$1" 'select(.msg == "request" and .requestId == $id)' "$log"; }
check() { # request-id jq-filter what
  local l
  l=$(line "$1")
  if [ "$(printf '%s\n' "$l" | grep -c .)" -eq 1 ] && printf '%s' "$l" | jq -e "$2" >/dev/null 2>&1; then ok "$3"
  else fail "$3: '$2' is not true of: $l"; fi
}
check log-ok-1 '.module == "access" and .level == "info" and .program == "rfmgw"
  and (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"))' \
  "one request line, level info, ISO 8601 UTC time"
check log-ok-1 '.traceId == "4bf92f3577b34da6a3ce929d0e0e4736" and .caller == "anonymous"' \
  "trace id from traceparent; caller anonymous (a callers method of type none)"
check log-ok-1 '.method == "POST" and .path == "/api/v1/connection-test" and .route == "POST /api/v1/connection-test"
  and .function == "STFC_CONNECTION" and .destination == "sim" and .status == 200 and .problem == null' \
  "method, path, route, function, destination, status"
check log-ok-1 '([.totalMs, .queueMs, .backendMs, .serializeMs] | all(type == "number" and . >= 0))
  and .totalMs >= .backendMs and .totalMs >= .queueMs and .totalMs < 10000' \
  "durations: total, queue wait, backend, serialization in ms"
check log-ok-1 ".bytesIn == ${#body} and .bytesOut == $size_ok" "bytes in ($((${#body}))) and out ($size_ok)"
check log-bad-1 '.status == 400 and .problem == "invalid-parameters" and .backendMs == null and .queueMs == null
  and .function == "STFC_CONNECTION" and .traceId == null' "a 400: its problem type; no backend phase"
check log-health '.route == "GET /healthz" and .function == null and .destination == null and .status == 200
  and .bytesIn == 0 and .bytesOut == 15' "a built-in endpoint: no function, no destination"
check log-502 '.status == 502 and .level == "warn" and .problem == "function-not-found" and .backendMs >= 0' \
  "a 5xx answer is logged at level warn"
check log-odd '.status == 404 and .route == "unmatched" and (.path | startswith("/odd\"path\n{\"x\":1}"))' \
  "a path with quotes, a newline and invalid UTF-8 stays inside its JSON string"
jq -e -s 'map(select(.msg | test("keeping the running one"))) | length == 1' "$log" >/dev/null \
  && ok "a multi-line message is one JSON string" || fail "reload error not found as one object"
if grep -q 'Test-Passw0rd\|c2VjcmV0LXZhbHVl\|Authorization' "$log"; then fail "a secret or the Authorization header in the log"
else ok "no password, no Authorization header in the log"; fi

# text: one line per request for a person; a crafted path cannot start a line of its own
write_gw_conf "$SIM_PORT"
: > "$WORK/rfmgw.log"
start_gw
curl -s -o /dev/null -H "X-Request-Id: log-text-1" -H "traceparent: $tp" --json "$body" "$GW/api/v1/connection-test"
curl -s -o /dev/null "$GW/x%0A2026-01-01T00:00:00.000Z%20rfmgw%20error%20fake:%20injected"
stop_gw
grep -qE ' rfmgw info  access: POST /api/v1/connection-test → 200 STFC_CONNECTION@sim [0-9.]+ ms \(queue [0-9.]+, backend [0-9.]+, serialize [0-9.]+\) in 21 B out [0-9]+ B id log-text-1 caller anonymous trace 4bf92f3577b34da6a3ce929d0e0e4736$' "$WORK/rfmgw.log" \
  && ok "text: a readable request line" || fail "text line: $(grep access: "$WORK/rfmgw.log" | head -2)"
grep -q '^2026-01-01T00:00:00.000Z rfmgw error fake' "$WORK/rfmgw.log" && fail "a path started a log line" \
  || ok "text: control characters in a path are replaced"

# log.requests = false: no request lines
GW_EXTRA_TOP='log = { requests = false; };' write_gw_conf "$SIM_PORT"
: > "$WORK/rfmgw.log"
start_gw
curl -s -o /dev/null --json "$body" "$GW/api/v1/connection-test"
stop_gw
grep -q 'access:' "$WORK/rfmgw.log" && fail "request lines with log.requests = false" || ok "log.requests = false: no request lines"

GW_EXTRA_TOP='log = { format = "yaml"; };' write_gw_conf "$SIM_PORT"
rc=0; "$RFMGW_BIN" --check-config -c "$WORK/gw.conf" > "$WORK/err.txt" 2>&1 || rc=$?
[ $rc -eq 2 ] && grep -q 'gw.conf:[0-9]*: log.format must be text or json' "$WORK/err.txt" \
  && ok "a bad log.format is refused with file:line" || fail "bad log.format: rc=$rc $(cat "$WORK/err.txt")"
rc=0; "$RFMGW_BIN" --log-format xml --check-config -c "$WORK/gw.conf" > "$WORK/err.txt" 2>&1 || rc=$?
[ $rc -eq 2 ] && grep -q 'log-format must be text or json' "$WORK/err.txt" && ok "a bad --log-format is refused" \
  || fail "--log-format xml: rc=$rc $(cat "$WORK/err.txt")"
finish
