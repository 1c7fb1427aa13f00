#!/usr/bin/env bash
# agents.sh -- what the coordinator knows of each field agent, against a real
# Mosquitto: the highest seq seen and the seqs still missing (reports sent by
# hand with a gap, resends, refused reports, a huge seq), online or offline
# from retained births and wills, invalid status messages that change nothing,
# a restart that replays the retained statuses, and `agents` as a table and
# as JSON.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

stack_up --agents "team-01 team-02 team-03 team-04 team-05" --trip "2026-xw-001 2026-11-22 xiuwu 修武县" \
  -- --log-level debug
A=$ROOT/agents

# agents_list: `agents --json`.
agents_list() { "$COORD_BIN" agents --db "$COORD_DB" --json; }

# agent_field AGENT JQ: JQ applied to AGENT's object in `agents --json`.
agent_field() {
  agents_list | jq -c --arg a "$1" ".agents[] | select(.agent_id == \$a) | $2"
}

# expect_agent AGENT JQ VALUE: waits (up to 20 s) until AGENT's JQ equals VALUE.
expect_agent() { expect_output 20 "agents: $1 $2" "$3" agent_field "$1" "$2"; }

# headcount AGENT N SEQ [TRIP] [CONSULTATIONS] [NAMED-AGENT]: a hand-made
# headcount report with msg_id number N.
headcount() {
  jq -cn --arg agent "${6:-$1}" --arg mid "$(printf 'aaaaaaaa-0000-4000-8000-%012d' "$2")" \
    --argjson seq "$3" --arg trip "${4:-2026-xw-001}" --argjson n "${5:-3}" \
    '{msg_id: $mid, agent_id: $agent, seq: $seq, trip_id: $trip,
      recorded_at: "2026-11-22T09:31:05+08:00", department: "internal", consultations: $n}'
}

# publish_retained USER TOPIC PAYLOAD: as publish_as, retained.
publish_retained() {
  mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -V mqttv5 -q 1 -r -u "$1" -i "$1.test-retained" \
    -P "$(cat "$(secret "$1")")" -t "$2" -m "$3"
}

# ---- seqs: team-01 sends 1, 2 and 5 by hand, and 2 once more ----------------
ack_listen team-01 "$A/team-01/acks"
r1=$(headcount team-01 1 1)
publish_as team-01 "$A/team-01/reports/headcount" "$r1"
publish_as team-01 "$A/team-01/reports/headcount" "$(headcount team-01 2 2)"
publish_as team-01 "$A/team-01/reports/headcount" "$(headcount team-01 5 5)"
publish_as team-01 "$A/team-01/reports/headcount" "$(headcount team-01 2 2)"
acks=$(acks_collect team-01 4 | jq -r .status | sort | tr '\n' ' ')
assert_eq "accepted accepted accepted duplicate " "$acks" "team-01 acks"
expect_agent team-01 '[.last_seq, .missing, .missing_count]' '[5,"3-4",2]'

# team-02 is a real device: its outbox numbers its reports 1, 2.
agent_setup team-02 2026-xw-001
agent team-02 report headcount --department surgery --consultations 4 >/dev/null
agent team-02 report headcount --department internal --consultations 6 >/dev/null
expect_agent team-02 '[.last_seq, .missing]' '[2,""]'

# Refused reports still used their seq when the envelope was readable; a
# report naming another agent, or no JSON at all, tells no seq.
ack_listen team-03 "$A/team-03/acks"
publish_as team-03 "$A/team-03/reports/headcount" "$(headcount team-03 31 1 2026-zz-404)"
publish_as team-03 "$A/team-03/reports/headcount" "$(headcount team-03 33 3 2026-xw-001 0)"
publish_as team-03 "$A/team-03/reports/headcount" "$(headcount team-03 37 7 2026-xw-001 3 team-01)"
publish_as team-03 "$A/team-03/reports/headcount" 'this is not json'
acks=$(acks_collect team-03 4 | jq -r .code | sort | tr '\n' ' ')
assert_eq "agent_mismatch malformed schema unknown_trip " "$acks" "team-03 acks"
expect_agent team-03 '[.last_seq, .missing, .missing_count]' '[3,"2",1]'
expect_agent team-01 '[.last_seq, .missing]' '[5,"3-4"]'

