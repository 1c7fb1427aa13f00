#!/usr/bin/env bash
# pg_volunteers.sh -- 200 volunteers race for 10 doctor places, their
# requests spread over two coordinators sharing one PostgreSQL store (issue
# 14), against a real Mosquitto and a real PostgreSQL: exactly 10 confirmed,
# and the wait-list is one order with no gaps or repeats. "First" is defined
# by the database: registrations are written one at a time (the store's
# write lock), each with the next id, and the places and the wait-list follow
# the ids: the 10 lowest ids are confirmed, the others wait in id order, and
# every volunteer's reply says the state and position the store holds. The two
# coordinators start at once on the empty database: the schema's migration
# runs once (its advisory lock).
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"
source "$(dirname "$0")/../lib/pg.sh"
source "$(dirname "$0")/../lib/pgcluster.sh"

N=200 PLACES=10 TRIP=2026-pg-race
VOLS=$(for i in $(seq 1 $N); do printf 'vol-%03d ' "$i"; done)
tmpdir_setup
pg_start
broker_provision --agents team-01 --volunteers "$VOLS"
broker_start
# both started at once on the empty database: one runs the migrations, the
# other waits for their lock, then finds nothing to do
coord_launch a
coord_launch b
coord_wait a
coord_wait b
assert_eq "1" "$(pg_sql "SELECT string_agg(CAST(version AS TEXT), ',') FROM schema_migrations")" \
  "schema_migrations after two coordinators started at once"
applied=$(cat "$WORK/coord-a.log" "$WORK/coord-b.log" | grep -c 'schema migration 1 of 1 applied' || true)
assert_eq 1 "$applied" "the migration applied once"
pass "two coordinators started at once on an empty database: the migration ran once"
reply=$(admin_request "$(jq -cn --arg id "$TRIP" '{request_id: "up-race", op: "trip.upsert",
  trip_id: $id, title: "义诊", date: "2026-12-05",
  site: {code: "site-1", name: "村卫生室", county: "cili", county_name: "慈利县", poor_village: true},
  mode: "red_cross", activities: ["clinic"], departments: ["internal"], capacity: {doctor: 10}}')")
[ "$(jq -r .ok <<<"$reply")" = true ] || fail "trip.upsert refused: $reply"

