#!/usr/bin/env bash
# months.sh -- the retained months (issue 13) against a real Mosquitto:
# progress/{year}/months and progress/{year}/counties/{county}/months with
# exact values. A report's month is its recorded_at at the coordinator's
# offset (+08:00: 23:30 on 31 January +08:00 is January, 16:00Z on 31 January
# is February; a report recorded in -05:00 too), its year that local date's
# (a report of a trip dated 2025 recorded in 2026 counts in 2026's months); a
# void takes a report out of its month; a trip moved to another county takes
# its months along; a restart at another tz_offset_min places every report
# again. Each message is checked against schemas/progress-months.schema.json.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

T1=2026-mo-001 T2=2026-mo-002 T0=2025-mo-003
stack_up --agents "team-01" \
  --trip "$T1 2026-01-31 xiuwu 修武县" --trip "$T2 2026-02-01 wuzhi 武陟县" \
  --trip "$T0 2025-12-31 xiuwu 修武县"
A=$ROOT/agents/team-01
N=0

# send KIND TRIP RECORDED_AT JSON-FIELDS: one report of team-01 by hand (msg_id
# number N+1, seq N+1).
send() {
  N=$((N + 1))
  publish_as team-01 "$A/reports/$1" "$(jq -cn --arg mid "$(printf 'bbbbbbbb-0000-4000-8000-%012d' $N)" \
    --argjson seq $N --arg trip "$2" --arg at "$3" --argjson f "$4" \
    '{msg_id: $mid, agent_id: "team-01", seq: $seq, trip_id: $trip, recorded_at: $at} + $f')"
}

ack_listen team-01 "$A/acks"
send headcount $T1 2026-01-31T23:30:00+08:00 \
  '{"department":"internal","consultations":10,"female":4,"over_60":3,"poor_households":2}'
send headcount $T1 2026-01-31T16:00:00Z '{"department":"surgery","consultations":5}'
send checkin $T1 2026-01-31T15:59:59Z '{"staff_id":"dr-wang","role":"doctor"}'
send checkin $T2 2026-02-01T09:00:00+08:00 '{"staff_id":"dr-wang","role":"doctor"}'
send checkin $T2 2026-02-01T09:00:00+08:00 '{"staff_id":"driver-wu","role":"support"}'
send referral $T2 2026-02-28T20:00:00-05:00 \
  '{"destination":"county_hospital","condition":"c","urgency":"urgent","patient_ref":"p-1"}'
send dispense $T0 2025-12-31T16:00:00Z '{"medicine":"m","quantity":2,"unit":"box","value_fen":1234}'
send education $T2 2026-02-01T10:00:00+08:00 '{"brochures":50,"attendees":30,"talks":1}'
send headcount $T0 2025-12-31T23:30:00+08:00 '{"department":"obgyn","consultations":7}'
acks=$(acks_collect team-01 9 | jq -r .status | sort | uniq -c | tr -s ' ' | tr '\n' ';')
assert_eq " 9 accepted;" "$acks" "acks of the 9 reports"

# m JQ-OF-A-MONTH: the fields a month is checked by, as one compact array.
M='[.consultations, .by_department.internal, .by_department.surgery, .by_department.obgyn,
    .female, .over_60, .poor_households, .staff, .value_fen, .dispenses, .referrals,
    .by_destination.county_hospital, .by_urgency.urgent, .brochures, .attendees, .talks, .education]'
# months TOPIC: the first three months and December of TOPIC's retained message.
months() { retained "$1" | jq -c "[.months[0, 1, 2, 11] | $M]" 2>/dev/null; }
expect_months() { expect_output 20 "months of $1" "$2" months "$1"; }
Z='[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]'
JAN='[10,10,0,0,4,3,2,1,1234,1,0,0,0,0,0,0,0]'
FEB='[5,0,5,0,0,0,0,1,0,0,0,0,0,50,30,1,1]'
MAR='[0,0,0,0,0,0,0,0,0,0,1,1,1,0,0,0,0]'
expect_months "$ROOT/progress/2026/months" "[$JAN,$FEB,$MAR,$Z]"
expect_months "$ROOT/progress/2025/months" "[$Z,$Z,$Z,[7,0,0,7,0,0,0,0,0,0,0,0,0,0,0,0,0]]"
expect_months "$ROOT/progress/2026/counties/xiuwu/months" \
  "[$JAN,[5,0,5,0,0,0,0,0,0,0,0,0,0,0,0,0,0],$Z,$Z]"
