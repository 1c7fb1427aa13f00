#!/usr/bin/env bash
# fault_coordinator.sh -- the coordinator is killed with SIGKILL at random
# moments, 6 times, during a stream of 20,000 reports from 20 agents, and
# restarted each time. Nothing committed is lost (the store survives), nothing
# received but uncommitted is lost (the agents resend what was never acked),
# nothing is counted twice (the store deduplicates).
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

N=20 M=1000 KILLS=6 TRIP=2026-fc-001
stack_up --agents "$(lg_agents $N)" --trip "$TRIP 2026-10-01 sangzhi 桑植县"

lg_run $N $M $TRIP 1500 2000
# Kill at random points of the stream: after about 1/(KILLS+1) of it each time.
step=$((N * M / (KILLS + 1)))
for ((k = 1; k <= KILLS; k++)); do
  at=$((k * step - RANDOM % (step / 2)))
  wait_until 120 "$at reports stored before kill $k" stored_at_least $TRIP "$at"
  coordinator_kill
  pass "kill $k with $(stored_reports $TRIP) reports stored"
  coordinator_start
done
lg_done $N $M $TRIP
pass "$(jq -c '{sent, resends, accepted, duplicate, elapsed_s}' "$WORK/lg.json")"
coordinator_stop
pass "coordinator stopped cleanly"
echo "$PASSED passed, 0 failed"
