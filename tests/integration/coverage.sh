#!/usr/bin/env bash
# coverage.sh -- targets per county and poor-village coverage against a real
# Mosquitto and coordinator (OUTREACH_TODAY 2026-11-22): the config's
# targets_file read at start, `targets set` winning over it (also after a
# restart), county_targets in the county's retained progress with exact
# figures (also of a county with targets and no trip); targets of a county
# nothing knows refused, `targets list`, `targets unset`, `progress` showing
# the counties' targets; `trip create --village` checked against the register; `villages import` of the made-up sample register, trips at its
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

# Nothing knows these counties yet (no trip, no register): the file's rows are
# kept, and the log says so, line by line.
grep -q "targets_file $WORK/targets.csv, line 2: county 'xiuwu' is in no trip and not in the villages register (yet): check the spelling (the row is kept)" "$WORK/coordinator.log" \
  || fail "no warning for the unknown county of line 2: $(cat "$WORK/coordinator.log")"
grep -q "targets_file $WORK/targets.csv, line 3: township 'wuzhi / 样例丙镇' is in no trip" "$WORK/coordinator.log" \
  || fail "no warning for the unknown township of line 3"
# A county with targets and no trip yet has its progress (zeros and
# county_targets), as the behind-pace alert sees it; a county's consultations
# and staff carry counts only (the year's targets are not the county's).
expect_retained "$ROOT/progress/2026/counties/wuzhi" \
  '[.county, .county_name, .consultations, .staff, .trips, (.county_targets.consultations | [.count, .target, .expected_to_date])]' \
  '["wuzhi","wuzhi",{"count":0,"female":0,"over_60":0,"poor_households":0},{"count":0},{"planned":0,"completed":0,"cancelled":0},[0,800,715]]'
pass "a county with targets and no trip is published"

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
assert_eq "outreach-coordinator: $WORK/bad.csv, line 3: field 'poor' must be 1 or 0 (yes/no, true/false, 是/否), not 'perhaps'" \
  "$(err)" "a bad line is named, nothing sent"
# A county has one name: two for one code are refused, naming both lines.
printf 'code,name,township,county,county_name,poor\nv1,甲村,镇,xiuwu,修武县,1\nv2,乙村,镇,wuzhi,武陟县,1\nv3,丙村,镇,xiuwu,武陟县,是\n' >"$WORK/bad.csv"
expect_exit 2 admin villages import "$WORK/bad.csv"
assert_eq "outreach-coordinator: $WORK/bad.csv, line 4: field 'county_name': county xiuwu is '武陟县' there but '修武县' on line 2: a county has one name; give every village of it the same" \
  "$(err)" "two names of one county in a file"
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
# Against the stored register: xiuwu is 修武县 there.
printf 'code,name,township,county,county_name,poor\nv-new,新村,示例甲镇,xiuwu,武陟县,1\n' >"$WORK/other.csv"
expect_exit 3 admin villages import "$WORK/other.csv"
assert_eq "refused (county_name_mismatch): villages[0]: county xiuwu is named '武陟县' there but '修武县' in the register (village demo-xw-001): a county has one name; use '修武县', or check the county code" \
  "$(head -1 "$WORK/err")" "another name of a stored county"
pass "a county has one name: in a file, and against the stored register"

# ---- trips at villages; coverage as figures come ------------------------------
T1=2026-xw-201 T2=2026-wz-201 T3=2026-xw-202
trip_at "$T1" 2026-11-20 xiuwu 修武县 demo-xw-001
trip_at "$T2" 2026-11-22 wuzhi 武陟县 demo-wz-001
trip_at "$T3" 2026-12-10 xiuwu 修武县 demo-xw-002 # planned, in the future
# The register gives the site its township (none given) and says it is poor.
expect_retained "$ROOT/trips/$T1" '[.site.village, .site.township, .site.poor_village]' '["demo-xw-001","示例甲镇",true]'

