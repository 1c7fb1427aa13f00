#!/usr/bin/env bash
# bench/run.sh -- outreach's benchmark, run by hand (not in CI), all on this
# machine over loopback, in ONE run so the figures compare: (a) the broker's
# own QoS 1 rate (publish -> subscriber, no coordinator); (b) the
# coordinator's sustained committed-and-acked rate, 200 agents as fast as
# they go; (c) b / a; (d) publish-to-ack latency p50/p99 at a paced 1,000
# reports/s from 200 agents. Each figure is measured ROUNDS times (rounds of
# a, b, d) and the median is reported, as this machine is shared and noisy.
# Every b and d phase has its own trip, and the load generator checks that the
# coordinator's retained totals for it equal what it sent. Prints one table
# with the command lines and appends it to BENCHMARKS.md.
#
#   bash bench/run.sh [--rounds N] [--no-append] [--coordinator-config FILE]
#                     [--broker-option "KEY VALUE"]... [--tls]
#
#   --rounds N                 rounds of a, b, d (default 3)
#   --no-append                print only; leave BENCHMARKS.md alone
#   --coordinator-config FILE  run the coordinator with this config (knobs:
#                              batch_max, progress_interval_ms; see
#                              coordinator/coordinator.conf.example)
#   --broker-option "K V"      experiment: set option K to V in the broker config
#                              rendered for this run (replacing K's line, if
#                              any), e.g. "set_tcp_nodelay true" or
#                              "max_inflight_messages 1000"; repeatable
#   --tls                      also (t) in every round: (b) again with the
#                              coordinator and the agents on the broker's TLS
#                              listener (ssl://, deploy/make-certs.sh's CA), and
#                              the coordinator's CPU per report with and without TLS
#   RAW_N=100000 (a) messages  RAW_INFLIGHT=100 (a) unacked publishes
#   PER_AGENT=100 (b) reports per agent   PACED_N=50 (d) reports per agent
#   MAX_AGENTS=200 (b) agents (1..200)    MAX_WINDOW=50 (b) unacked reports per agent
#   MAX_RESEND_MS=3000 (b) an agent resends a report unanswered this long; with
#     200 x 50 outstanding, answers often take longer, and every resend is
#     handled again: 60000 measures (b) without them
#   KEEP_WORK=1 keeps the work directory (logs, JSON of every phase).
# Exit 0 when every phase ran and checked out (met goals or not), else 1.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=3 APPEND=1 COORD_CONF=${COORD_CONF:-} BROKER_OPTS=() TLS=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) [ $# -ge 2 ] || { echo "bench: --rounds needs a number" >&2; exit 2; }
      ROUNDS=$2; shift 2 ;;
    --no-append) APPEND=0; shift ;;
    --tls) TLS=1; shift ;;
    --coordinator-config)
      [ $# -ge 2 ] || { echo "bench: --coordinator-config needs a file" >&2; exit 2; }
      COORD_CONF=$2; shift 2 ;;
    --broker-option)
      [[ $# -ge 2 && $2 =~ ^[a-z_]+\ [^[:space:]]+$ ]] \
        || { echo "bench: --broker-option needs \"KEY VALUE\"" >&2; exit 2; }
      BROKER_OPTS+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
RAW_N=${RAW_N:-100000} RAW_INFLIGHT=${RAW_INFLIGHT:-100}
PER_AGENT=${PER_AGENT:-100} PACED_N=${PACED_N:-50} AGENTS=200 RATE=1000
MAX_AGENTS=${MAX_AGENTS:-200} MAX_WINDOW=${MAX_WINDOW:-50} MAX_RESEND_MS=${MAX_RESEND_MS:-3000}
[ "$MAX_AGENTS" -ge 1 ] && [ "$MAX_AGENTS" -le 200 ] || { echo "bench: MAX_AGENTS must be 1..200" >&2; exit 2; }
for v in ROUNDS RAW_N RAW_INFLIGHT PER_AGENT PACED_N MAX_RESEND_MS; do
  [[ ${!v} =~ ^[1-9][0-9]{0,6}$ ]] || { echo "bench: $v must be a positive integer" >&2; exit 2; }
done
[ "$ROUNDS" -le 20 ] || { echo "bench: at most 20 rounds" >&2; exit 2; }
if [ -n "$COORD_CONF" ]; then
  [ -f "$COORD_CONF" ] || { echo "bench: no file $COORD_CONF" >&2; exit 2; }
  COORD_CONF=$(realpath "$COORD_CONF")
fi

unset OUTREACH_BUILD_DIR # bench/lib.sh: a Release build of its own
source bench/lib.sh
tmpdir_setup

echo "== $AGENTS agent accounts, broker, coordinator"
[ "$TLS" = 0 ] || export BROKER_TLS=1 # a TLS listener too (tests/lib/broker.sh)
broker_provision --agents "$(lg_agents $AGENTS)" --volunteers "vol-01"
broker_start
if [ ${#BROKER_OPTS[@]} -gt 0 ]; then
  # Same port, data and accounts; this run's rendered config changed.
  broker_stop
  for o in "${BROKER_OPTS[@]}"; do
    key=${o%% *}
    if grep -q "^$key " "$WORK/mosquitto.conf"; then
      sed -i "s|^$key .*|$o|" "$WORK/mosquitto.conf"
    else
      echo "$o" >>"$WORK/mosquitto.conf"
    fi
  done
  mosquitto -c "$WORK/mosquitto.conf" >>"$WORK/mosquitto.stderr" 2>&1 &
  BROKER_PID=$!
  bench_broker_up() {
    MQTT_PUB_TIMEOUT=5 mqtt_pub coordinator -q 1 -t "$ROOT/test/bench-ready" -m ready \
      >/dev/null 2>&1
  }
  wait_until 10 "the broker with ${BROKER_OPTS[*]}" bench_broker_up
fi
on_exit coordinator_stop
coordinator_start ${COORD_CONF:+--config "$COORD_CONF"}

TICK=$(getconf CLK_TCK)
cpu_ms() { # PID: user + system CPU time in ms (fields 14 and 15 of /proc/PID/stat)
  local f
  read -r -a f <"/proc/$1/stat"
  echo $(( (f[13] + f[14]) * 1000 / TICK ))
}
# children_ms: user + system CPU time in ms of this shell's children that have
# ended (the load generators), into CHILD_MS, from the builtin times: it must
# run in this shell, not in a $(...) subshell, whose children are its own.
children_ms() {
  times >"$WORK/times.txt"
  CHILD_MS=$(awk 'NR == 2 { n = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); n += p[1] * 60000 + p[2] * 1000 }
                 printf "%d\n", n }' "$WORK/times.txt")
}
show_cmd() { # a command line as it can be read outside this run
  local s
  s=$(printf '%q ' "$@")
  s=${s//"$WORK"/\$WORK}
  s=${s//"$LOADGEN_BIN"/outreach-loadgen}
  printf '%s\n' "${s% }"
}

# phase NAME CMD...: runs one load generator run (its JSON goes to $WORK/NAME.json),
# shows its summary and adds the coordinator's and broker's CPU time to the JSON.
CMDS=()
phase() {
  local name=$1 rc=0 c0 b0 g0 t0 c1 b1 g1 t1 ms
  shift
  if [ "${name:1}" = 1 ]; then
    CMDS+=("- (${name:0:1}) \`$(show_cmd "$@")\`")
  fi
  echo "== $name: $(show_cmd "$@")"
  c0=$(cpu_ms "$COORD_PID"); b0=$(cpu_ms "$BROKER_PID"); children_ms; g0=$CHILD_MS; t0=$(_now_us)
  "$@" --json "$WORK/$name.json" >"$WORK/$name.log" 2>&1 || rc=$?
  c1=$(cpu_ms "$COORD_PID"); b1=$(cpu_ms "$BROKER_PID"); children_ms; g1=$CHILD_MS; t1=$(_now_us)
  sed 's/^/   /' "$WORK/$name.log"
  if [ "$rc" != 0 ] || [ ! -s "$WORK/$name.json" ]; then
    tail -20 "$WORK/coordinator.log" >&2 || true
    fail "$name: the load generator failed (exit $rc)"
  fi
  ms=$(( (t1 - t0) / 1000 + 1 ))
  jq --argjson c $((c1 - c0)) --argjson b $((b1 - b0)) --argjson g $((g1 - g0)) \
    --argjson ms "$ms" \
    '. + {phase_ms: $ms, coordinator_cpu_ms: $c, broker_cpu_ms: $b, loadgen_cpu_ms: $g,
          coordinator_cpu_ms_per_1000: (if .reports then ($c * 1000 / .reports | floor) else null end)}' \
    "$WORK/$name.json" >"$WORK/$name.tmp"
  mv "$WORK/$name.tmp" "$WORK/$name.json"
}

for r in $(seq 1 "$ROUNDS"); do
  phase "a$r" "$LOADGEN_BIN" raw --broker "$BROKER_URI" --username coordinator \
    --password-file "$(secret coordinator)" --messages "$RAW_N" --inflight "$RAW_INFLIGHT"
  trip_upsert "2026-bench-max-$r" 2026-11-01 cili 慈利县
  phase "b$r" "$LOADGEN_BIN" run --broker "$BROKER_URI" --secrets "$ACCOUNTS/secrets" \
    --agents "$MAX_AGENTS" --reports-per-agent "$PER_AGENT" --trip "2026-bench-max-$r" \
    --rate 0 --window "$MAX_WINDOW" --resend-ms "$MAX_RESEND_MS" --check-progress
  trip_upsert "2026-bench-1k-$r" 2026-11-02 cili 慈利县
  phase "d$r" "$LOADGEN_BIN" run --broker "$BROKER_URI" --secrets "$ACCOUNTS/secrets" \
    --agents $AGENTS --reports-per-agent "$PACED_N" --trip "2026-bench-1k-$r" --rate $RATE \
    --window 50 --check-progress
  if [ "$TLS" = 1 ]; then
    # (b) again, everyone on ssl://: the coordinator reconnects over TLS.
    coordinator_stop
    coordinator_start --broker "$BROKER_TLS_URI" --tls-ca-file "$BROKER_TLS_CA" \
      ${COORD_CONF:+--config "$COORD_CONF"}
    trip_upsert "2026-bench-tls-$r" 2026-11-03 cili 慈利县
    phase "t$r" "$LOADGEN_BIN" run --broker "$BROKER_TLS_URI" --tls-ca-file "$BROKER_TLS_CA" \
      --secrets "$ACCOUNTS/secrets" --agents "$MAX_AGENTS" --reports-per-agent "$PER_AGENT" \
      --trip "2026-bench-tls-$r" --rate 0 --window "$MAX_WINDOW" --check-progress
    coordinator_stop
    coordinator_start ${COORD_CONF:+--config "$COORD_CONF"}
  fi
done
coordinator_stop

all() { # PHASE JQ: the value in every round, "v1, v2, v3"
  local r out=()
  for r in $(seq 1 "$ROUNDS"); do out+=("$(jq -r "$2" "$WORK/$1$r.json")"); done
  local IFS=,
  printf '%s\n' "${out[*]}" | sed 's/,/, /g'
}
med() { # PHASE JQ: the median over the rounds (the lower one of an even count)
  all "$1" "$2" | tr ',' '\n' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
# ratios NUM_PHASE NUM_JQ DEN_PHASE DEN_JQ: NUM / DEN within each round, "2.1, 1.9, 2.4"
ratios() {
  local r n d out=()
  for r in $(seq 1 "$ROUNDS"); do
    n=$(jq -r "$2" "$WORK/$1$r.json") d=$(jq -r "$4" "$WORK/$3$r.json")
    out+=("$(jq -nr --argjson n "$n" --argjson d "$d" 'if $d > 0 then $n / $d * 100 | round / 100 else null end')")
  done
  local IFS=,
  printf '%s\n' "${out[*]}" | sed 's/,/, /g'
}
# ratio_row LABEL GOAL NUM_PHASE NUM_JQ DEN_PHASE DEN_JQ: a table row, median of the rounds'
# ratios; "–" (no ratio, no verdict) when the median is null (a denominator of 0: jq's
# `null <= 2` is true, which would say "met")
ratio_row() {
  local v m
  v=$(ratios "$3" "$4" "$5" "$6")
  m=$(tr ',' '\n' <<<"$v" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  local goal='' shown="${m}x"
  if [ -z "$m" ] || [ "$m" = null ]; then
    shown='–'
    [ -z "$2" ] || goal="<= $2x: –"
  elif [ -n "$2" ]; then
    goal="<= $2x: $(jq -nr "if $m <= $2 then \"met\" else \"NOT met\" end")"
  fi
  printf '| %s | %s | %s | %s |\n' "$1" "$shown" "$v" "$goal"
}
C_PER_REPORT='.coordinator_cpu_ms / .reports' B_PER_REPORT='.broker_cpu_ms / .reports'
raw=$(med a '.rate_per_s | floor')
max=$(med b '.rate_per_s | floor')
ratio=$(( raw > 0 ? max * 100 / raw : 0 ))
p50=$(med d '.latency_ms.p50')
p99=$(med d '.latency_ms.p99')
paced=$(med d '.rate_per_s | floor')
goal_ratio=$([ "$ratio" -ge 80 ] && echo met || echo "NOT met")
goal_p99=$(jq -nr "if $p99 < 100 then \"met\" else \"NOT met\" end")
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
ver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo '?'; }
setup="Mosquitto $(ver mosquitto), Paho C $(ver libpaho-mqtt1.3), SQLite $(ver libsqlite3-0); broker-config/"
for o in "${BROKER_OPTS[@]}"; do setup="$setup + \`$o\`"; done
[ ${#BROKER_OPTS[@]} -eq 0 ] || setup="$setup (experiment)"
if [ -n "$COORD_CONF" ]; then
  setup="$setup; coordinator config: $(grep -v '^[[:space:]]*#' "$COORD_CONF" | grep . | paste -sd ';' | sed 's/;/; /g')"
else
  setup="$setup; coordinator defaults"
fi

mmm() { # PHASE JQ: "min / median / max" over the rounds
  local v
  v=$(all "$1" "$2" | tr ',' '\n' | sort -g)
  printf '%s / %s / %s\n' "$(head -1 <<<"$v" | tr -d ' ')" "$(med "$1" "$2")" "$(tail -1 <<<"$v" | tr -d ' ')"
}
tls_rows=''
if [ "$TLS" = 1 ]; then
  tls_rows=$(cat <<ROWS

TLS, in the same run (--tls): (t) is (b) again with the coordinator and all
agents on the broker's TLS listener (ssl://, TLS 1.2+, P-256 certificate from
deploy/make-certs.sh, host name checked); the plain (b) and (t) alternate
within each round. Coordinator CPU per report is its user + system time over
the phase divided by the reports.

| figure | min / median / max | rounds |
|---|---|---|
| (b) plain: coordinator CPU per report | $(mmm b .coordinator_cpu_ms_per_1000) us | $(all b .coordinator_cpu_ms_per_1000) |
| (t) TLS: coordinator CPU per report | $(mmm t .coordinator_cpu_ms_per_1000) us | $(all t .coordinator_cpu_ms_per_1000) |
| (b) plain: committed-and-acked rate | $(mmm b '.rate_per_s | floor') reports/s | $(all b '.rate_per_s | floor') |
| (t) TLS: committed-and-acked rate | $(mmm t '.rate_per_s | floor') reports/s | $(all t '.rate_per_s | floor') |
| (b) plain: broker CPU, whole phase | $(mmm b .broker_cpu_ms) ms | $(all b .broker_cpu_ms) |
| (t) TLS: broker CPU, whole phase | $(mmm t .broker_cpu_ms) ms | $(all t .broker_cpu_ms) |
| (t) p99 publish-to-ack at saturation | $(mmm t '.latency_ms.p99') ms | $(all t '.latency_ms.p99') |
ROWS
)
fi
table=$(cat <<TABLE
| figure | median | rounds | goal |
|---|---|---|---|
| (a) raw broker QoS 1 rate, ${RAW_N} messages, ${RAW_INFLIGHT} in flight | ${raw} msg/s | $(all a '.rate_per_s | floor') | |
| (b) coordinator committed-and-acked rate, $MAX_AGENTS agents x $PER_AGENT reports (window $MAX_WINDOW), as fast as possible | ${max} reports/s | $(all b '.rate_per_s | floor') | |
| (c) b / a | ${ratio}% | | >= 80%: $goal_ratio |
| (d) p50 publish-to-ack, $AGENTS agents x $PACED_N reports paced at $RATE/s (${paced}/s achieved) | ${p50} ms | $(all d '.latency_ms.p50') | |
| (d) p99 publish-to-ack, same runs | ${p99} ms | $(all d '.latency_ms.p99') | < 100 ms: $goal_p99 |
$(ratio_row "(e) coordinator CPU per report, paced (d) / saturated (b), each round" 1.5 d "$C_PER_REPORT" b "$C_PER_REPORT")
$(ratio_row "(f) coordinator / broker CPU per report during (b), each round" 2 b "$C_PER_REPORT" b "$B_PER_REPORT")
$(ratio_row "(g) for scale: the broker's own CPU per report, paced (d) / saturated (b)" "" d "$B_PER_REPORT" b "$B_PER_REPORT")

Coordinator CPU time (user + system, whole phase) per 1,000 reports: during (b)
$(all b .coordinator_cpu_ms_per_1000) ms, during (d) $(all d .coordinator_cpu_ms_per_1000) ms; the
broker's during (b): $(all b .broker_cpu_ms) ms in all, the load generator's: $(all b .loadgen_cpu_ms) ms
in all (phase wall time $(all b .phase_ms) ms, on $(nproc) cores). Resends during (b): $(all b .resends)
(each is a message the coordinator and the broker handle again, counted in (b)'s CPU, (e) and (f));
p99 publish-to-ack at saturation (up to $((MAX_AGENTS * MAX_WINDOW)) reports outstanding): $(all b '.latency_ms.p99') ms.
$tls_rows
TABLE
)
entry=$(cat <<ENTRY
## $(date -u +%Y-%m-%dT%H:%MZ): $(nproc) cores, ${cpu:-unknown CPU}, $ROUNDS rounds

$setup.

$table

Commands (round 1, from \`bash bench/run.sh\`):
$(printf '%s\n' "${CMDS[@]}")
ENTRY
)
bench_report "$entry"