# A huge seq costs nothing: one range, one gap.
ack_listen team-04 "$A/team-04/acks"
publish_as team-04 "$A/team-04/reports/headcount" "$(headcount team-04 41 9007199254740991)"
assert_eq accepted "$(acks_collect team-04 1 | jq -r .status)" "team-04 ack for seq 2^53-1"
expect_agent team-04 '[.last_seq, .missing, .missing_count]' \
  '[9007199254740991,"1-9007199254740990",9007199254740990]'

# ---- status: a retained birth, invalid messages, then the will --------------
birth1='{"online":true,"agent_id":"team-01","trip_id":"2026-xw-001","pending":2,"last_seq":5,"since":"2026-11-22T09:00:00+08:00"}'
will1='{"online":false,"agent_id":"team-01"}'
printf '%s\n%s\n' "$birth1" "$will1" >"$WORK/status.jsonl"
/usr/bin/python3 "$SRC_DIR/schemas/check.py" --schema agent-status --jsonl "$WORK/status.jsonl" >/dev/null \
  || fail "the test's status messages do not follow the schema"
publish_retained team-01 "$A/team-01/status" "$birth1"
expect_agent team-01 '[.online, .pending, .reported_last_seq, .trip_id, .since]' \
  '[true,2,5,"2026-xw-001","2026-11-22T09:00:00+08:00"]'
[ "$(agent_field team-01 '.last_seen != null and .status_at != null')" = true ] \
  || fail "a live birth sets last_seen and status_at"
before=$(agent_field team-01 .)

# Invalid statuses: ignored, never answered. A valid birth of team-03 after
# them shows when they have all been through.
for bad in 'not json' '' '{"online":"yes","agent_id":"team-01"}' \
  '{"online":false,"agent_id":"team-02"}' '{"online":true,"agent_id":"team-01"}' \
  '{"online":true,"agent_id":"team-01","pending":-1,"last_seq":5,"since":"2026-11-22T09:00:00+08:00"}' \
  "[$will1]" "$(head -c 17000 /dev/zero | tr '\0' ' ')$will1"; do
  publish_as team-01 "$A/team-01/status" "$bad"
done
publish_retained team-03 "$A/team-03/status" \
  '{"online":true,"agent_id":"team-03","pending":0,"last_seq":3,"since":"2026-11-22T09:10:00+08:00"}'
expect_agent team-03 '[.online, .last_seq, .reported_last_seq]' '[true,3,3]'
assert_eq "$before" "$(agent_field team-01 .)" "invalid statuses change nothing"
assert_eq 8 "$(grep -c 'ignored status of team-01' "$WORK/coordinator.log")" "invalid statuses logged at debug"
kill -0 "$COORD_PID" || fail "the coordinator died on invalid statuses"
noack=$(mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -V mqttv5 -q 1 -c -x 600 -i team-01.listen \
  -u team-01 -P "$(cat "$(secret team-01)")" -t "$A/team-01/acks" -C 1 -W 2 2>/dev/null || true)
assert_eq "" "$noack" "no ack in answer to a status"
pass "invalid statuses are ignored"

# The will (as the broker would publish it): offline, the birth's figures kept,
# its since when it arrived.
publish_retained team-01 "$A/team-01/status" "$will1"
expect_agent team-01 '[.online, .pending, .reported_last_seq, .last_seq, .missing]' '[false,2,5,5,"3-4"]'
# An agent known only from its status.
publish_retained team-05 "$A/team-05/status" \
  '{"online":true,"agent_id":"team-05","pending":7,"last_seq":12,"since":"2026-11-22T09:20:00Z"}'
expect_agent team-05 '[.online, .pending, .reported_last_seq, .last_seq, .missing, .missing_count]' \
  '[true,7,12,0,"",0]'

# ---- the whole list, exactly --------------------------------------------------
assert_eq '["team-01","team-02","team-03","team-04","team-05"]' \
  "$(agents_list | jq -c '[.agents[].agent_id]')" "agents sorted by id"
