#!/usr/bin/env bash
# volunteers.sh -- registration over MQTT against a real Mosquitto and
# coordinator, with the volunteer client (outreach-agent volunteer): 200
# volunteers race for 10 doctor places; the wait-list follows the order in
# which the coordinator received the requests (seen by an independent
# subscriber); cancellations promote in that order, with notices; the retained
# card matches the store after every step; replies reach only the asker; a
# cancelled trip tells its registrants; check-ins meet registrations and the
# year's staff figure counts each professional once and ignores support.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

N=200 PLACES=10 TRIP=2026-race-001
VOLS=$(for i in $(seq 1 $N); do printf 'vol-%03d ' "$i"; done)
stack_up --volunteers "$VOLS"
DB=$COORD_DB

# vol ID SUBCOMMAND ARGS...: the volunteer client as volunteer ID.
vol() {
  local id=$1; shift
  local sub=$1; shift
  "$AGENT_BIN" volunteer "$sub" --broker "$BROKER_URI" --volunteer-id "$id" \
    --password-file "$(secret "$id")" --timeout 60 "$@"
}

# upsert ID DATE CAPACITY-JSON: a trip through the admin requests.
upsert() {
  local reply
  reply=$(admin_request "$(jq -cn --arg id "$1" --arg date "$2" --argjson cap "$3" \
    '{request_id: ("up-" + $id + "-" + ($cap | tostring)), op: "trip.upsert", trip_id: $id,
      title: ("义诊 " + $id), date: $date,
      site: {code: "site-1", name: "村卫生室", county: "cili", county_name: "慈利县",
             poor_village: true},
      mode: "red_cross", activities: ["clinic"], departments: ["internal"], capacity: $cap}')")
  [ "$(jq -r .ok <<<"$reply")" = true ] || fail "trip.upsert $1 refused: $reply"
}

# store_places TRIP ROLE: {capacity, confirmed, waitlisted, open} from the store.
store_places() {
  local cap conf wait
  cap=$(sqlite3 "$DB" "SELECT COALESCE(json_extract(capacity, '\$.$2'), 0) FROM trips WHERE trip_id = '$1'")
  conf=$(sqlite3 "$DB" "SELECT COUNT(*) FROM registrations WHERE trip_id = '$1' AND role = '$2' AND state = 'confirmed'")
  wait=$(sqlite3 "$DB" "SELECT COUNT(*) FROM registrations WHERE trip_id = '$1' AND role = '$2' AND state = 'waitlisted'")
  jq -cn --argjson c "$cap" --argjson f "$conf" --argjson w "$wait" \
    '{capacity: $c, confirmed: $f, waitlisted: $w, open: ([$c - $f, 0] | max)}'
}

# card_matches TRIP ROLE WANT: the retained card's places equal WANT and the store's.
card_matches() {
  local want=$3 got
  assert_eq "$want" "$(store_places "$1" "$2")" "store places of $2 on $1"
  expect_retained "$ROOT/trips/$1" ".roles.$2" "$want"
}

upsert "$TRIP" 2026-12-05 "{\"doctor\": $PLACES, \"nurse\": 2}"
card_matches "$TRIP" doctor "{\"capacity\":$PLACES,\"confirmed\":0,\"waitlisted\":0,\"open\":$PLACES}"

