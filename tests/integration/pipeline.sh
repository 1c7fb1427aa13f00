#!/usr/bin/env bash
# pipeline.sh -- an outreach day end to end against a real Mosquitto: four field
# agents on five trips in three counties and two years, with duplicates, voids
# and invalid reports; the exact totals are read back from the retained
# progress topics by a real subscriber, and from the CLI, CSV and store.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

stack_up --agents "team-01 team-02 team-03 team-04"

# Trips: T4 will be cancelled, T1 completed, T5 belongs to 2025.
trip_upsert 2026-xw-001 2026-03-15 xiuwu 修武县
trip_upsert 2026-xw-002 2026-11-20 xiuwu 修武县
trip_upsert 2026-zjj-014 2026-11-21 yongding 永定区
trip_upsert 2026-cl-003 2026-12-05 cili 慈利县
trip_upsert 2025-zjj-099 2025-12-30 yongding 永定区
reply=$(admin_request '{"request_id":"c1","op":"trip.cancel","trip_id":"2026-cl-003","reason":"road closed"}')
assert_eq '"cancelled"' "$(jq -c .status <<<"$reply")" "trip.cancel reply"
reply=$(admin_request '{"request_id":"k1","op":"trip.complete","trip_id":"2026-xw-001"}')
assert_eq '"completed"' "$(jq -c .status <<<"$reply")" "trip.complete reply"
again=$(admin_request '{"request_id":"k1","op":"trip.complete","trip_id":"2026-xw-001"}')
assert_eq "$reply" "$again" "a repeated request_id gets the same reply"
reply=$(admin_request '{"request_id":"k2","op":"trip.complete","trip_id":"2026-cl-003"}')
assert_eq '"conflict"' "$(jq -c .code <<<"$reply")" "completing a cancelled trip"
expect_retained "$ROOT/trips/2026-cl-003" .status '"cancelled"'

# MQTT 5 request/response: the reply goes to the request's Response Topic (when
# it lies under admin/replies) and carries its Correlation Data.
rt_sub() {
  mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -V mqttv5 -q 1 -c -x 600 -i admin.rt -u admin \
    -P "$(cat "$(secret admin)")" -t "$ROOT/admin/replies/console-1" "$@"
}
rt_sub -E
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -V mqttv5 -q 1 -u admin -i admin.test-rt1 -P "$(cat "$(secret admin)")" \
  -t "$ROOT/admin/requests" -D publish response-topic "$ROOT/admin/replies/console-1" \
  -D publish correlation-data corr-42 -m '{"request_id":"rt1","op":"trip.complete","trip_id":"2026-zz-404"}'
assert_eq 'corr-42|{"request_id":"rt1","ok":false,"code":"unknown_trip","reason":"no trip 2026-zz-404"}' \
  "$(rt_sub -C 1 -W 10 -F '%D|%p')" "reply on the Response Topic with the Correlation Data"
# A Response Topic elsewhere is not honoured: the reply goes to admin/replies.
ack_listen admin "$ROOT/admin/replies"
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -V mqttv5 -q 1 -u admin -i admin.test-rt2 -P "$(cat "$(secret admin)")" \
  -t "$ROOT/admin/requests" -D publish response-topic "$ROOT/progress/2026" \
  -m '{"request_id":"rt2","op":"trip.cancel","trip_id":"2026-zz-404"}'
assert_eq '"rt2"' "$(ack_collect admin "$ROOT/admin/replies" 1 | jq -c .request_id)" "reply on the fixed topic"
reply=$(admin_request '{"request_id":"bad1","op":"trip.upsert","trip_id":"x1","title":"t","date":"2026-02-30"}')
assert_eq '"schema"' "$(jq -c .code <<<"$reply")" "a request with a bad field"
grep -q "date" <<<"$(jq -r .reason <<<"$reply")" || fail "the reason names the field: $reply"
reply=$(admin_request 'not json')
assert_eq '[null,false,"malformed"]' "$(jq -c '[.request_id, .ok, .code]' <<<"$reply")" "a request that is not JSON"

