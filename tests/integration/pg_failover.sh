#!/usr/bin/env bash
# pg_failover.sh -- two coordinators on one PostgreSQL store (issue 14),
# against a real Mosquitto and a real PostgreSQL, reports flowing at 200/s
# from 10 agents: the leader (a, which publishes the retained figures) is
# SIGKILLed; b publishes them within 5 s (measured from the kill to b's first
# publication), and no figure on the retained topics ever goes backwards (a
# subscriber records every publication). a comes back as a follower. Then
# PostgreSQL itself is restarted mid-stream: both coordinators reconnect, the
# agents' resends bring what was not acknowledged, and nothing is lost or
# counted twice.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"
source "$(dirname "$0")/../lib/pg.sh"
source "$(dirname "$0")/../lib/pgcluster.sh"

AGENTS=10 PER_AGENT=600 TRIP=2026-pg-002 TAKEOVER_S=5
pgcluster_up $AGENTS
coord_start a
coord_start b
trip_upsert "$TRIP" 2026-11-20 xiuwu 修武县
grep -q 'publishes the retained topics (the leader)' "$WORK/coord-a.log" || fail "a is not the leader"

# every publication of the trip's and the year's progress, with its time
mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -V mqttv5 -u dashboard -i "dashboard.test-pubs" \
  -P "$(cat "$(secret dashboard)")" -t "$ROOT/trips/$TRIP/progress" -t "$ROOT/progress/2026" \
  -F '%U %t %p' >"$WORK/pubs.txt" 2>"$WORK/pubs.err" &
track_pid "$!"
wait_until 10 "the subscriber has the retained progress" grep -q "trips/$TRIP/progress" "$WORK/pubs.txt"

"$LOADGEN_BIN" run --broker "$BROKER_URI" --secrets "$ACCOUNTS/secrets" --agents $AGENTS \
  --reports-per-agent $PER_AGENT --trip "$TRIP" --rate 200 --window 50 --resend-ms 2000 \
  --deadline-s 240 >"$WORK/loadgen.log" 2>&1 &
LG=$!
track_pid "$LG"
total=$((AGENTS * PER_AGENT))

# ---- the leader killed ------------------------------------------------------
wait_until 60 "1,500 reports stored" stored_over 1500
killed=$(date +%s.%N)
coord_kill a
b_leads() { grep -q 'publishes the retained topics (the leader)' "$WORK/coord-b.log"; }
wait_until 10 "b the leader" b_leads
published_after() { awk -v t="$1" -v topic="trips/$TRIP/progress" '$1 > t && index($2, topic) {print $1; exit}' "$WORK/pubs.txt"; }
first_pub() { [ -n "$(published_after "$killed")" ]; }
wait_until 10 "b's first publication" first_pub
took=$(awk -v a="$killed" -v b="$(published_after "$killed")" 'BEGIN {printf "%.2f", b - a}')
awk -v t="$took" -v lim=$TAKEOVER_S 'BEGIN {exit !(t < lim)}' ||
  fail "b published $took s after the leader's kill (limit $TAKEOVER_S s)"
pass "leader SIGKILLed: b publishes the retained progress $took s later (limit $TAKEOVER_S s)"
coord_start a
at=$(stored)
wait_until 60 "a and b storing again" stored_over $((at + 500))
! grep -q 'publishes the retained topics (the leader)' <(sed -n '/coordinator ready/,$p' "$WORK/coord-a.log" | tail -n +2) ||
  fail "a took the leadership back while b leads"
pass "a back as a follower"

# ---- PostgreSQL restarted mid-stream ------------------------------------------
wait_until 90 "4,000 reports stored" stored_over 4000
restarted=$(date +%s.%N)
pg_restart
at=$(stored)
wait_until 60 "storing again after PostgreSQL's restart" stored_over $((at + 100))
resumed=$(awk -v a="$restarted" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
rc=0
wait "$LG" || rc=$?
[ "$rc" = 0 ] || { tail -20 "$WORK/loadgen.log"; fail "loadgen exited $rc"; }
assert_eq "$total" "$(stored)" "reports stored"
assert_eq "$total" "$(pg_sql "SELECT COUNT(DISTINCT msg_id) FROM reports")" "distinct msg_ids"
want=$(lg_expected $AGENTS $PER_AGENT)
got=$("$COORD_BIN" progress --db "$PG_URI" --year 2026 --json | jq .consultations.count)
assert_eq "$want" "$got" "consultations counted"
pass "PostgreSQL restarted mid-stream: stored again ${resumed} s later; $total reports once each, $got consultations"

# ---- the retained figures never went backwards, and end at the store's ---------
progress_is() { [ "$(retained "$ROOT/trips/$TRIP/progress" | jq .consultations.count)" = "$got" ]; }
wait_until 20 "the retained trip progress at $got" progress_is
back=$(grep " [^ ]*/trips/$TRIP/progress " "$WORK/pubs.txt" | cut -d' ' -f3- |
  jq -r '.consultations.count' | awk '{if ($1 < last) bad++; last = $1; n++} END {printf "%d %d", n, bad}')
read -r seen bad <<<"$back"
[ "$seen" -ge 3 ] || fail "only $seen publications of the trip's progress seen"
assert_eq 0 "$bad" "publications of the trip's progress lower than the one before ($seen seen)"
pass "$seen publications of the trip's progress, none lower than the one before"

coords_stop
! grep -E 'AddressSanitizer|runtime error|LeakSanitizer' "$WORK"/coord-*.log || fail "sanitizer reports"
