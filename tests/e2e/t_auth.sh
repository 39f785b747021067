#!/usr/bin/env bash
# Caller authentication fails closed: no credentials, a wrong API key, a wrong password, an
# expired JWT, a wrong audience, a bad signature, alg none and an HS256 token signed with the
# RS256 public key are 401 with WWW-Authenticate; a valid caller without the route's scope is
# 403; none of them reaches the backend (abapsim's call log). Valid API keys, Basic users (with
# the verified-credentials cache) and RS256/HS256 tokens get through; Idempotency-Keys are kept
# per caller; `none` is refused on a non-loopback listener; no secret reaches the log.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
# jwt ALG HEADER-JSON CLAIMS-JSON: signs with $WORK/jwt.key (RS256) or the hex key $HSKEY (HS256)
jwt() {
  local h p s
  h=$(printf '%s' "$2" | b64url)
  p=$(printf '%s' "$3" | b64url)
  case $1 in
    RS256) s=$(printf '%s.%s' "$h" "$p" | openssl dgst -sha256 -sign "$WORK/jwt.key" -binary | b64url) ;;
    HS256) s=$(printf '%s.%s' "$h" "$p" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$HSKEY" -binary | b64url) ;;
    none) s= ;;
  esac
  printf '%s.%s.%s' "$h" "$p" "$s"
}
hex() { od -An -tx1 | tr -d ' \n'; }

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/jwt.key" 2>/dev/null
openssl pkey -in "$WORK/jwt.key" -pubout -out "$WORK/jwt-pub.pem"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/other.key" 2>/dev/null
KEY_GOOD=$(openssl rand -hex 24)
KEY_NOSCOPE=$(openssl rand -hex 24)
KEY_WRONG=$(openssl rand -hex 24)
USER_PW='Alice-Passw0rd-e2e'
HS_SECRET=$(openssl rand -hex 24)
export RFMGW_TEST_HS_SECRET=$HS_SECRET
{
  echo "# name:hash:scopes"
  echo "mobile:$(printf '%s\n' "$KEY_GOOD" | "$RFMGW_BIN" --hash-api-key):stfc,other"
  echo "reporting:$(printf '%s\n' "$KEY_NOSCOPE" | "$RFMGW_BIN" --hash-api-key)"
} > "$WORK/api-keys"
register_secret "$KEY_GOOD" "$KEY_NOSCOPE" "$KEY_WRONG" "$USER_PW" "$HS_SECRET"
{
  echo "alice:$(printf '%s\n' "$USER_PW" | "$RFMGW_BIN" --hash-password --iterations 20000):stfc"
  # bob's hash is deliberately slow, so the cache of verified credentials shows in the timings
  echo "bob:$(printf '%s\n' "$USER_PW" | "$RFMGW_BIN" --hash-password --iterations 500000):stfc"
  # carol's is slower still: other calls must be answered while it runs, however loaded the machine
  echo "carol:$(printf '%s\n' "$USER_PW" | "$RFMGW_BIN" --hash-password --iterations 2500000):stfc"
} > "$WORK/users"
chmod 644 "$WORK/users" # readable by everyone: rfmgw must warn

GW_CALLERS='callers = {
  methods = (
    { name = "keys"; type = "api_key"; file = "api-keys"; },
    { name = "staff"; type = "basic"; file = "users"; cache_ttl_s = 60; },
    { name = "idp"; type = "jwt"; algorithm = "RS256"; key_file = "jwt-pub.pem";
      issuer = "test-idp"; audience = "rfmgw"; leeway_s = 5; },
    { name = "hs"; type = "jwt"; algorithm = "HS256"; secret = "${RFMGW_TEST_HS_SECRET}"; audience = "rfmgw"; }
  );
  default = [ "keys", "staff", "idp", "hs" ];
};'
write_gw_conf "$SIM_PORT"
add_routes '  { method = "POST"; path = "/api/v1/scoped"; destination = "sim"; function = "STFC_CONNECTION"; scopes = [ "stfc" ]; },
  { method = "POST"; path = "/api/v1/keys-only"; destination = "sim"; function = "STFC_CONNECTION"; auth = [ "keys" ]; }'
