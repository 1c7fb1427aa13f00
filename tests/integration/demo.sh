#!/usr/bin/env bash
# demo.sh -- the README's demo (scripts/demo.sh) on the build under test, on a
# fixed day: every report it plays is answered as the demo says (the void
# included), the site-silent alert is raised and cleared, the made-up village
# register gives 1 of 6 poor villages reached, the progress has the demo's
# figures, and the report and DHIS2 files are written. The demo had broken
# silently once (its void refused); this keeps it honest.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
tmpdir_setup
pass() { PASSED=$((${PASSED:-0} + 1)); echo "ok $PASSED - $*"; }
ROOT_DIR=$(cd "$(dirname "$0")/../.." && pwd)
LOG=$WORK/demo.log
OUT=$WORK/files

rc=0
(cd "$ROOT_DIR" && OUTREACH_DEMO_BUILD_DIR=$OUTREACH_BUILD_DIR OUTREACH_DEMO_OUT=$OUT \
  OUTREACH_TODAY=2026-11-20 timeout 240 bash scripts/demo.sh) >"$LOG" 2>&1 </dev/null || rc=$?
[ "$rc" = 0 ] || { tail -40 "$LOG" >&2; fail "demo exited with $rc"; }
pass "the demo ran to its end"

answers=$(grep -c '^ *-> ' "$LOG" || true)
accepted=$(grep -c '^ *-> accepted: counted by the coordinator$' "$LOG" || true)
assert_eq 25 "$answers" "reports played (every headcount, dispense, education, referral, check-in and the void)"
assert_eq 25 "$accepted" "every one accepted"
grep -q '^   team-04  void       3 ' "$LOG" || fail "the void names entry 3"
grep -q '^   coordinator: [0-9a-f-]* duplicate$' "$LOG" || fail "the resend answered duplicate"
grep -q "^   coordinator: 9c0d5e1a-0000-4000-8000-000000000001 rejected (schema): field 'consultations' must be from 1 to 5000 (got 0)$" \
  "$LOG" || fail "the invalid report refused with its field"
pass "reports answered as the demo says"

grep -Eq '^   critical since 20[0-9-]+T[0-9:]+\+08:00  site silent: agent team-03 on trip 2026-cl-003 offline' \
  "$LOG" || fail "the site-silent alert listed while open"
grep -Eq '^   \{"state":"cleared","since":"20[0-9-]+T[0-9:]+\+08:00","cleared_at":"20[0-9-]+T[0-9:]+\+08:00"\}$' \
  "$LOG" || fail "the alert retained as cleared"
grep -q '^   no open alerts$' "$LOG" || fail "no open alert at the end"
pass "an alert raised and cleared"

grep -q '^   villages: 10 stored (6 poor) in 1 request$' "$LOG" || fail "the register imported"
grep -q '^   Poor-village coverage 2026: 1 of 6 reached$' "$LOG" || fail "coverage 1 of 6"
grep -q '^   Not reached yet (5):$' "$LOG" || fail "five not reached"
pass "coverage of the sample register"

grep -Eq '^  Consultations +800 +50,000 ' "$LOG" || { grep Consultations "$LOG" >&2; fail "800 consultations"; }
grep -Eq '^  Staff +6 +500 ' "$LOG" || fail "6 staff"
grep -Eq '^   \{"consultations":\{"count":800,' "$LOG" || fail "the retained progress caught up"
pass "the year's progress"

for f in report-2026-11.xlsx report-2026.html dhis2-2026.json; do
  [ -s "$OUT/$f" ] || fail "$f written"
done
assert_eq PK "$(head -c 2 "$OUT/report-2026-11.xlsx")" "the xlsx is a zip"
n=$(jq '.dataValues | length' "$OUT/dhis2-2026.json")
[ "$n" -gt 0 ] || fail "DHIS2 data values: $n"
pass "report and DHIS2 files written"
