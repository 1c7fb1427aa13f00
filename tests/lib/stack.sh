# shellcheck shell=bash
# stack.sh -- start and drive the coordinator and field agents in integration
# tests. Sources broker.sh (and so common.sh); needs OUTREACH_BUILD_DIR (set by
# ctest). Every wait here is poll_until/wait_until with a time limit; nothing
# sleeps a fixed time.

# shellcheck source-path=SCRIPTDIR source=broker.sh
source "$(dirname "${BASH_SOURCE[0]}")/broker.sh"

: "${OUTREACH_BUILD_DIR:?OUTREACH_BUILD_DIR must point at the build directory}"
SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
COORD_BIN="$OUTREACH_BUILD_DIR/coordinator/outreach-coordinator"
AGENT_BIN="$OUTREACH_BUILD_DIR/field-agent/outreach-agent"
ROOT=outreach/v1
# Tests compute "expected by today" for a fixed day unless the caller set one.
export OUTREACH_TODAY="${OUTREACH_TODAY:-2026-11-22}"

# coordinator_start [extra run flags...]: starts it with the coordinator
# account and waits until its retained status says online. --init: the first
# start makes the store; later ones (restarts) open the same one.
coordinator_start() {
  COORD_DB=${COORD_DB:-$WORK/coordinator.db}
  "$COORD_BIN" run --init --broker "$BROKER_URI" --db "$COORD_DB" --username coordinator \
    --password-file "$(secret coordinator)" --share-group-file "$ACCOUNTS/secrets/share-group" \
    "$@" >>"$WORK/coordinator.log" 2>&1 &
  COORD_PID=$!
  wait_until 20 "coordinator online" coordinator_is_online
}

coordinator_is_online() {
  kill -0 "$COORD_PID" 2>/dev/null || { cat "$WORK/coordinator.log" >&2; fail "coordinator exited"; }
  [ "$(retained "$ROOT/coordinator/status" | jq -r .online 2>/dev/null)" = true ]
}

# _term_wait WHAT PID LIMIT_S: SIGTERM, then wait up to LIMIT_S for PID to
# exit; past that, say so and SIGKILL it. Prints nothing; the caller reaps it.
_term_wait() {
  kill -TERM "$2" 2>/dev/null || true
  poll_until "$3" _none_alive "$2" && return 0
  log "$1 (pid $2) still running $3 s after SIGTERM: SIGKILL"
  kill -KILL "$2" 2>/dev/null || true
}

# coordinator_stop: SIGTERM, then wait (up to 10 s, then SIGKILL) for a clean
# exit. Fails the test when the coordinator exits non-zero (a sanitizer
# report, a crash, the SIGKILL), so call it explicitly at the end of a test;
# at exit it only cleans up.
coordinator_stop() {
  [ -n "${COORD_PID:-}" ] || return 0
  local pid=$COORD_PID rc=0
  COORD_PID=
  _term_wait coordinator "$pid" 10
  wait "$pid" 2>/dev/null || rc=$?
  if [ "$rc" != 0 ]; then
    tail -40 "$WORK/coordinator.log" >&2
    fail "coordinator exited with status $rc"
  fi
}

coordinator_kill() {
  [ -n "${COORD_PID:-}" ] || return 0
  kill -KILL "$COORD_PID" 2>/dev/null || true
  wait "$COORD_PID" 2>/dev/null || true
  COORD_PID=
}

# retained TOPIC: prints the retained message of TOPIC (read as the read-only
# dashboard account), or nothing.
retained() {
  mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -u dashboard -i "dashboard.test-$RANDOM$RANDOM" -P "$(cat "$(secret dashboard)")" \
    -t "$1" -C 1 -W 2 --retained-only 2>/dev/null || true
}

# agent_setup ID [TRIP]: writes $WORK/agents/ID.conf for agent ID.
agent_setup() {
  mkdir -p "$WORK/agents"
  cat >"$WORK/agents/$1.conf" <<CONF
agent_id = $1
broker = $BROKER_URI
password_file = $(secret "$1")
outbox = $WORK/agents/$1.db
ack_timeout_s = ${AGENT_ACK_TIMEOUT:-10}
connect_timeout_s = 5
${2:+trip = $2}
CONF
}

# agent ID ARGS...: runs outreach-agent as that agent.
agent() {
  local id=$1; shift
  "$AGENT_BIN" --config "$WORK/agents/$id.conf" "$@"
}

# agent_accepted ID ARGS...: runs `outreach-agent ARGS` as agent ID (e.g. a
# report) and fails the test unless it says 'accepted'.
agent_accepted() {
  agent "$@" >"$WORK/last.out" 2>&1 || fail "agent $*: $(cat "$WORK/last.out")"
  grep -q '^accepted' "$WORK/last.out" || fail "agent $*: not accepted: $(cat "$WORK/last.out")"
}

