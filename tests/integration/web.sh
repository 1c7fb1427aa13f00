#!/usr/bin/env bash
# web.sh -- the browser pages end to end: a real Mosquitto with the WebSockets
# listener serving web/www (broker-config/), the real coordinator and field
# agents, and headless Chromium (Debian's /usr/bin/chromium) driven by
# playwright-core from web/node_modules. Runs every tests/web/*.test.mjs with
# the stack's addresses and accounts in the environment; screenshots go to
# $OUTREACH_ARTIFACTS/web (default artifacts/web).
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

WEB_DIR=$SRC_DIR/web
[ -f "$WEB_DIR/www/vendor/mqtt.min.js" ] && [ -d "$WEB_DIR/node_modules/playwright-core" ] ||
  fail "the pages are not built: run 'bash scripts/deps.sh' (npm ci and node build.mjs in web/)"
[ -x /usr/bin/chromium ] || fail "no /usr/bin/chromium: run 'bash scripts/deps.sh'"
command -v node >/dev/null || fail "no node: run 'bash scripts/deps.sh'"

export BROKER_HTTP_DIR=$WEB_DIR/www
stack_up --agents "team-01 team-02" --volunteers "vol-01 vol-02 vol-03"

# Trips around "today" (OUTREACH_TODAY, 2026-11-22): one in progress, one
# upcoming (doctor 4, nurse 2 places), one completed.
trip_upsert 2026-web-001 2026-11-22 cili 慈利县
trip_upsert 2026-web-002 2026-12-05 sangzhi 桑植县
trip_upsert 2026-web-003 2026-03-15 xiuwu 修武县
admin_request '{"request_id":"web-complete-3","op":"trip.complete","trip_id":"2026-web-003"}' >/dev/null
# cili has targets of its own (county_targets in its progress; the dashboard's
# county table shows them).
reply=$(admin_request '{"request_id":"web-targets-cili","op":"targets.set","year":2026,"county":"cili","consultations":1000,"staff":10}')
[ "$(jq -r .ok <<<"$reply")" = true ] || fail "targets.set for cili refused: $reply"
agent_setup team-01 2026-web-001
agent_setup team-02 2026-web-003
# team-01's daemon is online (retained birth); team-02 reported once and is
# offline (its last status is the daemon's will, after a clean stop).
daemon_start team-02
daemon_stop
daemon_start team-01

ARTIFACTS=${OUTREACH_ARTIFACTS:-$SRC_DIR/artifacts}/web
mkdir -p "$ARTIFACTS"
export WEB_URL=$BROKER_WEB_URL TCP_URI=$BROKER_URI BROKER_PORT ACCOUNTS WORK ROOT
export AGENT_BIN COORD_BIN COORD_DB SCREENSHOTS=$ARTIFACTS OUTREACH_TODAY
export WEB_DIR  # tests load playwright-core with createRequire(WEB_DIR + "/package.json")
for t in "$SRC_DIR"/tests/web/*.test.mjs; do
  [ -e "$t" ] || continue
  log "== $(basename "$t")"
  rc=0
  timeout 240 node "$t" || rc=$?
  [ "$rc" = 0 ] || fail "$(basename "$t") failed (exit $rc)"
  pass "$(basename "$t")"
done
daemon_stop
coordinator_stop
log "web: $PASSED checks passed; screenshots in $ARTIFACTS"
