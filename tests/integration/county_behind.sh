#!/usr/bin/env bash
# county_behind.sh -- the county-behind-pace alert against a real Mosquitto and
# coordinator, on the county targets of reach (OUTREACH_TODAY 2026-11-22: day
# 326 of 365; alert_behind_pct 20, so a county is behind below 80 % of its
# expected-to-date, critical below 60 %):
# - wuzhi has township targets only (the config's targets_file, 400 + 330
#   consultations) and no trip: expected 730 x 326 / 365 = 652, count
#   0: county_behind.2026.wuzhi, critical, retained, open;
# - xiuwu has a trip and 200 consultations, then `targets set` 365: expected
#   326, the alert's detail the same figures as county_targets in the county's
#   progress, 38 % behind: warning; a restart neither raises it again nor
#   changes its since; 30 more (230 of 326, 29 % behind) move its figures:
#   republished with them, since and level kept, no new "raised"; 40 more
#   (270 of 326, 17 % behind) clear it, retained as cleared with the last
#   figures it was open with, history "raised cleared";
# - `alerts` and `alerts --all` in words, `alerts --json`, the schema;
# - a CLI login the broker refuses (no password file, a wrong one) says so;
# - with alert_keep_cleared_h 0, the cleared alert's retained message goes at
#   the next start's first evaluation, kept in the store, not back at a restart;
# - the dashboard account reads the retained alerts/# and devices/# the
#   coordinator made, and may not publish there.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

[ "$OUTREACH_TODAY" = 2026-11-22 ] || fail "the figures below are for OUTREACH_TODAY 2026-11-22, not $OUTREACH_TODAY"
TRIP=2026-xw-301
XW=county_behind.2026.xiuwu
WZ=county_behind.2026.wuzhi

stack_up --agents "team-01" --no-coordinator
printf 'year,county,township,consultations,staff\n2026,wuzhi,样例丙镇,400,0\n2026,wuzhi,样例丁乡,330,0\n' \
  >"$WORK/targets.csv"
# Working hours of one minute: no site is ever silent for the 30 minutes of
# alert_offline_min (the agent's one-shot reports leave no status behind).
printf 'targets_file = %s\nalert_behind_pct = 20\nalert_work_hours = 00:00-00:01\n' \
  "$WORK/targets.csv" >"$WORK/coordinator.conf"
coordinator_start --config "$WORK/coordinator.conf"
trip_upsert "$TRIP" 2026-11-22 xiuwu 修武县
agent_setup team-01 "$TRIP"

coord() { "$COORD_BIN" "$@"; }
admin() { coord "$@" --broker "$BROKER_URI" --password-file "$(secret admin)"; }
# alert ID: the retained alerts/ID as the dashboard reads it (stack.sh's
# retained), or nothing.
alert_field() { retained "$ROOT/alerts/$1" | jq -c "$2" 2>/dev/null; }
expect_alert() { expect_output 20 "alerts/$1 $2" "$3" alert_field "$1" "$2"; }
FIELDS='[.kind, .level, .state, .cleared_at, .subject, .detail]'
CT="$ROOT/progress/2026/counties/xiuwu"

# ---- a county with targets and no trip yet: as behind as can be --------------
expect_alert "$WZ" "$FIELDS" \
  '["county_behind","critical","open",null,{"county":"wuzhi","year":2026},{"figure":"consultations","count":0,"expected":652,"share_behind":1,"shortfalls":[{"figure":"consultations","count":0,"expected":652,"share_behind":1}]}]'

# ---- xiuwu: figures first, then its target ----------------------------------
agent_accepted team-01 report headcount --department internal --consultations 200
expect_retained "$CT" '[.consultations.count, .county_targets]' '[200,null]'
# A login the broker refuses says why and what to do: no password file, then
# the wrong one.
expect_exit 1 coord targets set --year 2026 --county xiuwu --consultations 365 --staff 0 \
  --broker "$BROKER_URI"
assert_eq "outreach-coordinator: cannot connect to the broker at $BROKER_URI as admin: connect: the broker refused user 'admin' without a password: Not authorized (MQTT reason code 135)
(no password was given: add --password-file FILE, a file holding the MQTT password of admin, or --username with the account whose password you have)" \
  "$(err)" "targets set without --password-file"
echo not-the-password >"$WORK/wrong-password"
expect_exit 1 coord targets set --year 2026 --county xiuwu --consultations 365 --staff 0 \
  --broker "$BROKER_URI" --password-file "$WORK/wrong-password"
assert_eq "outreach-coordinator: cannot connect to the broker at $BROKER_URI as admin: connect: the broker refused user 'admin' with the password given: Not authorized (MQTT reason code 135)
(check that $WORK/wrong-password holds the MQTT password of admin, and that --username names the account it belongs to)" \
  "$(err)" "targets set with a wrong password"