agent_setup team-01 2026-xw-001
agent_setup team-02 2026-xw-002
agent_setup team-03 2026-zjj-014
agent_setup team-04 2025-zjj-099

# expect_exit CODE CMD...: runs CMD and checks its exit status.
expect_exit() {
  local want=$1 got=0; shift
  "$@" >"$WORK/last.out" 2>&1 || got=$?
  [ "$got" = "$want" ] || { cat "$WORK/last.out" >&2; fail "exit $got, expected $want: $*"; }
  pass "exit $want: ${*:2:3}"
}
msg_of() { grep -o '[0-9a-f]\{8\}-[0-9a-f-]\{27\}' "$WORK/last.out" | head -1; }

# team-01 at a village clinic in Xiuwu.
expect_exit 0 agent team-01 report headcount --department internal --consultations 120 --female 70 --over-60 40
first_msg=$(msg_of)
grep -q '^accepted' "$WORK/last.out" || fail "first headcount not accepted: $(cat "$WORK/last.out")"
expect_exit 0 agent team-01 report headcount --department surgery --consultations 45
expect_exit 0 agent team-01 report dispense --medicine 阿莫西林胶囊 --quantity 20 --unit box --value 125.50
expect_exit 0 agent team-01 report referral --destination county_hospital --condition cataract --urgency routine --patient-ref P-0001 --age 67 --sex F
expect_exit 0 agent team-01 report checkin --staff-id doc-li --role doctor --organization 焦作市人民医院
expect_exit 0 agent team-01 report checkin --staff-id nurse-zhao --role nurse
expect_exit 0 agent team-01 report checkin --staff-id driver-wu --role support
expect_exit 0 agent team-01 report education --brochures 100 --attendees 60 --talks 1 --topic hypertension

# team-02: one headcount entered wrongly and voided; a second check-in of doc-li.
expect_exit 0 agent team-02 report headcount --department obgyn --consultations 80
expect_exit 0 agent team-02 report headcount --department internal --consultations 30
wrong=$(msg_of)
expect_exit 0 agent team-02 report void --msg-id "$wrong" --reason "entered twice"
void_msg=$(msg_of)
expect_exit 0 agent team-02 report dispense --medicine ibuprofen --quantity 10 --unit bottle --value-fen 5000
expect_exit 0 agent team-02 report referral --destination township_health_center --condition hypertension --urgency urgent --patient-ref XW-77
expect_exit 0 agent team-02 report checkin --staff-id doc-li --role doctor
expect_exit 0 agent team-02 report checkin --staff-id pharm-sun --role pharmacist
expect_exit 3 agent team-02 report void --msg-id "$void_msg" --reason "undo the undo"
grep -q 'void_target' "$WORK/last.out" || fail "void of a void: $(cat "$WORK/last.out")"

# team-03 in Yongding; tries to void a report of team-01.
expect_exit 0 agent team-03 report headcount --department pediatrics --consultations 200
expect_exit 0 agent team-03 report referral --destination city_hospital --condition fracture --urgency emergency --patient-ref YD-3
expect_exit 0 agent team-03 report checkin --staff-id hp-qian --role health_promoter
expect_exit 0 agent team-03 report education --brochures 50
expect_exit 3 agent team-03 report void --msg-id "$first_msg" --reason "not mine"
grep -q 'void_target' "$WORK/last.out" || fail "void of another agent's report: $(cat "$WORK/last.out")"

# team-04 on the 2025 trip, then on the cancelled trip and an unknown one.
expect_exit 0 agent team-04 report headcount --department general --consultations 999
expect_exit 0 agent team-04 report checkin --staff-id doc-2025 --role doctor
expect_exit 3 agent team-04 report headcount --trip 2026-cl-003 --department general --consultations 5
grep -q 'trip_cancelled' "$WORK/last.out" || fail "cancelled trip: $(cat "$WORK/last.out")"
expect_exit 3 agent team-04 report headcount --trip 2026-zz-404 --department general --consultations 5
grep -q 'unknown_trip' "$WORK/last.out" || fail "unknown trip: $(cat "$WORK/last.out")"

