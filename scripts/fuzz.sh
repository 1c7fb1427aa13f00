#!/usr/bin/env bash
# fuzz.sh -- builds the libFuzzer targets (clang, ASan+UBSan) in build-fuzz, makes
# a seed corpus per target from schemas/examples, and runs each target for a
# bounded time. Exits non-zero when a target finds a crash, leak, timeout or
# sanitizer error (the input's path is printed). Ends with "N passed, M failed".
#
#   FUZZ_SECONDS=60   seconds per target (-max_total_time)
#   FUZZ_MAX_LEN=17408  largest input tried (past the 16 KiB payload limit)
#   FUZZ_ARGS="..."   extra libFuzzer flags, e.g. FUZZ_ARGS="-seed=1 -verbosity=0"
#
# Nothing in the repository is written: seeds go to build-fuzz/corpus/<target>,
# each run works on a fresh copy in build-fuzz/scratch/<target> (new inputs
# land there), crashes in build-fuzz/artifacts/<target>/, logs in build-fuzz/logs/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bdir=$root/build-fuzz
seconds=${FUZZ_SECONDS:-60}
max_len=${FUZZ_MAX_LEN:-17408}
dict=$root/fuzz/json.dict

bash scripts/deps.sh
if ! command -v clang >/dev/null || ! dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null |
     grep -q 'install ok installed'; then
  echo "fuzz: installing clang libclang-rt-14-dev"
  SUDO=
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends clang libclang-rt-14-dev
fi

echo "== configure and build in build-fuzz"
CC=clang cmake -S . -B "$bdir" -DOUTREACH_FUZZ=ON -DOUTREACH_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$bdir" -j "$(nproc 2>/dev/null || echo 2)" --target fuzz_report fuzz_request fuzz_agent_status

# Seeds: one file per example, prefixed with the byte the target reads first.
echo "== seed corpus in build-fuzz/corpus"
rm -rf "$bdir/corpus"
mkdir -p "$bdir/corpus/fuzz_report" "$bdir/corpus/fuzz_request" "$bdir/corpus/fuzz_agent_status"
seed() { # OUT_FILE BYTE IN_FILE
  { printf '%b' "$(printf '\\x%02x' "$2")"; cat "$3"; } >"$1"
}
kinds=(headcount dispense referral education checkin void)
for k in "${!kinds[@]}"; do
  kind=${kinds[$k]}
  first=
  for f in schemas/examples/report-"$kind"/{valid,invalid}/*.json; do
    [ -e "$f" ] || continue
    v=$(basename "$(dirname "$f")")
    seed "$bdir/corpus/fuzz_report/$kind-$v-$(basename "$f")" "$k" "$f"
    [ -n "$first" ] || first=$f
  done
  # Also reach the unknown kind (6), no topic agent (k+7), a different agent (k+14).
  if [ -n "$first" ]; then
    seed "$bdir/corpus/fuzz_report/$kind-as-unknown-kind.json" 6 "$first"
    seed "$bdir/corpus/fuzz_report/$kind-no-topic-agent.json" $((k + 7)) "$first"
    seed "$bdir/corpus/fuzz_report/$kind-other-agent.json" $((k + 14)) "$first"
  fi
done
for scope in admin volunteer; do
  b=0
  [ "$scope" = admin ] || b=1
  for f in schemas/examples/"$scope"-request/{valid,invalid}/*.json; do
    [ -e "$f" ] || continue
    v=$(basename "$(dirname "$f")")
    seed "$bdir/corpus/fuzz_request/$scope-$v-$(basename "$f")" "$b" "$f"
    # The same request in the other scope.
    seed "$bdir/corpus/fuzz_request/$scope-$v-other-scope-$(basename "$f")" $((1 - b)) "$f"
  done
done
# Each status example with every topic agent (0 team-07, 1 none, 2 team-01, 3 xiuwu-clinic-2).
for f in schemas/examples/agent-status/{valid,invalid}/*.json; do
  [ -e "$f" ] || continue
  v=$(basename "$(dirname "$f")")
  for b in 0 1 2 3; do
    seed "$bdir/corpus/fuzz_agent_status/$v-agent$b-$(basename "$f")" "$b" "$f"
  done
done

stat_of() { # LOG NAME -> value of "stat::NAME: value"
  sed -n "s/^stat::$2: *//p" "$1" | tail -n 1
}

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0 failed=0
for t in fuzz_report fuzz_request fuzz_agent_status; do
  scratch=$bdir/scratch/$t art=$bdir/artifacts/$t log=$bdir/logs/$t.log
  rm -rf "$scratch" "$art"
  mkdir -p "$scratch" "$art" "$bdir/logs"
  cp "$bdir/corpus/$t"/* "$scratch"/
  cmd=("$bdir/fuzz/$t" "-max_total_time=$seconds" -timeout=5 -rss_limit_mb=2048
       -print_final_stats=1 "-max_len=$max_len" "-dict=$dict" "-artifact_prefix=$art/")
  # shellcheck disable=SC2206
  [ -z "${FUZZ_ARGS:-}" ] || cmd+=(${FUZZ_ARGS})
  cmd+=("$scratch")
  echo "== $t: ${seconds}s on $(find "$scratch" -type f | wc -l) seeds (log: build-fuzz/logs/$t.log)"
  echo "   ${cmd[*]}"
  rc=0
  "${cmd[@]}" >"$log" 2>&1 || rc=$?
  covline=$(grep -E '^#[0-9]+.* cov: ' "$log" | tail -n 1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$covline")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$covline")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$covline")
  echo "   execs $(stat_of "$log" number_of_executed_units), exec/s $(stat_of "$log" average_exec_per_sec)," \
       "cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}, new units $(stat_of "$log" new_units_added)," \
       "peak RSS $(stat_of "$log" peak_rss_mb) MB"
  crashes=$(find "$art" -type f | sort)
  if [ "$rc" -eq 0 ] && [ -z "$crashes" ]; then
    echo "   $t: clean"
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "   $t: FAILED (exit $rc)"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error:)' "$log" | head -n 5 | sed 's/^/   /' || true
    for c in $crashes; do
      echo "   input: $c"
      echo "   reproduce: $bdir/fuzz/$t $c"
    done
    [ -n "$crashes" ] || tail -n 30 "$log" | sed 's/^/   /'
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