assert_eq '[false,5,"3-4",2,0,2,5,"2026-xw-001"]' \
  "$(agent_field team-01 '[.online, .last_seq, .missing, .missing_count, .seqs_untracked, .pending, .reported_last_seq, .trip_id]')" \
  "team-01 in agents --json"
# The will has no time of its own: offline since the coordinator got it (not
# since the birth's 09:00).
assert_eq true "$(agent_field team-01 '.since == .status_at and (.since | test("^20[0-9-]{8}T[0-9:]{8}[+]08:00$")) and .since != "2026-11-22T09:00:00+08:00"')" \
  "team-01 offline since its will arrived: $(agent_field team-01 '[.since, .status_at]')"
# No status: its trip is that of its latest counted report.
assert_eq '[null,null,null,"2026-xw-001",null]' \
  "$(agent_field team-04 '[.online, .pending, .reported_last_seq, .trip_id, .since]')" \
  "an agent with no status"

# ---- a restart replays the retained statuses: nothing changes ---------------
snapshot=$(agents_list | jq -c '.agents | map(select(.agent_id != "team-02"))')
coordinator_stop
coordinator_start --log-level debug
# A report of team-02 sent after the restart shows when the replay is through.
agent team-02 report headcount --department obgyn --consultations 2 >/dev/null
expect_agent team-02 '[.last_seq, .missing]' '[3,""]'
assert_eq "team-01 offline,team-03 online,team-05 online," \
  "$(sed -n 's/.*debug: agent \(team-[0-9]*\) is \([a-z]*\) (retained)$/\1 \2/p' "$WORK/coordinator.log" | sort | tr '\n' ,)" \
  "the retained statuses were replayed"
assert_eq "$snapshot" "$(agents_list | jq -c '.agents | map(select(.agent_id != "team-02"))')" \
  "retained statuses replayed at subscription change nothing"

# ---- the table and the CLI's errors ---------------------------------------------
"$COORD_BIN" agents --db "$COORD_DB" >"$WORK/agents.txt"
grep -Eq '^agent +status +last seen +last seq +pending +missing seqs$' "$WORK/agents.txt" \
  || { cat "$WORK/agents.txt"; fail "agents table header"; }
grep -Eq '^team-01 +offline +2026-[0-9T:+-]+ +5 +2 +3-4$' "$WORK/agents.txt" \
  || { cat "$WORK/agents.txt"; fail "agents table: team-01"; }
grep -Eq '^team-04 +unknown +2026-[0-9T:+-]+ +9007199254740991 +- +1-9007199254740990$' "$WORK/agents.txt" \
  || { cat "$WORK/agents.txt"; fail "agents table: team-04"; }
grep -Eq '^team-05 +online +2026-[0-9T:+-]+ +0 +7 +none$' "$WORK/agents.txt" \
  || { cat "$WORK/agents.txt"; fail "agents table: team-05"; }
assert_eq 6 "$(wc -l <"$WORK/agents.txt")" "agents table lines"
pass "agents table"

"$COORD_BIN" agents --help | grep -q '^usage: outreach-coordinator agents' || fail "agents --help"
rc=0; "$COORD_BIN" agents --json 2>"$WORK/err.txt" || rc=$?
assert_eq 2 "$rc" "agents without --db"
grep -q -- '--db FILE is required' "$WORK/err.txt" || fail "agents without --db: $(cat "$WORK/err.txt")"
rc=0; "$COORD_BIN" agents --db "$WORK/nowhere.db" 2>"$WORK/err.txt" || rc=$?
assert_eq 1 "$rc" "agents with no store"
grep -q 'no store at' "$WORK/err.txt" || fail "agents with no store: $(cat "$WORK/err.txt")"
rc=0; "$COORD_BIN" agents --db "$COORD_DB" extra 2>/dev/null || rc=$?
assert_eq 2 "$rc" "agents with an extra argument"
pass "agents CLI errors"

coordinator_stop
pass "coordinator stopped cleanly"
echo "$PASSED passed, 0 failed"
