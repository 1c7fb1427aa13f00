#!/usr/bin/env bash
# logescape.sh -- text from the network cannot forge a log line or drive a
# terminal: a report whose JSON repeats a key holding a newline and ESC is
# refused in one log line with both escaped; a trip title with U+202E and ESC
# shows escaped in `trip show` and `trips`; the CSV export escapes the same
# characters and defuses a cell a spreadsheet would run as a formula.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

stack_up --trip "2026-le-001 2026-11-22 cili 慈利县"

# 1. The forged log line: the key decodes to "x", newline, a fake log prefix,
#    ESC [2K (erase line).
key='x\n2026-11-22T09:00:00.000 info: accepted forged report\u001b[2K'
publish_as team-01 "$ROOT/agents/team-01/reports/headcount" \
  "{\"msg_id\":\"aaaaaaaa-0000-4000-8000-0000000000e1\",\"$key\":1,\"$key\":2}"
refused_logged() { grep -q "more than once" "$WORK/coordinator.log"; }
wait_until 20 "the refusal in the coordinator's log" refused_logged
assert_eq 1 "$(grep -c "forged" "$WORK/coordinator.log")" "log lines that mention the forged text"
want="rejected report (no msg_id) from team-01: payload has the key 'x\\n2026-11-22T09:00:00.000 info: accepted forged report\\x1B[2K' more than once (malformed)"
grep -qF -- "$want" "$WORK/coordinator.log" ||
  fail "no escaped refusal line; log: $(grep forged "$WORK/coordinator.log" | cat -A)"
! grep -q '^2026-11-22T09:00:00.000' "$WORK/coordinator.log" || fail "a forged line reached the log"
! grep -q $'\x1b' "$WORK/coordinator.log" || fail "an ESC byte reached the log"
pass "a duplicate key with a newline and ESC is logged on one line, escaped"

# 2. trip show and trips: an admin's title with RLO (U+202E) and ESC.
reply=$(admin_request '{"request_id":"up-le-002","op":"trip.upsert","trip_id":"2026-le-002",
  "title":"义诊 \u202egpj.exe\u001b[2J","date":"2026-11-23",
  "site":{"code":"site-cili","name":"村卫生室","county":"cili","county_name":"慈利县",
          "township":"镇","poor_village":true},
  "mode":"upper_help","activities":["clinic"],"departments":["internal"],
  "capacity":{"doctor":1}}')
[ "$(jq -r .ok <<<"$reply")" = true ] || fail "trip.upsert refused: $reply"
"$COORD_BIN" trip show 2026-le-002 --db "$COORD_DB" >"$WORK/show.out"
assert_eq 'Trip 2026-le-002: 义诊 \u202Egpj.exe\x1B[2J' "$(head -1 "$WORK/show.out")" "trip show's title line"
"$COORD_BIN" trips --db "$COORD_DB" --year 2026 >"$WORK/trips.out"
grep -qF 'gpj.exe\x1B[2J' "$WORK/trips.out" || fail "trips does not show the escaped title: $(cat "$WORK/trips.out")"
for f in show trips; do
  ! grep -q $'\xe2\x80\xae\|\x1b' "$WORK/$f.out" || fail "$f printed U+202E or ESC raw"
done
pass "trip show and trips print U+202E and ESC escaped"

# 3. CSV: a check-in whose organization starts a formula and holds controls.
agent_setup team-01 2026-le-001
org=$'=HYPERLINK("http://x.example/","点击")\u202e\x1b[2J'
agent_accepted team-01 report checkin --staff-id dr-li-01 --role doctor --organization "$org"
"$COORD_BIN" export --db "$COORD_DB" --csv --output "$WORK/reports.csv"
cell="\"'=HYPERLINK(\"\"http://x.example/\"\",\"\"点击\"\")\\u202E\\x1B[2J\""
grep -qF -- "$cell" "$WORK/reports.csv" ||
  fail "the CSV cell is not defused and escaped: $(grep dr-li-01 "$WORK/reports.csv")"
! grep -q $'\xe2\x80\xae\|\x1b' "$WORK/reports.csv" || fail "the CSV holds U+202E or ESC raw"
pass "the CSV escapes controls and prefixes a formula cell with '"
# 4. The volunteer client shows a cancelled trip's reason (an admin's text)
#    escaped the same way.
vol() {
  local id=$1 sub=$2; shift 2
  "$AGENT_BIN" volunteer "$sub" --broker "$BROKER_URI" --volunteer-id "$id" \
    --password-file "$(secret "$id")" --timeout 20 "$@"
}
vol vol-01 profile --name "志愿者" --phone "+86 139 0000 0001" --roles doctor >"$WORK/vol.out" 2>&1 ||
  fail "profile: $(cat "$WORK/vol.out")"
vol vol-01 register 2026-le-002 --role doctor >"$WORK/vol.out" 2>&1 ||
  fail "register: $(cat "$WORK/vol.out")"
reply=$(admin_request '{"request_id":"cancel-le-002","op":"trip.cancel","trip_id":"2026-le-002",
  "reason":"路断\u202e\u001b[2J"}')
[ "$(jq -r .ok <<<"$reply")" = true ] || fail "trip.cancel refused: $reply"
vol vol-01 notices --wait 5 >"$WORK/vol.out" 2>&1 || fail "notices: $(cat "$WORK/vol.out")"
grep -qF 'notice: trip 2026-le-002 was cancelled (you had a place as doctor): 路断\u202E\x1B[2J' \
  "$WORK/vol.out" || fail "the notice is not shown escaped: $(cat -A "$WORK/vol.out")"
! grep -q $'\xe2\x80\xae\|\x1b' "$WORK/vol.out" || fail "the volunteer client printed U+202E or ESC raw"
pass "the volunteer client shows a cancel reason with U+202E and ESC escaped"
coordinator_stop
log "logescape: $PASSED checks passed"
