#!/usr/bin/env bash
# siteapp_forms.sh -- the site app's four forms (medicine, referral, health
# education, team check-in) against a real broker, coordinator and agent
# daemon. With curl: what the forms offer (units, the formulary, a patient
# reference, people checked in before), one entry of each kind saved with its
# number and description and entered_by, a medicine of ¥1,250.50 counted as
# 125050 fen by the coordinator, two check-ins counted as 2 staff, bad inputs
# refused naming the field (nothing saved), '<script>' in a medicine name
# coming back as text. Then tests/web/siteapp_forms.mjs fills each form in
# headless Chromium at 390 x 844 (screenshots in $OUTREACH_ARTIFACTS/siteapp,
# default artifacts/siteapp) and the coordinator's totals are exact again.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

need_chromium
TRIP=2026-zjj-016
stack_up --agents team-07 --volunteers '' --trip "$TRIP 2026-11-22 yongding 永定区" --agent team-07 --site 246810
# A formulary with a comment, a blank line, a repeat and a name too long.
{
  printf '# the county formulary\n阿莫西林胶囊\n\n  布洛芬缓释胶囊  \n硝苯地平控释片\n阿莫西林胶囊\n'
  printf 'x%.0s' $(seq 1 129)
  printf '\n'
} >"$WORK/formulary.txt"
printf 'site_formulary = %s\n' "$WORK/formulary.txt" >>"$WORK/agents/team-07.conf"
URL="http://127.0.0.1:$SITE_PORT"
OUTBOX="$WORK/agents/team-07.db"
P="$ROOT/progress/2026"
JAR="$WORK/jar"

site_start team-07

# post PATH JSON [CSRF]: the HTTP status; the body in $WORK/body.
post() {
  curl -s -o "$WORK/body" -w '%{http_code}' -b "$JAR" -c "$JAR" -H 'Content-Type: application/json' \
    ${3:+-H "X-CSRF-Token: $3"} -d "$2" "$URL$1"
}
get() { curl -s -o "$WORK/body" -w '%{http_code}' -b "$JAR" "$URL$1"; }
body() { jq -r "$@" "$WORK/body"; }
assert_eq 200 "$(post /api/signin '{"passcode":"246810","staff_id":"nurse-li-03"}')" "sign in"
CSRF=$(body .csrf)
# entry JSON: saves one form's entry; the status.
entry() { post /api/entry "$1" "$CSRF"; }
# refused JSON FIELD WHAT: a 400 naming FIELD.
refused() {
  assert_eq 400 "$(entry "$1")" "$3 refused"
  assert_eq "field $2" "$(body '.error + " " + .field')" "$3: the field named ($(body .message))"
  [ -n "$(body .message)" ] || fail "$3: no message"
}

# What the forms offer.
assert_eq 401 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/forms")" "GET /api/forms without a session"
assert_eq 200 "$(get /api/forms)" "GET /api/forms"
assert_eq '盒 box' "$(body '.units[] | select(.code == "box") | .zh + " " + .code')" "the units in both languages"
assert_eq 'tablet capsule pill bottle box tube sachet patch pack' "$(body '[.units[].code] | join(" ")')" "the unit codes"
assert_eq '白内障 Cataract' "$(body '.conditions[0] | .zh + " " + .en')" "the common conditions"
assert_eq '乡镇卫生院 县医院 市医院' "$(body '[.destinations[].zh] | join(" ")')" "three destinations"
assert_eq '医生 护士 药师 技师 健康宣传员 后勤' "$(body '[.roles[].zh] | join(" ")')" "the roles"
assert_eq '["阿莫西林胶囊","布洛芬缓释胶囊","硝苯地平控释片"]' "$(body -c .medicines)" "the formulary's names, bounded, once each"
assert_eq '[]' "$(body -c .people)" "nobody checked in yet"
REF=$(body .patient_ref)
[[ $REF =~ ^R-[0-9]{8}-[2-9A-HJ-NP-Z]{5}$ ]] || fail "patient_ref '$REF' is not R-YYYYMMDD-XXXXX"
[ "$(get /api/forms >/dev/null; body .patient_ref)" != "$REF" ] || fail "a new patient_ref each time"
pass "the forms offer units, conditions, destinations, roles, the formulary and a patient reference"

