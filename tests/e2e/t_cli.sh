#!/usr/bin/env bash
# The command line: --help, --version, --check-config (good config; bad config with file:line).
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
write_gw_conf 8443

out=$("$RFMGW_BIN" --help); rc=$?
[ $rc -eq 0 ] && grep -q -- '--check-config' <<<"$out" && ok "--help" || fail "--help ($rc)"
out=$("$RFMGW_BIN" --version) && grep -qE '^rfmgw [0-9]+\.[0-9]+\.[0-9]+' <<<"$out" && ok "--version: $out" || fail "--version"
out=$("$ABAPSIM_BIN" --version) && ok "abapsim --version: $out" || fail "abapsim --version"

out=$("$RFMGW_BIN" --check-config -c "$WORK/gw.conf" 2>&1) && grep -q 'OK (1 destination, 4 routes)' <<<"$out" \
  && ok "--check-config accepts a good configuration" || fail "--check-config on a good file: $out"

line=$(( $(wc -l < "$WORK/gw.conf") + 1 ))
printf 'limits = { json_depth = 1; };\n' >> "$WORK/gw.conf"
printf 'routes = (\n { method = "GET"; path = "/healthz"; destination = "nope"; function = "X"; } );\n' > "$WORK/routes.conf"
set +e
out=$("$RFMGW_BIN" --check-config -c "$WORK/gw.conf" 2>&1); rc=$?
set -e
[ $rc -eq 2 ] && ok "--check-config exits 2 on errors" || fail "--check-config exit $rc"
grep -q "gw.conf:$line: 'json_depth' must be between 2 and 1024" <<<"$out" && ok "config error with file:line" || fail "no file:line error in: $out"
# the route file is only read once the config itself is valid
sed -i '$d' "$WORK/gw.conf"
set +e
out=$("$RFMGW_BIN" --check-config -c "$WORK/gw.conf" 2>&1); rc=$?
set -e
grep -q "routes.conf:2: path /healthz is reserved" <<<"$out" && grep -q "routes.conf:2: unknown destination 'nope'" <<<"$out" \
  && ok "mapping errors with file:line, all at once" || fail "mapping errors: $out"
grep -q "$SIM_PASSWORD" <<<"$out" && fail "password in --check-config output" || ok "no secret in --check-config output"

set +e
"$RFMGW_BIN" -c "$WORK/does-not-exist.conf" 2>"$WORK/err.txt"; rc=$?
set -e
[ $rc -eq 2 ] && grep -q 'does-not-exist.conf: cannot open' "$WORK/err.txt" && ok "missing config file named" || fail "missing config: rc=$rc $(cat "$WORK/err.txt")"
finish