start_gw

# areq METHOD PATH BODY [curl args…] → $STATUS $BODY $HEADERS
areq() {
  local method=$1 path=$2 body=$3
  shift 3
  local out="$WORK/a.$BASHPID"
  STATUS=$(curl -s -o "$out" -D "$out.h" -w '%{http_code}' --max-time 10 -X "$method" "$@" \
           -H 'Content-Type: application/json' --data-binary "$body" "$GW$path" || true)
  BODY=$(cat "$out" 2>/dev/null || true); HEADERS=$(cat "$out.h" 2>/dev/null || true)
}
calls() { grep -c 'CALL STFC_CONNECTION' "$WORK/abapsim.log" || true; }
B='{"REQUTEXT":"hi"}'
now=$(date +%s)
CLAIMS_OK="{\"sub\":\"u-17\",\"iss\":\"test-idp\",\"aud\":[\"other\",\"rfmgw\"],\"exp\":$((now + 300)),\"scope\":\"read stfc\"}"
HDR_RS='{"alg":"RS256","typ":"JWT"}'
TOK_OK=$(jwt RS256 "$HDR_RS" "$CLAIMS_OK")
register_secret "$TOK_OK" $(grep -v -- '-----' "$WORK/jwt.key")

# ---- the refusals: 401 or 403, and the backend never sees them ----
before=$(calls)
areq POST /api/v1/scoped "$B"
expect_status 401 "no credentials"
expect_json '.type == "urn:rfmgw:problem:unauthenticated" and .detail == "no credentials"' "problem+json says why"
expect_header '^www-authenticate: ApiKey header="X-API-Key", Basic realm="rfmgw".*, Bearer realm="rfmgw"' "WWW-Authenticate lists the accepted schemes"
areq POST /api/v1/scoped "$B" -H "X-API-Key: $KEY_WRONG"
expect_status 401 "a wrong API key"
expect_json '.detail == "unknown API key in X-API-Key"' "…named as such"
areq POST /api/v1/scoped "$B" -u "alice:wrong-password"
expect_status 401 "a wrong password"
areq POST /api/v1/scoped "$B" -u "mallory:$USER_PW"
expect_status 401 "an unknown user"
areq POST /api/v1/scoped "$B" -H "Authorization: Bearer $(jwt RS256 "$HDR_RS" "{\"sub\":\"u\",\"iss\":\"test-idp\",\"aud\":\"rfmgw\",\"exp\":$((now - 60)),\"scope\":\"stfc\"}")"
expect_status 401 "an expired JWT"
expect_json '.detail | test("expired")' "…says expired"
expect_header '^www-authenticate: .*Bearer realm="rfmgw", error="invalid_token"' "…with error=invalid_token"
areq POST /api/v1/scoped "$B" -H "Authorization: Bearer $(jwt RS256 "$HDR_RS" "{\"sub\":\"u\",\"iss\":\"test-idp\",\"aud\":\"someone-else\",\"exp\":$((now + 300)),\"scope\":\"stfc\"}")"
expect_status 401 "a JWT for another audience"
expect_json '.detail | test("audience")' "…says audience"
areq POST /api/v1/scoped "$B" -H "Authorization: Bearer $(jwt RS256 "$HDR_RS" "{\"sub\":\"u\",\"iss\":\"evil\",\"aud\":\"rfmgw\",\"exp\":$((now + 300)),\"scope\":\"stfc\"}")"
expect_status 401 "a JWT from another issuer"
forged=$(jwt RS256 "$HDR_RS" "$CLAIMS_OK")
forged="${forged%.*}.$(printf 'x.y' | openssl dgst -sha256 -sign "$WORK/other.key" -binary | b64url)"
areq POST /api/v1/scoped "$B" -H "Authorization: Bearer $forged"
expect_status 401 "a JWT signed by another key"
expect_json '.detail | test("bad signature")' "…bad signature"
tampered="$(printf '%s' "{\"sub\":\"admin\",\"iss\":\"test-idp\",\"aud\":\"rfmgw\",\"exp\":$((now + 300)),\"scope\":\"stfc\"}" | b64url)"
IFS=. read -r th _ ts <<<"$TOK_OK"
areq POST /api/v1/scoped "$B" -H "Authorization: Bearer $th.$tampered.$ts"
expect_status 401 "a JWT whose claims were changed after signing"
areq POST /api/v1/scoped "$B" -H "Authorization: Bearer $(jwt none '{"alg":"none","typ":"JWT"}' "$CLAIMS_OK")"
expect_status 401 "alg none"
HSKEY=$(hex < "$WORK/jwt-pub.pem")
areq POST /api/v1/scoped "$B" -H "Authorization: Bearer $(jwt HS256 '{"alg":"HS256","typ":"JWT"}' "$CLAIMS_OK")"
expect_status 401 "HS256 signed with the RS256 public key (algorithm confusion)"
areq POST /api/v1/scoped "$B" -H "Authorization: Bearer not.a-token"
expect_status 401 "garbage in the bearer token"
areq POST /api/v1/scoped "$B" -H "X-API-Key: $KEY_NOSCOPE"
expect_status 403 "a valid key without the route's scope"
expect_json '.type == "urn:rfmgw:problem:forbidden" and .detail == "missing scope: stfc"' "…names the missing scope"
areq POST /api/v1/scoped "$B" -H "Authorization: Bearer $(jwt RS256 "$HDR_RS" "{\"sub\":\"u\",\"iss\":\"test-idp\",\"aud\":\"rfmgw\",\"exp\":$((now + 300)),\"scope\":\"read\"}")"
expect_status 403 "a valid JWT without the scope"
areq POST /api/v1/keys-only "$B" -H "Authorization: Bearer $TOK_OK"
expect_status 401 "a valid JWT on a route that takes API keys only"
areq POST /api/v1/scoped "$B" -H "X-API-Key: $KEY_WRONG" -u "alice:$USER_PW"
expect_status 401 "a wrong key is not excused by a right password"
areq POST /api/v1/nowhere "$B"
expect_status 401 "an unknown path asks for credentials first"
areq GET /metrics ""
expect_status 401 "/metrics needs a caller unless public_metrics"
areq POST /api/v1/batch '{"steps":[{"method":"POST","path":"/api/v1/scoped","body":{}}]}' -H "X-API-Key: $KEY_NOSCOPE"
expect_status 403 "a batch step needs its route's scope"
[ "$(calls)" -eq "$before" ] && ok "no refused request reached the backend" || fail "$(( $(calls) - before )) refused request(s) reached the backend"

