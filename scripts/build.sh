#!/usr/bin/env bash
# Configures and builds rfmgw with CMake: the one build command that CI (scripts/test.sh), the
# quick start and the container image (docker/Dockerfile) all use.
# Usage: scripts/build.sh BUILD_DIR [BUILD_TYPE] [cmake -D options...]
#   BUILD_TYPE defaults to RelWithDebInfo; RFMGW_JOBS sets the parallelism (default: nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: scripts/build.sh BUILD_DIR [BUILD_TYPE] [cmake -D options...]}
type=${2:-RelWithDebInfo}
shift $(($# < 2 ? $# : 2))
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="$type" "$@" >/dev/null
cmake --build "$dir" -j"${RFMGW_JOBS:-$(nproc)}"
