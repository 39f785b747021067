#!/usr/bin/env bash
# Rate limits and slow clients: a caller over rate_limit.caller_rate gets 429 with Retry-After and
# problem+json while another caller goes on; failed authentications are limited per address; a
# route over route_rate gets 429; a header larger than listen.connection_memory is refused; and
# 500 connections that trickle one byte per second do not keep a normal client from a 200 within
# 1 s. Bounded: the trickle runs 8 s.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
KA=$(openssl rand -hex 24)
KB=$(openssl rand -hex 24)
{
  echo "a:$(printf '%s\n' "$KA" | "$RFMGW_BIN" --hash-api-key)"
  echo "b:$(printf '%s\n' "$KB" | "$RFMGW_BIN" --hash-api-key)"
} > "$WORK/api-keys"
register_secret "$KA" "$KB"
GW_CALLERS='callers = { methods = ( { name = "keys"; type = "api_key"; file = "api-keys"; } ); default = [ "keys" ]; };'
GW_EXTRA_TOP='rate_limit = { caller_rate = 1; caller_burst = 3; };'
write_gw_conf "$SIM_PORT"
start_gw

kreq() { # KEY → $STATUS $HEADERS $BODY
  STATUS=$(curl -s -o "$WORK/l.body" -D "$WORK/l.h" -w '%{http_code}' --max-time 10 -H "X-API-Key: $1" \
    -H 'Content-Type: application/json' --data-binary '{"REQUTEXT":"x"}' "$GW/api/v1/connection-test" || true)
  HEADERS=$(cat "$WORK/l.h"); BODY=$(cat "$WORK/l.body")
}

# burst WHAT OK CAP [KEY...]: requests until the first 429 (at most 8), with the keys in turn
# (none: a wrong key each time). The bucket holds CAP and refills 1 a second, so a loaded machine
# that takes over a second may rightly let more through first. Leaves B_T0 (ns) and B_N (OKs).
burst() {
  local what=$1 want=$2 cap=$3 n=0 i=0 ms prefix=""
  shift 3
  local keys=("$@")
  codes=""
  B_T0=$(date +%s%N)
  for _ in 1 2 3 4 5 6 7 8; do
    if [ ${#keys[@]} -gt 0 ]; then kreq "${keys[i % ${#keys[@]}]}"; else kreq "wrong-key-$RANDOM"; fi
    i=$((i + 1))
    codes="$codes $STATUS"
    [ "$STATUS" = 429 ] && break
    [ "$STATUS" = "$want" ] && n=$((n + 1))
  done
  B_N=$n
  ms=$((($(date +%s%N) - B_T0) / 1000000))
  for _ in $(seq 1 "$cap"); do prefix="$prefix $want"; done
  [ "$STATUS" = 429 ] && [ "${codes#"$prefix"}" != "$codes" ] && [ "$n" -le $((cap + ms / 1000)) ] &&
    ok "$what: a burst of $cap, then 429 ($codes in $ms ms)" || fail "$what: $codes in $ms ms"
}
burst "caller a" 200 3 "$KA"
expect_json '.type == "urn:rfmgw:problem:rate-limited" and .status == 429' "429 is problem+json"
expect_header '^retry-after: [1-9]' "…with Retry-After"
kreq "$KB"
expect_status 200 "caller b is not limited by caller a"
sleep 1.2
kreq "$KA"
expect_status 200 "caller a again after its bucket refilled"
burst "failed authentications from one address" 401 3
kreq "$KB"
# the bucket (3) has a token again only once B_N - 2 seconds have passed since the burst began
ms=$((($(date +%s%N) - B_T0) / 1000000))
if [ "$ms" -lt $(((B_N - 2) * 1000)) ]; then
  expect_status 429 "…and the address waits, even with a valid key"
else
  case $STATUS in
    200 | 429) ok "…the address waited; ${ms} ms after the burst began a token may be back (HTTP $STATUS)" ;;
    *) fail "a valid key ${ms} ms after the failed burst: HTTP $STATUS" ;;
  esac
fi
stop_gw

