# bench/lib.sh -- what the benchmark scripts share: the tests' harness
# (tests/lib/stack.sh, which sources broker.sh and common.sh), quiet, and
# bench_report. Sourced from the repository root, after OUTREACH_BUILD_DIR is set.
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
