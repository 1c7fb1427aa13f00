#!/usr/bin/env bash
# siteapp.sh -- the site app served by the agent daemon, driven with curl
# against a real broker, coordinator and daemon: sign-in (a wrong passcode is
# refused and slowed), CSRF, two phones tapping at once with undos, "send
# now" and the coordinator's exact totals; the daemon SIGKILLed between taps:
# every tap that got a 200 is counted once; text from the network comes back
# escaped; today's trip from the trip cards (only its departments; a tap for
# a cancelled trip refused before saving); today's totals and cancelling an
# entry from the recent list; the broker stopped and back (offline, waiting,
# then all synced once); a refused headcount corrected and sent again; a
# clean stop.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

# Today at the site, fixed for the whole run (trips below are dated today).
export OUTREACH_TODAY=${OUTREACH_TODAY:-$(TZ=Asia/Shanghai date +%F)}
TRIP=2026-zjj-014
stack_up --agents team-07 --volunteers '' --trip "$TRIP 2026-11-22 yongding 永定区" --agent team-07
SITE_PORT=$(_pick_port)
# Folding only on "send now" until the restart below.
printf 'site_port = %s\nsite_fold_s = 3600\n' "$SITE_PORT" >>"$WORK/agents/team-07.conf"
URL="http://127.0.0.1:$SITE_PORT"
LOG="$WORK/daemon-team-07.log"

