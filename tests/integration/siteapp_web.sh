#!/usr/bin/env bash
# siteapp_web.sh -- the site app's page in headless Chromium (Debian's
# /usr/bin/chromium via playwright-core from web/node_modules) at 390 x 844,
# against a real broker, coordinator and agent daemon: tests/web/siteapp.mjs
# taps 3 + 2 - 1 and 50 timed taps, sends now, and the coordinator's retained
# total is exactly 54; then tests/web/siteapp_today.mjs in three phases: the
# trip of the day, today's totals, cancelling from the recent list, a refused
# headcount corrected (58); the broker stopped: taps go on, offline and 1
# waiting; the broker back: all synced, exactly 61.
# Screenshots go to $OUTREACH_ARTIFACTS/siteapp (default artifacts/siteapp).
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

need_chromium
TRIP=2026-zjj-015
stack_up --agents team-07 --volunteers '' --trip "$TRIP 2026-11-22 yongding 永定区" --agent team-07 --site 135790
site_start team-07
! grep -q 'site app passcode' "$WORK/daemon-team-07.log" || fail "a configured passcode is printed"

ARTIFACTS=${OUTREACH_ARTIFACTS:-$SRC_DIR/artifacts}/siteapp
SITE_URL="http://127.0.0.1:$SITE_PORT/" SITE_PASSCODE=135790 SCREENSHOTS=$ARTIFACTS WEB_DIR=$WEB_DIR \
  timeout 150 node "$SRC_DIR/tests/web/siteapp.mjs" || fail "siteapp.mjs failed"
expect_retained "$ROOT/trips/$TRIP/progress" .consultations.count 54

# Entries of other kinds (the forms are another page's), and a refused one.
agent team-07 report dispense --medicine 阿莫西林 --quantity 5 --unit box --value 1250.50 >/dev/null
agent team-07 report checkin --staff-id doc-wu --role doctor >/dev/null
agent team-07 report checkin --staff-id nurse-he --role nurse >/dev/null
agent team-07 report headcount --trip 2026-zz-404 --force-trip --department surgery --consultations 7 >/dev/null 2>&1 || true
DB="$WORK/agents/team-07.db"
REFUSED_SEQ=$(sqlite3 "$DB" "SELECT MAX(seq) FROM outbox WHERE trip_id = '2026-zz-404'")
refused() { [ "$(sqlite3 "$DB" "SELECT state FROM outbox WHERE seq = $1")" = rejected ]; }
wait_until 10 "entry #$REFUSED_SEQ refused" refused "$REFUSED_SEQ"
# A refused dispense: corrected in its form (forms.js fills it from the entry).
agent team-07 report dispense --trip 2026-zz-404 --force-trip --medicine 布洛芬 --quantity 2 --unit box \
  --value 10.00 >/dev/null 2>&1 || true
REFUSED_MED_SEQ=$(sqlite3 "$DB" "SELECT MAX(seq) FROM outbox WHERE trip_id = '2026-zz-404'")
wait_until 10 "entry #$REFUSED_MED_SEQ refused" refused "$REFUSED_MED_SEQ"
today() { # PHASE
  SITE_URL="http://127.0.0.1:$SITE_PORT/" SITE_PASSCODE=135790 SCREENSHOTS=$ARTIFACTS WEB_DIR=$WEB_DIR \
    PHASE=$1 REFUSED_SEQ=$REFUSED_SEQ REFUSED_MED_SEQ=$REFUSED_MED_SEQ timeout 120 node "$SRC_DIR/tests/web/siteapp_today.mjs" || fail "siteapp_today.mjs $1 failed"
}
today entries
wait_until 10 "the voids and the correction acked" outbox_drained team-07
expect_retained "$ROOT/trips/$TRIP/progress" .consultations.count 58
expect_retained "$ROOT/trips/$TRIP/progress" .medicine.value_fen 1000
broker_stop
today offline
assert_eq 1 "$(outbox_count team-07 pending sent)" "entries waiting while the broker is down"
broker_restart
# The daemon and the coordinator each reconnect on their own backoff (Paho's,
# up to 16 s): wait for the ack itself, then let the page say so.
wait_until 40 "the entry kept offline acked after the broker came back" outbox_drained team-07
today back
expect_retained "$ROOT/trips/$TRIP/progress" .consultations.count 61
assert_eq 0 "$(outbox_count team-07 pending sent)" "entries waiting after the broker came back"
daemon_stop
coordinator_stop
log "siteapp_web: screenshots in $ARTIFACTS"
