# bench/lib.sh -- what the benchmark scripts share (sourced after tests/lib/*.sh).

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