# A configured passcode shorter than 6 characters (or empty), or a trip id
# the wire refuses, stops the daemon at start with the key named.
# refused_start LINE MESSAGE: the daemon with LINE added to its config.
refused_start() {
  local rc=0
  { cat "$WORK/agents/team-07.conf"; printf '%s\n' "$1"; } >"$WORK/bad.conf"
  timeout 20 "$AGENT_BIN" --config "$WORK/bad.conf" daemon >"$WORK/bad.out" 2>&1 || rc=$?
  [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "daemon with '$1' did not refuse to start (exit $rc)"
  grep -qF -- "$2" "$WORK/bad.out" || fail "daemon with '$1': no '$2' in: $(cat "$WORK/bad.out")"
}
refused_start 'site_passcode =' 'site_passcode (or site_passcode_file) must be at least 6 characters'
refused_start 'site_passcode = 12345' 'site_passcode (or site_passcode_file) must be at least 6 characters'
refused_start 'trip = 2026 zjj/014' "trip '2026 zjj/014' is not a trip id"
pass "a short or empty site passcode, or a malformed trip id, is refused at start"
PROGRESS="$ROOT/trips/$TRIP/progress"

# The passcode the daemon made and printed last (with the URL and a QR code).
passcode() { grep -o 'site app passcode: [0-9]*' "$LOG" | tail -1 | awk '{print $4}'; }

# req JAR METHOD PATH [JSON [CSRF]]: the HTTP status; the body in $WORK/body.
req() {
  local jar=$1 method=$2 path=$3 body=${4:-} csrf=${5-}
  local args=(-s -o "$WORK/body" -w '%{http_code}' -b "$jar" -c "$jar" -X "$method")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' -d "$body")
  [ -n "$csrf" ] && args+=(-H "X-CSRF-Token: $csrf")
  curl "${args[@]}" "$URL$path"
}
# signin JAR STAFF: signs in (waiting out the slowing), keeps the CSRF token.
_signin_once() {
  [ "$(req "$1" POST /api/signin "{\"passcode\":\"$(passcode)\",\"staff_id\":\"$2\"}")" = 200 ]
}
signin() {
  rm -f "$1"
  poll_until 70 _signin_once "$1" "$2" || fail "cannot sign in as $2: $(cat "$WORK/body")"
  jq -r .csrf "$WORK/body" >"$1.csrf"
}
csrf() { cat "$1.csrf"; }
# tap JAR DEPT: one tap; prints "STATUS ID".
tap() {
  local code
  code=$(curl -s -o "$1.tap" -w '%{http_code}' -b "$1" -H 'Content-Type: application/json' \
    -H "X-CSRF-Token: $(csrf "$1")" -d "{\"department\":\"$2\",\"female\":${3:-false}}" "$URL/api/taps") || true
  echo "$code $(jq -r .id "$1.tap" 2>/dev/null)"
  rm -f "$1.tap"
}

daemon_start team-07
wait_until 10 "site app up" site_up
grep -q "site app: $URL/" "$LOG" || fail "the daemon prints the site app's address"
grep -q '█' "$LOG" || fail "the daemon prints a QR code"
[ -n "$(passcode)" ] || fail "the daemon prints a generated passcode"
pass "daemon serves the site app on $URL with a printed passcode and QR code"

# The page and its files without a session; nothing else.
assert_eq 200 "$(curl -s -o "$WORK/page" -D "$WORK/headers" -w '%{http_code}' "$URL/")" "GET /"
grep -qi "^Content-Security-Policy: default-src 'none'; script-src 'self'" "$WORK/headers" || fail "CSP: $(cat "$WORK/headers")"
grep -qi '^X-Content-Type-Options: nosniff' "$WORK/headers" || fail "nosniff"
grep -qi '^Referrer-Policy: no-referrer' "$WORK/headers" || fail "Referrer-Policy"
assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/app.js")" "GET /app.js"
for p in /api/today /api/recent /api/session; do
  assert_eq 401 "$(req "$WORK/none" GET "$p")" "GET $p without a session"
done
assert_eq 401 "$(req "$WORK/none" POST /api/taps '{"department":"internal"}')" "a tap without a session"
assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/../../etc/passwd")" "a path outside the page"
assert_eq 421 "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: evil.example:80' "$URL/")" "a page under another name (DNS rebinding)"
assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: localhost:$SITE_PORT" "$URL/")" "Host localhost"
pass "only the sign-in page and its files without a session; only by address"

# A wrong passcode: refused, logged without it, and the next try is slowed.
assert_eq 401 "$(req "$WORK/bad" POST /api/signin '{"passcode":"9990001","staff_id":"nurse-a"}')" "wrong passcode"
assert_eq 429 "$(req "$WORK/bad" POST /api/signin "{\"passcode\":\"$(passcode)\",\"staff_id\":\"nurse-a\"}")" \
  "the right passcode right after a wrong one waits"
[ "$(jq '.retry_after > 0' "$WORK/body")" = true ] || fail "429 says how long: $(cat "$WORK/body")"
grep -q 'wrong passcode from 127.0.0.1' "$LOG" || fail "the wrong passcode is logged"
! grep -q 9990001 "$LOG" || fail "the log holds the wrong passcode itself"
pass "wrong passcode refused (401), slowed (429 + Retry-After), logged without it"

A="$WORK/phone-a" B="$WORK/phone-b"
signin "$A" nurse-a
signin "$B" nurse-b
grep -q 'HttpOnly' <(curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
  -d "{\"passcode\":\"$(passcode)\",\"staff_id\":\"nurse-c\"}" "$URL/api/signin" | grep -i '^Set-Cookie: oa_site=.*; Path=/; HttpOnly; SameSite=Strict') \
  || fail "the session cookie is HttpOnly, SameSite=Strict, Path=/"
assert_eq 200 "$(req "$A" GET /api/session)" "session"
assert_eq nurse-a "$(jq -r .staff_id "$WORK/body")" "the session's staff id"
pass "two phones signed in"

# State changes need the session's own CSRF token and JSON.
assert_eq 403 "$(req "$A" POST /api/taps '{"department":"internal"}')" "a tap without X-CSRF-Token"
assert_eq 403 "$(req "$A" POST /api/taps '{"department":"internal"}' "$(csrf "$B")")" "a tap with another session's token"
assert_eq 403 "$(req "$A" POST /api/send '{}' wrong)" "send now with a wrong token"
assert_eq 415 "$(curl -s -o /dev/null -w '%{http_code}' -b "$A" -H "X-CSRF-Token: $(csrf "$A")" \
  -H 'Content-Type: text/plain' -d '{"department":"internal"}' "$URL/api/taps")" "a tap as text/plain"
head -c 20000 /dev/zero | tr '\0' 'x' >"$WORK/big"
assert_eq 413 "$(curl -s -o /dev/null -w '%{http_code}' -b "$A" -H "X-CSRF-Token: $(csrf "$A")" \
  -H 'Content-Type: application/json' --data-binary @"$WORK/big" "$URL/api/taps")" "a 20 KB body"
assert_eq 400 "$(req "$A" POST /api/taps '{"department":"内科x"}' "$(csrf "$A")")" "an unknown department"
assert_eq 0 "$(sqlite3 "$WORK/agents/team-07.db" 'SELECT COUNT(*) FROM taps')" "taps after refused requests"
pass "POST without the CSRF token refused (403); not JSON 415; above 16 KiB 413"

# Two phones at once: 37 on internal (every third female) and 25 on surgery.
( for i in $(seq 1 37); do tap "$A" internal "$([ $((i % 3)) = 0 ] && echo true || echo false)"; done >"$WORK/taps-a" ) &
pa=$!
( for i in $(seq 1 25); do tap "$B" surgery; done >"$WORK/taps-b" ) &
pb=$!
wait "$pa" "$pb"
assert_eq 37 "$(grep -c '^200 [0-9]' "$WORK/taps-a")" "phone A's taps answered 200"
assert_eq 25 "$(grep -c '^200 [0-9]' "$WORK/taps-b")" "phone B's taps answered 200"
# Undo 5 of A's (the 1st, 2nd, 4th, 5th, 7th: none female); twice is refused.
for n in 1 2 4 5 7; do
  id=$(sed -n "${n}p" "$WORK/taps-a" | awk '{print $2}')
  assert_eq 200 "$(req "$A" POST /api/taps/undo "{\"id\":$id}" "$(csrf "$A")")" "undo tap $id"
done
assert_eq 409 "$(req "$A" POST /api/taps/undo "{\"id\":$id}" "$(csrf "$A")")" "undo the same tap again"
assert_eq 200 "$(req "$B" GET /api/today)" "today"
assert_eq '[32,25,0]' "$(jq -c '[.departments.internal.taps, .departments.surgery.taps, .departments.internal.waiting]' "$WORK/body")" "today's taps not yet sent"
assert_eq 200 "$(req "$B" POST /api/send '{}' "$(csrf "$B")")" "send now"
assert_eq 2 "$(jq .reports "$WORK/body")" "one headcount per department"
expect_retained "$PROGRESS" .consultations.count 57
assert_eq "internal 32 12 nurse-a|surgery 25 0 nurse-b" "$(sqlite3 "$WORK/agents/team-07.db" \
  "SELECT group_concat(d, '|') FROM (SELECT json_extract(payload, '\$.department') || ' ' ||
   json_extract(payload, '\$.consultations') || ' ' || json_extract(payload, '\$.female') || ' ' ||
   json_extract(payload, '\$.entered_by') AS d FROM outbox WHERE kind = 'headcount' ORDER BY d)")" \
  "the headcounts: consultations, female, entered_by from the session"
poll_until 10 outbox_drained team-07 || fail "the headcounts were not acked"
assert_eq 200 "$(req "$A" GET /api/today)" "today after the ack"
assert_eq '[32,25,0,true]' "$(jq -c '[.departments.internal.counted, .departments.surgery.counted, .waiting, .online]' "$WORK/body")" "the sync strip's figures"
[ "$(jq -r .last_answer "$WORK/body")" != null ] || fail "last answer time: $(cat "$WORK/body")"
pass "37 + 25 taps from two phones at once, 5 undone, send now: 57 counted"

# Two phones on the same department at once: both count.
( for i in $(seq 1 10); do tap "$A" obgyn; done >"$WORK/taps-a2" ) &
pa=$!
( for i in $(seq 1 10); do tap "$B" obgyn; done >"$WORK/taps-b2" ) &
pb=$!
wait "$pa" "$pb"
assert_eq 20 "$(cat "$WORK/taps-a2" "$WORK/taps-b2" | grep -c '^200 [0-9]')" "taps on obgyn from both phones answered 200"
assert_eq 200 "$(req "$A" POST /api/send '{}' "$(csrf "$A")")" "send now"
assert_eq 1 "$(jq .reports "$WORK/body")" "one headcount for obgyn"
expect_retained "$PROGRESS" .consultations.count 77
pass "two phones tapping the same department at once: both count"

# The daemon SIGKILLed in the middle of tapping, then restarted.
( for i in $(seq 1 400); do
    r=$(tap "$A" obgyn); echo "$r"
    [ "${r%% *}" = 200 ] || break # the daemon is gone
  done >"$WORK/taps-k" ) &
pk=$!
taps_before_kill() { local n; n=$(grep -c '^200' "$WORK/taps-k" 2>/dev/null) || true; [ "${n:-0}" -ge 15 ]; }
poll_until 20 taps_before_kill || fail "taps before the kill"
daemon_kill
wait "$pk"
ok=$(grep -c '^200 [0-9]' "$WORK/taps-k" || true)
stored=$(sqlite3 "$WORK/agents/team-07.db" "SELECT COUNT(*) FROM taps WHERE department = 'obgyn' AND state = 'open'")
for id in $(grep '^200 ' "$WORK/taps-k" | awk '{print $2}'); do
  [ "$(sqlite3 "$WORK/agents/team-07.db" "SELECT COUNT(*) FROM taps WHERE id = $id AND state = 'open'")" = 1 ] \
    || fail "tap $id got a 200 but is not in the outbox database"
done
[ "$stored" -ge "$ok" ] && [ "$stored" -le $((ok + 1)) ] || fail "$ok taps got a 200, $stored stored"
log "SIGKILL after $ok taps answered 200 ($stored stored)"
# Restarted with a 1-second fold: the minute's fold (no "send now") counts them.
sed -i 's/^site_fold_s = .*/site_fold_s = 1/' "$WORK/agents/team-07.conf"
daemon_start team-07
wait_until 10 "site app up again" site_up
signin "$A" nurse-a
expect_retained "$PROGRESS" .consultations.count $((77 + stored))
assert_eq 0 "$(sqlite3 "$WORK/agents/team-07.db" "SELECT COUNT(*) FROM taps WHERE state = 'open'")" "taps left open"
pass "daemon SIGKILLed while tapping: the $ok taps answered 200 are counted, none twice"
# Back to folding only on "send now" from the next restart (restart_with): a
# 1-second fold would split the offline taps below into two headcounts.
sed -i 's/^site_fold_s = .*/site_fold_s = 3600/' "$WORK/agents/team-07.conf"

# Text from the network comes back escaped, and the page sets text only.
agent team-07 report dispense --medicine '<script>alert(1)</script>&' --quantity 2 --unit box --value 3.50 >/dev/null
assert_eq 200 "$(req "$A" GET /api/recent)" "recent entries"
! grep -q '<script>' "$WORK/body" || fail "raw <script> in the JSON: $(cat "$WORK/body")"
grep -q '\\u003cscript\\u003e' "$WORK/body" || fail "not escaped: $(cat "$WORK/body")"
assert_eq '"<script>alert(1)</script>&"' "$(jq -c '.entries[0].fields.medicine' "$WORK/body")" "the medicine name as JSON text"
! grep -n 'innerHTML\|outerHTML\|insertAdjacentHTML\|document.write' "$SRC_DIR"/field-agent/site/*.js || fail "the page builds HTML from text"
! grep -n '<script>' "$SRC_DIR"/field-agent/site/index.html || fail "inline script in the page"
pass "a medicine name with <script> comes back escaped; the page uses textContent"

# ---- today's trip, from the trip cards ----
DB="$WORK/agents/team-07.db"
today_is() { req "$A" GET /api/today >/dev/null && [ "$(jq -r "$1" "$WORK/body")" = "$2" ]; }
card_status() { sqlite3 "$DB" "SELECT status FROM trips WHERE trip_id = '$1'" 2>/dev/null; }
card_is() { [ "$(card_status "$1")" = "$2" ]; }
# restart_with TRIP: the daemon again with trip = TRIP in its config; phone A signs in again.
restart_with() {
  daemon_stop
  sed -i "s/^trip = .*/trip = $1/" "$WORK/agents/team-07.conf"
  daemon_start team-07
  wait_until 10 "site app up again" site_up
  signin "$A" nurse-a
  signin "$B" nurse-b
}
assert_eq 200 "$(req "$A" GET /api/today)" "today"
assert_eq "card $TRIP 义诊 $TRIP 村卫生室 永定区 $OUTREACH_TODAY internal,surgery,obgyn" \
  "$(jq -r '.trip | "\(.source) \(.trip_id) \(.title) \(.site_name) \(.county_name) \(.date) \(.departments | join(","))"' "$WORK/body")" \
  "today's trip from its card: title, site, date, departments"
T2=2026-zjj-902 T3=2026-zjj-903
trip_upsert "$T2" "$OUTREACH_TODAY" cili 慈利县
trip_upsert "$T3" "$OUTREACH_TODAY" cili 慈利县
poll_until 10 card_is "$T3" planned || fail "the daemon did not keep $T3's card"
assert_eq 200 "$(req "$A" GET /api/today)" "today"
assert_eq "$TRIP 3" "$(jq -r '"\(.trip.trip_id) \(.trip.today_cards)"' "$WORK/body")" "three trips today: the config's one"
taps_before=$(sqlite3 "$DB" 'SELECT COUNT(*) FROM taps')
assert_eq 409 "$(req "$A" POST /api/taps '{"department":"dental"}' "$(csrf "$A")")" "a tap on a department the trip does not offer"
assert_eq department_not_offered "$(jq -r .error "$WORK/body")" "the refusal says why"
reply=$(admin_request "{\"request_id\":\"sa-cancel-902\",\"op\":\"trip.cancel\",\"trip_id\":\"$T2\",\"reason\":\"road closed\"}")
[ "$(jq -r .ok <<<"$reply")" = true ] || fail "trip.cancel refused: $reply"
poll_until 10 card_is "$T2" cancelled || fail "the device did not hear that $T2 is cancelled"
restart_with "$T2"
assert_eq 200 "$(req "$A" GET /api/today)" "today"
assert_eq "$T2 cancelled" "$(jq -r '"\(.trip.trip_id) \(.trip.status)"' "$WORK/body")" "the config's trip, cancelled"
outbox_before=$(sqlite3 "$DB" 'SELECT COUNT(*) FROM outbox')
assert_eq 409 "$(req "$A" POST /api/taps '{"department":"internal"}' "$(csrf "$A")")" "a tap for the cancelled trip"
jq -r .message "$WORK/body" | grep -q "trip $T2 is cancelled.*nothing was saved" || fail "the reason in words: $(cat "$WORK/body")"
jq -r .message_zh "$WORK/body" | grep -q "已取消" || fail "the reason in Chinese: $(cat "$WORK/body")"
assert_eq "$taps_before $outbox_before" "$(sqlite3 "$DB" 'SELECT COUNT(*) FROM taps') $(sqlite3 "$DB" 'SELECT COUNT(*) FROM outbox')" \
  "taps and outbox entries after the refused taps"
req "$A" GET /api/today >/dev/null
jq -e '.trip.refusal.en | test("cancelled")' "$WORK/body" >/dev/null || fail "today shows the refusal: $(cat "$WORK/body")"
pass "today's trip from its card; a tap for another department or a cancelled trip refused before saving"

restart_with "$T3"
poll_until 10 today_is .trip.trip_id "$T3" || fail "today's trip is not $T3: $(cat "$WORK/body")"
P3="$ROOT/trips/$T3/progress"

# ---- today's totals; cancelling an entry from the recent list ----
for i in 1 2 3 4; do assert_eq "200" "$(tap "$A" internal | cut -d' ' -f1)" "tap $i for $T3"; done
assert_eq 200 "$(req "$A" POST /api/send '{}' "$(csrf "$A")")" "send now"
agent team-07 report dispense --trip "$T3" --medicine 阿莫西林 --quantity 5 --unit box --value 1250.50 >/dev/null
agent team-07 report referral --trip "$T3" --destination county_hospital --condition cataract --urgency routine --patient-ref CL-1 >/dev/null
agent team-07 report education --trip "$T3" --brochures 30 --attendees 40 --talks 1 --topic 高血压 >/dev/null
agent team-07 report checkin --trip "$T3" --staff-id doc-wu --role doctor >/dev/null
agent team-07 report checkin --trip "$T3" --staff-id nurse-he --role nurse >/dev/null
agent team-07 report checkin --trip "$T3" --staff-id doc-wu --role doctor >/dev/null
TOT='[.totals.consultations, .totals.medicine_fen, .totals.referrals, .totals.brochures, .totals.attendees, .totals.talks, .totals.staff]'
assert_eq 200 "$(req "$A" GET /api/today)" "today"
assert_eq '[4,125050,1,30,40,1,2]' "$(jq -c "$TOT" "$WORK/body")" "today's totals for $T3"
assert_eq 200 "$(req "$A" GET /api/recent)" "recent"
med=$(jq -r '[.entries[] | select(.kind == "dispense" and .trip_id == "'"$T3"'")][0].seq' "$WORK/body")
hc=$(jq -r '[.entries[] | select(.kind == "headcount" and .trip_id == "'"$T3"'")][0].seq' "$WORK/body")
jq -r '.entries[] | select(.seq == '"$hc"') | .describe' "$WORK/body" | grep -q '内科 internal 4 consultations' \
  || fail "the headcount in words: $(jq -c '.entries[] | select(.seq == '"$hc"')' "$WORK/body")"
jq -r '.entries[] | select(.seq == '"$med"') | .describe' "$WORK/body" | grep -q '阿莫西林' || fail "the dispense in words"
assert_eq 400 "$(req "$A" POST /api/void "{\"seq\":$med,\"reason\":\"  \"}" "$(csrf "$A")")" "cancel without a reason"
assert_eq 403 "$(req "$A" POST /api/void "{\"seq\":$med,\"reason\":\"x\"}")" "cancel without the CSRF token"
assert_eq 200 "$(req "$A" POST /api/void "{\"seq\":$med,\"reason\":\"entered twice\"}" "$(csrf "$A")")" "cancel the dispense"
vseq=$(jq .seq "$WORK/body")
assert_eq 409 "$(req "$A" POST /api/void "{\"seq\":$med,\"reason\":\"again\"}" "$(csrf "$A")")" "cancel it twice"
jq -r .message "$WORK/body" | grep -q "already cancelled by entry #$vseq" || fail "why not twice: $(cat "$WORK/body")"
assert_eq 409 "$(req "$A" POST /api/void "{\"seq\":$vseq,\"reason\":\"x\"}" "$(csrf "$A")")" "cancel a void"
assert_eq "void $med entered twice nurse-a" "$(sqlite3 "$DB" "SELECT kind || ' ' || (SELECT seq FROM outbox t WHERE t.msg_id = json_extract(o.payload, '\$.voids')) || ' ' || json_extract(payload, '\$.reason') || ' ' || json_extract(payload, '\$.entered_by') FROM outbox o WHERE seq = $vseq")" "the void in the outbox"
assert_eq 200 "$(req "$A" POST /api/void "{\"seq\":$hc,\"reason\":\"wrong desk\"}" "$(csrf "$A")")" "cancel the headcount"
assert_eq 200 "$(req "$A" GET /api/today)" "today"
assert_eq '[0,0,1,30,40,1,2]' "$(jq -c "$TOT" "$WORK/body")" "the totals drop by exactly the cancelled entries"
poll_until 10 outbox_drained team-07 || fail "the voids were not acked"
expect_retained "$P3" .consultations.count 0
pass "today's totals exact; cancelling from the recent list drops them exactly (and at the coordinator)"

# ---- the broker stopped: taps go on, offline and waiting; back: all synced once ----
broker_stop
poll_until 15 today_is .online false || fail "the page never says offline: $(cat "$WORK/body")"
for i in 1 2 3 4 5; do assert_eq 200 "$(tap "$B" surgery | cut -d' ' -f1)" "offline tap $i"; done
assert_eq 200 "$(req "$B" POST /api/send '{}' "$(csrf "$B")")" "send now offline"
assert_eq 1 "$(jq .reports "$WORK/body")" "one headcount made offline"
assert_eq 200 "$(req "$A" GET /api/today)" "today offline"
assert_eq '[false,1,5,5]' "$(jq -c '[.online, .waiting, .totals.consultations, .unsynced.consultations]' "$WORK/body")" "offline: online, waiting, totals incl. unsynced"
broker_restart
poll_until 30 today_is .online true || fail "the page never says online again"
poll_until 20 outbox_drained team-07 || fail "the waiting entries were not sent after the broker came back"
assert_eq 200 "$(req "$A" GET /api/today)" "today back online"
assert_eq '[true,0,5,0]' "$(jq -c '[.online, .waiting, .totals.consultations, .unsynced.consultations]' "$WORK/body")" "back: all synced"
expect_retained "$P3" .consultations.count 5
assert_eq 1 "$(sqlite3 "$COORD_DB" "SELECT COUNT(*) FROM reports WHERE trip_id = '$T3' AND kind = 'headcount' AND department = 'surgery'" 2>/dev/null || echo ?)" "the offline headcount stored once"
pass "broker stopped: taps go on, offline with 1 waiting; broker back: synced, 5 counted once"

# ---- a refused entry: its reason, corrected and sent again ----
agent team-07 report headcount --trip 2026-zz-404 --force-trip --department internal --consultations 7 --female 3 >/dev/null 2>&1 || true
refused_seq=$(sqlite3 "$DB" "SELECT MAX(seq) FROM outbox WHERE trip_id = '2026-zz-404'")
poll_until 10 bash -c "[ \"\$(sqlite3 '$DB' \"SELECT state FROM outbox WHERE seq = $refused_seq\")\" = rejected ]" || fail "#$refused_seq was not refused"
assert_eq 200 "$(req "$A" GET /api/today)" "today"
assert_eq "$refused_seq unknown_trip true" "$(jq -r '.refused[0] | "\(.seq) \(.code) \(.reason | length > 0)"' "$WORK/body")" "the refused entry with its reason"
assert_eq 200 "$(req "$A" GET "/api/entry?seq=$refused_seq")" "the refused entry's fields"
assert_eq '["internal",7,3]' "$(jq -c '[.fields.department, .fields.consultations, .fields.female]' "$WORK/body")" "its report fields, for a form"
assert_eq 200 "$(req "$A" POST /api/correct "{\"seq\":$refused_seq}" "$(csrf "$A")")" "correct and send again"
new_seq=$(jq .seq "$WORK/body")
assert_eq 409 "$(req "$A" POST /api/correct "{\"seq\":$refused_seq}" "$(csrf "$A")")" "correct it twice"
assert_eq 409 "$(req "$A" POST /api/correct "{\"seq\":$new_seq}" "$(csrf "$A")")" "correct an entry not refused"
assert_eq "rejected|$T3 internal 7 3 nurse-a" "$(sqlite3 "$DB" "SELECT state FROM outbox WHERE seq = $refused_seq")|$(sqlite3 "$DB" "SELECT trip_id || ' ' || json_extract(payload, '\$.department') || ' ' || json_extract(payload, '\$.consultations') || ' ' || json_extract(payload, '\$.female') || ' ' || json_extract(payload, '\$.entered_by') FROM outbox WHERE seq = $new_seq")" \
  "the refused one stays refused; the new one has its values for today's trip"
expect_retained "$P3" .consultations.count 12
assert_eq 200 "$(req "$A" GET /api/today)" "today"
assert_eq "$new_seq" "$(jq -r '.refused[0].corrected_by' "$WORK/body")" "the refused entry says it was sent again"
pass "a refused headcount shows its reason; corrected and sent again once: counted"

assert_eq 200 "$(req "$A" POST /api/signout '{}' "$(csrf "$A")")" "sign out"
assert_eq 401 "$(req "$A" GET /api/today)" "after signing out"
daemon_stop
grep -q 'daemon stopped' "$LOG" || fail "the daemon did not say it stopped"
pass "signed out; the daemon stops cleanly with the site app"
coordinator_stop
