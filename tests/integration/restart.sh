#!/usr/bin/env bash
# restart.sh -- the coordinator stops in the middle of a day: reports published
# while it is down wait in its persistent session and are counted once it is
# back; the devices' own resends are recognised as duplicates.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

AGENT_ACK_TIMEOUT=1
stack_up --agents "team-01 team-02" --trip "2026-zjj-020 2026-11-22 sangzhi 桑植县" --agent team-01 --agent team-02

for n in 1 2 3 4 5; do
  agent team-01 report headcount --department internal --consultations "$n" >/dev/null
  agent team-02 report checkin --staff-id "staff-$n" --role nurse >/dev/null
done
expect_retained "$ROOT/progress/2026" '[.consultations.count, .staff.count]' '[15,5]'

coordinator_stop
assert_eq false "$(retained "$ROOT/coordinator/status" | jq .online)" "status while stopped"
# While it is down: the agents publish (no ack comes, they stay queued).
for n in 6 7 8 9 10; do
  out=$(agent team-01 report headcount --department surgery --consultations "$n")
  grep -q '^queued' <<<"$out" || fail "expected queued while the coordinator is down: $out"
  agent team-02 report checkin --staff-id "staff-$n" --role doctor >/dev/null
done
queued=$(agent team-01 status | awk '/awaiting answer/ {print $NF}')
assert_eq 5 "$queued" "team-01 reports awaiting an answer while the coordinator is down"

coordinator_start
# Counted from the persistent session alone, before any device resends.
expect_retained "$ROOT/progress/2026" '[.consultations.count, .staff.count]' '[55,10]'
assert_eq 20 "$(sqlite3 "$COORD_DB" 'SELECT COUNT(*) FROM reports')" "reports stored once each"

# The devices resend what they never saw answered: duplicates, counted once.
out=$(agent team-01 sync 2>&1)
grep -q '5 waiting, 5 sent, 0 accepted, 5 duplicate, 0 rejected, 0 still waiting' <<<"$out" ||
  fail "team-01 sync: $out"
grep -q '^sync: 5/5 answered (100%), 5 sent$' <<<"$out" || fail "sync's progress counter: $out"
pass "team-01 resends are duplicates"
agent team-02 sync >/dev/null
expect_retained "$ROOT/progress/2026" '[.consultations.count, .staff.count]' '[55,10]'
assert_eq 20 "$(sqlite3 "$COORD_DB" 'SELECT COUNT(*) FROM reports')" "still stored once each"
for a in team-01 team-02; do
  assert_eq 10 "$(agent "$a" status | awk '/^  accepted/ {print $NF}')" "$a answered reports"
done
coordinator_stop
pass "coordinator stopped cleanly"
echo "$PASSED passed, 0 failed"
