#!/usr/bin/env bash
# bench/siteapp_taps.sh -- the site app's tap latency, run by hand: a real
# broker, coordinator and agent daemon (online) with the site app on
# 127.0.0.1; one phone (curl, one kept-alive connection) taps N times (default
# 200); each tap's time from sending the POST to its 200 (the tap committed
# with FULL sync in the outbox database) is measured by curl. Prints min,
# median, p90 and max in ms, and checks that every tap was stored.
#
#   OUTREACH_BUILD_DIR=build bash bench/siteapp_taps.sh [N]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
: "${OUTREACH_BUILD_DIR:=$HERE/../build}"
OUTREACH_BUILD_DIR=$(cd "$OUTREACH_BUILD_DIR" && pwd)
export OUTREACH_BUILD_DIR
source "$HERE/../tests/lib/common.sh"
source "$HERE/../tests/lib/broker.sh"
source "$HERE/../tests/lib/stack.sh"
N=${1:-200}

tmpdir_setup
broker_provision --agents "team-07"
broker_start
on_exit coordinator_stop
coordinator_start
trip_upsert 2026-zjj-014 2026-11-22 yongding 永定区
agent_setup team-07 2026-zjj-014
PORT=$(_pick_port)
printf 'site_port = %s\nsite_passcode = 246810\n' "$PORT" >>"$WORK/agents/team-07.conf"
daemon_start team-07
URL="http://127.0.0.1:$PORT"
site_up() { curl -s -o /dev/null "$URL/"; }
wait_until 10 "site app up" site_up
curl -s -c "$WORK/jar" -H 'Content-Type: application/json' \
  -d '{"passcode":"246810","staff_id":"bench-1"}' "$URL/api/signin" >"$WORK/session"
CSRF=$(jq -r .csrf "$WORK/session")
urls=()
for ((i = 0; i < N; i++)); do urls+=(-o /dev/null "$URL/api/taps"); done
curl -s -b "$WORK/jar" -H 'Content-Type: application/json' -H "X-CSRF-Token: $CSRF" \
  -d '{"department":"internal","female":true}' -w '%{http_code} %{time_total}\n' "${urls[@]}" >"$WORK/times"
assert_eq "$N" "$(grep -c '^200 ' "$WORK/times")" "taps answered 200"
assert_eq "$N" "$(sqlite3 "$WORK/agents/team-07.db" 'SELECT COUNT(*) FROM taps')" "taps stored"
awk '{print $2 * 1000}' "$WORK/times" | sort -n | awk -v n="$N" '
  { v[NR] = $1 }
  END { printf "site app tap, POST to 200 over %d taps (ms): min %.2f  median %.2f  p90 %.2f  max %.2f\n",
        n, v[1], (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2), v[int(n * 0.9)], v[n] }'
daemon_stop
