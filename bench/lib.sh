# bench/lib.sh -- what the benchmark scripts share: the tests' harness
# (tests/lib/stack.sh, which sources broker.sh and common.sh), quiet, and
# bench_report. Sourced from the repository root; without OUTREACH_BUILD_DIR
# it first installs what is missing (scripts/deps.sh) and makes a Release
# build in build-bench, which it then uses.
if [ -z "${OUTREACH_BUILD_DIR:-}" ]; then
  bash scripts/deps.sh
  echo "== building (Release) in build-bench"
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DOUTREACH_TESTS=OFF >/dev/null
  cmake --build build-bench -j "$(nproc)" >/dev/null
  export OUTREACH_BUILD_DIR=$PWD/build-bench
fi
# shellcheck source=../tests/lib/stack.sh
source tests/lib/stack.sh
pass() { :; } # the harness's per-check lines are for tests, not for tables

# bench_report ENTRY: prints a run's entry (the table and how it was made)
# and, unless the script was given --no-append (APPEND=0), appends it to
# BENCHMARKS.md.
bench_report() {
  echo
  echo "$1"
  if [ "${APPEND:-1}" = 1 ]; then
    printf '\n%s\n' "$1" >>BENCHMARKS.md
    echo "== figures appended to BENCHMARKS.md"
  fi
}
