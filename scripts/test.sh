#!/usr/bin/env bash
# test.sh -- builds outreach and runs every test through ctest: once in the
# normal build (warnings are errors), once with AddressSanitizer and
# UndefinedBehaviorSanitizer; then runs the libFuzzer targets for a bounded
# time (FUZZ_SECONDS, default 60 each). Installs missing Debian packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
bash scripts/deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
run_suite() { # NAME BUILD_DIR CMAKE_ARGS...
  local name=$1 dir=$2; shift 2
  echo "== $name: configure and build in $dir"
  cmake -S . -B "$dir" -DOUTREACH_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  echo "== $name: ctest"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 600)
}

run_suite "release" build -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite "sanitizers (ASan+UBSan)" build-asan -DCMAKE_BUILD_TYPE=Debug -DOUTREACH_SANITIZE=ON
echo "== fuzzing the report and request decoders (${FUZZ_SECONDS:-60} s each)"
FUZZ_SECONDS=${FUZZ_SECONDS:-60} bash scripts/fuzz.sh
echo "== all tests passed in $(( $(date +%s) - started )) s"
