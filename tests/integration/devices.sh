#!/usr/bin/env bash
# devices.sh -- the coordinator's retained devices/{agent_id}, against a real
# Mosquitto, read as the dashboard account: an agent that only ever used
# `report` (no daemon, so no status topic) appears with its last seq and the
# trip of its latest report; one
# whose reports came with gaps shows exactly the missing ranges; a daemon's
# birth makes it online with its trip and pending count, and the broker's
# will (the daemon killed) makes it offline with the rest kept, offline since
# the coordinator got the will (not since the daemon started); a coordinator
# restart republishes the same; every message follows schemas/device.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

TRIP=2026-xw-001
stack_up --agents "team-01 team-02 team-03" --trip "$TRIP 2026-11-22 xiuwu 修武县"
A=$ROOT/agents

# device AGENT JQ: JQ applied to the retained devices/AGENT (as the dashboard).
device() { retained "$ROOT/devices/$1" | jq -c "$2" 2>/dev/null; }
# expect_device AGENT JQ VALUE: waits (up to 20 s) until it equals VALUE.
expect_device() { expect_output 20 "devices/$1 $2" "$3" device "$1" "$2"; }
FIELDS='[.online, .trip_id, .pending, .last_seq, .missing, .missing_count, .missing_ranges, .status_since]'
TS_RE='^"2026-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\+08:00"$'

# headcount AGENT N SEQ: a report as `report` sends it, built by hand so that
# its seq can leave gaps.
headcount() {
  jq -cn --arg agent "$1" --arg mid "$(printf 'dddddddd-0000-4000-8000-%012d' "$2")" \
    --argjson seq "$3" --arg trip "$TRIP" \
    '{msg_id: $mid, agent_id: $agent, seq: $seq, trip_id: $trip,
      recorded_at: "2026-11-22T09:31:05+08:00", department: "internal", consultations: 2}'
}

# ---- report only: team-02 with the real CLI, no daemon ----------------------
agent_setup team-02 "$TRIP"
agent_accepted team-02 report headcount --department surgery --consultations 4
agent_accepted team-02 report headcount --department internal --consultations 6
agent team-02 sync >/dev/null || fail "agent team-02 sync failed"
expect_device team-02 "$FIELDS" "[null,\"$TRIP\",null,2,[],0,0,null]"
[[ $(device team-02 .last_heard) =~ $TS_RE ]] || fail "devices/team-02 last_heard: $(device team-02 .last_heard)"
[[ $(device team-02 .as_of) =~ $TS_RE ]] || fail "devices/team-02 as_of: $(device team-02 .as_of)"
pass "an agent that only used report/sync has a device, heard at $(device team-02 .last_heard)"

# ---- report only, with gaps: team-01 sends seqs 1, 2, 5, 9 and 2 again -------
ack_listen team-01 "$A/team-01/acks"
for s in 1 2 5 9 2; do
  publish_as team-01 "$A/team-01/reports/headcount" "$(headcount team-01 "$s" "$s")"
done
acks=$(acks_collect team-01 5 | jq -r .status | sort | tr '\n' ' ')
assert_eq "accepted accepted accepted accepted duplicate " "$acks" "team-01 acks"
expect_device team-01 "$FIELDS" "[null,\"$TRIP\",null,9,[[3,4],[6,8]],5,2,null]"
# Seq 4 arrives late: the gap 3-4 becomes 3.
publish_as team-01 "$A/team-01/reports/headcount" "$(headcount team-01 4 4)"
expect_device team-01 '[.last_seq, .missing, .missing_count, .missing_ranges]' '[9,[[3,3],[6,8]],4,2]'
# The same as `outreach-coordinator agents` says.
assert_eq '[9,"3, 6-8",4]' \
  "$("$COORD_BIN" agents --db "$COORD_DB" --json | jq -c '.agents[] | select(.agent_id == "team-01") | [.last_seq, .missing, .missing_count]')" \
  "agents --json agrees with devices/team-01"

# ---- a daemon: birth, then the broker's will --------------------------------
agent_setup team-03 "$TRIP"
agent team-03 report headcount --offline --department surgery --consultations 1 >/dev/null
daemon_start team-03
wait_until 20 "team-03's outbox sent" outbox_drained team-03
expect_device team-03 '[.online, .trip_id, .last_seq, .missing]' "[true,\"$TRIP\",1,[]]"
since=$(device team-03 .status_since)
[[ $since =~ $TS_RE ]] || fail "devices/team-03 status_since: $since"
# A second past its start, so that the will's time differs from it.
second_past() { [[ "\"$(date -u -d "+8 hours" +%Y-%m-%dT%H:%M:%S)+08:00\"" > "$since" ]]; }
wait_until 5 "a second past team-03's start" second_past
daemon_kill # no clean stop: the broker publishes its will
expect_device team-03 '[.online, .trip_id, .last_seq, .missing]' "[false,\"$TRIP\",1,[]]"
offline_since=$(device team-03 .status_since)
[[ $offline_since =~ $TS_RE && $offline_since > $since ]] \
  || fail "devices/team-03 status_since after its will: $offline_since, not after its start $since"
pass "the broker's will made team-03 offline since $offline_since (started $since), its trip kept"

# ---- every device message follows the schema, and a restart keeps them ------
all_devices() {
  mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -u dashboard -i "dashboard.test-$RANDOM" \
    -P "$(cat "$(secret dashboard)")" -t "$ROOT/devices/#" --retained-only -W 2 2>/dev/null || true
}
all_devices >"$WORK/devices.jsonl"
assert_eq "team-01 team-02 team-03 " "$(jq -r .agent_id "$WORK/devices.jsonl" | sort | tr '\n' ' ')" \
  "one device per agent known"
/usr/bin/python3 "$SRC_DIR/schemas/check.py" --schema device --jsonl "$WORK/devices.jsonl" >"$WORK/check.out" \
  || { cat "$WORK/check.out"; fail "devices/ messages against schemas/device.schema.json"; }
pass "devices/ messages follow the schema ($(tail -1 "$WORK/check.out"))"

before=$(jq -c 'del(.as_of)' "$WORK/devices.jsonl" | sort)
coordinator_stop
# Cleared so that only the restarted coordinator can bring them back.
for a in team-01 team-02 team-03; do
  mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -u coordinator -i "coordinator.test-$RANDOM" \
    -P "$(cat "$(secret coordinator)")" -q 1 -r -n -t "$ROOT/devices/$a"
done
assert_eq "" "$(all_devices)" "devices cleared while the coordinator is away"
coordinator_start
expect_device team-01 '.missing' '[[3,3],[6,8]]'
after() { all_devices | jq -c 'del(.as_of)' | sort; }
expect_output 20 "devices after a restart" "$before" after

echo "all $PASSED checks passed"