expect_months "$ROOT/progress/2026/counties/wuzhi/months" \
  "[$Z,[0,0,0,0,0,0,0,1,0,0,0,0,0,50,30,1,1],$MAR,$Z]"
assert_eq '["xiuwu","修武县",12,[1,2,3,4,5,6,7,8,9,10,11,12]]' \
  "$(retained "$ROOT/progress/2026/counties/xiuwu/months" | jq -c '[.county, .county_name, (.months | length), [.months[].month]]')" \
  "the county's message"
for t in progress/2026/months progress/2025/months progress/2026/counties/xiuwu/months \
  progress/2026/counties/wuzhi/months; do
  retained "$ROOT/$t" >"$WORK/msg.json"
  /usr/bin/python3 "$SRC_DIR/schemas/check.py" --schema progress-months "$WORK/msg.json" \
    >"$WORK/check.out" 2>&1 || fail "$t against progress-months: $(cat "$WORK/check.out")"
done
pass "months by recorded_at at +08:00 (23:30 on 31 January is January, 16:00Z is February), per county, schema-valid"

# A void takes January's headcount out of its month.
send void $T1 2026-02-02T10:00:00+08:00 \
  "$(jq -cn --arg v bbbbbbbb-0000-4000-8000-000000000001 '{voids: $v, reason: "entered twice"}')"
assert_eq accepted "$(acks_collect team-01 1 | jq -r .status)" "ack of the void"
JAN_V='[0,0,0,0,0,0,0,1,1234,1,0,0,0,0,0,0,0]'
expect_months "$ROOT/progress/2026/months" "[$JAN_V,$FEB,$MAR,$Z]"
expect_months "$ROOT/progress/2026/counties/xiuwu/months" \
  "[$JAN_V,[5,0,5,0,0,0,0,0,0,0,0,0,0,0,0,0,0],$Z,$Z]"
pass "a void takes its report out of its month"

# T1 moves to wuzhi: its January check-in and February headcount go along.
# (trip_upsert's request_id is per trip: a second one would get the first's reply)
reply=$(admin_request "$(jq -cn --arg id $T1 '{request_id: "move-1", op: "trip.upsert",
  trip_id: $id, title: "义诊", date: "2026-01-31",
  site: {code: "site-wuzhi", name: "村卫生室", county: "wuzhi", county_name: "武陟县"},
  mode: "upper_help", activities: ["clinic"], departments: ["internal"], capacity: {doctor: 4}}')")
assert_eq true "$(jq -r .ok <<<"$reply")" "the move of $T1: $reply"
expect_months "$ROOT/progress/2026/counties/xiuwu/months" \
  "[[0,0,0,0,0,0,0,0,1234,1,0,0,0,0,0,0,0],$Z,$Z,$Z]"
expect_months "$ROOT/progress/2026/counties/wuzhi/months" \
  "[[0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0],$FEB,$MAR,$Z]"
expect_months "$ROOT/progress/2026/months" "[$JAN_V,$FEB,$MAR,$Z]"
pass "a trip moved to another county takes its months along"

# At UTC (tz_offset_min = 0) the 16:00Z headcount is January's, the dispense
# at 16:00Z on 31 December 2025 is 2025's, the referral still March's.
coordinator_stop
printf 'tz_offset_min = 0\n' >"$WORK/utc.conf"
coordinator_start --config "$WORK/utc.conf"
expect_months "$ROOT/progress/2026/months" \
  "[[5,0,5,0,0,0,0,1,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,1,0,0,0,0,0,50,30,1,1],$MAR,$Z]"
expect_months "$ROOT/progress/2025/months" "[$Z,$Z,$Z,[7,0,0,7,0,0,0,0,1234,1,0,0,0,0,0,0,0]]"
grep -q "reports now go in months at tz_offset_min 0" "$WORK/coordinator.log" ||
  fail "the start at another offset did not say it placed the reports again"
coordinator_stop
pass "a start at another tz_offset_min places every report again"
echo "all $PASSED passed"
