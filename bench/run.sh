#!/usr/bin/env bash
# bench/run.sh -- outreach's benchmark, run by hand (not in CI), all on this
# machine over loopback, in ONE run so the figures compare: (a) the broker's
# own QoS 1 rate (publish -> subscriber, no coordinator); (b) the
# coordinator's sustained committed-and-acked rate, 200 agents as fast as
# they go; (c) b / a; (d) publish-to-ack latency p50/p99 at a paced 1,000
# reports/s from 200 agents. Appends the figures to BENCHMARKS.md.
#   RAW_N=100000  messages for (a)   PER_AGENT=100  reports per agent for (b)
set -euo pipefail
cd "$(dirname "$0")/.."
RAW_N=${RAW_N:-100000} PER_AGENT=${PER_AGENT:-100} AGENTS=200
bash scripts/deps.sh
echo "== building (Release) in build-bench"
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DOUTREACH_TESTS=OFF >/dev/null
cmake --build build-bench -j "$(nproc)" >/dev/null
export OUTREACH_BUILD_DIR=$PWD/build-bench
source tests/lib/common.sh
source tests/lib/broker.sh
source tests/lib/stack.sh
pass() { :; }
tmpdir_setup

echo "== $AGENTS agent accounts, broker, coordinator"
broker_provision --agents "$(lg_agents $AGENTS)" --volunteers "vol-01"
broker_start
on_exit coordinator_stop
coordinator_start ${COORD_CONF:+--config "$COORD_CONF"}

raw_cmd=("$LOADGEN_BIN" raw --broker "$BROKER_URI" --username coordinator
  --password-file "$(secret coordinator)" --messages "$RAW_N" --json "$WORK/raw.json")
echo "== (a) raw broker QoS 1 rate: ${raw_cmd[*]:1}"
"${raw_cmd[@]}"

trip_upsert 2026-bench-max 2026-11-01 cili 慈利县
max_cmd=("$LOADGEN_BIN" run --broker "$BROKER_URI" --secrets "$ACCOUNTS/secrets" --agents $AGENTS
  --reports-per-agent "$PER_AGENT" --trip 2026-bench-max --rate 0 --window 50
  --check-progress --json "$WORK/max.json")
echo "== (b) coordinator, as fast as possible: ${max_cmd[*]:1}"
"${max_cmd[@]}"

trip_upsert 2026-bench-1k 2026-11-02 cili 慈利县
paced_cmd=("$LOADGEN_BIN" run --broker "$BROKER_URI" --secrets "$ACCOUNTS/secrets" --agents $AGENTS
  --reports-per-agent 50 --trip 2026-bench-1k --rate 1000 --window 50
  --check-progress --json "$WORK/paced.json")
echo "== (d) coordinator, paced at 1,000 reports/s: ${paced_cmd[*]:1}"
"${paced_cmd[@]}"
coordinator_stop

raw=$(jq .rate_per_s "$WORK/raw.json")
max=$(jq .rate_per_s "$WORK/max.json")
ratio=$(jq -n "$max / $raw * 100 | floor")
p50=$(jq .latency_ms.p50 "$WORK/paced.json")
p99=$(jq .latency_ms.p99 "$WORK/paced.json")
paced_rate=$(jq .rate_per_s "$WORK/paced.json")
goal_ratio=$([ "$ratio" -ge 80 ] && echo met || echo "NOT met")
goal_p99=$(jq -n "if $p99 < 100 then \"met\" else \"NOT met\" end" -r)
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
table=$(cat <<TABLE
| figure | value | goal |
|---|---|---|
| (a) raw broker QoS 1 rate, ${RAW_N} messages | $(printf '%.0f' "$raw") msg/s | |
| (b) coordinator committed-and-acked rate, $AGENTS agents x $PER_AGENT reports, as fast as possible | $(printf '%.0f' "$max") reports/s | |
| (c) b / a | ${ratio}% | >= 80%: $goal_ratio |
| (d) publish-to-ack latency at a paced 1,000 reports/s from $AGENTS agents ($(printf '%.0f' "$paced_rate")/s achieved) | p50 $(printf '%.1f' "$p50") ms, p99 $(printf '%.1f' "$p99") ms | p99 < 100 ms: $goal_p99 |
TABLE
)
echo
echo "$table"
{
  echo
  echo "## $(date -u +%Y-%m-%dT%H:%MZ): $(nproc) cores, ${cpu:-unknown CPU}"
  echo
  echo "$table"
  echo
  echo "Commands (from \`bash bench/run.sh\`):"
  echo "- (a) \`outreach-loadgen ${raw_cmd[*]:1}\`" | sed "s|$WORK|\$WORK|g"
  echo "- (b) \`outreach-loadgen ${max_cmd[*]:1}\`" | sed "s|$WORK|\$WORK|g"
  echo "- (d) \`outreach-loadgen ${paced_cmd[*]:1}\`" | sed "s|$WORK|\$WORK|g"
} >>BENCHMARKS.md
echo "== figures appended to BENCHMARKS.md"
