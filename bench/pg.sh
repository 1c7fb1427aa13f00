#!/usr/bin/env bash
# bench/pg.sh -- the store's engines compared (issue 14), run by hand (not in
# CI), all on this machine over loopback, in ONE run so the figures compare:
# the coordinator on SQLite, on PostgreSQL alone, and two coordinators on one
# PostgreSQL (one shared subscription). For each, ROUNDS rounds of
#   (b) 200 agents as fast as their window allows: committed-and-acked
#       reports/s, coordinator CPU µs per report (both coordinators' CPU when
#       there are two; PostgreSQL's own server processes are listed apart);
#   (d) a paced 1,000 reports/s from 200 agents: publish-to-ack p50 / p99.
# Every phase has its own trip and the load generator checks the retained
# totals equal what it sent. Prints a table (min / median / max) with the
# commands and appends it to BENCHMARKS.md.
#
#   bash bench/pg.sh [--rounds N] [--no-append]
#
#   PER_AGENT=100 (b) reports per agent   PACED_N=50 (d) reports per agent
#   KEEP_WORK=1 keeps the work directory (logs, JSON of every phase).
# PostgreSQL runs as tests/lib/pg.sh starts it (a throwaway cluster on a free
# 127.0.0.1 port, default settings but max_connections = 50).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=3 APPEND=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) [ $# -ge 2 ] || { echo "bench: --rounds needs a number" >&2; exit 2; }
      ROUNDS=$2; shift 2 ;;
    --no-append) APPEND=0; shift ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
PER_AGENT=${PER_AGENT:-100} PACED_N=${PACED_N:-50} AGENTS=200 RATE=1000
for v in ROUNDS PER_AGENT PACED_N; do
  [[ ${!v} =~ ^[1-9][0-9]{0,5}$ ]] || { echo "bench: $v must be a positive integer" >&2; exit 2; }
done
[ "$ROUNDS" -le 20 ] || { echo "bench: at most 20 rounds" >&2; exit 2; }

unset OUTREACH_BUILD_DIR # bench/lib.sh: a Release build of its own
source bench/lib.sh
source tests/lib/pg.sh
source tests/lib/pgcluster.sh
tmpdir_setup

echo "== $AGENTS agent accounts, broker, PostgreSQL"
broker_provision --agents "$(lg_agents $AGENTS)" --volunteers "vol-01"
broker_start
pg_start

TICK=$(getconf CLK_TCK)
cpu_ms() { # PID...: their user + system CPU time in ms (fields 14, 15 of /proc/PID/stat)
  local f p n=0
  for p in "$@"; do
    read -r -a f <"/proc/$p/stat"
    n=$((n + (f[13] + f[14]) * 1000 / TICK))
  done
  echo "$n"
}
pg_pids() { # this cluster's server processes: the postmaster and its children
  local pm
  pm=$(head -1 "$PG_DIR/data/postmaster.pid" 2>/dev/null) || return 0
  echo "$pm $(pgrep -P "$pm" | tr '\n' ' ')"
}
pg_cpu_ms() { local p; p=$(pg_pids); [ -n "$p" ] && cpu_ms $p 2>/dev/null || echo 0; }

# phase NAME CMD...: one load generator run; its JSON in $WORK/NAME.json with
# the coordinators' ($CPIDS) and PostgreSQL's CPU time added.
CMDS=()
phase() {
  local name=$1 rc=0 c0 p0 c1 p1
  shift
  echo "== $name"
  c0=$(cpu_ms $CPIDS); p0=$(pg_cpu_ms)
  "$@" --json "$WORK/$name.json" >"$WORK/$name.log" 2>&1 || rc=$?
  c1=$(cpu_ms $CPIDS); p1=$(pg_cpu_ms)
  sed 's/^/   /' "$WORK/$name.log"
  [ "$rc" = 0 ] && [ -s "$WORK/$name.json" ] || fail "$name: the load generator failed (exit $rc)"
  jq --argjson c $((c1 - c0)) --argjson p $((p1 - p0)) \
    '. + {coordinator_cpu_ms: $c, postgres_cpu_ms: $p,
          coordinator_us_per_report: (if .reports > 0 then ($c * 1000 / .reports | round) else null end),
          postgres_us_per_report: (if .reports > 0 then ($p * 1000 / .reports | round) else null end)}' \
    "$WORK/$name.json" >"$WORK/$name.tmp"
  mv "$WORK/$name.tmp" "$WORK/$name.json"
}

