#!/usr/bin/env bash
# figures.sh -- the figures the coordinator keeps as reports arrive, when
# something else wrote the store: a check-in stored the way a coordinator
# older than the staff figures stores it (reports and trip_totals, not
# trip_staff) is found at the next start, logged, and the staff figures are
# rebuilt; the read-only commands refuse a store whose layout or figures are
# not current (they never write) and say what to do; `rebuild` computes
# every figure again (refused while the daemon holds the store, and the
# daemon refused while a rebuild does).
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

stack_up --agents "team-01 team-02" --no-coordinator
coordinator_start
DB=$COORD_DB
T1=2026-fg-001 T2=2026-fg-002
trip_upsert $T1 2026-11-20 cili 慈利县
trip_upsert $T2 2026-11-21 sangzhi 桑植县
agent_setup team-01 $T1
agent_setup team-02 $T2
agent_accepted team-01 report headcount --department internal --consultations 12 --female 5
agent_accepted team-01 report checkin --staff-id doc-li --role doctor
agent_accepted team-01 report checkin --staff-id driver-wu --role support
agent_accepted team-02 report headcount --department surgery --consultations 7
agent_accepted team-02 report checkin --staff-id doc-li --role doctor
agent_accepted team-02 report checkin --staff-id nurse-zhao --role nurse
expect_retained "$ROOT/progress/2026" .staff.count 2

# progress_json: `progress --json` without its as_of fields (what moves),
# into $WORK/progress.json; the command must succeed.
progress_json() {
  "$COORD_BIN" progress --db "$DB" --year 2026 --json >"$WORK/progress.raw" 2>&1 ||
    fail "progress --json: $(cat "$WORK/progress.raw")"
  jq -S 'walk(if type == "object" then del(.as_of) else . end)' "$WORK/progress.raw" >"$WORK/progress.json"
}
# figures: consultations, staff, check-ins of the year, then staff of T1, T2.
figures() {
  progress_json
  printf '%s %s\n' "$(jq -c '[.consultations.count, .staff.count]' "$WORK/progress.json")" \
    "$(sqlite3 "$DB" "SELECT group_concat(n, ',') FROM (SELECT COUNT(*) AS n FROM trip_staff GROUP BY trip_id ORDER BY trip_id)")"
}
assert_eq "[19,2] 1,2" "$(figures)" "figures as the reports arrived"
cp "$WORK/progress.json" "$WORK/progress.first"

# rebuild_says WANT_RC: `rebuild --db $DB` exits WANT_RC; output in $WORK/rebuild.out.
rebuild_says() {
  local rc=0
  "$COORD_BIN" rebuild --db "$DB" >"$WORK/rebuild.out" 2>&1 || rc=$?
  assert_eq "$1" "$rc" "exit status of rebuild"
}
rebuild_says 3
assert_eq "outreach-coordinator: not rebuilding $DB: another program has it open for writing (the coordinator's daemon, or a rebuild); stop the coordinator first" \
  "$(cat "$WORK/rebuild.out")" "rebuild while the daemon runs"
pass "rebuild is refused while the daemon holds the store"
coordinator_stop

# A check-in of a new person on T2, stored as a coordinator older than the
# staff figures stores it: the report, and trip_totals.checkins + 1.
sqlite3 "$DB" "INSERT INTO reports (msg_id, agent_id, seq, kind, trip_id, recorded_at, received_at,
    staff_id, role)
  SELECT '11111111-2222-4333-8444-555555555555', agent_id, seq + 100, kind, trip_id, recorded_at,
    received_at, 'pharm-sun', 'pharmacist' FROM reports
  WHERE kind = 'checkin' AND trip_id = '$T2' AND staff_id = 'nurse-zhao';
  UPDATE trip_totals SET checkins = checkins + 1 WHERE trip_id = '$T2';"
# The read-only commands do not bring it up to date: they say how.
rc=0
"$COORD_BIN" progress --db "$DB" --year 2026 >"$WORK/progress.out" 2>&1 || rc=$?
assert_eq 1 "$rc" "exit status of progress on stale figures"
assert_eq "outreach-coordinator: store $DB has figures that are not up to date (an older coordinator added or voided check-ins): restart the coordinator (its start brings the store up to date) or, with it stopped, run 'outreach-coordinator rebuild --db $DB'" \
  "$(cat "$WORK/progress.out")" "progress on stale figures"
pass "progress refuses a store whose staff figures an older coordinator left behind"

logged=$(wc -l <"$WORK/coordinator.log")
coordinator_start
expect_retained "$ROOT/progress/2026" .staff.count 3
expect_retained "$ROOT/trips/$T2/progress" .staff.count 3
tail -n +$((logged + 1)) "$WORK/coordinator.log" | cut -d' ' -f2- >"$WORK/start.log"
grep -qxF "warn: store $DB: the check-ins of 1 trip changed without their staff figures (an older coordinator wrote the store); rebuilding the staff figures from the reports" \
  "$WORK/start.log" || fail "the start did not say why it rebuilt: $(cat "$WORK/start.log")"
