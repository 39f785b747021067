#!/usr/bin/env bash
# listen.sched_slice_us: every rfmgw thread asks the kernel for that scheduler slice (EEVDF,
# Linux 6.12+; /proc/PID/task/TID/sched shows se.slice); calls work as before; 0 leaves the
# kernel's default; a value below the kernel's range is a configuration error. On a kernel
# without custom slices rfmgw says so and runs with the default (the test then checks that).
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
write_gw_conf "$SIM_PORT"
slices() { # pid → the se.slice of each thread, one per line
  for t in /proc/"$1"/task/*; do awk '/^se.slice/ {print $3}' "$t/sched" 2>/dev/null; done
}
start_gw
default=$(slices "$GW_PID" | sort -u | tr '\n' ' ')
if grep -qx 100000 <<<"$(slices "$GW_PID")"; then fail "a thread has a 100 µs slice without the setting ($default)"; else ok "without the setting the kernel's default slice ($default)"; fi
stop_gw

sed -i 's/threads = \([0-9]*\); };/threads = \1; sched_slice_us = 100; };/' "$WORK/gw.conf"
start_gw
req POST /api/v1/connection-test '{"REQUTEXT":"slice"}'
expect_status 200 "a call with listen.sched_slice_us = 100"
n=$(ls /proc/"$GW_PID"/task | wc -l)
if grep -q "scheduler slice 100 µs on [0-9]* threads" "$WORK/rfmgw.log"; then
  other=$(slices "$GW_PID" | grep -vcx 100000 || true)
  # threads started later (a route check at start-up) may keep the default
  [ "$other" -le 1 ] && ok "the threads run with a 100 µs slice ($((n - other)) of $n)" \
    || fail "$other of $n threads without the 100 µs slice: $(slices "$GW_PID" | tr '\n' ' ')"
elif grep -q "the kernel refused a custom slice" "$WORK/rfmgw.log"; then
  ok "this kernel has no custom slices: rfmgw said so and runs with the default"
else
  fail "no word about the scheduler slice in the log"
fi
stop_gw

sed -i 's/sched_slice_us = 100;/sched_slice_us = 50;/' "$WORK/gw.conf"
out=$("$RFMGW_BIN" --check-config -c "$WORK/gw.conf" 2>&1) && rc=0 || rc=$?
[ "$rc" = 2 ] && grep -q "gw.conf:1: listen.sched_slice_us must be 0 or 100–100000" <<<"$out" \
  && ok "50 µs is refused with file:line" || fail "rc $rc: $out"
finish
