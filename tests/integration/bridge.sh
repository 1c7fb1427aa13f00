#!/usr/bin/env bash
# bridge.sh -- sites split across brokers: a regional Mosquitto broker (its own
# accounts for its devices, the site profile of broker-config/render-config.sh)
# bridged to the coordinators' broker by Mosquitto's own bridge, with the
# example configuration of deploy/bridge/ (render-bridge.sh) and a bridge
# account made by provision-accounts.sh --bridges. Field agents report to the
# regional broker only; the coordinator, on the coordinators' broker, acks
# them through the bridge: each report counted exactly once (a resend is
# answered "duplicate"), the trip's figures reach the regional broker, and a
# report entered while the coordinators' broker is down is counted once after
# it comes back. The bridge connects over TLS (the coordinators' broker's TLS
# listener, its CA given with --cafile, the host name checked). The bridge
# account keeps to its rights there (client id, admin requests, the
# coordinator's $share subscription); render-bridge.sh names what is wrong.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

TRIP=2026-xw-001
tmpdir_setup
broker_provision --agents team-09 --bridges bridge-north
export BROKER_TLS=1 # the TLS listener the bridge connects to (kept by broker_restart)
broker_start
on_exit coordinator_stop
coordinator_start
trip_upsert "$TRIP" 2026-11-22 xiuwu 修武县

# ---- the regional broker -----------------------------------------------------
REG=$WORK/regional
mkdir -p "$REG"
"$REPO_ROOT/deploy/provision-accounts.sh" "$REG/accounts" --agents "team-01 team-02" >/dev/null \
  || fail "provision-accounts.sh for the regional broker failed"
reg_pw() { cat "$REG/accounts/secrets/$1.pw"; }

# reg_render PORT: the regional broker's configuration: its own site profile,
# then the bridge section (with a 1 s reconnect delay, for the test).
reg_render() {
  "$REPO_ROOT/broker-config/render-config.sh" --port "$1" --data-dir "$REG/data" \
    --dynsec-file "$REG/accounts/dynsec/dynsec.json" --policy-plugin "$(_broker_policy_plugin)" \
    --log-file "$REG/mosquitto.log" --user "$(id -un)" --out "$REG/site.conf" \
    || fail "render-config.sh for the regional broker failed"
  "$REPO_ROOT/deploy/bridge/render-bridge.sh" --name north --address "localhost:$BROKER_TLS_PORT" \
    --cafile "$BROKER_TLS_CA" --username bridge-north --password-file "$(secret bridge-north)" \
    --restart-timeout 1 --out "$REG/bridge.conf" || fail "render-bridge.sh failed"
  cat "$REG/site.conf" "$REG/bridge.conf" >"$REG/mosquitto.conf"
}
reg_running() { [ -n "${REG_PID:-}" ] && kill -0 "$REG_PID" 2>/dev/null; }
# reg_retained USER TOPIC: the retained message of TOPIC on the regional broker.
reg_retained() {
  mosquitto_sub -h 127.0.0.1 -p "$REG_PORT" -u "$1" -i "$1.test-$RANDOM$RANDOM" -P "$(reg_pw "$1")" \
    -t "$2" -C 1 -W 2 --retained-only 2>/dev/null || true
}
# The coordinator's retained status has come through the bridge: the regional
# broker is up and its bridge connected and subscribed.
reg_bridged() { [ "$(reg_retained team-01 "$ROOT/coordinator/status" | jq -r .online 2>/dev/null)" = true ]; }
reg_up_or_dead() { reg_bridged || ! reg_running; }
reg_dump() { tail -n 40 "$REG/mosquitto.log" "$REG/mosquitto.stderr" >&2 2>/dev/null || true; }

for try in 1 2 3 4 5; do
  REG_PORT=$(_pick_port)
  reg_render "$REG_PORT"
  mosquitto -c "$REG/mosquitto.conf" >>"$REG/mosquitto.stderr" 2>&1 &
  REG_PID=$!
  track_pid "$REG_PID"
  poll_until 20 reg_up_or_dead || { reg_dump; fail "regional broker: no bridged coordinator status within 20 s"; }
  reg_running && break
  grep -q 'Address already in use' "$REG/mosquitto.stderr" "$REG/mosquitto.log" 2>/dev/null \
    || { reg_dump; fail "regional broker exited during start-up"; }
  log "regional port $REG_PORT taken (try $try of 5)"
  : >"$REG/mosquitto.stderr"
done
reg_running || fail "regional broker could not bind a port in 5 tries"
pass "regional broker on port $REG_PORT, bridged: the coordinator's status reached it"
# bridge_connections: how many times the coordinators' broker took the bridge.
bridge_connections() { grep -c "New bridge connected from 127.0.0.1:[0-9]* as bridge-north " "$WORK/mosquitto.log" || true; }
assert_eq 1 "$(bridge_connections)" "bridge connections logged by the coordinators' broker"
pass "the coordinators' broker took the bridge as client id bridge-north"