# publish_as USER TOPIC PAYLOAD: one QoS 1 message as USER (MQTT 5), within 10 s.
publish_as() {
  timeout 10 mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -V mqttv5 -q 1 -u "$1" -i "$1.test-$RANDOM$RANDOM" \
    -P "$(cat "$(secret "$1")")" -t "$2" -m "$3"
}

# ack_listen USER TOPIC: opens a persistent session of USER subscribed to TOPIC,
# so that nothing published from now on is missed; ack_collect reads it.
# -E returns once subscribed; 10 s at most.
ack_listen() {
  timeout 10 mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -V mqttv5 -q 1 -c -x 600 -i "$1.listen" \
    -u "$1" -P "$(cat "$(secret "$1")")" -t "$2" -E
}

# ack_collect USER TOPIC N: prints the next N messages queued for USER's
# session, waiting up to 10 s.
ack_collect() {
  mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -V mqttv5 -q 1 -c -x 600 -i "$1.listen" \
    -u "$1" -P "$(cat "$(secret "$1")")" -t "$2" -C "$3" -W 10
}

# acks_collect AGENT N: prints (one per line) the next N acks queued for
# AGENT's listening session; one message may carry several acks. Fails when
# they are not all there 20 s after the start (a read begun before then waits
# its own 10 s).
acks_collect() {
  _ACKS_GOT=0
  poll_until 20 _acks_read_one "$1" "$2" || fail "only $_ACKS_GOT of $2 acks for $1 within 20 s"
}
_acks_read_one() { # AGENT N: prints the acks of one more message; true once N are read
  local msg
  msg=$(ack_collect "$1" "$ROOT/agents/$1/acks" 1) || return 1
  jq -c '.acks[]' <<<"$msg"
  _ACKS_GOT=$((_ACKS_GOT + $(jq '.acks | length' <<<"$msg")))
  [ "$_ACKS_GOT" -ge "$2" ]
}

# admin_request JSON: publishes an admin request and prints the coordinator's reply.
admin_request() {
  ack_listen admin "$ROOT/admin/replies"
  publish_as admin "$ROOT/admin/requests" "$1"
  ack_collect admin "$ROOT/admin/replies" 1
}

# trip_upsert ID DATE COUNTY COUNTY_NAME [STATUS-OP]: creates a trip.
trip_upsert() {
  local reply
  reply=$(admin_request "$(jq -cn --arg id "$1" --arg date "$2" --arg county "$3" \
    --arg cname "$4" '{request_id: ("up-" + $id), op: "trip.upsert", trip_id: $id,
      title: ("义诊 " + $id), date: $date,
      site: {code: ("site-" + $county), name: "村卫生室", county: $county,
             county_name: $cname, township: "镇", poor_village: true},
      mode: "upper_help", activities: ["clinic", "health"],
      departments: ["internal", "surgery", "obgyn"], capacity: {doctor: 4, nurse: 2}}')")
  [ "$(jq -r .ok <<<"$reply")" = true ] || fail "trip.upsert $1 refused: $reply"
}

# progress_field TOPIC JQ: the value of JQ in TOPIC's retained JSON.
progress_field() { retained "$1" | jq -c "$2" 2>/dev/null; }

# expect_output LIMIT_S WHAT WANT CMD...: polls CMD until it prints exactly
# WANT, then passes "WHAT = WANT"; fails with the last output seen when
# LIMIT_S pass first.
expect_output() {
  local limit=$1 what=$2 want=$3
  shift 3
  _EXPECT_GOT=
  poll_until "$limit" _output_is "$want" "$@" || fail "$what: expected $want, got ${_EXPECT_GOT:-nothing}"
  pass "$what = $want"
}
_output_is() { # WANT CMD...
  local want=$1
  shift
  _EXPECT_GOT=$("$@")
  [ "$_EXPECT_GOT" = "$want" ]
}

# expect_retained TOPIC JQ VALUE: waits (up to 20 s) until the retained value
# of JQ equals VALUE; fails with the last value seen.
expect_retained() { expect_output 20 "$1 $2" "$3" progress_field "$1" "$2"; }

PASSED=0
pass() { PASSED=$((PASSED + 1)); echo "ok $PASSED - $*"; }

# expect_exit CODE CMD...: runs CMD (stdout to $WORK/out, stderr to $WORK/err)
# and checks its exit status; out and err print them. (pipeline.sh and tls.sh
# define their own, with both streams in $WORK/last.out.)
expect_exit() {
  local want=$1 got=0; shift
  "$@" >"$WORK/out" 2>"$WORK/err" || got=$?
  [ "$got" = "$want" ] || { cat "$WORK/out" "$WORK/err" >&2; fail "exit $got, expected $want: $*"; }
  pass "exit $want: ${*:1:6}"
}
out() { cat "$WORK/out"; }
err() { cat "$WORK/err"; }

