#!/usr/bin/env bash
# coverage.sh -- targets per county and poor-village coverage against a real
# Mosquitto and coordinator (OUTREACH_TODAY 2026-11-22): the config's
# targets_file read at start, `targets set` winning over it (also after a
# restart), county_targets in the county's retained progress with exact
# figures; `villages import` of the made-up sample register, trips at its
# villages, the retained progress/2026/coverage as reports come and a trip is
# cancelled, `coverage --json` agreeing with the topic, and the messages
# against schemas/coverage and schemas/progress.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

stack_up --agents "team-01 team-02" --no-coordinator
printf 'year,county,township,consultations,staff\n2026,xiuwu,,3650,100\n2026,wuzhi,样例丙镇,500,4\n2026,wuzhi,样例丁乡,300,6\n' \
  >"$WORK/targets.csv"
printf 'targets_file = %s\n' "$WORK/targets.csv" >"$WORK/coordinator.conf"
coordinator_start --config "$WORK/coordinator.conf"
grep -q "targets_file $WORK/targets.csv: 3 targets read" "$WORK/coordinator.log" \
  || fail "the targets file was not read: $(cat "$WORK/coordinator.log")"

coord() { "$COORD_BIN" "$@"; }
admin() { coord "$@" --broker "$BROKER_URI" --password-file "$(secret admin)"; }
COV=$ROOT/progress/2026/coverage

# trip_at ID DATE COUNTY COUNTY_NAME VILLAGE: a trip at a village of the register.
trip_at() {
  local reply
  reply=$(admin_request "$(jq -cn --arg id "$1" --arg date "$2" --arg county "$3" \
    --arg cname "$4" --arg village "$5" '{request_id: ("up-" + $id), op: "trip.upsert",
      trip_id: $id, title: ("义诊 " + $id), date: $date,
      site: {code: ("site-" + $village), name: "村卫生室", county: $county,
             county_name: $cname, village: $village},
      mode: "upper_help", activities: ["clinic"], departments: ["internal"],
      capacity: {doctor: 2}}')")
  [ "$(jq -r .ok <<<"$reply")" = true ] || fail "trip.upsert $1 refused: $reply"
}

# ---- the villages register ---------------------------------------------------
expect_exit 0 coord villages --help
grep -q '^usage: outreach-coordinator villages import FILE.csv' "$WORK/out" || fail "villages --help: $(out)"
printf 'code,name,township,county,county_name,poor\nv1,甲村,镇,xiuwu,修武县,1\nv2,乙村,镇,xiuwu,修武县,perhaps\n' >"$WORK/bad.csv"
expect_exit 2 admin villages import "$WORK/bad.csv"
assert_eq "outreach-coordinator: $WORK/bad.csv, line 3: field 'poor' must be 1 or 0 (yes/no, true/false), not 'perhaps'" \
  "$(err)" "a bad line is named, nothing sent"
printf 'code,name,township,county,county_name\n' >"$WORK/bad.csv"
expect_exit 2 admin villages import "$WORK/bad.csv"
assert_eq "outreach-coordinator: $WORK/bad.csv, line 1: the header must be code,name,township,county,county_name,poor" \
  "$(err)" "a wrong header"
expect_exit 2 admin villages import "$WORK/missing.csv"

# A trip at a village the register does not hold yet: refused.
reply=$(admin_request '{"request_id":"early","op":"trip.upsert","trip_id":"2026-xw-901","title":"x","date":"2026-11-20","site":{"code":"s","name":"s","county":"xiuwu","county_name":"修武县","village":"demo-xw-001"},"mode":"upper_help","activities":["clinic"],"departments":[],"capacity":{"doctor":1}}')
assert_eq '[false,"unknown_village"]' "$(jq -c '[.ok, .code]' <<<"$reply")" "a trip at an unknown village"

expect_exit 0 admin villages import "$SRC_DIR/deploy/villages-sample.csv" --request-id import-1
assert_eq "villages: 10 stored (6 poor) in 1 request" "$(out)" "import of the sample register"

# ---- trips at villages; coverage as figures come ------------------------------
T1=2026-xw-201 T2=2026-wz-201 T3=2026-xw-202
trip_at "$T1" 2026-11-20 xiuwu 修武县 demo-xw-001
trip_at "$T2" 2026-11-22 wuzhi 武陟县 demo-wz-001
trip_at "$T3" 2026-12-10 xiuwu 修武县 demo-xw-002 # planned, in the future
expect_retained "$ROOT/trips/$T1" .site.village '"demo-xw-001"'
SUMMARY='[.poor_villages, .reached, [.by_county[] | [.county, .poor_villages, .reached, [.townships[] | [.township, .reached]]]], [.not_reached[].code]]'
expect_retained "$COV" "$SUMMARY" \
  '[6,0,[["wuzhi",3,0,[["样例丁乡",0],["样例丙镇",0]]],["xiuwu",3,0,[["示例乙乡",0],["示例甲镇",0]]]],["demo-wz-004","demo-wz-001","demo-wz-002","demo-xw-004","demo-xw-001","demo-xw-002"]]'