# One entry of each kind; numbers consecutive, each described.
assert_eq 200 "$(entry '{"kind":"dispense","medicine":"阿莫西林胶囊","quantity":"２０","unit":"盒","value":"¥1,250.50"}')" "medicine ¥1,250.50"
FIRST=$(body .seq)
assert_eq "dispense 阿莫西林胶囊 20 box, ¥1250.50" "$(body .description)" "the medicine described"
assert_eq "$TRIP" "$(body .trip_id)" "the medicine's trip"
assert_eq 200 "$(entry "{\"kind\":\"referral\",\"destination\":\"县医院\",\"condition\":\"白内障\",\"urgency\":\"routine\",\"patient_ref\":\"$REF\",\"age\":\"67\",\"sex\":\"F\"}")" "a referral"
assert_eq "referral cataract → 县医院 county_hospital, 常规 routine, patient $REF, age 67, F" "$(body .description)" "the referral described"
assert_eq 200 "$(entry '{"kind":"referral","destination":"township_health_center","condition":"腰椎间盘突出","urgency":"加急","patient_ref":"R-x1","age":"","sex":""}')" "a referral with a free-text condition"
assert_eq "referral 腰椎间盘突出 → 乡镇卫生院 township_health_center, 加急 urgent, patient R-x1" "$(body .description)" "free text kept; empty optional fields left out"
assert_eq 200 "$(entry '{"kind":"education","brochures":"120","attendees":45,"talks":"1","topic":"高血压"}')" "education"
assert_eq "education 120 brochures, 1 talk, 45 attendees, topic 高血压" "$(body .description)" "education described"
assert_eq 200 "$(entry '{"kind":"checkin","staff_id":"dr-wang-01","role":"医生","organization":"县人民医院"}')" "check-in dr-wang-01"
assert_eq "checkin dr-wang-01 医生 doctor, 县人民医院" "$(body .description)" "check-in described"
assert_eq 200 "$(entry '{"kind":"checkin","staff_id":"nurse-li-03","role":"Nurse"}')" "check-in nurse-li-03"
LAST=$(body .seq)
assert_eq 5 "$((LAST - FIRST))" "six entries numbered one after another"
pass "medicine, two referrals, education and two check-ins saved, each with its number and description"

# Bad inputs: refused naming the field, nothing saved.
refused '{"kind":"dispense","medicine":"x","quantity":"1","unit":"box","value":"12.345"}' value_fen "three decimals"
refused '{"kind":"dispense","medicine":"x","quantity":"1","unit":"box","value":"abc"}' value_fen "a value that is no amount"
refused '{"kind":"dispense","medicine":"x","quantity":"1","unit":"box","value":"1 250"}' value_fen "a space inside the amount"
refused '{"kind":"dispense","medicine":"x","quantity":"1","unit":"box"}' value_fen "no value"
refused '{"kind":"dispense","medicine":"x","quantity":"0","unit":"box","value":"1"}' quantity "quantity 0"
refused '{"kind":"dispense","medicine":"x","quantity":"2.5","unit":"box","value":"1"}' quantity "quantity 2.5"
refused '{"kind":"dispense","medicine":"x","quantity":"1","unit":"bucket","value":"1"}' unit "a unit not in the list"
refused '{"kind":"dispense","medicine":"  ","quantity":"1","unit":"box","value":"1"}' medicine "no medicine name"
assert_eq required "$(body .message)" "an empty name is 'required'"
refused '{"kind":"dispense","medicine":"x","quantity":"1","unit":"box","value":"1","value_fen":100}' value_fen "value twice"
refused '{"kind":"referral","destination":"moon","condition":"x","urgency":"routine","patient_ref":"R-1"}' destination "an unknown destination"
refused '{"kind":"referral","destination":"city_hospital","condition":"x","urgency":"routine","patient_ref":"13812345678"}' patient_ref "a phone number as patient reference"
refused '{"kind":"referral","destination":"city_hospital","condition":"x","urgency":"routine","patient_ref":"张三"}' patient_ref "a name as patient reference"
refused '{"kind":"referral","destination":"city_hospital","condition":"x","urgency":"routine","patient_ref":"R-1","age":"200"}' age "age 200"
refused '{"kind":"referral","destination":"city_hospital","condition":"x","urgency":"soon","patient_ref":"R-1"}' urgency "an unknown urgency"
refused "{\"kind\":\"referral\",\"destination\":\"city_hospital\",\"condition\":\"$(printf 'c%.0s' $(seq 1 65))\",\"urgency\":\"routine\",\"patient_ref\":\"R-1\"}" condition "a condition of 65 characters"
refused '{"kind":"education","brochures":"0","attendees":"","talks":0}' brochures "education with nothing above 0"
refused '{"kind":"education","brochures":"-3","talks":1}' brochures "negative brochures"
refused '{"kind":"checkin","staff_id":"王医生","role":"doctor"}' staff_id "a staff id in Chinese"
refused '{"kind":"checkin","staff_id":"x-1","role":"boss"}' role "an unknown role"
refused '{"kind":"checkin","staff_id":"x-1","role":["doctor"]}' role "a role that is no text"
assert_eq 400 "$(entry '{"kind":"headcount","department":"internal","consultations":1}')" "headcount through the forms"
assert_eq kind "$(body .error)" "the kind named"
assert_eq 403 "$(post /api/entry '{"kind":"education","talks":1}')" "an entry without the CSRF token"
assert_eq 401 "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{"kind":"education","talks":1}' "$URL/api/entry")" "an entry without a session"
assert_eq "$LAST" "$(sqlite3 "$OUTBOX" 'SELECT MAX(seq) FROM outbox')" "nothing refused was saved"
pass "bad inputs refused naming the field, in the outbox nothing"