coordinator_stop
assert_eq "[19,3] 1,3" "$(figures)" "figures after the start"
cp "$WORK/progress.json" "$WORK/progress.right"
pass "a check-in stored without its staff figures is found at start, logged, and counted"

# Figures broken by hand: `rebuild` makes them what the reports say.
sqlite3 "$DB" "UPDATE trip_totals SET consultations = consultations + 100;
  DELETE FROM year_staff; DELETE FROM trip_staff WHERE staff_id = 'doc-li'"
assert_eq "[219,0] 2" "$(figures)" "figures broken by hand"
rebuild_says 0
sed -E 's/ in [0-9]+\.[0-9] s:/ in T s:/' "$WORK/rebuild.out" >"$WORK/rebuild.said"
assert_eq "rebuilt the figures of $DB from its reports in T s: running totals of 2 trips (7 counted reports), staff: 4 per trip, 3 per year, 4 per year and county, attendance: 5 per trip, months: 2 per trip and day, 4 staff per month and county" \
  "$(cat "$WORK/rebuild.said")" "what rebuild says"
assert_eq "[19,3] 1,3" "$(figures)" "figures after rebuild"
cmp -s "$WORK/progress.json" "$WORK/progress.right" ||
  fail "progress --json after rebuild differs: $(diff "$WORK/progress.right" "$WORK/progress.json")"
pass "rebuild makes broken figures what the reports say, and says what it rebuilt"

# A coordinator from before the -lock file (still running during an upgrade)
# holds no -lock; like any SQLite connection in WAL mode it holds a shared
# lock on FILE-shm while open, and rebuild sees that. Here sqlite3, reading
# from a fifo that stays open until fd 7 closes.
mkfifo "$WORK/sqlite.in"
sqlite3 "$DB" <"$WORK/sqlite.in" >"$WORK/sqlite.out" 2>&1 &
SQLITE_PID=$!
exec 7>"$WORK/sqlite.in"
printf '.once %s\nSELECT COUNT(*) FROM trips;\n' "$WORK/sqlite.ready" >&7
wait_until 10 "sqlite3 reading the store" test -s "$WORK/sqlite.ready"
rebuild_says 3
assert_eq "outreach-coordinator: not rebuilding $DB: another program has the store open (pid $SQLITE_PID); stop the coordinator first" \
  "$(cat "$WORK/rebuild.out")" "rebuild while another program has the store open"
exec 7>&-
wait_until 10 "sqlite3 to end" _none_alive "$SQLITE_PID"
wait "$SQLITE_PID" || fail "sqlite3: $(cat "$WORK/sqlite.out")"
rebuild_says 0
pass "rebuild is refused while another program (an older coordinator, sqlite3) has the store open"

# A store last opened by another version: refused by the read-only commands.
sqlite3 "$DB" "UPDATE meta SET value = 'another' WHERE key = 'layout'"
for cmd in progress agents trips "export --csv" "trip show $T1"; do
  rc=0
  # shellcheck disable=SC2086 # the command's words
  "$COORD_BIN" $cmd --db "$DB" >"$WORK/cmd.out" 2>&1 || rc=$?
  assert_eq 1 "$rc" "exit status of $cmd on another layout"
  assert_eq "outreach-coordinator: store $DB was last opened by another version of the coordinator: restart the coordinator (its start brings the store up to date) or, with it stopped, run 'outreach-coordinator rebuild --db $DB'" \
    "$(cat "$WORK/cmd.out")" "$cmd on another layout"
done
assert_eq another "$(sqlite3 "$DB" "SELECT value FROM meta WHERE key = 'layout'")" \
  "layout after the read-only commands"
rebuild_says 0
progress_json
cmp -s "$WORK/progress.json" "$WORK/progress.right" || fail "progress after rebuild on another layout"
pass "the read-only commands refuse another layout and write nothing; rebuild brings it up to date"

# While a rebuild holds the store, the daemon does not start.
rc=0
flock --exclusive "$DB-lock" timeout 20 "$COORD_BIN" run --broker "$BROKER_URI" --db "$DB" \
  --username coordinator --password-file "$(secret coordinator)" >"$WORK/run.out" 2>&1 || rc=$?
assert_eq 1 "$rc" "exit status of run during a rebuild"
assert_eq "error: store $DB is being rebuilt ('outreach-coordinator rebuild' holds it); start again once that is done" \
  "$(head -1 "$WORK/run.out" | cut -d' ' -f2-)" "run during a rebuild"
pass "the daemon does not start while a rebuild holds the store"

rc=0
"$COORD_BIN" rebuild --db "$WORK/typo.db" >"$WORK/rebuild.out" 2>&1 || rc=$?
assert_eq 1 "$rc" "exit status of rebuild of no store"
assert_eq "outreach-coordinator: no store at $WORK/typo.db" "$(cat "$WORK/rebuild.out")" "rebuild of no store"
[ ! -e "$WORK/typo.db" ] || fail "rebuild created $WORK/typo.db"
"$COORD_BIN" rebuild --help | grep -q "^usage: outreach-coordinator rebuild --db FILE" || fail "rebuild --help"
pass "rebuild makes no store out of a typo; --help"
log "figures: $PASSED checks passed"
