#!/usr/bin/env bash
# storeinit.sh -- `outreach-coordinator run` opens only an existing store: an
# empty --db is a usage error, a path with no file is refused (and nothing is
# created there) unless --init (or `init = true` in the config) is given, and
# --init on an existing store keeps everything in it.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

stack_up --no-coordinator

# run_refused WANT_RC WANT_MESSAGE ARGS...: the daemon exits at once with
# WANT_RC and says WANT_MESSAGE (its first line) on stderr.
run_refused() {
  local want_rc=$1 want=$2 rc=0; shift 2
  timeout 20 "$COORD_BIN" run --broker "$BROKER_URI" --username coordinator \
    --password-file "$(secret coordinator)" "$@" >"$WORK/run.out" 2>&1 || rc=$?
  assert_eq "$want_rc" "$rc" "exit status of run $*"
  assert_eq "$want" "$(head -1 "$WORK/run.out")" "message of run $*"
}

run_refused 2 "outreach-coordinator: --db is empty: name the store's file" --db ""
pass "an empty --db is a usage error"
run_refused 1 "outreach-coordinator: no store at $WORK/typo.db; pass --init to create a new one (or set init = true in the config)" \
  --db "$WORK/typo.db"
[ ! -e "$WORK/typo.db" ] || fail "the refused run created $WORK/typo.db"
pass "a --db naming no file is refused and nothing is created"
printf 'db = %s\n' "$WORK/typo.db" >"$WORK/typo.conf"
run_refused 1 "outreach-coordinator: no store at $WORK/typo.db; pass --init to create a new one (or set init = true in the config)" \
  --config "$WORK/typo.conf"
pass "db from the config file is refused the same way"
: >"$WORK/empty.db"
run_refused 1 "outreach-coordinator: the store $WORK/empty.db is an empty file; pass --init to create a new store in it" \
  --db "$WORK/empty.db"
pass "an empty file is refused like a missing store"
# A first start that cannot make the store leaves no empty file behind (the
# next start would take it for a store): a directory where -wal must go.
mkdir "$WORK/broken.db-wal"
rc=0
timeout 20 "$COORD_BIN" run --broker "$BROKER_URI" --username coordinator \
  --password-file "$(secret coordinator)" --db "$WORK/broken.db" --init >"$WORK/run.out" 2>&1 || rc=$?
assert_eq 1 "$rc" "exit status of a run --init that cannot make its store"
grep -q "store $WORK/broken.db" "$WORK/run.out" || fail "the failed --init did not name the store: $(cat "$WORK/run.out")"
[ ! -e "$WORK/broken.db" ] || fail "a failed --init left $WORK/broken.db behind"
pass "a failed --init leaves no store file"

# --init: the first start makes the store (coordinator_start passes it).
coordinator_start
trip_upsert 2026-si-001 2026-11-22 cili 慈利县
agent_setup team-01 2026-si-001
agent_accepted team-01 report headcount --department internal --consultations 10
coordinator_stop
pass "run --init creates a store and counts into it"

# --init again on the existing store: the trip and its count are still there.
coordinator_start
agent_accepted team-01 report headcount --department surgery --consultations 5
expect_retained "$ROOT/trips/2026-si-001/progress" .consultations.count 15
coordinator_stop
assert_eq 2 "$(sqlite3 "$COORD_DB" "SELECT COUNT(*) FROM reports WHERE trip_id = '2026-si-001'")" \
  "reports kept in the store"
pass "run --init on an existing store keeps it"

# Without --init an existing store opens as always; init = true in the config
# creates a new one like --init.
"$COORD_BIN" run --broker "$BROKER_URI" --db "$COORD_DB" --username coordinator \
  --password-file "$(secret coordinator)" --share-group-file "$ACCOUNTS/secrets/share-group" \
  >>"$WORK/coordinator.log" 2>&1 &
COORD_PID=$!
wait_until 20 "coordinator online without --init" coordinator_is_online
expect_retained "$ROOT/trips/2026-si-001/progress" .consultations.count 15
coordinator_stop
pass "run without --init opens the existing store"
printf 'db = %s\ninit = true\n' "$WORK/fresh.db" >"$WORK/fresh.conf"
"$COORD_BIN" run --config "$WORK/fresh.conf" --broker "$BROKER_URI" --username coordinator \
  --password-file "$(secret coordinator)" --share-group-file "$ACCOUNTS/secrets/share-group" \
  >>"$WORK/coordinator.log" 2>&1 &
COORD_PID=$!
wait_until 20 "coordinator online on a new store from the config" coordinator_is_online
coordinator_stop
assert_eq "" "$(sqlite3 "$WORK/fresh.db" "SELECT trip_id FROM trips")" "trips in the new store"
pass "init = true in the config creates the store"
log "storeinit: $PASSED checks passed"
