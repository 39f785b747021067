#!/usr/bin/env bash
# Runs after every end-to-end test (ctest fixture e2e_logs): greps every log they wrote (kept in
# RFMGW_LOG_DIR by lib.sh) for the secrets they registered — test passwords, API keys, HS256
# secrets, bearer tokens, the base64 lines of every private key — and for PEM private key
# headers. Fails when one is found (naming the file and the secret's first characters only), or
# when there are no logs or no secrets to look for (the check must not pass for want of input).
# Usage: check_log_secrets.sh LOG_DIR [--reset]
set -euo pipefail
dir=$1
if [ "${2:-}" = "--reset" ]; then
  rm -rf "$dir"
  mkdir -p "$dir"
  chmod 700 "$dir"
  echo "log directory $dir emptied"
  exit 0
fi
list="$dir/secrets.list"
logs=()
while IFS= read -r -d '' f; do logs+=("$f"); done < <(find "$dir" -maxdepth 1 -name '*.log' -print0)
[ "${#logs[@]}" -gt 0 ] || { echo "not ok - no logs in $dir"; exit 1; }
[ -s "$list" ] || { echo "not ok - no registered secrets in $list"; exit 1; }
sort -u "$list" | awk 'length($0) >= 8' > "$dir/secrets.sorted"
n=$(wc -l < "$dir/secrets.sorted")
echo "# ${#logs[@]} log files, $n distinct secrets"
fails=0
while IFS= read -r hit; do
  file=${hit%%:*}
  echo "not ok - a secret in $file: $(printf '%s' "${hit#*:}" | cut -c1-40)…"
  fails=$((fails + 1))
done < <(grep -F -o -f "$dir/secrets.sorted" "${logs[@]}" | sort -u | sed 's/^\(.*\):\(.\{4\}\).*/\1:\2/' || true)
if grep -l -E 'PRIVATE KEY-----' "${logs[@]}"; then
  echo "not ok - PEM private key material in the files above"
  fails=$((fails + 1))
fi
rm -f "$dir/secrets.sorted"
[ "$fails" -eq 0 ] && echo "ok - none of the $n secrets in ${#logs[@]} log files"
[ "$fails" -eq 0 ]