# ---- the callers that get through ----
areq POST /api/v1/scoped "$B" -H "X-API-Key: $KEY_GOOD"
expect_status 200 "a valid API key with the scope"
areq POST /api/v1/scoped "$B" -u "alice:$USER_PW"
expect_status 200 "Basic with the right password"
t0=$(date +%s%N)
for _ in 1 2 3 4 5; do areq POST /api/v1/scoped "$B" -u "alice:$USER_PW"; done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_status 200 "Basic again (from the cache)"
areq POST /api/v1/scoped "$B" -H "Authorization: Bearer $TOK_OK"
expect_status 200 "a valid RS256 token (aud in a list)"
HSKEY=$(printf '%s' "$HS_SECRET" | hex)
areq POST /api/v1/scoped "$B" -H "Authorization: Bearer $(jwt HS256 '{"alg":"HS256"}' "{\"sub\":\"svc\",\"aud\":\"rfmgw\",\"exp\":$((now + 300)),\"scope\":[\"stfc\"]}")"
expect_status 200 "a valid HS256 token, secret from \${RFMGW_TEST_HS_SECRET}"
areq POST /api/v1/keys-only "$B" -H "X-API-Key: $KEY_NOSCOPE"
expect_status 200 "a key on a keys-only route without scopes"
echo "# 5 Basic requests after the first: ${ms} ms"
# An uncached password check (carol: 2,500,000 PBKDF2 iterations, seconds) runs on a work
# thread: while it runs, other callers are answered — also with listen.threads = 0, where the
# HTTP front shares one thread with the backend loop. The proof is the order, not a timing.
w0=$(log_count "$WORK/rfmgw.log" 'password check on a work thread')
curl -s -o "$WORK/carol.slow" -w '%{http_code}' --max-time 60 -u "carol:wrong-$USER_PW" -H 'Content-Type: application/json' \
  --data-binary "$B" "$GW/api/v1/scoped" > "$WORK/carol.code" &
