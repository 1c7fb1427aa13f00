#!/usr/bin/env bash
# pg_cluster.sh -- two coordinators sharing one PostgreSQL store and one
# shared subscription (issue 14), against a real Mosquitto and a real
# PostgreSQL (tests/lib/pg.sh): 20 agents send 20,000 reports, each resent
# until answered, while coordinator b is SIGKILLed three times mid-stream and
# started again (a carries the load meanwhile); then voids spread over both
# coordinators, each sent twice, and one that comes before its target. The
# totals are exact, every msg_id is stored once, one coordinator published
# the retained figures all along, and they end at the store's.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"
source "$(dirname "$0")/../lib/pg.sh"
source "$(dirname "$0")/../lib/pgcluster.sh"

AGENTS=20
PER_AGENT=1000
TRIP=2026-pg-001
pgcluster_up $AGENTS

coord_start a
coord_start b
trip_upsert "$TRIP" 2026-11-20 xiuwu 修武县
pass "two coordinators on one PostgreSQL store"

# every message on coordinator/status (each coordinator's birth and will)
mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -V mqttv5 -u dashboard -i "dashboard.test-status" \
  -P "$(cat "$(secret dashboard)")" -t "$ROOT/coordinator/status" -F '%p' >"$WORK/status.txt" 2>&1 &
track_pid "$!"
wait_until 10 "the status subscriber" grep -q online "$WORK/status.txt"

# ---- 20,000 reports; b killed three times mid-stream ------------------------
OUTREACH_LOADGEN_TRACE=$WORK/trace.txt "$LOADGEN_BIN" run --broker "$BROKER_URI" \
  --secrets "$ACCOUNTS/secrets" --agents $AGENTS --reports-per-agent $PER_AGENT \
  --trip "$TRIP" --rate 0 --window 50 --resend-ms 1000 --deadline-s 240 \
  --json "$WORK/loadgen.json" >"$WORK/loadgen.log" 2>&1 &
LG=$!
track_pid "$LG"
total=$((AGENTS * PER_AGENT))
for k in 1 2 3; do
  wait_until 120 "$((k * 4000)) reports stored" stored_over $((k * 4000))
  coord_kill b
  at=$(stored)
  # a alone carries the load: 1,000 more stored while b is down
  wait_until 60 "a storing alone (from $at)" stored_over $((at + 1000 < total ? at + 1000 : total))
  coord_start b
done
rc=0
wait "$LG" || rc=$?
[ "$rc" = 0 ] || { tail -20 "$WORK/loadgen.log"; fail "loadgen exited $rc"; }
pass "b SIGKILLed 3 times mid-stream and restarted; a stored alone meanwhile"

assert_eq "$total" "$(stored)" "reports stored"
# every msg_id the agents sent, stored once (msg_id is UNIQUE: none twice)
awk 'NR > 1 {print $3}' "$WORK/trace.txt" | LC_ALL=C sort -u >"$WORK/sent.txt"
assert_eq "$total" "$(wc -l <"$WORK/sent.txt")" "distinct msg_ids sent"
pg_sql "SELECT msg_id FROM reports" | LC_ALL=C sort >"$WORK/kept.txt"
cmp -s "$WORK/sent.txt" "$WORK/kept.txt" || fail "the stored msg_ids are not those sent"
want=$(lg_expected $AGENTS $PER_AGENT)
got=$("$COORD_BIN" progress --db "$PG_URI" --year 2026 --json | jq .consultations.count)
assert_eq "$want" "$got" "consultations counted"
# the leader (a) publishes what b stored too: the retained figure is the
# store's within a few progress intervals, not at the next full refresh
trip_progress_is() { [ "$(retained "$ROOT/trips/$TRIP/progress" | jq .consultations.count)" = "$1" ]; }
wait_until 5 "the retained trip progress at $want" trip_progress_is "$want"
resent=$(jq '.resends // 0' "$WORK/loadgen.json" 2>/dev/null || echo 0)
pass "totals exact after the kills: $got consultations, each of $total msg_ids once ($resent resends)"

# ---- voids, spread over both coordinators ------------------------------------
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
void_json() { # AGENT SEQ MSG_ID TARGET
  jq -cn --arg a "$1" --argjson seq "$2" --arg m "$3" --arg t "$4" --arg trip "$TRIP" \
    --arg at "$now" '{msg_id: $m, agent_id: $a, seq: $seq, trip_id: $trip, recorded_at: $at,
      voids: $t, reason: "entered twice"}'
}
voided=0 nvoids=0
: >"$WORK/voids.txt"
# two targets per agent: seqs 7 and 500 of each (from the trace: agent seq msg_id ...)
while read -r agent seq msg _; do
  case $seq in 7 | 500) ;; *) continue ;; esac # (the header line: seq is "seq")
  nvoids=$((nvoids + 1))
  voided=$((voided + seq % 5 + 1))
  vid=$(printf '00000000-0000-4000-8000-%012d' "$nvoids")
  printf '%s %s %s %s\n' "$agent" $((PER_AGENT + nvoids)) "$vid" "$msg" >>"$WORK/voids.txt"