vol() { # ID SUBCOMMAND ARGS...: the volunteer client as volunteer ID
  local id=$1 sub=$2
  shift 2
  "$AGENT_BIN" volunteer "$sub" --broker "$BROKER_URI" --volunteer-id "$id" \
    --password-file "$(secret "$id")" --timeout 60 "$@"
}
mkdir -p "$WORK/out"
run_all() { # SUBCOMMAND ARGS...: every volunteer at once, 50 clients at a time
  local i id pids=()
  for i in $(seq 1 $N); do
    id=$(printf 'vol-%03d' "$i")
    vol "$id" "$@" >"$WORK/out/$1-$id.json" 2>"$WORK/out/$1-$id.err" &
    pids+=($!)
    if [ ${#pids[@]} -ge 50 ] && [ "$1" != register ]; then
      for p in "${pids[@]}"; do wait "$p" || true; done
      pids=()
    fi
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
}
run_all profile --name 志愿者 --phone "+86 139 0000 0000" --organization 红十字会 --roles doctor
assert_eq "$N" "$(pg_sql "SELECT COUNT(*) FROM volunteers")" "profiles stored"

# ---- the race: all 200 at once, both coordinators answering ---------------------
run_all register "$TRIP" --role doctor --json
bad=$(for i in $(seq 1 $N); do jq -e '.ok == true' "$WORK/out/register-$(printf 'vol-%03d' "$i").json" >/dev/null 2>&1 || echo x; done | wc -l)
assert_eq 0 "$bad" "every volunteer got an ok reply"
assert_eq "$PLACES" "$(pg_sql "SELECT COUNT(*) FROM registrations WHERE state = 'confirmed'")" "confirmed"
assert_eq $((N - PLACES)) "$(pg_sql "SELECT COUNT(*) FROM registrations WHERE state = 'waitlisted'")" "wait-listed"
assert_eq "$N" "$(pg_sql "SELECT COUNT(DISTINCT volunteer_id) FROM registrations")" "one registration each"
# the store's order: by id; the first 10 confirmed, then positions 1..190
pg_sql "SELECT volunteer_id || ' ' || state || ' ' || CASE WHEN state = 'waitlisted'
          THEN CAST(ROW_NUMBER() OVER (PARTITION BY state ORDER BY id) AS TEXT) ELSE '-' END
        FROM registrations ORDER BY id" >"$WORK/store-order.txt"
[ "$(head -n $PLACES "$WORK/store-order.txt" | awk '$2 == "confirmed"' | wc -l)" = $PLACES ] ||
  fail "the $PLACES lowest ids are not the confirmed ones: $(head -12 "$WORK/store-order.txt")"
tail -n +$((PLACES + 1)) "$WORK/store-order.txt" | awk '{print $3}' >"$WORK/positions.txt"
seq 1 $((N - PLACES)) | cmp -s - "$WORK/positions.txt" || fail "the wait-list positions are not 1..$((N - PLACES)) in id order"
pass "exactly $PLACES confirmed, the wait-list 1..$((N - PLACES)) in the order of the registrations' ids"
wrong=0
while read -r id state pos; do
  [ "$pos" = - ] && pos=null
  got=$(jq -c '{state, position}' "$WORK/out/register-$id.json")
  [ "$got" = "{\"state\":\"$state\",\"position\":$pos}" ] || { wrong=$((wrong + 1)); log "$id: reply $got, store $state $pos"; }
done <"$WORK/store-order.txt"
assert_eq 0 "$wrong" "replies that differ from the store"
pass "every reply says the state and position the store holds"
ra=$(grep -c "trip $TRIP: vol-[0-9]* registered as doctor" "$WORK/coord-a.log" || true)
rb=$(grep -c "trip $TRIP: vol-[0-9]* registered as doctor" "$WORK/coord-b.log" || true)
assert_eq "$N" $((ra + rb)) "registrations handled by a and b"
[ "$ra" -gt 0 ] && [ "$rb" -gt 0 ] || fail "the requests were not spread: a $ra, b $rb"
pass "the requests were spread over both coordinators: a $ra, b $rb"
# ---- one request_id, sent twice at once: answered once, whichever coordinator -
TRIP2=2026-pg-again
reply=$(admin_request "$(jq -cn --arg id "$TRIP2" '{request_id: "up-again", op: "trip.upsert",
  trip_id: $id, title: "义诊", date: "2026-12-12",
  site: {code: "site-2", name: "村卫生室", county: "cili", county_name: "慈利县", poor_village: true},
  mode: "red_cross", activities: ["clinic"], departments: ["internal"], capacity: {doctor: 1}}')")
[ "$(jq -r .ok <<<"$reply")" = true ] || fail "trip.upsert refused: $reply"
for id in vol-001 vol-002 vol-003; do # their replies, both of each
  # -d: its SUBACK says it is subscribed (stdbuf: each line at once)
  stdbuf -oL mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -V mqttv5 -q 1 -u "$id" -d \
    -i "$id.test-replies" -P "$(cat "$(secret "$id")")" -t "$ROOT/volunteers/$id/replies" \
    -C 2 -W 60 -F '%p' >"$WORK/again-$id.log" 2>&1 &
  track_pid "$!"
  printf '%s\n' "$!" >"$WORK/again-$id.pid"
done
subs_up() { [ "$(cat "$WORK"/again-vol-00[123].log | grep -c SUBACK)" = 3 ]; }
wait_until 10 "the reply subscribers" subs_up
pids=()
for i in $(seq 1 20); do
  id=$(printf 'vol-%03d' "$i")
  body=$(jq -cn --arg t "$TRIP2" --arg r "again-$id" '{request_id: $r, op: "trip.register", trip_id: $t, role: "doctor"}')
  publish_as "$id" "$ROOT/volunteers/$id/requests" "$body" & pids+=($!)
  publish_as "$id" "$ROOT/volunteers/$id/requests" "$body" & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a request not published"; done
for id in vol-001 vol-002 vol-003; do
  wait "$(cat "$WORK/again-$id.pid")" 2>/dev/null || true
  grep '^{' "$WORK/again-$id.log" >"$WORK/again-$id.txt" || true
  assert_eq 2 "$(wc -l <"$WORK/again-$id.txt")" "replies to $id's request sent twice"
  assert_eq 1 "$(sort -u "$WORK/again-$id.txt" | wc -l)" "the two replies to $id are one reply"
done
assert_eq 20 "$(pg_sql "SELECT COUNT(*) FROM registrations WHERE trip_id = '$TRIP2'")" \
  "registrations on $TRIP2 (20 volunteers, each request sent twice)"
assert_eq 1 "$(pg_sql "SELECT COUNT(*) FROM registrations WHERE trip_id = '$TRIP2' AND state = 'confirmed'")" \
  "confirmed on $TRIP2 (one place)"
pass "a request_id sent twice at once is answered once, with one reply, whichever coordinator"

expect_retained "$ROOT/trips/$TRIP" ".roles.doctor" "{\"capacity\":$PLACES,\"confirmed\":$PLACES,\"waitlisted\":$((N - PLACES)),\"open\":0}"
pass "the retained card (the leader's) matches"
coords_stop
coord_logs_clean