# ---- per route ----
GW_EXTRA_TOP='rate_limit = { route_rate = 1; route_burst = 2; };'
write_gw_conf "$SIM_PORT"
start_gw
burst "route over route_rate, whoever calls" 200 2 "$KA" "$KB"
curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $KA" "$GW/api/v1/ping" > "$WORK/ping.code" || true
[ "$(cat "$WORK/ping.code")" = 200 ] && ok "another route has its own bucket" || fail "ping: $(cat "$WORK/ping.code")"
stop_gw

# ---- headers, slow clients ----
GW_EXTRA_TOP=''
write_gw_conf "$SIM_PORT"
sed -i 's/threads = \([0-9]*\); };/threads = \1; connection_memory = 8192; timeout_s = 30; };/' "$WORK/gw.conf"
start_gw
big=$(head -c 12000 /dev/zero | tr '\0' 'a')
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "X-Big: $big" -H "X-API-Key: $KA" "$GW/api/v1/ping" || true)
case $code in 413|414|431) ok "a 12 KB header over connection_memory is refused ($code)" ;; *) fail "a 12 KB header: HTTP $code" ;; esac
kreq "$KA"
expect_status 200 "the gateway serves on after it"

port=${GW##*:}
python3 - "$port" > "$WORK/trickle.log" 2>&1 <<'EOF' &
import socket, sys, time
port = int(sys.argv[1])
socks = []
for _ in range(500):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setblocking(False)
    socks.append(s)
print("connected", len(socks), flush=True)
line = b"POST /api/v1/connection-test HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 64
for i in range(8):  # one byte per second on each connection, for 8 s
    alive = 0
    for s in socks:
        try:
            s.send(line[i:i + 1]); alive += 1
        except OSError:
            pass
    print("second", i, "alive", alive, flush=True)
    time.sleep(1)
EOF
TRICKLE=$!
PIDS+=("$TRICKLE")
for _ in $(seq 1 100); do grep -q connected "$WORK/trickle.log" && break; sleep 0.1; done
grep -q "connected 500" "$WORK/trickle.log" && ok "500 slow connections open" || fail "slow connections: $(cat "$WORK/trickle.log")"
worst=0
for _ in 1 2 3 4 5; do
  sleep 0.8
  t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 -H "X-API-Key: $KA" \
      -H 'Content-Type: application/json' --data-binary '{"REQUTEXT":"normal"}' "$GW/api/v1/connection-test" || true)
  code=${t% *}; secs=${t#* }
  ms=$(awk -v s="$secs" 'BEGIN { printf "%d", s * 1000 }')
  [ "$ms" -gt "$worst" ] && worst=$ms
  [ "$code" = 200 ] || fail "a normal request during the trickle: HTTP $code"
done
grep -q "alive 500" "$WORK/trickle.log" && ok "…all 500 were still trickling" || fail "the slow connections did not stay: $(tail -3 "$WORK/trickle.log")"
[ "$worst" -lt 1000 ] && ok "a normal client got its 200s within 1 s each (worst ${worst} ms)" || fail "worst normal request: ${worst} ms"
wait "$TRICKLE" 2>/dev/null || true
stop_gw

# ---- connections per client address ----
write_gw_conf "$SIM_PORT"
sed -i 's/threads = \([0-9]*\); };/threads = \1; per_ip_connection_limit = 3; };/' "$WORK/gw.conf"
start_gw
port=${GW##*:}
python3 - "$port" "$GW" "$KA" > "$WORK/perip.log" 2>&1 <<'EOP'
import socket, subprocess, sys, time
port, gw, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(3)]
def code():
    return subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5",
                           "-H", "X-API-Key: " + key, gw + "/api/v1/ping"],
                          capture_output=True, text=True).stdout
time.sleep(0.2)
print("with 3 held:", code(), flush=True)
held.pop().close()
for _ in range(25):  # until rfmgw has seen the close (a loaded machine takes a while)
    c = code()
    if c == "200":
        break
    time.sleep(0.2)
print("with 2 held:", c, flush=True)
EOP
grep -q "with 3 held: 000" "$WORK/perip.log" && ok "a 4th connection from one address is refused" || fail "per-IP limit: $(cat "$WORK/perip.log")"
grep -q "with 2 held: 200" "$WORK/perip.log" && ok "…and served once one closed" || fail "per-IP limit: $(cat "$WORK/perip.log")"
finish
