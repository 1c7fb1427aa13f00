#!/usr/bin/env bash
# backpressure.sh -- a burst of 8,000 reports from two agents at full speed is
# counted exactly, with no stall (waiting for room in the coordinator's queue
# once deadlocked Paho's thread against ours); a flood of invalid reports from
# one agent is answered in ack messages of at most 16 KiB each, one per report.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

stack_up --agents "team-01 team-02" --coordinator-conf 'batch_max = 1000' --trip "2026-bp-001 2026-06-01 cili 慈利县"

N=5000
BAD=3000
# report_lines AGENT FROM TO CONSULTATIONS: one report per line, seq FROM..TO.
report_lines() {
  local i
  for ((i = $2; i <= $3; i++)); do
    printf '{"msg_id":"%08x-0000-4000-8000-%012x","agent_id":"%s","seq":%d,"trip_id":"2026-bp-001","recorded_at":"2026-06-01T10:00:00+08:00","department":"general","consultations":%d}\n' \
      "$i" "$i" "$1" "$i" "$4"
  done
}
report_lines team-01 1 "$N" 1 >"$WORK/good.txt"
report_lines team-02 100001 $((100000 + BAD)) 0 >"$WORK/bad.txt"

ack_listen team-02 "$ROOT/agents/team-02/acks"
pub_lines() {
  mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -V mqttv5 -q 1 -u "$1" -i "$1.test-lines" \
    -P "$(cat "$(secret "$1")")" -t "$ROOT/agents/$1/reports/headcount" -l <"$2"
}
pub_lines team-01 "$WORK/good.txt" &
good_pid=$!
pub_lines team-02 "$WORK/bad.txt"
wait "$good_pid"

expect_retained "$ROOT/progress/2026" .consultations.count "$N"
assert_eq "$N" "$(sqlite3 "$COORD_DB" 'SELECT COUNT(*) FROM reports')" "reports stored"

# Every invalid report is answered once, in messages within the contract's limit.
mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -V mqttv5 -q 1 -c -x 600 -i team-02.listen \
  -u team-02 -P "$(cat "$(secret team-02)")" -t "$ROOT/agents/team-02/acks" -W 5 \
  >"$WORK/acks.txt" 2>/dev/null || true # -W ends it once the queue is drained
largest=$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$WORK/acks.txt")
[ "$largest" -le 16384 ] || fail "an ack message of $largest bytes"
pass "largest ack message: $largest bytes, $(wc -l <"$WORK/acks.txt") messages"
assert_eq "$BAD" "$(jq -c '.acks[]' "$WORK/acks.txt" | jq -r .msg_id | sort -u | wc -l)" \
  "distinct msg_ids answered"
assert_eq "rejected schema" "$(jq -r '.acks[] | "\(.status) \(.code)"' "$WORK/acks.txt" | sort -u)" \
  "every invalid report rejected as schema"

coordinator_stop
pass "coordinator stopped cleanly"
echo "$PASSED passed, 0 failed"
