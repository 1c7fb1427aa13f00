#!/usr/bin/env bash
# storeinit.sh -- `outreach-coordinator run` opens only an existing store: an
# empty --db is a usage error, a path with no file is refused (and nothing is
# created there) unless --init (or `init = true` in the config) is given, and
# --init on an existing store keeps everything in it. Damage: a small table
# refused at every open, the reports table found by `check`, refused by
# `rebuild`, and stopping the daemon at its first batch.
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
# Damage. Opening checks only what is cheap (header, schema, the small
# tables); `check` reads everything. trash_page FILE N: page N (from 1) of
# FILE overwritten with bytes that are no B-tree page.
trash_page() {
  head -c 4096 /dev/zero | tr '\0' 'x' | dd of="$1" bs=4096 seek=$(($2 - 1)) conv=notrunc status=none
}
root_page() { sqlite3 "$1" "SELECT rootpage FROM sqlite_schema WHERE name = '$2'"; }
# check_says WANT_RC FILE [ARGS]: `check --db FILE ARGS` exits WANT_RC; its
# output is in $WORK/check.out.
check_says() {
  local want=$1 db=$2 rc=0; shift 2
  "$COORD_BIN" check --db "$db" "$@" >"$WORK/check.out" 2>&1 || rc=$?
  assert_eq "$want" "$rc" "exit status of check --db $db $*"
}
check_says 0 "$COORD_DB"
assert_eq "store $COORD_DB: no damage found (PRAGMA integrity_check)" "$(cat "$WORK/check.out")" \
  "check of a sound store"
pass "check finds no damage in a sound store"

# A damaged small table (the running totals): every open refuses it.
cp "$COORD_DB" "$WORK/totals.db"
page=$(root_page "$WORK/totals.db" trip_totals)
trash_page "$WORK/totals.db" "$page"
want="store $WORK/totals.db is damaged (table trip_totals: Page $page: btreeInitPage() returns error code 11); run 'outreach-coordinator check --db $WORK/totals.db'"
rc=0
timeout 20 "$COORD_BIN" run --broker "$BROKER_URI" --username coordinator \
  --password-file "$(secret coordinator)" --db "$WORK/totals.db" >"$WORK/run.out" 2>&1 || rc=$?
assert_eq 3 "$rc" "exit status of run on a damaged store (systemd does not restart it)"
assert_eq "error: $want" "$(head -1 "$WORK/run.out" | cut -d' ' -f2-)" "message of run on a damaged store"
rc=0
"$COORD_BIN" progress --db "$WORK/totals.db" --year 2026 >"$WORK/progress.out" 2>&1 || rc=$?
assert_eq 1 "$rc" "exit status of progress on a damaged store"
assert_eq "outreach-coordinator: $want" "$(cat "$WORK/progress.out")" "message of progress on a damaged store"
check_says 1 "$WORK/totals.db"
assert_eq "  damage: Page $page: btreeInitPage() returns error code 11" "$(head -1 "$WORK/check.out")" \
  "check names the damaged page"
assert_eq "outreach-coordinator: store $WORK/totals.db is damaged (PRAGMA integrity_check: database disk image is malformed)." \
  "$(sed -n 2p "$WORK/check.out")" "check says the store is damaged"
grep -qF "put the latest backup in its place" "$WORK/check.out" || fail "check does not say what to do: $(cat "$WORK/check.out")"
pass "a damaged small table stops run and progress at open; check names the page"

# A damaged reports table: start-up does not read it (its cost would grow
# with the store), commands that do not need it still work, check finds it.
cp "$COORD_DB" "$WORK/reports.db"
page=$(root_page "$WORK/reports.db" reports)
trash_page "$WORK/reports.db" "$page"
assert_eq "2026-si-001" "$("$COORD_BIN" trips --db "$WORK/reports.db" --json | jq -r '.[0].trip_id')" \
  "trips read from a store whose reports are damaged"
rc=0
"$COORD_BIN" export --db "$WORK/reports.db" --csv >"$WORK/export.out" 2>"$WORK/export.err" || rc=$?
assert_eq 1 "$rc" "exit status of export from damaged reports"
assert_eq "outreach-coordinator: cannot read the store: database disk image is malformed: $WORK/reports.db is damaged; run 'outreach-coordinator check --db $WORK/reports.db' to see where and what to do" \
  "$(cat "$WORK/export.err")" "message of export from damaged reports"
check_says 1 "$WORK/reports.db"
assert_eq "  damage: Page $page: btreeInitPage() returns error code 11" "$(head -1 "$WORK/check.out")" \
  "check names the damaged page of reports"
check_says 1 "$WORK/reports.db" --quick
assert_eq "  damage: Page $page: btreeInitPage() returns error code 11" "$(head -1 "$WORK/check.out")" \
  "check --quick names the damaged page of reports"
pass "a damaged reports table: trips still read, export says to run check, check finds it"

# rebuild reads every report: on the damaged table it stops, changes nothing.
rc=0
"$COORD_BIN" rebuild --db "$WORK/reports.db" >"$WORK/rebuild.out" 2>&1 || rc=$?
assert_eq 3 "$rc" "exit status of rebuild of damaged reports"
assert_eq "outreach-coordinator: store $WORK/reports.db is damaged (database disk image is malformed): nothing was rebuilt; run 'outreach-coordinator check --db $WORK/reports.db'" \
  "$(cat "$WORK/rebuild.out")" "message of rebuild of damaged reports"
pass "rebuild refuses a store whose reports are damaged"

# The daemon starts on it (the open does not read the reports), and its first
# batch finds the damage: it says so once and stops, acknowledging nothing;
# the report stays in the agent's outbox for a later resend.
COORD_DB=$WORK/reports.db
logged=$(wc -l <"$WORK/coordinator.log")
coordinator_start
AGENT_ACK_TIMEOUT=2 agent_setup team-01 2026-si-001
agent team-01 report headcount --department internal --consultations 4 >"$WORK/agent.out" 2>&1 || true
poll_until 20 _none_alive "$COORD_PID" || fail "the coordinator still runs on a damaged store"
rc=0
wait "$COORD_PID" || rc=$?
COORD_PID=
assert_eq 3 "$rc" "exit status of the coordinator on damaged reports (systemd does not restart it)"
tail -n +$((logged + 1)) "$WORK/coordinator.log" | grep -F "damaged" | cut -d' ' -f2- >"$WORK/damage.log"
assert_eq "error: the store $WORK/reports.db is damaged (database disk image is malformed): stop the coordinator and run 'outreach-coordinator check --db $WORK/reports.db'" \
  "$(cat "$WORK/damage.log")" "what the coordinator logs on damaged reports (once)"
agent team-01 status --json >"$WORK/status.json" 2>&1 || fail "agent status: $(cat "$WORK/status.json")"
assert_eq "2 0 1" "$(jq -r '[.counts.accepted, .counts.pending, .counts.sent] | map(tostring) | join(" ")' "$WORK/status.json")" \
  "the agent's reports accepted, not sent, sent and awaiting an answer"
pass "the coordinator stops on damaged reports, says to run check, acknowledges nothing"
log "storeinit: $PASSED checks passed"