# daemon_start ID: runs `outreach-agent daemon` for agent ID (the binary itself
# in the background, so that DAEMON_PID is its pid) and waits until it is online.
daemon_start() {
  "$AGENT_BIN" --config "$WORK/agents/$1.conf" daemon >>"$WORK/daemon-$1.log" 2>&1 &
  DAEMON_PID=$!
  track_pid "$DAEMON_PID"
  if [ "${2:-}" != nowait ]; then
    wait_until 20 "daemon of $1 online" daemon_state_is "$1" online
  fi
}
daemon_state_is() { # ID STATE
  [ "$(sqlite3 "$WORK/agents/$1.db" "SELECT value FROM meta WHERE key = 'daemon'" 2>/dev/null)" = "$2" ]
}
daemon_stop() { # SIGTERM, up to 20 s (then SIGKILL); fails unless it exits 0
  local rc=0
  _term_wait "daemon" "$DAEMON_PID" 20
  wait "$DAEMON_PID" || rc=$?
  [ "$rc" = 0 ] || { tail -20 "$WORK"/daemon-*.log >&2; fail "daemon exited with status $rc"; }
}
daemon_kill() {
  kill -KILL "$DAEMON_PID" 2>/dev/null || true
  wait "$DAEMON_PID" 2>/dev/null || true
}
# outbox_count ID STATE...: reports of agent ID's outbox in those states.
outbox_count() {
  local id=$1; shift
  local list
  list=$(printf "'%s'," "$@")
  sqlite3 "$WORK/agents/$id.db" "SELECT COUNT(*) FROM outbox WHERE state IN (${list%,})"
}
outbox_drained() { [ "$(outbox_count "$1" pending sent)" = 0 ]; }

LOADGEN_BIN="$OUTREACH_BUILD_DIR/tools/outreach-loadgen"
# lg_agents N: the names lg-001 .. lg-N the load generator plays.
lg_agents() { seq -f 'lg-%03g' 1 "$1" | tr '\n' ' '; }
# stored_reports TRIP: reports the coordinator has stored for TRIP.
stored_reports() { sqlite3 "$COORD_DB" "SELECT COUNT(*) FROM reports WHERE trip_id = '$1'" 2>/dev/null || echo 0; }
stored_at_least() { [ "$(stored_reports "$1")" -ge "$2" ]; }
# lg_expected N M: sum of consultations the load generator sends (seq % 5 + 1).
lg_expected() { local s=0 i; for ((i = 1; i <= $2; i++)); do s=$((s + i % 5 + 1)); done; echo $(($1 * s)); }
# lg_run N M TRIP RATE RESEND_MS: starts the load generator in the background:
# N agents (lg-001 ..), M reports each on TRIP at RATE a second, a window of
# 50, resends after RESEND_MS, ending by itself within 300 s; its summary in
# $WORK/lg.json, its log in $WORK/lg.log, its pid in LG_PID.
lg_run() {
  "$LOADGEN_BIN" run --broker "$BROKER_URI" --secrets "$ACCOUNTS/secrets" --agents "$1" \
    --reports-per-agent "$2" --trip "$3" --rate "$4" --window 50 --resend-ms "$5" \
    --deadline-s 300 --check-progress --json "$WORK/lg.json" >"$WORK/lg.log" 2>&1 &
  LG_PID=$!
}
# lg_done N M TRIP: waits (up to 330 s) for the load generator of lg_run,
# prints its log, and checks its verdict (exit 0) and lg_check.
lg_done() {
  local rc=0
  wait_until 330 "the load generator to finish" _none_alive "$LG_PID"
  wait "$LG_PID" || rc=$?
  cat "$WORK/lg.log"
  assert_eq 0 "$rc" "load generator's verdict"
  lg_check "$WORK/lg.json" "$1" "$2" "$3"
}
# lg_check JSON N M TRIP: the load generator's summary and the store agree
# with what was sent: every report answered accepted or duplicate, none
# accepted twice, none rejected, each stored once, totals equal.
lg_check() {
  local json=$1 n=$2 m=$3 trip=$4
  assert_eq $((n * m)) "$(jq '.accepted + .duplicate' "$json")" "reports answered accepted or duplicate"
  assert_eq 0 "$(jq '.rejected + .unanswered + .accepted_twice' "$json")" "rejected, unanswered or accepted twice"
  assert_eq $((n * m)) "$(stored_reports "$trip")" "reports stored (one row per msg_id)"
  assert_eq "$(lg_expected "$n" "$m")" \
    "$(sqlite3 "$COORD_DB" "SELECT SUM(consultations) FROM reports WHERE trip_id = '$trip'")" "consultations stored"
  expect_retained "$ROOT/trips/$trip/progress" .consultations.count "$(lg_expected "$n" "$m")"
}

