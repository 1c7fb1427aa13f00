#!/usr/bin/env bash
# siteapp.sh -- the site app served by the agent daemon, driven with curl
# against a real broker, coordinator and daemon: sign-in (a wrong passcode is
# refused and slowed), CSRF, two phones tapping at once with undos, "send
# now" and the coordinator's exact totals; the daemon SIGKILLed between taps:
# every tap that got a 200 is counted once; text from the network comes back
# escaped; a clean stop.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../lib/common.sh"
source "$HERE/../lib/broker.sh"
source "$HERE/../lib/stack.sh"

tmpdir_setup
broker_provision --agents "team-07"
broker_start
on_exit coordinator_stop
coordinator_start
TRIP=2026-zjj-014
trip_upsert "$TRIP" 2026-11-22 yongding 永定区
agent_setup team-07 "$TRIP"
SITE_PORT=$(_pick_port)
# Folding only on "send now" until the restart below.
printf 'site_port = %s\nsite_fold_s = 3600\n' "$SITE_PORT" >>"$WORK/agents/team-07.conf"
URL="http://127.0.0.1:$SITE_PORT"
LOG="$WORK/daemon-team-07.log"
PROGRESS="$ROOT/trips/$TRIP/progress"

# The passcode the daemon made and printed last (with the URL and a QR code).
passcode() { grep -o 'site app passcode: [0-9]*' "$LOG" | tail -1 | awk '{print $4}'; }
site_up() { curl -s -o /dev/null "$URL/"; }

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
    r=$(tap "$A" pediatrics); echo "$r"
    [ "${r%% *}" = 200 ] || break # the daemon is gone
  done >"$WORK/taps-k" ) &
pk=$!
poll_until 20 bash -c "[ \$(grep -c '^200' '$WORK/taps-k' 2>/dev/null || echo 0) -ge 15 ]" || fail "taps before the kill"
daemon_kill
wait "$pk"
ok=$(grep -c '^200 [0-9]' "$WORK/taps-k" || true)
stored=$(sqlite3 "$WORK/agents/team-07.db" "SELECT COUNT(*) FROM taps WHERE department = 'pediatrics' AND state = 'open'")
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

# Text from the network comes back escaped, and the page sets text only.
agent team-07 report dispense --medicine '<script>alert(1)</script>&' --quantity 2 --unit box --value 3.50 >/dev/null
assert_eq 200 "$(req "$A" GET /api/recent)" "recent entries"
! grep -q '<script>' "$WORK/body" || fail "raw <script> in the JSON: $(cat "$WORK/body")"
grep -q '\\u003cscript\\u003e' "$WORK/body" || fail "not escaped: $(cat "$WORK/body")"
assert_eq '"<script>alert(1)</script>&"' "$(jq -c '.entries[0].fields.medicine' "$WORK/body")" "the medicine name as JSON text"
! grep -n 'innerHTML\|outerHTML\|insertAdjacentHTML\|document.write' "$SRC_DIR"/field-agent/site/*.js || fail "the page builds HTML from text"
! grep -n '<script>' "$SRC_DIR"/field-agent/site/index.html || fail "inline script in the page"
pass "a medicine name with <script> comes back escaped; the page uses textContent"

assert_eq 200 "$(req "$A" POST /api/signout '{}' "$(csrf "$A")")" "sign out"
assert_eq 401 "$(req "$A" GET /api/today)" "after signing out"
daemon_stop
grep -q 'daemon stopped' "$LOG" || fail "the daemon did not say it stopped"
pass "signed out; the daemon stops cleanly with the site app"
coordinator_stop
