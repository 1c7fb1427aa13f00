#!/usr/bin/env bash
# filemodes.sh -- the files holding personal data are private to their owner
# whatever the umask: the coordinator's store and its -wal/-shm files, the
# agents' outboxes and theirs, and a CSV export are created 0600; a store or
# outbox found readable by others is tightened at open, and the log says so.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

mode() { stat -c %a "$1"; }
# expect_mode MODE FILE...: each FILE exists with exactly MODE.
expect_mode() {
  local want=$1 f; shift
  for f in "$@"; do
    [ -e "$f" ] || fail "$f was not created"
    assert_eq "$want" "$(mode "$f")" "mode of ${f#"$WORK"/}"
  done
}

stack_up --agents "team-01 team-02" --no-coordinator

umask 022
coordinator_start
trip_upsert 2026-fm-001 2026-11-22 cili 慈利县
agent_setup team-01 2026-fm-001
agent_accepted team-01 report headcount --department internal --consultations 3
# While the coordinator runs its store is in WAL mode: all three files exist.
expect_mode 600 "$COORD_DB" "$COORD_DB-wal" "$COORD_DB-shm"
expect_mode 600 "$WORK/agents/team-01.db"
pass "under umask 022 the store, its -wal and -shm, and the outbox are 0600"

# Another umask, another agent: the outbox is still exactly 0600.
agent_setup team-02 2026-fm-001
(umask 000 && agent_accepted team-02 report headcount --department surgery --consultations 2)
expect_mode 600 "$WORK/agents/team-02.db"
[ ! -e "$WORK/agents/team-02.db-wal" ] || expect_mode 600 "$WORK/agents/team-02.db-wal"
pass "under umask 000 the outbox is 0600"

"$COORD_BIN" export --db "$COORD_DB" --csv --output "$WORK/reports.csv"
expect_mode 600 "$WORK/reports.csv"
assert_eq 3 "$(wc -l <"$WORK/reports.csv")" "CSV lines (header and two reports)"
pass "a CSV export is created 0600"
echo "an older export" >"$WORK/old.csv"
chmod 0644 "$WORK/old.csv"
"$COORD_BIN" export --db "$COORD_DB" --csv --output "$WORK/old.csv"
expect_mode 600 "$WORK/old.csv"
assert_eq 3 "$(wc -l <"$WORK/old.csv")" "CSV lines written over the older export"
pass "an export over an older 0644 file makes it 0600"
coordinator_stop

# Files made world-readable before this version (or by hand) are tightened
# when they are opened, and the log says which and from what.
chmod 644 "$COORD_DB" "$WORK/agents/team-01.db"
[ ! -e "$COORD_DB-wal" ] || chmod 644 "$COORD_DB-wal"
coordinator_start
expect_mode 600 "$COORD_DB"
grep -qF "$COORD_DB was readable by others (mode 0644); made it private (0600)" \
  "$WORK/coordinator.log" || fail "the coordinator did not log the tightening: $(tail -5 "$WORK/coordinator.log")"
pass "an existing 0644 store is made 0600 at start, and the log says so"
agent team-01 status >"$WORK/status.out" 2>&1 || fail "status: $(cat "$WORK/status.out")"
expect_mode 600 "$WORK/agents/team-01.db"
grep -qF "$WORK/agents/team-01.db was readable by others (mode 0644); made it private" \
  "$WORK/status.out" || fail "the agent did not say it tightened its outbox: $(cat "$WORK/status.out")"
pass "an existing 0644 outbox is made 0600 when opened, and the agent says so"
expect_retained "$ROOT/trips/2026-fm-001/progress" .consultations.count 5
coordinator_stop
log "filemodes: $PASSED checks passed"
