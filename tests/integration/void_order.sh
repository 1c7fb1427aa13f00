#!/usr/bin/env bash
# void_order.sh -- a void that arrives before the report it names, against the
# real broker and coordinator: the void is accepted as pending (its ack says
# "void_pending": true, it is not a refusal), survives a coordinator restart,
# and the report, when it comes, is stored already voided and never counts.
# A void naming another agent's report is still refused (void_target).
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

TRIP=2026-vo-001
stack_up --agents "team-01 team-02" --trip "$TRIP 2026-11-20 xiuwu 修武县"

# The client ids belong to the account: USER or USER.something.
send() { # AGENT KIND PAYLOAD
  mqtt_pub "$1" -V mqttv5 -q 1 -i "$1.void-order" -t "$ROOT/agents/$1/reports/$2" -m "$3"
}
# acks AGENT -E opens AGENT's listening session; acks AGENT -C N -W S reads
# the next N ack messages queued in it.
acks() {
  local who=$1; shift
  mqtt_sub "$who" -V mqttv5 -q 1 -c -x 600 -i "$who.void-acks" -t "$ROOT/agents/$who/acks" "$@"
}
next_ack() { # AGENT: the next single ack of AGENT, compact JSON
  local msg
  msg=$(acks "$1" -C 1 -W 10) || fail "no ack for $1 within 10 s"
  jq -c '.acks[]' <<<"$msg"
}
mid() { printf 'b0000000-0000-4000-8000-%012d' "$1"; }
seq_no=0
headcount() { # AGENT N CONSULTATIONS
  seq_no=$((seq_no + 1))
  jq -cn --arg a "$1" --arg m "$(mid "$2")" --argjson s $seq_no --arg t $TRIP --argjson c "$3" \
    '{msg_id: $m, agent_id: $a, seq: $s, trip_id: $t, recorded_at: "2026-11-20T09:31:05+08:00",
      department: "internal", consultations: $c}'
}
void_of() { # AGENT N TARGET-N
  seq_no=$((seq_no + 1))
  jq -cn --arg a "$1" --arg m "$(mid "$2")" --argjson s $seq_no --arg t $TRIP --arg v "$(mid "$3")" \
    '{msg_id: $m, agent_id: $a, seq: $s, trip_id: $t, recorded_at: "2026-11-20T09:32:05+08:00",
      voids: $v, reason: "entered twice"}'
}
voided_by() { sqlite3 "$COORD_DB" "SELECT COALESCE(voided_by, 'null') FROM reports WHERE msg_id = '$(mid "$1")'"; }
pending_voids() { sqlite3 "$COORD_DB" "SELECT COUNT(*) FROM pending_voids"; }

acks team-01 -E
acks team-02 -E

# 1. The void (2) names headcount 1 before 1 has arrived.
send team-01 void "$(void_of team-01 2 1)"
assert_eq "{\"msg_id\":\"$(mid 2)\",\"status\":\"accepted\",\"void_pending\":true}" \
  "$(next_ack team-01)" "ack of a void whose target has not arrived"
pass "a void before its target is accepted as pending, not refused"
assert_eq 1 "$(pending_voids)" "pending voids stored"

# 2. It is kept across a restart of the coordinator.
coordinator_stop
coordinator_start
pass "coordinator restarted with the void pending"

# 3. The target arrives: stored already voided, acked accepted, never counted.
send team-01 headcount "$(headcount team-01 1 7)"
assert_eq "{\"msg_id\":\"$(mid 1)\",\"status\":\"accepted\"}" "$(next_ack team-01)" "ack of the target"
assert_eq "$(mid 2)" "$(voided_by 1)" "the target is stored voided by the pending void"
assert_eq 0 "$(pending_voids)" "pending voids once the target came"
# A counted headcount after it: progress reaching 5 (not 12) shows the target never counted.
send team-01 headcount "$(headcount team-01 3 5)"
assert_eq accepted "$(next_ack team-01 | jq -r .status)" "ack of a counted headcount"
expect_retained "$ROOT/trips/$TRIP/progress" .consultations.count 5
pass "the target came in voided and never counted"

# 4. Resends: both are duplicates; a second void of the target is refused.
send team-01 void "$(void_of team-01 2 1)"
assert_eq duplicate "$(next_ack team-01 | jq -r .status)" "resend of the void"
send team-01 headcount "$(headcount team-01 1 7)"
assert_eq duplicate "$(next_ack team-01 | jq -r .status)" "resend of the target"
send team-01 void "$(void_of team-01 4 1)"
assert_eq '["rejected","void_target"]' "$(next_ack team-01 | jq -c '[.status, .code]')" \
  "a second void of the voided target"
pass "resends are duplicates; a second void is refused"

# 5. Another agent's report stays out of reach, whichever comes first.
send team-02 headcount "$(headcount team-02 10 11)"
assert_eq accepted "$(next_ack team-02 | jq -r .status)" "team-02's headcount"
send team-01 void "$(void_of team-01 5 10)"
assert_eq '["rejected","void_target"]' "$(next_ack team-01 | jq -c '[.status, .code]')" \
  "a void of another agent's report"
send team-01 void "$(void_of team-01 6 11)"
assert_eq true "$(next_ack team-01 | jq -r .void_pending)" "a void of a msg_id not seen yet"
send team-02 headcount "$(headcount team-02 11 13)"
assert_eq accepted "$(next_ack team-02 | jq -r .status)" "team-02's report with that msg_id"
assert_eq null "$(voided_by 11)" "another agent's report is not voided by a pending void"
expect_retained "$ROOT/trips/$TRIP/progress" .consultations.count 29
pass "another agent's report is out of reach of team-01's voids"

# 6. The store agrees with the progress, and a rebuild of the totals too.
assert_eq 29 "$(sqlite3 "$COORD_DB" "SELECT SUM(consultations) FROM trip_totals WHERE trip_id = '$TRIP'")" \
  "running totals"
coordinator_stop
sqlite3 "$COORD_DB" "DELETE FROM trip_totals; DELETE FROM meta WHERE key = 'trip_totals'"
coordinator_start
assert_eq 29 "$(sqlite3 "$COORD_DB" "SELECT SUM(consultations) FROM trip_totals WHERE trip_id = '$TRIP'")" \
  "totals rebuilt from the reports"
expect_retained "$ROOT/trips/$TRIP/progress" .consultations.count 29
coordinator_stop
pass "coordinator stopped cleanly"
echo "$PASSED passed, 0 failed"