# trip create --village: the site must be where the register has the village.
T9=2026-xw-909
tc() {
  admin trip create --id "$T9" --title "义诊" --date 2026-12-20 --site-code s9 --site-name 村卫生室 \
    --mode upper_help --activities clinic --capacity doctor=1 "$@"
}
expect_exit 3 tc --county wuzhi --county-name 武陟县 --village demo-xw-003
assert_eq "refused (village_mismatch): site: village 'demo-xw-003' is in county xiuwu, township 示例甲镇 in the register; the site says county wuzhi: correct the site's county or township, or name the right village" \
  "$(err)" "a village of another county"
expect_exit 3 tc --county xiuwu --county-name 修武县 --township 示例乙乡 --village demo-xw-003
grep -q "the site says county xiuwu, township 示例乙乡:" "$WORK/err" || fail "a village of another township: $(err)"
expect_exit 3 tc --county xiuwu --county-name 修武县 --village demo-xw-003 --poor-village
assert_eq "refused (village_mismatch): site: poor_village is true but village 'demo-xw-003' is not poor in the register: leave poor_village out (with a village it follows the register), or correct the register (villages import)" \
  "$(err)" "--poor-village for a village the register says is not poor"
expect_exit 0 tc --county xiuwu --county-name 修武县 --village demo-xw-003
assert_eq "trip $T9: planned" "$(out)" "trip create --village"
expect_retained "$ROOT/trips/$T9" '[.site.village, .site.township, .site.poor_village]' '["demo-xw-003","示例甲镇",false]'
pass "trip create --village: county and township checked, poor_village from the register"

# The register changes: a trip's poor_village follows it; moving a village away
# from a trip at it is refused, and nothing of that file is stored.
sed 's/^demo-xw-003,示例南村,示例甲镇,xiuwu,修武县,0$/demo-xw-003,示例南村,示例甲镇,xiuwu,修武县,1/' \
  "$SRC_DIR/deploy/villages-sample.csv" >"$WORK/poor.csv"
expect_exit 0 admin villages import "$WORK/poor.csv"
expect_retained "$ROOT/trips/$T9" '.site.poor_village' 'true'
sed 's/^demo-xw-001,示例东村,示例甲镇,/demo-xw-001,示例东村,示例乙乡,/' \
  "$SRC_DIR/deploy/villages-sample.csv" >"$WORK/moved.csv"
expect_exit 3 admin villages import "$WORK/moved.csv"
assert_eq "refused (village_mismatch): villages[0]: village 'demo-xw-001' is at the site of trip $T1 (county xiuwu, township 示例甲镇), not in county xiuwu, township 示例乙乡: correct the trip first (trip create with its new county and township), or the register" \
  "$(head -1 "$WORK/err")" "a register moving a village away from its trip"
expect_retained "$ROOT/trips/$T9" '.site.poor_village' 'true' # the refused file stored nothing
expect_exit 0 admin villages import "$SRC_DIR/deploy/villages-sample.csv"
expect_retained "$ROOT/trips/$T9" '.site.poor_village' 'false'
pass "a new register: poor_village follows it, a village is not moved away from its trip"
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

# A county nothing knows (a typo) is refused, and stored nowhere.
expect_exit 3 admin targets set --year 2026 --county xiuwuu --consultations 100 --staff 1
assert_eq "refused (unknown_place): county 'xiuwuu' is in no trip and not in the villages register: check the spelling, or import the register (villages import FILE.csv) or create a trip there first" \
  "$(err)" "targets set of an unknown county"
expect_exit 3 admin targets set --year 2026 --county wuzhi --township 样例戊镇 --consultations 100 --staff 1
grep -q "refused (unknown_place): township 'wuzhi / 样例戊镇' is in no trip" "$WORK/err" || fail "an unknown township: $(err)"

# targets list: every row, where it came from.
expect_exit 0 coord targets list --db "$COORD_DB" --json
assert_eq '[[2026,"wuzhi","样例丁乡",300,6,"config"],[2026,"wuzhi","样例丙镇",500,4,"config"],[2026,"xiuwu",null,7300,50,"admin"]]' \
  "$(out | jq -c 'map([.year, .county, .township, .consultations, .staff, .source])')" "targets list --json"
