#!/usr/bin/env bash
# Sets up, builds and runs every ldgs test. Works on a fresh Debian 12 machine (as root it
# installs the packages it needs). Usage: tests/run.sh [--sanitize] [ctest args...]
#   --sanitize   build in build-asan/ with AddressSanitizer + UndefinedBehaviorSanitizer
# Environment: LDGS_BUILD_DIR overrides the build directory; JOBS the build parallelism (2).
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=OFF
build_dir=${LDGS_BUILD_DIR:-build}
if [ "${1:-}" = "--sanitize" ]; then
  sanitize=ON
  build_dir=${LDGS_BUILD_DIR:-build-asan}
  shift
fi

bash deploy/install-deps.sh
start=$(date +%s)
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLDGS_SANITIZE=$sanitize >/dev/null
cmake --build "$build_dir" -j "${JOBS:-2}"
built=$(date +%s)
echo "tests/run.sh: built in $((built - start)) s"
cd "$build_dir"
ctest --output-on-failure --timeout 600 "$@"
echo "tests/run.sh: build and tests took $(( $(date +%s) - start )) s"
