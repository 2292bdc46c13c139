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
# One test at a time: a node restarted by a test listens again on the port it had, and a
# node of a test running beside it, binding port 0, can be given that port meanwhile (seen
# once in DiskFullTest). Serial, only a test's own nodes start, in a fixed order.
(cd "$build_dir" && ctest --output-on-failure --timeout 600 "$@")

# A short, time-bounded libFuzzer run of every fuzz target (clang-14, its own build dir).
# Longer runs: LDGS_FUZZ_SECONDS=600 tests/run.sh, or see docs/testing.md.
fuzz_seconds=${LDGS_FUZZ_SECONDS:-10}
if [ "$fuzz_seconds" -gt 0 ]; then
  CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLDGS_FUZZ=ON >/dev/null
  cmake --build build-fuzz -j "${JOBS:-2}" --target fuzz_targets
  for target in record_fuzz batch_apply_fuzz config_fuzz cli_json_fuzz; do
    corpus=$(mktemp -d)
    [ -d "tests/fuzz/corpus/$target" ] && cp "tests/fuzz/corpus/$target"/* "$corpus"/
    if ! "build-fuzz/tests/fuzz/$target" -max_total_time="$fuzz_seconds" -print_final_stats=1 \
        "$corpus" >"$corpus.log" 2>&1; then
      tail -40 "$corpus.log"
      echo "tests/run.sh: fuzz target $target failed (input saved by libFuzzer above)" >&2
      exit 1
    fi
    echo "fuzz: $target $(grep -o 'number_of_executed_units: [0-9]*' "$corpus.log" | cut -d' ' -f2) execs in ${fuzz_seconds} s, no crash"
    rm -rf "$corpus" "$corpus.log"
  done
fi
echo "tests/run.sh: build and tests took $(( $(date +%s) - start )) s"
