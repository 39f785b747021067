#!/usr/bin/env bash
# limits.retain_memory_mb: with the default (64) the C library keeps freed memory mapped, so a
# repeated large call (a 5,000-row STFC_STRUCTURE body in and out) reuses the pages the first
# one faulted in; with 0 (the C library's own defaults) the same calls fault their memory in
# again every time. Measured as minor page faults of the rfmgw process (/proc/PID/stat) over
# three calls after three warm-up calls, with one HTTP thread. Needs the build without sanitizers (ASan has its own
# allocator, which ignores the setting).
source "$(dirname "$0")/lib.sh"
if [ -z "${RFMGW_RELEASE_BIN:-}" ] || [ ! -x "$RFMGW_RELEASE_BIN" ]; then
  echo "# skipped: RFMGW_RELEASE_BIN not built (ASan's allocator ignores limits.retain_memory_mb)"
  exit 0
fi
RFMGW_BIN=$RFMGW_RELEASE_BIN
ROWS=5000
make_pki
write_sim_conf
start_sim
awk -v n="$ROWS" -f "$RFMGW_SOURCE_DIR/tests/bench/structure_body.awk" > "$WORK/rows.json"

minflt() { awk '{print $10}' "/proc/$GW_PID/stat"; }
faults() { # → minor page faults of rfmgw over 3 large calls after 3 warm-up calls
  local before
  for _ in 1 2 3; do req POST /api/v1/structure "@$WORK/rows.json"; done
  [ "$STATUS" = 200 ] || { echo "warm-up: $STATUS ${BODY:0:300}" >&2; echo failed; return; }
  before=$(minflt)
  for _ in 1 2 3; do req POST /api/v1/structure "@$WORK/rows.json"; done
  [ "$STATUS" = 200 ] || { echo "call: $STATUS ${BODY:0:300}" >&2; echo failed; return; }
  echo $(($(minflt) - before))
}

for retain in default 0; do
  GW_EXTRA_TOP=""
  [ "$retain" = 0 ] && GW_EXTRA_TOP="limits = { retain_memory_mb = 0; };"
  write_gw_conf "$SIM_PORT"
  # one HTTP thread: every call meets the allocator arena the warm-up calls used
  sed -i 's/threads = \([0-9]*\); };/threads = 1; max_body = 16777216; };/' "$WORK/gw.conf"
  add_routes '{ method = "POST"; path = "/api/v1/structure"; destination = "sim"; function = "STFC_STRUCTURE"; }'
  start_gw
  f=$(faults)
  [ "$retain" = default ] && kept=$f || given_back=$f
  stop_gw
done
echo "# minor page faults over 3 calls of $ROWS rows: $kept with the default, $given_back with retain_memory_mb = 0"
if [ "$kept" = failed ] || [ "$given_back" = failed ]; then
  fail "a large call failed (see above)"
elif [ "$((kept * 4))" -lt "$given_back" ]; then
  ok "retained memory: $kept page faults against $given_back without (less than a quarter)"
else
  fail "retain_memory_mb made no difference: $kept page faults against $given_back without"
fi

sed -i 's/retain_memory_mb = 0;/retain_memory_mb = 5000;/' "$WORK/gw.conf"
out=$("$RFMGW_BIN" --check-config -c "$WORK/gw.conf" 2>&1) && rc=0 || rc=$?
[ "$rc" = 2 ] && grep -q "gw.conf:5: 'retain_memory_mb' must be between 0 and 4096" <<<"$out" \
  && ok "5000 MiB is refused with the setting named" || fail "rc $rc: $out"
finish