slow=$!
wait_log "$WORK/rfmgw.log" 'password check on a work thread' "$w0" 10 || fail "carol's password check did not start"
areq POST /api/v1/scoped "$B" -H "X-API-Key: $KEY_GOOD"
if [ "$STATUS" = 200 ] && kill -0 "$slow" 2>/dev/null; then
  ok "an API-key call is answered while a password hash runs (listen.threads = ${GW_HTTP_THREADS:-0})"
else
  fail "API-key call during a password hash: HTTP $STATUS, hash still running: $(kill -0 "$slow" 2>/dev/null && echo yes || echo no)"
fi
wait "$slow" || true
[ "$(cat "$WORK/carol.code")" = 401 ] && grep -q '"wrong user or password"' "$WORK/carol.slow" \
  && ok "the wrong password checked on the work thread: 401" || fail "carol's wrong password: HTTP $(cat "$WORK/carol.code") $(cat "$WORK/carol.slow")"
btime() { curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 20 -u "bob:$USER_PW" \
  -H 'Content-Type: application/json' --data-binary "$B" "$GW/api/v1/scoped" | awk '{ printf "%s %d", $1, $2 * 1000 }'; }
# rfmgw logs each uncached password check it hands to a work thread: the count is the proof
h0=$(log_count "$WORK/rfmgw.log" 'password check on a work thread')
read -r c1 first <<<"$(btime)"
h1=$(log_count "$WORK/rfmgw.log" 'password check on a work thread')
worst=0
for _ in 1 2 3; do read -r c t <<<"$(btime)"; [ "$c" = 200 ] || fail "bob again: HTTP $c"; [ "$t" -gt "$worst" ] && worst=$t; done
h2=$(log_count "$WORK/rfmgw.log" 'password check on a work thread')
echo "# bob (500,000 PBKDF2 iterations): first ${first} ms, then at most ${worst} ms"
[ "$c1" = 200 ] && [ "$h1" -eq $((h0 + 1)) ] && [ "$h2" -eq "$h1" ] \
  && ok "the hash runs once: later requests come from the cache (${first} ms, then ≤ ${worst} ms)" \
  || fail "Basic cache: HTTP $c1; password checks $h0 → $h1 → $h2 (${first} ms, then up to ${worst} ms)"
grep -q "user file .*/users is readable by every user" "$WORK/rfmgw.log" \
  && ok "a world-readable user file is warned about" || fail "no warning about the world-readable user file"

