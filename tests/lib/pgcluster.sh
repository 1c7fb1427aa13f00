# pgcluster.sh -- coordinators sharing a PostgreSQL store, for the tests of
# issue 14 (sourced after stack.sh and pg.sh, after pg_start and
# broker_start): each coordinator NAME has the client id coordinator.NAME,
# the shared group of the others, its log $WORK/coord-NAME.log and its pid
# in $WORK/coord-NAME.pid; all are stopped when the test exits.

# pgcluster_up N: a test's work directory, PostgreSQL, N load-generator agent
# accounts (lg-001...) and a volunteer's, the broker.
pgcluster_up() {
  tmpdir_setup
  pg_start
  broker_provision --agents "$(lg_agents "$1")" --volunteers vol-01
  broker_start
}

# coord_start NAME: starts coordinator NAME and waits until it is ready.
coord_start() {
  coord_launch "$1"
  coord_wait "$1"
}
# coord_launch NAME: starts coordinator NAME; coord_wait NAME: until it is ready.
coord_launch() {
  local n=$1
  printf 'client_id = coordinator.%s\n' "$n" >"$WORK/coord-$n.conf"
  grep -c 'coordinator ready' "$WORK/coord-$n.log" >"$WORK/coord-$n.readies" 2>/dev/null || true
  "$COORD_BIN" run --broker "$BROKER_URI" --db "$PG_URI" --username coordinator \
    --password-file "$(secret coordinator)" --share-group-file "$ACCOUNTS/secrets/share-group" \
    --config "$WORK/coord-$n.conf" >>"$WORK/coord-$n.log" 2>&1 &
  printf '%s\n' "$!" >"$WORK/coord-$n.pid"
  track_pid "$!"
  on_exit coords_stop
}
coord_wait() {
  local before
  before=$(cat "$WORK/coord-$1.readies" 2>/dev/null || true)
  wait_until 30 "coordinator $1 ready" _coord_ready "$1" "${before:-0}"
}
_coord_ready() {
  kill -0 "$(coord_pid "$1")" 2>/dev/null || { tail -5 "$WORK/coord-$1.log" >&2; fail "coordinator $1 exited"; }
  [ "$(grep -c 'coordinator ready' "$WORK/coord-$1.log")" -gt "$2" ]
}
coord_pid() { cat "$WORK/coord-$1.pid"; }

# coord_kill NAME: SIGKILL, and reaped.
coord_kill() {
  kill -KILL "$(coord_pid "$1")" 2>/dev/null || true
  wait "$(coord_pid "$1")" 2>/dev/null || true
}

# coords_stop: SIGTERM every coordinator still running, up to 10 s each.
coords_stop() {
  local f pid
  for f in "$WORK"/coord-*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    _term_wait "coordinator $f" "$pid" 10
    wait "$pid" 2>/dev/null || true
  done
}

# coord_logs_clean: no error (and no sanitizer report) in any coordinator's log.
coord_logs_clean() {
  ! grep -E 'ERROR|error:|AddressSanitizer|runtime error' "$WORK"/coord-*.log ||
    fail "errors in the coordinators' logs"
}

stored() { pg_sql "SELECT COUNT(*) FROM reports"; }
stored_over() { [ "$(stored)" -ge "$1" ]; }
