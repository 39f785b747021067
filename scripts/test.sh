#!/usr/bin/env bash
# Builds rfmgw with AddressSanitizer + UndefinedBehaviorSanitizer and runs every test
# (unit and end-to-end; each fuzz target briefly first). Exits non-zero on any failure.
# Usage: scripts/test.sh            (build dir: build-test/)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
build=${RFMGW_TEST_BUILD:-build-test}
# (the tests that measure memory use the release build below: ASan keeps freed memory; the
# nwrfc backend is built against the SDK's test fake, tests/nwrfc_fake, in this build)
scripts/build.sh "$build" Debug -DRFMGW_SANITIZE=ON -DRFMGW_RELEASE_BIN="$PWD/$build-release/rfmgw" \
  -DRFMGW_NWRFC_FAKE=ON
# The optimised build the quick start uses must compile too (-O2 warns about more than -O0).
scripts/build.sh "$build-release" RelWithDebInfo -DRFMGW_TESTS=OFF
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Every fuzz target for a short, bounded time (RFMGW_FUZZ_SECONDS, default 10; 0 skips).
if [ "${RFMGW_FUZZ_SECONDS:-10}" != 0 ]; then
  scripts/fuzz.sh "${RFMGW_FUZZ_SECONDS:-10}"
fi
ctest --test-dir "$build" --output-on-failure -j2 --timeout 120