expect_exit 0 coord targets list --db "$COORD_DB" --year 2026
assert_eq "year  county  township  consultations  staff  source  updated" "$(out | head -1)" "targets list: header"
grep -Eq "^2026  xiuwu   \\(county\\)  7300           50     admin   2026-[0-9-]+T[0-9:]+\\+08:00$" "$WORK/out" || fail "targets list: $(out)"
expect_exit 0 coord targets list --db "$COORD_DB" --year 2027
assert_eq "no targets for 2027 (set them with: outreach-coordinator targets set)" "$(out)" "targets list of a year without"

# progress shows each county's own targets under the county table; its JSON
# carries no year target beside a county's county_targets.
expect_exit 0 coord progress --db "$COORD_DB" --year 2026
sed -n '/County targets/,$p' "$WORK/out" >"$WORK/ct.txt"
assert_eq "  County targets      count     target  percent   expected  pace      projected
  wuzhi (武陟县)
  Consultations           3        800     0.4%        715  behind            3
  Staff                   0         10     0.0%          9  behind            0
  xiuwu (修武县)
  Consultations           5      7,300     0.1%      6,520  behind            5
  Staff                   0         50     0.0%         45  behind            0" "$(cat "$WORK/ct.txt")" "progress: county targets"
expect_exit 0 coord progress --db "$COORD_DB" --year 2026 --json
assert_eq '[["wuzhi",3,null,800],["xiuwu",5,null,7300]]' \
  "$(out | jq -c '[.counties[] | [.county, .consultations.count, .consultations.target, .county_targets.consultations.target]]')" \
  "progress --json: counties"

# targets unset: the row goes; a row of the file says it comes back at the next start.
expect_exit 0 admin targets unset --year 2026 --county wuzhi --township 样例丁乡
assert_eq "targets of 2026 wuzhi / 样例丁乡 unset
note: they came from the config's targets_file, which sets them again at the next start: remove that line from the file too" \
  "$(out)" "targets unset of a file's row"
expect_retained "$ROOT/progress/2026/counties/wuzhi" '.county_targets.consultations | [.target, .expected_to_date]' '[500,447]'
expect_exit 3 admin targets unset --year 2026 --county wuzhi --township 样例丁乡
assert_eq "refused (unknown_target): 2026 wuzhi / 样例丁乡 has no targets to unset (see outreach-coordinator targets list --year 2026)" \
  "$(err)" "unset twice"
expect_exit 2 admin targets unset --year 2026 --county wuzhi --staff 3
grep -q "targets unset takes no --staff" "$WORK/err" || fail "unset with a figure: $(err)"
pass "targets: unknown places refused, list, unset"

# A restart reads the file again: the admin's target still wins.
coordinator_stop
coordinator_start --config "$WORK/coordinator.conf"
expect_retained "$ROOT/progress/2026/counties/xiuwu" "$CT" '[5,7300,6520,5,"behind",50,45]'
expect_retained "$COV" '.reached' '1'
# The file's row unset above is back (as targets unset said).
expect_retained "$ROOT/progress/2026/counties/wuzhi" '.county_targets.consultations.target' '800'

# ---- the messages follow the schemas ------------------------------------------
retained "$COV" >"$WORK/coverage.jsonl"
/usr/bin/python3 "$SRC_DIR/schemas/check.py" --schema coverage --jsonl "$WORK/coverage.jsonl" >"$WORK/check.out" \
  || { cat "$WORK/check.out"; fail "coverage against schemas/coverage.schema.json"; }
{ retained "$ROOT/progress/2026/counties/xiuwu"; retained "$ROOT/progress/2026/counties/wuzhi"; } >"$WORK/counties.jsonl"
/usr/bin/python3 "$SRC_DIR/schemas/check.py" --schema progress --jsonl "$WORK/counties.jsonl" >"$WORK/check.out" \
  || { cat "$WORK/check.out"; fail "county progress against schemas/progress.schema.json"; }
pass "coverage and county progress follow the schemas"
echo "all $PASSED checks passed"