# ---- agents on the regional broker -------------------------------------------
reg_agent_setup() { # ID
  mkdir -p "$WORK/agents"
  cat >"$WORK/agents/$1.conf" <<CONF
agent_id = $1
broker = tcp://127.0.0.1:$REG_PORT
password_file = $REG/accounts/secrets/$1.pw
outbox = $WORK/agents/$1.db
ack_timeout_s = ${AGENT_ACK_TIMEOUT:-10}
connect_timeout_s = 5
trip = $TRIP
CONF
}
reg_agent_setup team-01
reg_agent_setup team-02
msg_of() { grep -o '[0-9a-f]\{8\}-[0-9a-f-]\{27\}' "$WORK/last.out" | head -1; }
stored_msg() { sqlite3 "$COORD_DB" "SELECT COUNT(*) FROM reports WHERE msg_id = '$1'"; }

agent_accepted team-01 report headcount --department internal --consultations 12
first=$(msg_of)
pass "team-01 on the regional broker: accepted by the coordinator through the bridge"
agent_accepted team-02 report headcount --department surgery --consultations 5
pass "team-02: accepted"
assert_eq 1 "$(stored_msg "$first")" "team-01's report stored once"
pass "team-01's report stored once"

# A resend of the first report (the device never saw the ack), straight onto
# the regional broker: answered "duplicate" through the bridge, counted once.
reg_ack() { # ID [-E | -C N -W S]: team's persistent ack session on the regional broker
  local id=$1
  shift
  timeout 20 mosquitto_sub -h 127.0.0.1 -p "$REG_PORT" -V mqttv5 -q 1 -c -x 600 -i "$id.listen" \
    -u "$id" -P "$(reg_pw "$id")" -t "$ROOT/agents/$id/acks" "$@"
}
reg_ack team-01 -E
payload=$(sqlite3 "$WORK/agents/team-01.db" "SELECT payload FROM outbox WHERE msg_id = '$first'")
[ -n "$payload" ] || fail "no payload for $first in team-01's outbox"
timeout 10 mosquitto_pub -h 127.0.0.1 -p "$REG_PORT" -V mqttv5 -q 1 -u team-01 -i team-01.test-resend \
  -P "$(reg_pw team-01)" -t "$ROOT/agents/team-01/reports/headcount" -m "$payload" \
  || fail "resend on the regional broker failed"
ack=$(reg_ack team-01 -C 1 -W 15) || fail "no ack for the resend within 15 s"
assert_eq "[\"$first\",\"duplicate\"]" "$(jq -c '[.acks[0].msg_id, .acks[0].status]' <<<"$ack")" \
  "the resend's ack, through the bridge"
assert_eq 1 "$(stored_msg "$first")" "team-01's report still stored once"
pass "a resend through the regional broker: answered duplicate, still stored once"

expect_retained "$ROOT/trips/$TRIP/progress" .consultations.count 17
reg_consultations() { reg_retained team-02 "$ROOT/trips/$TRIP/progress" | jq -c .consultations.count 2>/dev/null; }
expect_output 20 "regional broker: trip progress consultations" 17 reg_consultations

# ---- the coordinators' broker away --------------------------------------------
# team-01 reports while the link is down: the regional broker takes it (QoS 1)
# and the bridge queues it; no ack comes, the device keeps it. Once the
# coordinators' broker is back, the bridge reconnects and forwards it (and a
# sync resends it): counted once, whichever copy comes first.
broker_stop
AGENT_ACK_TIMEOUT=2 reg_agent_setup team-01
agent team-01 report headcount --department internal --consultations 3 >"$WORK/last.out" 2>&1 \
  || fail "report while the coordinators' broker is down: $(cat "$WORK/last.out")"
third=$(msg_of)
grep -q '^queued' "$WORK/last.out" || fail "report while the coordinators' broker is down: $(cat "$WORK/last.out")"
pass "report while the coordinators' broker is down: queued on the device"
broker_restart
wait_until 30 "the coordinator back online" coordinator_is_online
bridge_back() { [ "$(bridge_connections)" -ge 2 ]; }
wait_until 30 "the bridge reconnected" bridge_back
pass "the bridge reconnected to the restarted coordinators' broker"
reg_agent_setup team-01
team01_drained() { agent team-01 sync >/dev/null 2>&1 || true; outbox_drained team-01; }
wait_until 40 "team-01's outbox answered" team01_drained
assert_eq 1 "$(stored_msg "$third")" "the report of the outage stored once"
assert_eq 3 "$(sqlite3 "$COORD_DB" "SELECT COUNT(*) FROM reports WHERE trip_id = '$TRIP'")" \
  "reports stored for the trip (one row per msg_id)"
assert_eq 20 "$(sqlite3 "$COORD_DB" "SELECT SUM(consultations) FROM reports WHERE trip_id = '$TRIP'")" \
  "consultations stored"