# setup KIND: the coordinators of KIND (sqlite, pg1, pg2) running; CPIDS theirs.
setup() {
  coords_stop
  rm -f "$WORK"/coord-*.pid
  case $1 in
    sqlite)
      # no session kept: stopped, it must not keep a share of the group's messages
      printf 'client_id = coordinator.s\nsession_expiry_s = 0\n' >"$WORK/coord-s.conf"
      [ -f "$WORK/bench.db" ] || INIT=--init
      grep -c 'coordinator ready' "$WORK/coord-s.log" >"$WORK/coord-s.readies" 2>/dev/null || true
      "$COORD_BIN" run ${INIT:-} --broker "$BROKER_URI" --db "$WORK/bench.db" --username coordinator \
        --password-file "$(secret coordinator)" --share-group-file "$ACCOUNTS/secrets/share-group" \
        --config "$WORK/coord-s.conf" >>"$WORK/coord-s.log" 2>&1 &
      printf '%s\n' "$!" >"$WORK/coord-s.pid"
      track_pid "$!"
      on_exit coords_stop
      coord_wait s # (its log grows round after round)
      CPIDS=$(coord_pid s) ;;
    pg1) coord_start a; CPIDS=$(coord_pid a) ;;
    pg2) coord_start a; coord_start b; CPIDS="$(coord_pid a) $(coord_pid b)" ;;
  esac
}

KINDS="sqlite pg1 pg2"
for r in $(seq 1 "$ROUNDS"); do
  for k in $KINDS; do
    setup "$k"
    trip_upsert "2026-pgb-$k-b$r" 2026-11-01 cili 慈利县
    cmd=("$LOADGEN_BIN" run --broker "$BROKER_URI" --secrets "$ACCOUNTS/secrets"
      --agents $AGENTS --reports-per-agent "$PER_AGENT" --trip "2026-pgb-$k-b$r"
      --rate 0 --window 50 --resend-ms 60000 --check-progress)
    [ "$r" = 1 ] && [ "$k" = sqlite ] && CMDS+=("- (b) \`outreach-loadgen ${cmd[*]:1}\`")
    phase "b-$k-$r" "${cmd[@]}"
    trip_upsert "2026-pgb-$k-d$r" 2026-11-02 cili 慈利县
    cmd=("$LOADGEN_BIN" run --broker "$BROKER_URI" --secrets "$ACCOUNTS/secrets"
      --agents $AGENTS --reports-per-agent "$PACED_N" --trip "2026-pgb-$k-d$r"
      --rate $RATE --window 50 --check-progress)
    [ "$r" = 1 ] && [ "$k" = sqlite ] && CMDS+=("- (d) \`outreach-loadgen ${cmd[*]:1}\`")
    phase "d-$k-$r" "${cmd[@]}"
  done
done
coords_stop

# mmm PHASE KIND JQ: "min / median / max" over the rounds
mmm() {
  local r v=()
  for r in $(seq 1 "$ROUNDS"); do v+=("$(jq -r "$3" "$WORK/$1-$2-$r.json")"); done
  printf '%s\n' "${v[@]}" | sort -g | awk '{ a[NR] = $1 } END { printf "%s / %s / %s", a[1], a[int((NR + 1) / 2)], a[NR] }'
}
row() { # LABEL PHASE JQ
  printf '| %s | %s | %s | %s |\n' "$1" "$(mmm "$2" sqlite "$3")" "$(mmm "$2" pg1 "$3")" "$(mmm "$2" pg2 "$3")"
}
entry=$(cat <<EOF
## $(date -u +%Y-%m-%d) store engines (bench/pg.sh, $ROUNDS rounds; min / median / max)

Commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); $(nproc) cores; SQLite, PostgreSQL $(psql --version | awk '{print $3}') from tests/lib/pg.sh (default settings).

| figure | SQLite | PostgreSQL, 1 coordinator | PostgreSQL, 2 coordinators |
|---|---|---|---|
$(row "(b) committed-and-acked reports/s" b '.rate_per_s | round')
$(row "(b) coordinator CPU µs per report (both, with 2)" b '.coordinator_us_per_report')
$(row "(b) PostgreSQL server CPU µs per report" b '.postgres_us_per_report')
$(row "(d) publish-to-ack p50 ms at 1,000/s" d '.latency_ms.p50')
$(row "(d) publish-to-ack p99 ms at 1,000/s" d '.latency_ms.p99')
$(row "(d) coordinator CPU µs per report at 1,000/s" d '.coordinator_us_per_report')

Commands (per round and engine; each phase on its own trip, totals checked):
$(printf '%s\n' "${CMDS[@]}")
EOF
)
bench_report "$entry"
