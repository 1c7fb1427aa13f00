#!/usr/bin/env bash
# months.sh -- the retained months (issue 13) against a real Mosquitto:
# progress/{year}/months and progress/{year}/counties/{county}/months with
# exact values. A report's month is its recorded_at's local day at the
# coordinator's offset (+08:00: 23:30 on 31 January +08:00 is 31 January,
# 16:00Z on 31 January is 1 February; a report recorded in -05:00 too)
# clamped to its trip's days: a report made during a trip counts on its day,
# one typed in after the trip (even more than a year later) on the trip's
# last day, one typed in before on its first; the year is that day's (a
# trip past New Year has reports in both years). A void takes a report out
# of its month; a trip moved to another county takes its months along, one
# moved to other days (another year too) its reports' months, and the year
# it left is published again; a restart at another tz_offset_min places
# every report again. Each message is checked against
# schemas/progress-months.schema.json.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

T1=2026-mo-001 T2=2026-mo-002 T0=2025-mo-003
stack_up --agents "team-01"
# trip_days ID DATE END_DATE COUNTY COUNTY_NAME [REQUEST_ID]: a trip of the
# days DATE..END_DATE (trip.upsert's request_id is per request: a second
# one with the same id would get the first's reply).
trip_days() {
  local reply
  reply=$(admin_request "$(jq -cn --arg id "$1" --arg date "$2" --arg last "$3" --arg county "$4" \
    --arg cname "$5" --arg rid "${6:-up-$1}" '{request_id: $rid, op: "trip.upsert",
      trip_id: $id, title: "义诊", date: $date, end_date: $last,
      site: {code: ("site-" + $county), name: "村卫生室", county: $county, county_name: $cname},
      mode: "upper_help", activities: ["clinic"], departments: ["internal"],
      capacity: {doctor: 4}}')")
  assert_eq true "$(jq -r .ok <<<"$reply")" "trip.upsert $1 $2..$3 $4: $reply"
}
trip_days $T1 2026-01-31 2026-02-01 xiuwu 修武县
trip_days $T2 2026-02-01 2026-03-01 wuzhi 武陟县
trip_days $T0 2025-12-31 2026-01-01 xiuwu 修武县
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
pass "months by recorded_at at +08:00 within the trips' days (23:30 on 31 January is January, 16:00Z is February), per county, schema-valid"

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
trip_days $T1 2026-01-31 2026-02-01 wuzhi 武陟县 move-1
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

# Back at +08:00. Reports typed in outside their trip's days: before T1
# (20 January: T1's first day, January), after T0 (9 January 2026: its last
# day, 1 January), and after T2 by more than a year (June 2027: 1 March
# 2026). No 2027 months come of it.
coordinator_start
send headcount $T1 2026-01-20T10:00:00+08:00 '{"department":"surgery","consultations":3}'
send headcount $T0 2026-01-09T10:00:00+08:00 '{"department":"obgyn","consultations":2}'
send dispense $T2 2027-06-01T10:00:00+08:00 '{"medicine":"m","quantity":1,"unit":"box","value_fen":100}'
assert_eq "accepted accepted accepted" "$(acks_collect team-01 3 | jq -r .status | tr '\n' ' ' | sed 's/ $//')" \
  "acks of the reports typed in outside their trips' days"
JAN2='[5,0,3,2,0,0,0,1,1234,1,0,0,0,0,0,0,0]'
MAR2='[0,0,0,0,0,0,0,0,100,1,1,1,1,0,0,0,0]'
expect_months "$ROOT/progress/2026/months" "[$JAN2,$FEB,$MAR2,$Z]"
[ -z "$(retained "$ROOT/progress/2027/months")" ] || fail "a report of a 2026 trip made 2027 months"
pass "a report typed in before its trip counts on its first day, after it on its last, a year later too"

# T2 moved to 10 April 2026 (one day): every report of it goes to April, in
# the same transaction as the move; then to 2027: 2026 loses it, 2027 gets
# it, in both the year's and the county's months.
trip_days $T2 2026-04-10 2026-04-10 wuzhi 武陟县 move-2
APR='[0,0,0,0,0,0,0,1,100,1,1,1,1,50,30,1,1]'
months4() { retained "$1" | jq -c "[.months[0, 1, 2, 3] | $M]" 2>/dev/null; }
expect_output 20 "2026 months with $T2 in April" "[$JAN2,[5,0,5,0,0,0,0,0,0,0,0,0,0,0,0,0,0],$Z,$APR]" \
  months4 "$ROOT/progress/2026/months"
expect_output 20 "wuzhi's 2026 months with $T2 in April" "[[3,0,3,0,0,0,0,1,0,0,0,0,0,0,0,0,0],[5,0,5,0,0,0,0,0,0,0,0,0,0,0,0,0,0],$Z,$APR]" \
  months4 "$ROOT/progress/2026/counties/wuzhi/months"
trip_days $T2 2027-01-15 2027-01-15 wuzhi 武陟县 move-3
expect_output 20 "2026 months without $T2" "[$JAN2,[5,0,5,0,0,0,0,0,0,0,0,0,0,0,0,0,0],$Z,$Z]" \
  months4 "$ROOT/progress/2026/months"
expect_output 20 "2027 months with $T2 in January" "[$APR,$Z,$Z,$Z]" \
  months4 "$ROOT/progress/2027/months"
expect_output 20 "wuzhi's 2027 months" "[$APR,$Z,$Z,$Z]" \
  months4 "$ROOT/progress/2027/counties/wuzhi/months"
coordinator_stop
pass "a trip moved to other days, and to another year, takes its reports' months along"
echo "all $PASSED passed"