pass "the report of the outage stored once; 3 reports, 20 consultations stored"
expect_retained "$ROOT/trips/$TRIP/progress" .consultations.count 20
expect_output 20 "regional broker: trip progress consultations after the outage" 20 reg_consultations

# ---- a device's status through the bridge -------------------------------------
# team-02's daemon on the regional broker: its retained birth, and its offline
# status when it stops, reach the coordinator through the bridge.
agent_online() { "$COORD_BIN" agents --db "$COORD_DB" --json | jq -c '.agents[] | select(.agent_id == "team-02") | .online'; }
daemon_start team-02
expect_output 20 "the coordinator sees team-02 (regional) online" true agent_online
daemon_stop
expect_output 20 "the coordinator sees team-02 (regional) offline" false agent_online

# ---- the bridge account's rights on the coordinators' broker ----------------
bpw=$(password bridge-north)
if timeout 10 mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -V mqttv5 -q 1 -u bridge-north -i north \
  -P "$bpw" -t "$ROOT/agents/team-01/status" -m '{}' >"$WORK/last.out" 2>&1; then
  fail "the bridge account connected with client id 'north'"
fi
grep -qi 'not authori' "$WORK/last.out" || fail "client id 'north': $(cat "$WORK/last.out")"
pass "the bridge account is refused a client id that is not bridge-north[.SUFFIX]"
timeout 10 mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -V mqttv5 -q 1 -u bridge-north -i bridge-north.test-adm \
  -P "$bpw" -t "$ROOT/admin/requests" -m '{"request_id":"br1","op":"trip.cancel","trip_id":"'"$TRIP"'"}' \
  >"$WORK/last.out" 2>&1 || true
grep -qi 'not authori' "$WORK/last.out" || fail "bridge account on admin/requests: $(cat "$WORK/last.out")"
pass "the bridge account may not send admin requests"
timeout 10 mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -V mqttv5 -q 1 -r -u bridge-north -i bridge-north.test-prog \
  -P "$bpw" -t "$ROOT/trips/$TRIP/progress" -m '{}' >"$WORK/last.out" 2>&1 || true
grep -qi 'not authori' "$WORK/last.out" || fail "bridge account on trips/+/progress: $(cat "$WORK/last.out")"
pass "the bridge account may not publish the coordinator's figures"
timeout 10 mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -V mqttv5 -q 1 -u bridge-north -i bridge-north.test-dev \
  -P "$bpw" -t "$ROOT/devices/#" -C 1 -W 3 >"$WORK/last.out" 2>&1 || true
grep -qi 'denied\|not authori' "$WORK/last.out" || fail "bridge account on devices/#: $(cat "$WORK/last.out")"
pass "the bridge account may not read devices/#"
timeout 10 mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -V mqttv5 -q 1 -u bridge-north -i bridge-north.test-share \
  -P "$bpw" -t "\$share/g/$ROOT/agents/+/reports/+" -C 1 -W 3 >"$WORK/last.out" 2>&1 || true
grep -qi 'denied\|not authori' "$WORK/last.out" || fail "bridge account on \$share: $(cat "$WORK/last.out")"
pass "the bridge account may not join the coordinator's \$share group"
expect_retained "$ROOT/trips/$TRIP" .status '"planned"'
expect_retained "$ROOT/trips/$TRIP/progress" .consultations.count 20

# ---- render-bridge.sh: what is wrong, named -----------------------------------
RB=$REPO_ROOT/deploy/bridge/render-bridge.sh
expect_exit 2 "$RB" --name north --address "localhost:$BROKER_TLS_PORT" --password-file "$(secret bridge-north)"
grep -q -- '--username is required' "$WORK/err" || fail "no --username: $(err)"
expect_exit 2 "$RB" --name north --address localhost --username bridge-north --password-file "$(secret bridge-north)"
grep -q -- "--address 'localhost' must be HOST:PORT" "$WORK/err" || fail "address without a port: $(err)"
expect_exit 2 "$RB" --name north --address "localhost:$BROKER_TLS_PORT" --username bridge-north \
  --password-file "$WORK/no-such.pw"
grep -q -- "--password-file '$WORK/no-such.pw' is not a readable file" "$WORK/err" || fail "missing secret: $(err)"
expect_exit 0 "$RB" --help
grep -q -- '--cafile CA.crt' "$WORK/out" || fail "--help: $(out)"
assert_eq 600 "$(stat -c %a "$REG/bridge.conf")" "mode of the rendered bridge section (it holds the password)"
pass "the rendered bridge section is 0600"

coordinator_stop
kill -TERM "$REG_PID" 2>/dev/null || true
poll_until 10 _none_alive "$REG_PID" || fail "regional broker ignored SIGTERM for 10 s"
wait "$REG_PID" 2>/dev/null || true
echo "bridge: $PASSED checks passed"