# '<script>' in a medicine name: saved as it was typed, sent back as text.
assert_eq 200 "$(entry '{"kind":"dispense","medicine":"<script>alert(1)</script>","quantity":1,"unit":"tablet","value":"0"}')" "a medicine named <script>"
! grep -q '<script>' "$WORK/body" || fail "the reply has a raw <script>: $(cat "$WORK/body")"
grep -q '\\u003cscript\\u003e' "$WORK/body" || fail "the reply does not escape '<': $(cat "$WORK/body")"
assert_eq "dispense <script>alert(1)</script> 1 tablet, ¥0.00" "$(body .description)" "the name comes back as the text it was"
pass "a medicine name with <script> comes back as text"

# Who entered them, and what the forms suggest now.
assert_eq "7 nurse-li-03" "$(sqlite3 -separator " " "$OUTBOX" "SELECT COUNT(*), MIN(json_extract(payload, '\$.entered_by')) FROM outbox WHERE seq >= $FIRST AND json_extract(payload, '\$.entered_by') = 'nurse-li-03'")" "entered_by is the session's staff id"
assert_eq 200 "$(get /api/forms)" "GET /api/forms again"
assert_eq '["<script>alert(1)</script>","阿莫西林胶囊","布洛芬缓释胶囊","硝苯地平控释片"]' "$(body -c .medicines)" "this trip's names first, then the formulary's"
assert_eq '[{"staff_id":"nurse-li-03","role":"nurse"},{"staff_id":"dr-wang-01","role":"doctor","organization":"县人民医院"}]' "$(body -c .people)" "the people checked in, newest first"
pass "entered_by recorded; earlier medicines and people are suggested"

# The coordinator's totals.
expect_retained "$P" .medicine '{"value_fen":125050,"dispenses":2}'
expect_retained "$P" .staff.count 2
expect_retained "$P" .referrals '{"count":2,"by_destination":{"township_health_center":1,"county_hospital":1,"city_hospital":0}}'
expect_retained "$P" .education '{"brochures":120,"attendees":45,"talks":1}'
pass "the coordinator counts 125050 fen, 2 staff, 2 referrals, the education"

# The page: each form filled at 390 x 844.
ARTIFACTS=${OUTREACH_ARTIFACTS:-$SRC_DIR/artifacts}/siteapp
SITE_URL="$URL/" SITE_PASSCODE=246810 SCREENSHOTS=$ARTIFACTS WEB_DIR=$WEB_DIR \
  timeout 150 node "$SRC_DIR/tests/web/siteapp_forms.mjs" || fail "siteapp_forms.mjs failed"
expect_retained "$P" .medicine '{"value_fen":250100,"dispenses":3}'
expect_retained "$P" .staff.count 3
expect_retained "$P" .referrals.by_destination.city_hospital 1
expect_retained "$P" .education '{"brochures":170,"attendees":75,"talks":2}'
assert_eq "5 pharm-zhao-02" "$(sqlite3 -separator " " "$OUTBOX" "SELECT COUNT(*), MIN(json_extract(payload, '\$.entered_by')) FROM outbox WHERE seq > $LAST + 1")" "the page's five entries, entered by its staff id"
pass "the page's entries counted: 250100 fen, 3 staff, a city referral, the education"
daemon_stop
coordinator_stop
log "siteapp_forms: screenshots in $ARTIFACTS"
