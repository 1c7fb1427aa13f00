#!/usr/bin/env bash
# fault_broker.sh -- the broker (persistence on) is killed with SIGKILL in the
# middle of a stream of 10,000 reports from 20 agents and restarted on the
# same port and data: everyone reconnects, the agents resend what was never
# acked, and the totals are exact.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

N=20 M=500 TRIP=2026-fb-001
stack_up --agents "$(lg_agents $N)" --trip "$TRIP 2026-10-02 cili 慈利县"

lg_run $N $M $TRIP 1000 2000
at=$((N * M / 3 + RANDOM % (N * M / 3)))
wait_until 120 "$at reports stored" stored_at_least $TRIP "$at"
broker_kill
pass "broker killed with $(stored_reports $TRIP) reports stored"
broker_restart
lg_done $N $M $TRIP
pass "$(jq -c '{sent, resends, accepted, duplicate, elapsed_s}' "$WORK/lg.json")"
coordinator_stop
pass "coordinator stopped cleanly"
echo "$PASSED passed, 0 failed"