# Bad input refused on the device itself: nothing stored, nothing sent.
expect_exit 2 agent team-04 report headcount --department general --consultations 0
expect_exit 2 agent team-04 report referral --destination county_hospital --condition x --urgency routine --patient-ref 13812345678
expect_exit 2 agent team-04 report headcount --department dentist --consultations 3

# A resend of an already counted report (the device never saw the ack), and
# messages the CLI would never send, straight onto the wire.
ack_listen team-01 "$ROOT/agents/team-01/acks"
ack_listen team-02 "$ROOT/agents/team-02/acks"
payload=$(sqlite3 "$WORK/agents/team-01.db" "SELECT payload FROM outbox WHERE msg_id = '$first_msg'")
publish_as team-01 "$ROOT/agents/team-01/reports/headcount" "$payload"
mismatch=$(jq -c '.agent_id = "team-02" | .msg_id = "0f0e0d0c-0b0a-4908-8706-050403020100"' <<<"$payload")
publish_as team-01 "$ROOT/agents/team-01/reports/headcount" "$mismatch"
publish_as team-02 "$ROOT/agents/team-02/reports/headcount" \
  '{"msg_id":"11111111-2222-4333-8444-555555555555","agent_id":"team-02","seq":99,"trip_id":"2026-xw-002","recorded_at":"2026-11-20T10:00:00+08:00","department":"internal","consultations":0}'
publish_as team-02 "$ROOT/agents/team-02/reports/headcount" 'this is not json'
big=$(jq -cn --arg pad "$(head -c 17000 /dev/zero | tr '\0' x)" \
  '{msg_id: "22222222-2222-4333-8444-555555555555", agent_id: "team-02", pad: $pad}')
publish_as team-02 "$ROOT/agents/team-02/reports/headcount" "$big"
acks1=$(acks_collect team-01 2 | jq -c '[.status, (.code // "")]' | sort | tr -d '\n')
assert_eq '["duplicate",""]["rejected","agent_mismatch"]' "$acks1" "team-01 acks for a resend and a mismatch"
acks2=$(acks_collect team-02 3 | jq -c '[.msg_id, .status, .code]' | sort | tr -d '\n')
assert_eq '["11111111-2222-4333-8444-555555555555","rejected","schema"][null,"rejected","malformed"][null,"rejected","too_large"]' "$acks2" "team-02 acks for invalid payloads"

# Every agent's outbox is fully answered.
for a in team-01 team-02 team-03 team-04; do
  agent "$a" status >"$WORK/status.out"
  grep -q 'pending (not sent yet)     0' "$WORK/status.out" || fail "$a has pending reports"
  grep -q 'sent, awaiting answer      0' "$WORK/status.out" || fail "$a has unanswered reports"
done
pass "every outbox is answered"
expect_exit 0 agent team-01 sync

# The year's figures, as the dashboard would read them.
P="$ROOT/progress/2026"
expect_retained "$P" .consultations.count 445
expect_retained "$P" .consultations.female 70
expect_retained "$P" .consultations.over_60 40
expect_retained "$P" .staff.count 4
expect_retained "$P" .medicine '{"value_fen":17550,"dispenses":2}'
expect_retained "$P" .referrals '{"count":3,"by_destination":{"township_health_center":1,"county_hospital":1,"city_hospital":1}}'
expect_retained "$P" .education '{"brochures":150,"attendees":60,"talks":1}'
expect_retained "$P" .trips '{"planned":2,"completed":1,"cancelled":1}'
expect_retained "$P" '[.consultations.target, .consultations.expected_to_date, .staff.target, .staff.expected_to_date]' '[50000,44658,500,447]'
expect_retained "$P" '[.consultations.projected_year_end, .staff.projected_year_end]' '[498,4]'
expect_retained "$P/counties/xiuwu" '[.county_name, .consultations.count, .staff.count, .medicine.value_fen]' '["修武县",245,3,17550]'
expect_retained "$P/counties/yongding" '[.consultations.count, .staff.count, .referrals.count]' '[200,1,1]'
expect_retained "$P/counties/cili" '[.consultations.count, .trips.cancelled]' '[0,1]'
expect_retained "$ROOT/progress/2025" '[.consultations.count, .staff.count, .trips.planned]' '[999,1,1]'
expect_retained "$ROOT/trips/2026-xw-002/progress" '[.consultations.count, .staff.count, .checkins]' '[80,2,2]'
expect_retained "$ROOT/trips/2026-xw-001" .status '"completed"'