done <"$WORK/trace.txt"
assert_eq $((AGENTS * 2)) "$nvoids" "voids prepared"
for round in 1 2; do # each void sent twice: the second is a duplicate wherever it lands
  pids=()
  while read -r agent seq vid target; do
    publish_as "$agent" "$ROOT/agents/$agent/reports/void" \
      "$(void_json "$agent" "$seq" "$vid" "$target")" &
    pids+=("$!")
  done <"$WORK/voids.txt"
  for p in "${pids[@]}"; do wait "$p" || fail "a void of round $round not published"; done
done
# a void before its target: the target is then stored already voided
pending_target=01234567-89ab-4def-8123-456789abcdef
publish_as lg-001 "$ROOT/agents/lg-001/reports/void" \
  "$(void_json lg-001 $((PER_AGENT + 900)) 00000000-0000-4000-8000-999999999999 "$pending_target")"
one_waiting() { [ "$(pg_sql "SELECT COUNT(*) FROM pending_voids")" = 1 ]; }
wait_until 20 "the early void waiting" one_waiting
publish_as lg-001 "$ROOT/agents/lg-001/reports/headcount" "$(jq -cn --arg m "$pending_target" \
  --arg trip "$TRIP" --arg at "$now" --argjson seq $((PER_AGENT + 901)) \
  '{msg_id: $m, agent_id: "lg-001", seq: $seq, trip_id: $trip, recorded_at: $at,
    department: "internal", consultations: 9}')"
all_voided() { [ "$(pg_sql "SELECT COUNT(*) FROM reports WHERE voided_by IS NOT NULL")" = $((nvoids + 1)) ]; }
wait_until 30 "every void counted" all_voided
assert_eq $((total + nvoids * 1 + 2)) "$(stored)" "reports stored with the voids (each void once)"
assert_eq 0 "$(pg_sql "SELECT COUNT(*) FROM pending_voids")" "no void left waiting"
got=$("$COORD_BIN" progress --db "$PG_URI" --year 2026 --json | jq .consultations.count)
assert_eq $((want - voided)) "$got" "consultations after the voids"
pass "$nvoids voids (each sent twice) and one before its target: $got consultations"

# ---- the retained figures: one publisher, ending at the store's ---------------
leaders_a=$(grep -c 'publishes the retained topics (the leader)' "$WORK/coord-a.log" || true)
leaders_b=$(grep -c 'publishes the retained topics (the leader)' "$WORK/coord-b.log" || true)
assert_eq "1 0" "$leaders_a $leaders_b" "leader: a from its start, b never while a lived"
wait_until 5 "the retained trip progress at $got" trip_progress_is "$got"
pass "one leader published; the retained figure ends at the store's"

# ---- coordinator/status: b dies for good; its will says offline, and a, the
# leader, says online again
n0=$(wc -l <"$WORK/status.txt")
coord_kill b
will_seen() { tail -n +$((n0 + 1)) "$WORK/status.txt" | jq -e 'select(.online == false)' >/dev/null; }
wait_until 10 "b's will on coordinator/status" will_seen
status_online() { [ "$(tail -1 "$WORK/status.txt" | jq .online)" = true ]; }
wait_until 10 "a saying online again" status_online
pass "coordinator/status: a follower's will is followed by the leader's online"

# ---- the commands read the PostgreSQL store as they read a SQLite one -----------
assert_eq "$AGENTS" "$("$COORD_BIN" agents --db "$PG_URI" --json | jq '.agents | length')" "agents listed"
"$COORD_BIN" trips --db "$PG_URI" | grep -q "^$TRIP " || fail "trips does not list $TRIP"
assert_eq "$(stored)" "$("$COORD_BIN" export --db "$PG_URI" --csv | tail -n +2 | wc -l)" "export --csv rows"
"$COORD_BIN" report --db "$PG_URI" --year 2026 --format xlsx --output "$WORK/report.xlsx" >/dev/null
cells=$(/usr/bin/python3 -c '
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
rows = [r for r in wb["summary"].iter_rows(values_only=True) if r and r[0] and "Consultations" in str(r[0])]
print(len(wb.sheetnames), rows[0][1])' "$WORK/report.xlsx")
assert_eq "8 $got" "$cells" "the xlsx report: sheets, consultations"
pass "agents, trips, export and report read the PostgreSQL store"

coords_stop
coord_logs_clean