# site_setup ID PASSCODE: agent ID's daemon serves the site app on a free port
# (SITE_PORT) with PASSCODE in a 0600 file; append any other site_ keys to
# $WORK/agents/ID.conf yourself.
site_setup() {
  SITE_PORT=$(_pick_port)
  printf '%s\n' "$2" >"$WORK/site-passcode"
  chmod 600 "$WORK/site-passcode"
  # Taps fold only on "send now" unless a test sets site_fold_s itself: a
  # timer fold in the middle of a step would split its headcount in two.
  printf 'site_port = %s\nsite_passcode_file = %s\nsite_fold_s = 3600\n' "$SITE_PORT" \
    "$WORK/site-passcode" >>"$WORK/agents/$1.conf"
}
# need_chromium: playwright-core in web/ and Debian's chromium, or fail saying how.
need_chromium() {
  WEB_DIR=$SRC_DIR/web
  [ -d "$WEB_DIR/node_modules/playwright-core" ] || fail "no playwright-core: run 'bash scripts/deps.sh' (npm ci in web/)"
  [ -x /usr/bin/chromium ] || fail "no /usr/bin/chromium: run 'bash scripts/deps.sh'"
}
# site_up: true when the site app answers on SITE_PORT (each try up to 5 s).
site_up() { curl -s -m 5 -o /dev/null "http://127.0.0.1:$SITE_PORT/"; }
# site_start ID: daemon_start ID (after site_setup ID), then waits (up to 10 s)
# until its site app answers.
site_start() {
  daemon_start "$1"
  wait_until 10 "site app up" site_up
}

# stack_up [OPTIONS] [-- FLAGS...]: the opening the integration tests share: a
# fresh $WORK (tmpdir_setup), the accounts, the broker (broker_start), the
# coordinator online (coordinator_start FLAGS; coordinator_stop registered for
# the exit: call it yourself at the end to check its exit status), then trips
# and agent configs, in that order whatever the order of the options.
#   --agents "A B ..."        agent accounts (default "team-01")
#   --volunteers "V ..."      volunteer accounts (default "vol-01"; '' for none)
#   --coordinator-conf TEXT   lines of $WORK/coordinator.conf, which the
#                             coordinator then runs with (--config)
#   --no-coordinator          leave the coordinator to the test
#   --trip "ID DATE COUNTY COUNTY_NAME"   trip_upsert (repeatable)
#   --agent ID                agent_setup ID with the last --trip before it
#                             (none: no trip) (repeatable)
#   --site PASSCODE           site_setup the last --agent with PASSCODE;
#                             site_start it when the test has added its keys
# What the helpers read from the environment is set before: BROKER_HTTP_DIR,
# BROKER_TLS, AGENT_ACK_TIMEOUT, OUTREACH_TODAY.
stack_up() {
  local agents="team-01" vols="vol-01" conf="" start=1 trip="" site="" t a
  local -a trips=() setups=() flags=() f
  while [ $# -gt 0 ]; do
    case $1 in
      --agents | --volunteers | --coordinator-conf | --trip | --agent | --site)
        [ $# -ge 2 ] || fail "stack_up: $1 needs a value"
        case $1 in
          --agents) agents=$2 ;;
          --volunteers) vols=$2 ;;
          --coordinator-conf) conf=$2 ;;
          --trip) trip=$2; trips+=("$2") ;;
          --agent) setups+=("$2 $trip") ;;
          --site) site=$2 ;;
        esac
        shift 2 ;;
      --no-coordinator) start=''; shift ;;
      --) shift; flags=("$@"); break ;;
      *) fail "stack_up: unknown option '$1' (see tests/lib/stack.sh)" ;;
    esac
  done
  [ -z "$site" ] || [ ${#setups[@]} -gt 0 ] || fail "stack_up: --site needs an --agent"
  tmpdir_setup
  broker_provision --agents "$agents" ${vols:+--volunteers "$vols"}
  broker_start
  on_exit coordinator_stop
  if [ -n "$conf" ]; then
    printf '%s\n' "$conf" >"$WORK/coordinator.conf"
    flags=(--config "$WORK/coordinator.conf" "${flags[@]}")
  fi
  if [ -n "$start" ]; then
    coordinator_start "${flags[@]}"
  fi
  for t in "${trips[@]}"; do
    read -r -a f <<<"$t"
    [ ${#f[@]} = 4 ] || fail "stack_up: --trip wants \"ID DATE COUNTY COUNTY_NAME\", got '$t'"
    trip_upsert "${f[@]}"
  done
  for a in "${setups[@]}"; do
    read -r -a f <<<"$a"
    agent_setup "${f[@]}"
  done
  [ -z "$site" ] || site_setup "${f[0]}" "$site"
}