# ---- profiles: 200 volunteers, 20 clients at a time ---------------------------
mkdir -p "$WORK/out"
pids=()
for i in $(seq 1 $N); do
  id=$(printf 'vol-%03d' "$i")
  vol "$id" profile --name "志愿者 $i" --phone "+86 139 0000 $(printf '%04d' "$i")" \
    --organization 红十字会 --roles doctor,support >"$WORK/out/profile-$id.txt" 2>&1 &
  pids+=($!)
  if [ ${#pids[@]} -ge 20 ]; then
    for p in "${pids[@]}"; do wait "$p" || fail "profile failed: $(cat "$WORK/out/profile-"*.txt | tail -5)"; done
    pids=()
  fi
done
for p in "${pids[@]}"; do wait "$p" || fail "profile failed"; done
assert_eq "$N" "$(sqlite3 "$DB" "SELECT COUNT(*) FROM volunteers")" "profiles stored"
grep -l "139 0000" "$WORK/out/"profile-*.txt && fail "the client printed a phone number back"
pass "the profile replies do not echo phone numbers"

# ---- an independent subscriber records the order the broker delivers requests
# (the coordinator's subscription gets them in the same order) -----------------
mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -V mqttv5 -q 1 -u coordinator -i coordinator.test-order \
  -P "$(cat "$(secret coordinator)")" -t "$ROOT/volunteers/+/requests" -t "$ROOT/test/sentinel" \
  -F '%t %p' >"$WORK/order.txt" 2>"$WORK/order.err" &
MON=$!
track_pid "$MON"
monitor_ready() {
  mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -u coordinator -i coordinator.test-sentinel \
    -P "$(cat "$(secret coordinator)")" -t "$ROOT/test/sentinel" -m ready
  grep -q "sentinel ready" "$WORK/order.txt"
}
wait_until 10 "the order monitor subscribed" monitor_ready

# ---- the race ----------------------------------------------------------------
log "200 volunteers register at once for $PLACES doctor places"
pids=()
for i in $(seq 1 $N); do
  id=$(printf 'vol-%03d' "$i")
  vol "$id" register "$TRIP" --role doctor --json >"$WORK/out/reg-$id.json" 2>"$WORK/out/reg-$id.err" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done
# Exit status: 0 for a place or the wait-list (both are ok:true replies).
bad=0
for i in $(seq 1 $N); do
  id=$(printf 'vol-%03d' "$i")
  jq -e '.ok == true' "$WORK/out/reg-$id.json" >/dev/null 2>&1 || { bad=$((bad + 1)); cat "$WORK/out/reg-$id.err" >&2; }
done
assert_eq 0 "$bad" "every volunteer got an ok reply"
# The order the requests reached the broker's subscribers.
mapfile -t ORDER < <(grep " .*\"trip.register\"" "$WORK/order.txt" | cut -d/ -f4)
assert_eq "$N" "${#ORDER[@]}" "register requests seen by the monitor"
assert_eq "$N" "$(printf '%s\n' "${ORDER[@]}" | sort -u | wc -l)" "one request per volunteer"
wrong=0
for k in $(seq 0 $((N - 1))); do
  id=${ORDER[$k]}
  if [ "$k" -lt "$PLACES" ]; then want='{"state":"confirmed","position":null}'
  else want="{\"state\":\"waitlisted\",\"position\":$((k - PLACES + 1))}"; fi
  got=$(jq -c '{state, position}' "$WORK/out/reg-$id.json")
  [ "$got" = "$want" ] || { wrong=$((wrong + 1)); log "arrival $((k + 1)) $id: got $got, want $want"; }
done
assert_eq 0 "$wrong" "the first $PLACES confirmed, then the wait-list in order of arrival"
assert_eq "$PLACES" "$(cat "$WORK"/out/reg-*.json | jq -s '[.[] | select(.state == "confirmed")] | length')" \
  "exactly $PLACES confirmed"
card_matches "$TRIP" doctor "{\"capacity\":$PLACES,\"confirmed\":$PLACES,\"waitlisted\":$((N - PLACES)),\"open\":0}"
card_matches "$TRIP" nurse '{"capacity":2,"confirmed":0,"waitlisted":0,"open":2}'
/usr/bin/python3 "$SRC_DIR/schemas/check.py" --schema reply "$WORK"/out/reg-*.json >/dev/null \
  || fail "a register reply does not follow schemas/reply.schema.json"
pass "all $N register replies follow the reply schema"
card=$(retained "$ROOT/trips/$TRIP")
printf '%s\n' "$card" >"$WORK/card.json"
/usr/bin/python3 "$SRC_DIR/schemas/check.py" --schema trip-card "$WORK/card.json" >/dev/null \
  || fail "the card does not follow schemas/trip-card.schema.json: $card"
grep -q "139\|志愿者\|vol-0" <<<"$card" && fail "the public card names someone: $card"
pass "the public card holds counts only"

# ---- cancellations promote in order of arrival, with notices ------------------
# Sessions of the volunteers who will be promoted exist since their register
# (the client keeps a persistent session), so the notices wait for them.
for c in 0 1 2; do
  vol "${ORDER[$c]}" cancel "$TRIP" >"$WORK/last.out" 2>&1 || fail "cancel by ${ORDER[$c]}: $(cat "$WORK/last.out")"
  card_matches "$TRIP" doctor "{\"capacity\":$PLACES,\"confirmed\":$PLACES,\"waitlisted\":$((N - PLACES - c - 1)),\"open\":0}"
done
for k in 10 11 12; do
  id=${ORDER[$k]}
  vol "$id" notices --wait 5 >"$WORK/last.out" 2>&1 || fail "notices of $id: $(cat "$WORK/last.out")"
  grep -q "promot.*$TRIP\|$TRIP.*promot" "$WORK/last.out" || fail "no promotion notice for $id: $(cat "$WORK/last.out")"
  state=$(sqlite3 "$DB" "SELECT state FROM registrations WHERE trip_id = '$TRIP' AND volunteer_id = '$id' AND state IN ('confirmed','waitlisted')")
  assert_eq confirmed "$state" "arrival $((k + 1)) ($id) promoted"
done
id=${ORDER[13]}
vol "$id" notices >"$WORK/last.out" 2>&1 || true
grep -q promot "$WORK/last.out" && fail "arrival 14 ($id) was told of a promotion: $(cat "$WORK/last.out")"
vol "$id" list --json >"$WORK/last.out" 2>&1 || fail "list of $id: $(cat "$WORK/last.out")"
assert_eq '[{"state":"waitlisted","position":1}]' \
  "$(jq -c "[.registrations[] | select(.trip_id == \"$TRIP\") | {state, position}]" "$WORK/last.out")" \
  "arrival 14 is now first in line"
# Cancelled and registering again: the back of the line.
vol "${ORDER[0]}" register "$TRIP" --role doctor --json >"$WORK/last.out" 2>&1 || true
assert_eq "{\"state\":\"waitlisted\",\"position\":$((N - PLACES - 3 + 1))}" \
  "$(jq -c '{state, position}' "$WORK/last.out")" "a volunteer who cancelled registers again at the back"
card_matches "$TRIP" doctor "{\"capacity\":$PLACES,\"confirmed\":$PLACES,\"waitlisted\":$((N - PLACES - 2)),\"open\":0}"

# ---- refusals: exit 3 with the code -------------------------------------------
expect_refusal() { # CODE VOL ARGS...
  local code=$1 rc=0; shift
  vol "$@" >"$WORK/last.out" 2>&1 || rc=$?
  assert_eq 3 "$rc" "exit status of a refused '${*:2:2}'"
  grep -q "$code" "$WORK/last.out" || fail "refusal without $code: $(cat "$WORK/last.out")"
}
expect_refusal unknown_trip vol-001 register 2026-nope --role doctor
expect_refusal role_not_in_profile vol-001 register "$TRIP" --role nurse
upsert 2026-race-002 2026-12-05 '{"doctor": 5}'
expect_refusal clash "${ORDER[5]}" register 2026-race-002 --role doctor
grep -q "$TRIP" "$WORK/last.out" || fail "the clash names the trip: $(cat "$WORK/last.out")"

# ---- replies reach only the volunteer who asked -------------------------------
# vol-002 listens on vol-001's replies topic (the ACL refuses it) and on its own.
spy_sub() {
  mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -V mqttv5 -q 1 -c -x 600 -i vol-002.spy \
    -u vol-002 -P "$(cat "$(secret vol-002)")" -t "$ROOT/volunteers/vol-001/replies" \
    -t "$ROOT/volunteers/vol-002/replies" -F '%t %p' "$@"
}
spy_sub -E 2>/dev/null || true
vol vol-001 list --json >/dev/null 2>&1 || fail "vol-001 list"
vol vol-002 list --json >/dev/null 2>&1 || fail "vol-002 list"
got=$(spy_sub -W 5 2>/dev/null || true)
grep -q "vol-002/replies" <<<"$got" || fail "the spy did not even get its own reply: $got"
grep -q "vol-001/replies" <<<"$got" && fail "vol-002 read vol-001's reply: $got"
pass "another volunteer's account cannot read a reply"

# ---- check-ins meet registrations; staff counts people once, not support -----
upsert 2026-race-003 2026-12-20 '{"doctor": 2}'
agent_setup team-01 "$TRIP"
came=${ORDER[3]}
agent team-01 report checkin --staff-id "$came" --role doctor >/dev/null
agent team-01 report checkin --staff-id dr-walkin --role doctor >/dev/null
agent team-01 report checkin --staff-id driver-1 --role support >/dev/null
agent team-01 report checkin --trip 2026-race-003 --staff-id "$came" --role doctor >/dev/null
expect_retained "$ROOT/trips/$TRIP/progress" .attendance \
  "{\"registered\":$PLACES,\"registered_came\":1,\"registered_absent\":$((PLACES - 1)),\"came_unregistered\":2}"
expect_retained "$ROOT/progress/2026" .staff.count 2

# ---- the trip is cancelled: every registrant is told --------------------------
reply=$(admin_request "{\"request_id\":\"cancel-race\",\"op\":\"trip.cancel\",\"trip_id\":\"$TRIP\"}")
assert_eq '"cancelled"' "$(jq -c .status <<<"$reply")" "trip.cancel"
card_matches "$TRIP" doctor "{\"capacity\":$PLACES,\"confirmed\":0,\"waitlisted\":0,\"open\":$PLACES}"
expect_retained "$ROOT/trips/$TRIP" .status '"cancelled"'
assert_eq $((N - 2)) "$(sqlite3 "$DB" "SELECT COUNT(*) FROM registrations WHERE trip_id = '$TRIP' AND state = 'trip_cancelled'")" \
  "registrations marked trip_cancelled (all but the 2 who cancelled)"
for k in 3 150; do
  vol "${ORDER[$k]}" notices --wait 5 >"$WORK/last.out" 2>&1 || true
  grep -q "cancel.*$TRIP\|$TRIP.*cancel" "$WORK/last.out" || fail "no trip_cancelled notice for ${ORDER[$k]}: $(cat "$WORK/last.out")"
done
expect_refusal trip_cancelled vol-001 register "$TRIP" --role doctor
grep -q "139 0000" "$WORK/coordinator.log" && fail "a phone number reached the coordinator's log"
pass "no phone number in the coordinator's log"

coordinator_stop
log "volunteers: $PASSED checks passed"