pass "a refused login says whether a password was given and which option to fix"
expect_exit 0 admin targets set --year 2026 --county xiuwu --consultations 365 --staff 0
assert_eq "targets of 2026 xiuwu set" "$(out)" "targets set"
expect_retained "$CT" '.county_targets.consultations | [.count, .target, .expected_to_date, .pace]' \
  '[200,365,326,"behind"]'
# (326 - 200) / 326 = 0.3865: more than 20 %, not more than 40 %.
expect_alert "$XW" "$FIELDS" \
  '["county_behind","warning","open",null,{"county":"xiuwu","year":2026},{"figure":"consultations","count":200,"expected":326,"share_behind":0.38,"shortfalls":[{"figure":"consultations","count":200,"expected":326,"share_behind":0.38}]}]'
# What the alert read is what the county's progress says.
assert_eq "$(progress_field "$CT" '.county_targets.consultations | [.count, .expected_to_date]')" \
  "$(alert_field "$XW" '[.detail.count, .detail.expected]')" "the alert's figures are county_targets'"
xw_since=$(alert_field "$XW" .since)
wz_since=$(alert_field "$WZ" .since)
retained "$ROOT/alerts/$XW" >"$WORK/alerts.jsonl"
retained "$ROOT/alerts/$WZ" >>"$WORK/alerts.jsonl"

expect_exit 0 coord alerts --db "$COORD_DB"
assert_eq 2 "$(out | wc -l)" "alerts: two open"
line() { sed -n "$1p" "$WORK/out"; }
TS='20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\+08:00'
grep -Eq "^critical since $TS  county wuzhi behind pace in 2026: consultations 0 of 652 expected to date \(100% behind\)  \[$WZ\]$" <<<"$(line 1)" \
  || fail "alerts, line 1: $(line 1)"
grep -Eq "^warning  since $TS  county xiuwu behind pace in 2026: consultations 200 of 326 expected to date \(38% behind\)  \[$XW\]$" <<<"$(line 2)" \
  || fail "alerts, line 2: $(line 2)"
pass "alerts lists both in words, the critical first"

# ---- a restart: nothing raised again, nothing lost --------------------------
coordinator_stop
coordinator_start --config "$WORK/coordinator.conf"
# ---- still behind, less: 230 of 326, (326 - 230) / 326 = 0.294 ---------------
agent_accepted team-01 report headcount --department surgery --consultations 30
expect_alert "$XW" '[.state, .since, .level, .detail]' \
  "[\"open\",$xw_since,\"warning\",{\"figure\":\"consultations\",\"count\":230,\"expected\":326,\"share_behind\":0.29,\"shortfalls\":[{\"figure\":\"consultations\",\"count\":230,\"expected\":326,\"share_behind\":0.29}]}]"
retained "$ROOT/alerts/$XW" >>"$WORK/alerts.jsonl"
assert_eq "raised" \
  "$(sqlite3 -readonly "$COORD_DB" "SELECT group_concat(event, ' ') FROM (SELECT event FROM alert_history WHERE alert_id = '$XW' ORDER BY id)")" \
  "xiuwu's figures moved: no new event in its history"
pass "xiuwu's open alert follows its figures (230 of 326), since kept"
# ---- back on pace: 270 of 326, (326 - 270) / 326 = 0.17 ----------------------
agent_accepted team-01 report headcount --department surgery --consultations 40
expect_retained "$CT" '.county_targets.consultations | [.count, .expected_to_date, .pace]' '[270,326,"behind"]'
expect_alert "$XW" '[.state, (.cleared_at | type), .since, .level]' "[\"cleared\",\"string\",$xw_since,\"warning\"]"
retained "$ROOT/alerts/$XW" >>"$WORK/alerts.jsonl"
assert_eq "[\"open\",$wz_since]" "$(alert_field "$WZ" '[.state, .since]')" "wuzhi still open, its since kept"
assert_eq 1 "$(grep -c "alert $XW raised" "$WORK/coordinator.log")" "xiuwu raised once (not again at the restart)"
assert_eq 1 "$(grep -c "alert $WZ raised" "$WORK/coordinator.log")" "wuzhi raised once (not again at the restart)"
assert_eq "raised cleared" \
  "$(sqlite3 -readonly "$COORD_DB" "SELECT group_concat(event, ' ') FROM (SELECT event FROM alert_history WHERE alert_id = '$XW' ORDER BY id)")" \
  "the history of xiuwu's alert"
assert_eq "raised" \
  "$(sqlite3 -readonly "$COORD_DB" "SELECT group_concat(event, ' ') FROM (SELECT event FROM alert_history WHERE alert_id = '$WZ' ORDER BY id)")" \
  "the history of wuzhi's alert"

expect_exit 0 coord alerts --db "$COORD_DB"
assert_eq 1 "$(out | wc -l)" "alerts: wuzhi alone open"
grep -Eq "\[$WZ\]$" <<<"$(line 1)" || fail "alerts once xiuwu is back: $(out)"
expect_exit 0 coord alerts --db "$COORD_DB" --all
assert_eq 2 "$(out | wc -l)" "alerts --all: two lines"
grep -Eq "^critical since $TS  county wuzhi behind pace in 2026: consultations 0 of 652 expected to date \(100% behind\)  \[$WZ\]$" <<<"$(line 1)" \
  || fail "alerts --all, line 1: $(line 1)"