# The coordinator's output follows the published schemas.
retained "$P" >"$WORK/progress.json"
retained "$P/counties/xiuwu" >"$WORK/county.json"
retained "$ROOT/trips/2026-xw-002" >"$WORK/card.json"
retained "$ROOT/trips/2026-xw-002/progress" >"$WORK/trip-progress.json"
retained "$ROOT/coordinator/status" >"$WORK/coord-status.json"
py=/usr/bin/python3
"$py" "$SRC_DIR/schemas/check.py" --schema progress "$WORK/progress.json" "$WORK/county.json" >/dev/null
"$py" "$SRC_DIR/schemas/check.py" --schema trip-card "$WORK/card.json" >/dev/null
"$py" "$SRC_DIR/schemas/check.py" --schema trip-progress "$WORK/trip-progress.json" >/dev/null
"$py" "$SRC_DIR/schemas/check.py" --schema coordinator-status "$WORK/coord-status.json" >/dev/null
pass "retained messages match their schemas"

# The CLI reads the same figures from the store.
json=$("$COORD_BIN" progress --db "$WORK/coordinator.db" --json)
assert_eq 445 "$(jq .consultations.count <<<"$json")" "progress --json consultations"
assert_eq 4 "$(jq .staff.count <<<"$json")" "progress --json staff"
assert_eq '["cili","xiuwu","yongding"]' "$(jq -c '[.counties[].county]' <<<"$json")" "progress --json counties"
"$COORD_BIN" progress --db "$WORK/coordinator.db" >"$WORK/table.txt"
grep -Eq 'Consultations +445 +50,000 +0\.9% +44,658 +behind +498' "$WORK/table.txt" || { cat "$WORK/table.txt"; fail "progress table"; }
pass "progress table"

# CSV: one row per accepted report (21), the voided one marked; refusals kept.
"$COORD_BIN" export --db "$WORK/coordinator.db" --csv --output "$WORK/reports.csv"
assert_eq 22 "$(wc -l <"$WORK/reports.csv")" "CSV lines (header + 21 accepted reports)"
assert_eq 1 "$(awk -F, 'NR > 1 && $12 == 1' "$WORK/reports.csv" | wc -l)" "voided rows in CSV"
assert_eq 8 "$(sqlite3 "$COORD_DB" 'SELECT COUNT(*) FROM rejects')" "refused messages kept"
assert_eq 0 "$(sqlite3 "$COORD_DB" "SELECT COUNT(*) FROM rejects WHERE reason LIKE '%13812345678%'")" "no phone number in reasons"

# A trip moved to another year takes its reports along: both years republish.
reply=$(admin_request "$(jq -cn '{request_id: "move-1", op: "trip.upsert", trip_id: "2025-zjj-099",
  title: "义诊", date: "2026-01-05", site: {code: "s1", name: "村卫生室", county: "yongding",
  county_name: "永定区"}, mode: "red_cross", activities: ["clinic"], departments: [], capacity: {}}')")
assert_eq true "$(jq .ok <<<"$reply")" "moving a trip to 2026"
expect_retained "$ROOT/progress/2025" '[.consultations.count, .staff.count, .trips.planned]' '[0,0,0]'
expect_retained "$P" '[.consultations.count, .staff.count]' '[1444,5]'

coordinator_stop
pass "coordinator stopped cleanly"
echo "$PASSED passed, 0 failed"
