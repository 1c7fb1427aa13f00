#!/usr/bin/env bash
# alerts.sh -- the site-silent alert against a real Mosquitto: an agent of a
# trip of the day goes offline through its will (the broker publishes it when
# the agent's connection dies), the alert is raised and retained on
# alerts/{alert_id}; a coordinator restart neither raises it again nor loses
# it (its since kept); the agent comes back (a live birth) and the alert is
# cleared, retained as cleared, with its history in the store; one that comes
# back while the coordinator is away clears its alert too. The messages follow schemas/alert.schema.json; `alerts` lists them
# in words.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

TRIP=2026-al-001
CONF=$'alert_offline_min = 0\nalert_quiet_min = 600\nalert_work_hours = 00:00-24:00'
stack_up --agents "team-01 team-02" --trip "$TRIP $OUTREACH_TODAY xiuwu 修武县" \
  --coordinator-conf "$CONF" -- --log-level debug
A=$ROOT/agents
ID1=site_silent.$TRIP.team-01
ID2=site_silent.$TRIP.team-02

# alert ID: the retained alerts/ID (read as the coordinator account, which
# reads the whole root), or nothing.
alert() {
  mqtt_sub coordinator -V mqttv5 -t "$ROOT/alerts/$1" -C 1 -W 2 --retained-only 2>/dev/null || true
}
alert_field() { alert "$1" | jq -c "$2" 2>/dev/null; }
expect_alert() { expect_output 20 "alerts/$1 $2" "$3" alert_field "$1" "$2"; }

birth() { # AGENT: its retained live birth on the trip
  mqtt_pub "$1" -V mqttv5 -q 1 -r -t "$A/$1/status" -m "$(jq -cn --arg a "$1" --arg t "$TRIP" \
    '{online: true, agent_id: $a, trip_id: $t, pending: 0, last_seq: 0,
      since: "2026-11-22T08:00:00+08:00"}')"
}

# connect_with_will AGENT: a connection of AGENT whose will is its offline
# status (retained, QoS 1), as the field agent's; WILL_PID is the client's.
connect_with_will() {
  # stdbuf: -d's lines at once, not when the client exits (it execs: WILL_PID
  # is the client's).
  stdbuf -oL mosquitto_sub -h "$BROKER_HOST" -p "$BROKER_PORT" -u "$1" -P "$(password "$1")" \
    -V mqttv5 -q 1 -i "$1.will" -d -t "$A/$1/acks" \
    --will-topic "$A/$1/status" --will-qos 1 --will-retain \
    --will-payload "{\"online\":false,\"agent_id\":\"$1\"}" >"$WORK/will-$1.log" 2>&1 &
  WILL_PID=$!
  track_pid "$WILL_PID"
  wait_until 10 "$1 connected with its will" grep -qs SUBACK "$WORK/will-$1.log"
}

# drop_connection: the connection of connect_with_will dies (SIGKILL: no
# DISCONNECT), so the broker publishes its will.
drop_connection() {
  kill -KILL "$WILL_PID"
  wait "$WILL_PID" 2>/dev/null || true
}

# ---- online on the trip's day: no alert ------------------------------------
birth team-01
connect_with_will team-01
wait_until 20 "team-01 online in the store" \
  bash -c "'$COORD_BIN' agents --db '$COORD_DB' --json | jq -e '.agents[] | select(.agent_id == \"team-01\" and .online == true)' >/dev/null"
"$COORD_BIN" alerts --db "$COORD_DB" >"$WORK/alerts.txt"
assert_eq "no open alerts" "$(cat "$WORK/alerts.txt")" "nothing open while team-01 is online"
pass "no alert while online"

# ---- its connection dies: the broker's will, the alert ------------------------
drop_connection
expect_alert "$ID1" '[.alert_id, .kind, .level, .state, .cleared_at, .subject, .detail.offline]' \
  "[\"$ID1\",\"site_silent\",\"critical\",\"open\",null,{\"trip_id\":\"$TRIP\",\"agent_id\":\"team-01\"},true]"
since=$(alert_field "$ID1" .since)
alert "$ID1" >"$WORK/alerts.jsonl"
"$COORD_BIN" alerts --db "$COORD_DB" >"$WORK/alerts.txt"
grep -Eq "^critical +since 20[0-9T:+-]+  site silent: agent team-01 on trip $TRIP offline for [0-9]+ min of working hours  \[$ID1\]$" \
  "$WORK/alerts.txt" || { cat "$WORK/alerts.txt"; fail "alerts: the open alert in words"; }
