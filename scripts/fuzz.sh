#!/usr/bin/env bash
# Builds the libFuzzer targets (clang) and runs each for SECONDS (default 15) on a copy of its
# committed seed corpus. Exits non-zero when a target crashes, leaks or times out.
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
scripts/deps.sh clang libclang-rt-14-dev
build=${RFMGW_FUZZ_BUILD:-build-fuzz}
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DRFMGW_FUZZ=ON \
  -DRFMGW_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
status=0
for src in tests/fuzz/fuzz_*.c; do
  name=$(basename "$src" .c)
  seeds=tests/fuzz/corpus/${name#fuzz_}
  work=$(mktemp -d)
  cp -r "$seeds"/. "$work"/ 2>/dev/null || true
  echo "== $name: ${seconds}s"
  if "$build/tests/fuzz/$name" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 \
      -print_final_stats=1 "$work" > "$work.log" 2>&1; then
    grep -E '^stat::number_of_executed_units|^Done' "$work.log" || tail -n 3 "$work.log"
  else
    tail -n 40 "$work.log"; status=1
  fi
  rm -rf "$work" "$work.log"
done
exit $status
