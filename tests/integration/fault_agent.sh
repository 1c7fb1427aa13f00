#!/usr/bin/env bash
# fault_agent.sh -- the field agent's promise under faults: (4) the broker is
# down while 1,000 reports are entered at one agent (each returns at once,
# queued), then it comes back and the daemon drains everything; (3) the daemon
# is killed with SIGKILL while draining a backlog, and restarted. Each time
# the coordinator's totals equal the sum entered, and every report of the
# outbox is stored once, under its one msg_id.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

stack_up --trip "2026-f-001 2026-09-01 wulingyuan 武陵源区" --agent team-01
printf 'resend_s = 2\nwindow = 20\n' >>"$WORK/agents/team-01.conf"

enter() { # N [--offline]: N headcounts, consultations i % 5 + 1
  local i out queued=0
  for ((i = 1; i <= $1; i++)); do
    out=$(agent team-01 report headcount --department general --consultations $((i % 5 + 1)) ${2:-})
    case "$out" in *queued:*) queued=$((queued + 1)) ;; esac
  done
  echo "$queued"
}
sum_of() { local i s=0; for ((i = 1; i <= $1; i++)); do s=$((s + i % 5 + 1)); done; echo "$s"; }
# stored_once: every report of the outbox is stored by the coordinator, once.
stored_once() {
  sqlite3 "$COORD_DB" "ATTACH '$WORK/agents/team-01.db' AS o;
    SELECT (SELECT COUNT(*) FROM o.outbox) || ' ' ||
           (SELECT COUNT(*) FROM o.outbox JOIN reports r USING (msg_id)) || ' ' ||
           (SELECT COUNT(*) FROM reports WHERE agent_id = 'team-01')"
}

# (4) The broker is down while 1,000 reports are entered.
daemon_start team-01
broker_stop
wait_until 30 "the daemon sees the broker gone" daemon_state_is team-01 offline
started=$(date +%s%N)
queued=$(enter 1000)
expected=$(sum_of 1000)
ms=$(( ($(date +%s%N) - started) / 1000000 ))
assert_eq 1000 "$queued" "reports that said 'queued' while the broker was down"
assert_eq 1000 "$(outbox_count team-01 pending sent)" "reports waiting in the outbox"
pass "1000 reports entered with the broker down in $ms ms, all queued"
broker_restart
wait_until 120 "the daemon drains 1000 reports" outbox_drained team-01
expect_retained "$ROOT/trips/2026-f-001/progress" .consultations.count "$expected"
assert_eq "1000 1000 1000" "$(stored_once)" "outbox reports, stored, stored for team-01"
assert_eq 0 "$(outbox_count team-01 rejected)" "rejected reports"

# (3) The daemon is killed with SIGKILL while draining a backlog.
daemon_stop
queued=$(enter 1500 --offline)
expected=$((expected + $(sum_of 1500)))
assert_eq 1500 "$queued" "reports queued with no daemon (--offline)"
acked_before=$(outbox_count team-01 acked)
daemon_start team-01 nowait
wait_until 60 "the daemon to start draining" \
  bash -c "[ \$(sqlite3 '$WORK/agents/team-01.db' \"SELECT COUNT(*) FROM outbox WHERE state = 'acked'\") -ge $((acked_before + 50)) ]"
daemon_kill
left=$(outbox_count team-01 pending sent)
[ "$left" -gt 0 ] || fail "the backlog was drained before the kill: nothing tested"
pass "daemon killed with $left of 1500 reports still unanswered"
daemon_start team-01
wait_until 120 "the restarted daemon drains the rest" outbox_drained team-01
expect_retained "$ROOT/trips/2026-f-001/progress" .consultations.count "$expected"
assert_eq "2500 2500 2500" "$(stored_once)" "outbox reports, stored, stored for team-01"
assert_eq 0 "$(outbox_count team-01 rejected)" "rejected reports"
assert_eq 2500 "$(sqlite3 "$WORK/agents/team-01.db" 'SELECT COUNT(DISTINCT seq) FROM outbox')" \
  "distinct seqs in the outbox"

# The daemon republishes its status at most once a second after a change.
expect_retained "$ROOT/agents/team-01/status" '[.online, .pending, .last_seq]' '[true,0,2500]'
assert_eq "team-01 online 2500 0" \
  "$("$COORD_BIN" agents --db "$COORD_DB" --json | jq -r '.agents[] | select(.agent_id == "team-01") | "\(.agent_id) \(if .online then "online" else "offline" end) \(.last_seq) \(.missing_count)"')" \
  "the coordinator's view of team-01"
daemon_stop
assert_eq false "$(retained "$ROOT/agents/team-01/status" | jq .online)" "status after the daemon stops"
coordinator_stop
pass "coordinator stopped cleanly"
echo "$PASSED passed, 0 failed"