# ---- Idempotency-Keys belong to their caller ----
areq POST /api/v1/scoped '{"REQUTEXT":"idem"}' -H "X-API-Key: $KEY_GOOD" -H "Idempotency-Key: shared-1"
expect_status 200 "caller A records an answer under a key"
n=$(calls)
areq POST /api/v1/scoped '{"REQUTEXT":"idem"}' -u "alice:$USER_PW" -H "Idempotency-Key: shared-1"
expect_status 200 "caller B uses the same key"
grep -qi '^idempotent-replayed' <<<"$HEADERS" && fail "B got A's recorded answer" || ok "B does not get A's recorded answer"
[ "$(calls)" -eq $((n + 1)) ] && ok "B's request ran on the backend" || fail "B's request did not run"
areq POST /api/v1/scoped '{"REQUTEXT":"idem"}' -H "X-API-Key: $KEY_GOOD" -H "Idempotency-Key: shared-1"
expect_header '^idempotent-replayed: true' "A's own retry is replayed"

# ---- no core files: rfmgw's memory holds secrets ----
grep -qE '^Max core file size +0 +0 ' "/proc/$GW_PID/limits" && ok "core dumps are off (RLIMIT_CORE 0)" || fail "core limit: $(grep core "/proc/$GW_PID/limits")"

# ---- no secret in the log ----
if grep -qF -e "$KEY_GOOD" -e "$KEY_NOSCOPE" -e "$KEY_WRONG" -e "$USER_PW" -e "$HS_SECRET" -e "$TOK_OK" "$WORK/rfmgw.log"; then
  fail "a key, password, secret or token in rfmgw's log"
else
  ok "no key, password, secret or token in rfmgw's log"
fi

# ---- SIGHUP re-reads the key file: a revoked key stops working, a new one starts ----
KEY_NEW=$(openssl rand -hex 24)
register_secret "$KEY_NEW"
echo "rotated:$(printf '%s\n' "$KEY_NEW" | "$RFMGW_BIN" --hash-api-key):stfc" > "$WORK/api-keys"
kill -HUP "$GW_PID"
for _ in $(seq 1 50); do grep -q 'SIGHUP: reloaded' "$WORK/rfmgw.log" && break; sleep 0.1; done
areq POST /api/v1/scoped "$B" -H "X-API-Key: $KEY_GOOD"
expect_status 401 "after SIGHUP a key removed from the file is refused"
areq POST /api/v1/scoped "$B" -H "X-API-Key: $KEY_NEW"
expect_status 200 "…and a key added to it works"
stop_gw

# ---- `none` must be explicit, and is refused on a listener that is not loopback ----
sed -i 's/address = "127.0.0.1"; port = 0; threads/address = "0.0.0.0"; port = 0; threads/' "$WORK/gw.conf"
sed -i 's/^callers = {$/callers = { allow_none_on_public_listener = false;/' "$WORK/gw.conf"
grep -q '0.0.0.0' "$WORK/gw.conf" || fail "test set-up: listener not changed"
sed -i 's/{ name = "keys"; type = "api_key"; file = "api-keys"; },/{ name = "keys"; type = "api_key"; file = "api-keys"; }, { name = "anon"; type = "none"; },/' "$WORK/gw.conf"
out=$("$RFMGW_BIN" --check-config -c "$WORK/gw.conf" 2>&1) && rc=0 || rc=$?
[ "$rc" = 2 ] && grep -q "type none (anonymous callers), but the listener 0.0.0.0 is not loopback" <<<"$out" \
  && ok "none on 0.0.0.0 is a configuration error" || fail "none on 0.0.0.0: rc $rc, $out"
sed -i 's/allow_none_on_public_listener = false;/allow_none_on_public_listener = true;/' "$WORK/gw.conf"
"$RFMGW_BIN" --check-config -c "$WORK/gw.conf" >/dev/null 2>&1 && ok "…unless forced with allow_none_on_public_listener" || fail "the force option is not honoured"
sed -i '/^callers = {/,/^};/d' "$WORK/gw.conf"
out=$("$RFMGW_BIN" --check-config -c "$WORK/gw.conf" 2>&1) && rc=0 || rc=$?
[ "$rc" = 2 ] && grep -q "no 'callers' group" <<<"$out" && ok "no callers group: the gateway refuses to start" || fail "no callers group: rc $rc, $out"
finish