grep -Eq "^warning  since $TS  county xiuwu behind pace in 2026: consultations 230 of 326 expected to date \(29% behind\)  \[$XW\]  cleared $TS$" <<<"$(line 2)" \
  || fail "alerts --all, line 2: $(line 2)"
pass "alerts --all: the open one and the cleared one in words"
expect_exit 0 coord alerts --db "$COORD_DB" --all --json
assert_eq "[[\"$WZ\",\"open\"],[\"$XW\",\"cleared\"]]" "$(out | jq -c '[.[] | [.alert_id, .state]]')" \
  "alerts --all --json"
/usr/bin/python3 "$SRC_DIR/schemas/check.py" --schema alert --jsonl "$WORK/alerts.jsonl" >"$WORK/check.txt" \
  || { cat "$WORK/check.txt"; fail "the alerts do not follow schemas/alert.schema.json"; }
pass "the alerts follow the schema"

# ---- the dashboard account: reads the retained alerts/# and devices/#, --------
# publishes on neither
# dash_retained FILTER N: the first N retained messages of FILTER the dashboard
# account gets when it subscribes (topic and payload a line).
dash_retained() {
  mqtt_sub dashboard -V mqttv5 -q 1 -t "$1" -v -C "$2" -W 5 --retained-only 2>/dev/null || true
}
dash_retained "$ROOT/alerts/#" 2 | sort >"$WORK/dash-alerts.txt"
assert_eq "$ROOT/alerts/$WZ open
$ROOT/alerts/$XW cleared" "$(while read -r t m; do echo "$t $(jq -r .state <<<"$m")"; done <"$WORK/dash-alerts.txt")" \
  "the dashboard reads both retained alerts from alerts/#"
dash_retained "$ROOT/devices/#" 1 >"$WORK/dash-devices.txt"
assert_eq "$ROOT/devices/team-01 team-01" "$(while read -r t m; do echo "$t $(jq -r .agent_id <<<"$m")"; done <"$WORK/dash-devices.txt")" \
  "the dashboard reads the retained devices/team-01 from devices/#"
for t in "alerts/$WZ" devices/team-01; do
  rc=0
  o=$(mqtt_pub dashboard -V mqttv5 -q 1 -r -t "$ROOT/$t" -m '{"forged":true}' 2>&1) || rc=$?
  [[ $o == *"Not authorized"* ]] || fail "the dashboard published on $t: rc $rc, $o"
done
assert_eq '"open"' "$(alert_field "$WZ" .state)" "the dashboard's publish left the retained alert as it was"
assert_eq '"team-01"' "$(retained "$ROOT/devices/team-01" | jq -c .agent_id)" \
  "the dashboard's publish left the retained device as it was"
pass "the dashboard may not publish on alerts/ or devices/"

# ---- a cleared alert's retained message goes after alert_keep_cleared_h ------
# (0 here: at the first evaluation); the store keeps it, and a restart does
# not bring it back.
coordinator_stop
printf 'alert_keep_cleared_h = 0\n' >>"$WORK/coordinator.conf"
coordinator_start --config "$WORK/coordinator.conf"
expect_alert "$XW" .state ''
assert_eq '"open"' "$(alert_field "$WZ" .state)" "wuzhi, open, still retained"
assert_eq 1 "$(grep -c "alert $XW: cleared 0 h ago, its retained message removed" "$WORK/coordinator.log")" \
  "xiuwu's removal logged once"
assert_eq "raised cleared" \
  "$(sqlite3 -readonly "$COORD_DB" "SELECT group_concat(event, ' ') FROM (SELECT event FROM alert_history WHERE alert_id = '$XW' ORDER BY id)")" \
  "xiuwu's history kept"
expect_exit 0 coord alerts --db "$COORD_DB" --all --json
assert_eq "[[\"$WZ\",\"open\"],[\"$XW\",\"cleared\"]]" "$(out | jq -c '[.[] | [.alert_id, .state]]')" \
  "alerts --all still lists xiuwu's"
coordinator_stop
coordinator_start --config "$WORK/coordinator.conf"
# A report after the restart: once its figures are out, so is what the
# coordinator published at its start (one connection, in order).
agent_accepted team-01 report headcount --department surgery --consultations 1
expect_retained "$CT" '.consultations.count' 271
assert_eq "" "$(alert_field "$XW" .state)" "xiuwu's alert not retained again after a restart"
assert_eq 1 "$(grep -c "alert $XW: cleared 0 h ago, its retained message removed" "$WORK/coordinator.log")" \
  "xiuwu's removal not repeated"
pass "a cleared alert leaves the broker after alert_keep_cleared_h, kept in the store"

coordinator_stop
pass "coordinator stopped cleanly"
echo "all $PASSED checks passed"
