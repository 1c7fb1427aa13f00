#!/usr/bin/env bash
# siteapp_web.sh -- the site app's page in headless Chromium (Debian's
# /usr/bin/chromium via playwright-core from web/node_modules) at 390 x 844,
# against a real broker, coordinator and agent daemon: tests/web/siteapp.mjs
# taps 3 + 2 - 1 and 50 timed taps, sends now, and the coordinator's retained
# total is exactly 54.
# Screenshots go to $OUTREACH_ARTIFACTS/siteapp (default artifacts/siteapp).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../lib/common.sh"
source "$HERE/../lib/broker.sh"
source "$HERE/../lib/stack.sh"

need_chromium
tmpdir_setup
broker_provision --agents "team-07"
broker_start
on_exit coordinator_stop
coordinator_start
TRIP=2026-zjj-015
trip_upsert "$TRIP" 2026-11-22 yongding 永定区
agent_setup team-07 "$TRIP"
site_setup team-07 135790
daemon_start team-07
site_up() { curl -s -o /dev/null "http://127.0.0.1:$SITE_PORT/"; }
wait_until 10 "site app up" site_up
! grep -q 'site app passcode' "$WORK/daemon-team-07.log" || fail "a configured passcode is printed"

ARTIFACTS=${OUTREACH_ARTIFACTS:-$SRC_DIR/artifacts}/siteapp
SITE_URL="http://127.0.0.1:$SITE_PORT/" SITE_PASSCODE=135790 SCREENSHOTS=$ARTIFACTS WEB_DIR=$WEB_DIR \
  timeout 150 node "$SRC_DIR/tests/web/siteapp.mjs" || fail "siteapp.mjs failed"
expect_retained "$ROOT/trips/$TRIP/progress" .consultations.count 54
daemon_stop
coordinator_stop
log "siteapp_web: screenshots in $ARTIFACTS"