agent_setup team-01 "$T1"
agent_setup team-02 "$T2"
agent_accepted team-01 report headcount --department internal --consultations 5
expect_retained "$COV" '[.reached, [.not_reached[].code]]' \
  '[1,["demo-wz-004","demo-wz-001","demo-wz-002","demo-xw-004","demo-xw-002"]]'
agent_accepted team-02 report headcount --department surgery --consultations 3
expect_retained "$COV" "$SUMMARY" \
  '[6,2,[["wuzhi",3,1,[["样例丁乡",0],["样例丙镇",1]]],["xiuwu",3,1,[["示例乙乡",0],["示例甲镇",1]]]],["demo-wz-004","demo-wz-002","demo-xw-004","demo-xw-002"]]'

# The CLI reads the same from the store.
expect_exit 0 coord coverage --db "$COORD_DB" --year 2026 --json
assert_eq "$(retained "$COV" | jq -S 'del(.as_of)')" "$(out | jq -S 'del(.as_of)')" \
  "coverage --json agrees with the retained topic"
expect_exit 0 coord coverage --db "$COORD_DB"
assert_eq "Poor-village coverage 2026: 2 of 6 reached" "$(out | head -1)" "coverage table"
grep -q "demo-xw-002 .*xiuwu .*示例甲镇 .*示例西村" "$WORK/out" || fail "coverage lists what is not reached: $(out)"

# A cancelled trip reaches nothing.
reply=$(admin_request "{\"request_id\":\"cancel-t1\",\"op\":\"trip.cancel\",\"trip_id\":\"$T1\"}")
assert_eq true "$(jq -c .ok <<<"$reply")" "trip.cancel"
expect_retained "$COV" '[.reached, [.by_county[] | .reached]]' '[1,[1,0]]'

# ---- targets per county -------------------------------------------------------
CT='.county_targets | [.consultations.count, .consultations.target, .consultations.expected_to_date, .consultations.projected_year_end, .consultations.pace, .staff.target, .staff.expected_to_date]'
# xiuwu from the file: (3650 x 326 x 2 + 365) / 730 = 3260 expected; the 5 of T1
# still count (a cancelled trip's reports stay in the figures), 5 x 365 / 326 = 5.
expect_retained "$ROOT/progress/2026/counties/xiuwu" "$CT" '[5,3650,3260,5,"behind",100,89]'
# wuzhi: township targets only, their sum 800 / 10; 3 counted, 3 x 365 / 326 = 3 projected.
expect_retained "$ROOT/progress/2026/counties/wuzhi" "$CT" '[3,800,715,3,"behind",10,9]'
expect_exit 2 admin targets set --year 2026 --county xiuwu --staff 50
assert_eq "outreach-coordinator: field 'consultations' is required (--consultations)" \
  "$(head -1 "$WORK/err")" "a missing flag is named"
expect_exit 0 admin targets set --year 2026 --county xiuwu --consultations 7300 --staff 50
assert_eq "targets of 2026 xiuwu set" "$(out)" "targets set"
expect_retained "$ROOT/progress/2026/counties/xiuwu" "$CT" '[5,7300,6520,5,"behind",50,45]'
# The year's own targets stay the config's.
expect_retained "$ROOT/progress/2026" '[.consultations.target, .county_targets]' '[50000,null]'

# A restart reads the file again: the admin's target still wins.
coordinator_stop
coordinator_start --config "$WORK/coordinator.conf"
expect_retained "$ROOT/progress/2026/counties/xiuwu" "$CT" '[5,7300,6520,5,"behind",50,45]'
expect_retained "$COV" '.reached' '1'

# ---- the messages follow the schemas ------------------------------------------
retained "$COV" >"$WORK/coverage.jsonl"
/usr/bin/python3 "$SRC_DIR/schemas/check.py" --schema coverage --jsonl "$WORK/coverage.jsonl" >"$WORK/check.out" \
  || { cat "$WORK/check.out"; fail "coverage against schemas/coverage.schema.json"; }
{ retained "$ROOT/progress/2026/counties/xiuwu"; retained "$ROOT/progress/2026/counties/wuzhi"; } >"$WORK/counties.jsonl"
/usr/bin/python3 "$SRC_DIR/schemas/check.py" --schema progress --jsonl "$WORK/counties.jsonl" >"$WORK/check.out" \
  || { cat "$WORK/check.out"; fail "county progress against schemas/progress.schema.json"; }
pass "coverage and county progress follow the schemas"
echo "all $PASSED checks passed"
