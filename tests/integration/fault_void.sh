#!/usr/bin/env bash
# fault_void.sh -- voids survive coordinator crashes. Twelve field agents each
# queue 50 headcounts, each followed by a void of it (600 pairs), then their
# daemons drain the outboxes while the coordinator is killed with SIGKILL 10
# times and restarted. A report received but not committed at a kill comes
# back only when its agent resends it, at the time its first send was due
# again; meanwhile acks of older reports let the agent send the void, so the
# void often arrives first. The set-up makes that likely: one message per
# transaction (batch_max = 1) keeps received reports uncommitted longer, and a
# window of 10 spreads each agent's first sends over time. Each void must take
# effect all the same: every msg_id answered accepted (or duplicate after a
# resend or a redelivery), no void refused, and 0 consultations counted.
# Without pending voids this refused 6 to 20 voids a run.
# FAULT_VOID_AGENTS (600 pairs shared among them), FAULT_VOID_KILLS and
# FAULT_VOID_WINDOW change the set-up.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

N=${FAULT_VOID_AGENTS:-12} KILLS=${FAULT_VOID_KILLS:-10} WINDOW=${FAULT_VOID_WINDOW:-10}
PAIRS=$((600 / N)) TRIP=2026-fv-001
AGENTS=$(seq -f 'team-%02g' 1 "$N" | tr '\n' ' ')
TOTAL=$((N * PAIRS * 2))
stack_up --agents "$AGENTS" --coordinator-conf 'batch_max = 1' --trip "$TRIP 2026-11-20 sangzhi 桑植县"

# enter_pairs AGENT: PAIRS headcounts, each voided right after, queued offline.
enter_pairs() {
  local i out msg
  for ((i = 1; i <= PAIRS; i++)); do
    out=$(agent "$1" report headcount --department general --consultations $((i % 5 + 1)) --offline)
    msg=$(grep -o '[0-9a-f]\{8\}-[0-9a-f-]\{27\}' <<<"$out" | head -1)
    [ -n "$msg" ] || fail "$1: no msg_id in: $out"
    agent "$1" report void --msg-id "$msg" --reason "entered twice" --offline >/dev/null
  done
}
started=$(date +%s)
entering=()
for a in $AGENTS; do
  agent_setup "$a" $TRIP
  printf 'resend_s = 2\nwindow = %s\n' "$WINDOW" >>"$WORK/agents/$a.conf"
  enter_pairs "$a" &
  entering+=($!)
done
for p in "${entering[@]}"; do wait "$p" || fail "entering the pairs failed"; done
for a in $AGENTS; do
  assert_eq $((PAIRS * 2)) "$(outbox_count "$a" pending)" "reports queued at $a"
done
pass "$((N * PAIRS)) report-then-void pairs queued in $(($(date +%s) - started)) s"

daemons=()
for a in $AGENTS; do
  daemon_start "$a" nowait
  daemons+=("$DAEMON_PID")
done
# Kill at spread points of the drain: after about 1/(KILLS+1) of it each time.
step=$((TOTAL / (KILLS + 1)))
for ((k = 1; k <= KILLS; k++)); do
  at=$((k * step - RANDOM % (step / 2)))
  wait_until 60 "$at reports stored before kill $k" stored_at_least $TRIP "$at"
  coordinator_kill
  pass "kill $k with $(stored_reports $TRIP) of $TOTAL reports stored"
  coordinator_start --config "$WORK/coordinator.conf"
done
all_drained() { local a; for a in $AGENTS; do outbox_drained "$a" || return 1; done; }
wait_until 60 "the daemons drain every outbox" all_drained
pass "drained in $(($(date +%s) - started)) s since the first report was entered"

# The figures, all printed before any is checked.
outboxes() { # SQL over every agent's outbox, summed
  local a s=0
  for a in $AGENTS; do s=$((s + $(sqlite3 "$WORK/agents/$a.db" "$1"))); done
  echo "$s"
}
refused_voids=$(outboxes "SELECT COUNT(*) FROM outbox WHERE state = 'rejected' AND kind = 'void'")
refused=$(outboxes "SELECT COUNT(*) FROM outbox WHERE state = 'rejected'")
answered=$(outboxes "SELECT COUNT(*) FROM outbox WHERE state = 'acked' AND ack_status IN ('accepted', 'duplicate')")
duplicates=$(outboxes "SELECT COUNT(*) FROM outbox WHERE ack_status = 'duplicate'")
counted=$(sqlite3 "$COORD_DB" "SELECT COALESCE(SUM(consultations), 0) FROM trip_totals WHERE trip_id = '$TRIP'")
counted_rows=$(sqlite3 "$COORD_DB" "SELECT COALESCE(SUM(consultations), 0) FROM reports
  WHERE trip_id = '$TRIP' AND kind = 'headcount' AND voided_by IS NULL")
stored=$(stored_reports $TRIP)
voided=$(sqlite3 "$COORD_DB" "SELECT COUNT(*) FROM reports r JOIN reports v ON v.msg_id = r.voided_by
  WHERE r.trip_id = '$TRIP' AND r.kind = 'headcount' AND v.voids = r.msg_id AND v.agent_id = r.agent_id")
pending=$(sqlite3 "$COORD_DB" "SELECT COUNT(*) FROM pending_voids" 2>/dev/null || echo "no table")
waited=$(grep -c 'waits for its target' "$WORK/coordinator.log" || true)
echo "# $((N * PAIRS)) pairs, $KILLS kills: voids refused $refused_voids, reports refused $refused," \
  "answered accepted/duplicate $answered of $TOTAL ($duplicates duplicate), consultations counted $counted" \
  "(reports not voided: $counted_rows), stored $stored, headcounts voided $voided," \
  "voids that waited for their target $waited, still pending $pending"

assert_eq 0 "$refused_voids" "voids refused"
assert_eq 0 "$refused" "reports refused"
assert_eq "$TOTAL" "$answered" "msg_ids answered accepted or duplicate"
assert_eq 0 "$counted" "consultations counted (running totals)"
assert_eq 0 "$counted_rows" "consultations of headcounts not voided"
assert_eq "$TOTAL" "$stored" "reports stored (one row per msg_id)"
assert_eq $((N * PAIRS)) "$voided" "headcounts voided by their own void"
assert_eq 0 "$pending" "voids still waiting for their target"
expect_retained "$ROOT/trips/$TRIP/progress" .consultations.count 0
for p in "${daemons[@]}"; do DAEMON_PID=$p daemon_stop; done
pass "daemons stopped cleanly"
coordinator_stop
pass "coordinator stopped cleanly"
echo "$PASSED passed, 0 failed"