assert_eq 1 "$(wc -l <"$WORK/alerts.txt")" "alerts: one line"
pass "alerts lists it in words"

# ---- a restart: not raised again, since kept --------------------------------
coordinator_stop
coordinator_start --config "$WORK/coordinator.conf" --log-level debug
# team-02 goes offline after the restart: once its alert is out, the first
# evaluation after the restart is over.
birth team-02
connect_with_will team-02
drop_connection
expect_alert "$ID2" '[.state, .level]' '["open","critical"]'
assert_eq "$since" "$(alert_field "$ID1" .since)" "the open alert keeps its since over the restart"
assert_eq '"open"' "$(alert_field "$ID1" .state)" "still open after the restart"
assert_eq 1 "$(grep -c "alert $ID1 raised" "$WORK/coordinator.log")" "raised once, not again after the restart"
"$COORD_BIN" alerts --db "$COORD_DB" --json | jq -c '[.[].alert_id]' >"$WORK/ids.json"
assert_eq "[\"$ID1\",\"$ID2\"]" "$(cat "$WORK/ids.json")" "alerts --json: both open, the oldest first"

# ---- team-01 is back: cleared -------------------------------------------------
birth team-01
expect_alert "$ID1" '[.state, (.cleared_at != null), .since]' "[\"cleared\",true,$since]"
alert "$ID1" >>"$WORK/alerts.jsonl"
alert "$ID2" >>"$WORK/alerts.jsonl"
/usr/bin/python3 "$SRC_DIR/schemas/check.py" --schema alert --jsonl "$WORK/alerts.jsonl" >"$WORK/check.txt" \
  || { cat "$WORK/check.txt"; fail "the alerts do not follow schemas/alert.schema.json"; }
pass "the alerts follow the schema"
assert_eq "[\"$ID2\"]" "$("$COORD_BIN" alerts --db "$COORD_DB" --json | jq -c '[.[].alert_id]')" \
  "alerts: team-02's alone is open"
"$COORD_BIN" alerts --db "$COORD_DB" --all >"$WORK/all.txt"
grep -Eq "\[$ID1\]  cleared 20[0-9T:+-]+$" "$WORK/all.txt" || { cat "$WORK/all.txt"; fail "alerts --all: the cleared one"; }
assert_eq 2 "$(wc -l <"$WORK/all.txt")" "alerts --all: two lines"
assert_eq "raised cleared" \
  "$(sqlite3 -readonly "$COORD_DB" "SELECT group_concat(event, ' ') FROM (SELECT event FROM alert_history WHERE alert_id = '$ID1' ORDER BY id)")" \
  "the history of team-01's alert"

# ---- team-02 comes back while the coordinator is away: its birth, kept for
# the coordinator's session (or replayed retained once that has expired:
# unit_alerts), clears its alert at the restart -------------------------------
coordinator_stop
birth team-02
coordinator_start --config "$WORK/coordinator.conf" --log-level debug
expect_alert "$ID2" '[.state, (.cleared_at != null)]' '["cleared",true]'
"$COORD_BIN" alerts --db "$COORD_DB" >"$WORK/alerts.txt"
assert_eq "no open alerts" "$(cat "$WORK/alerts.txt")" "nothing open once both are back"

# ---- the CLI's errors -----------------------------------------------------------
"$COORD_BIN" alerts --help | grep -q '^usage: outreach-coordinator alerts' || fail "alerts --help"
expect_exit 2 "$COORD_BIN" alerts --all
grep -q -- '--db FILE is required' "$WORK/err" || fail "alerts without --db: $(err)"
expect_exit 1 "$COORD_BIN" alerts --db "$WORK/nowhere.db"
grep -q 'no store at' "$WORK/err" || fail "alerts with no store: $(err)"
expect_exit 2 "$COORD_BIN" alerts --db "$COORD_DB" extra
# A bad alert_work_hours stops the coordinator before it starts.
expect_exit 2 "$COORD_BIN" run --db "$COORD_DB" --config <(printf 'alert_work_hours = 18:00-08:00\n')
grep -q "alert_work_hours '18:00-08:00' is not HH:MM-HH:MM" "$WORK/err" || fail "bad work hours: $(err)"

coordinator_stop
pass "coordinator stopped cleanly"
echo "$PASSED passed, 0 failed"
