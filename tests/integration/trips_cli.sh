#!/usr/bin/env bash
# trips_cli.sh -- the coordinator's trip commands against a real Mosquitto and
# coordinator: `trip create` with flags and with --json FILE (checked locally
# first), `trips` and `trip show` read back from the store, a request the
# coordinator refuses, `trip cancel`, the retained trip card, and the exit
# statuses (0 done, 2 invalid input, 3 refused, 1 no reply / no broker).
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

stack_up
TRIP=2026-xw-101

# coord ARGS...: the coordinator's CLI; admin ARGS...: a trip request as admin.
coord() { "$COORD_BIN" "$@"; }
admin() { coord trip "$@" --broker "$BROKER_URI" --password-file "$(secret admin)"; }

trips_json() { coord trips --db "$COORD_DB" --json "$@"; }

# ---- usage and invalid input: nothing is sent --------------------------------
expect_exit 0 coord trip --help
grep -q '^usage: outreach-coordinator trip show ID' "$WORK/out" || fail "trip --help: $(out)"
expect_exit 0 coord trip create --help
expect_exit 0 coord trips --help
expect_exit 2 coord trip frobnicate
expect_exit 2 coord trips --db "$COORD_DB" --year 26
expect_exit 1 coord trips --db "$WORK/no-such.db"
[ ! -e "$WORK/no-such.db" ] || fail "trips created a store at a mistyped --db"
assert_eq "outreach-coordinator: no store at $WORK/no-such.db" "$(err)" "missing store message"

create_flags=(--id "$TRIP" --title "义诊 修武县" --date 2026-12-01 --end-date 2026-12-02
  --site-code xw-cun-01 --site-name 村卫生室 --county xiuwu --county-name 修武县
  --township 郇封镇 --poor-village --mode upper_help --activities "clinic,health"
  --departments "internal,surgery" --capacity "doctor=4,nurse=2")
expect_exit 2 admin create "${create_flags[@]}" --date 2026-02-30
assert_eq "outreach-coordinator: invalid request (schema): field 'date' must be a date YYYY-MM-DD: February 2026 has 28 days: 2026-02-30 is not a day of it (--date)" \
  "$(err)" "a bad date is refused locally, naming the flag"
expect_exit 2 admin create "${create_flags[@]}" --end-date 2026-11-30
grep -q "end_date.*(--end-date)" "$WORK/err" || fail "end before start: $(err)"
expect_exit 2 admin create "${create_flags[@]}" --capacity doctor=4,surgeon=1
assert_eq "outreach-coordinator: invalid request (schema): capacity: unknown role 'surgeon' (doctor, nurse, pharmacist, technician, health_promoter, support) (--capacity)" \
  "$(err)" "an unknown role"
expect_exit 2 admin create "${create_flags[@]}" --capacity doctor
expect_exit 2 admin create "${create_flags[@]}" --activities clinic,sightseeing
expect_exit 2 admin create --id "$TRIP" --title x
grep -q "field 'date' is required (--date)" "$WORK/err" || fail "a missing flag: $(err)"
expect_exit 2 admin create --json "$WORK/missing.json"
expect_exit 2 admin create --json "$WORK/missing.json" --title x
assert_eq "[]" "$(trips_json | jq -c .)" "nothing was sent"

# ---- create with flags ------------------------------------------------------
expect_exit 0 admin create "${create_flags[@]}" --request-id create-1
assert_eq "trip $TRIP: planned" "$(out)" "create prints the trip's status"
assert_eq '[{"trip_id":"2026-xw-101","title":"义诊 修武县","date":"2026-12-01","end_date":"2026-12-02","county":"xiuwu","county_name":"修武县","status":"planned","roles":{"doctor":{"capacity":4,"confirmed":0,"waitlisted":0,"open":4},"nurse":{"capacity":2,"confirmed":0,"waitlisted":0,"open":2}}}]' \
  "$(trips_json | jq -c .)" "trips --json after create"
assert_eq "1 0" "$(trips_json --year 2026 | jq length) $(trips_json --year 2025 | jq length)" "--year"
expect_exit 0 coord trips --db "$COORD_DB"
assert_eq "2026-xw-101  2026-12-01–2026-12-02  修武县  义诊 修武县  planned  doctor 0/4, nurse 0/2" \
  "$(out | sed -n 2p)" "trips table row"
expect_retained "$ROOT/trips/$TRIP" '[.title, .status, .capacity, .site.poor_village, .site.township]' \
  '["义诊 修武县","planned",{"doctor":4,"nurse":2},true,"郇封镇"]'

# The same request id again: the first reply, no second effect.
expect_exit 0 admin create "${create_flags[@]}" --capacity doctor=9 --request-id create-1
assert_eq 4 "$(trips_json | jq '.[0].roles.doctor.capacity')" "a repeated request id changes nothing"

# ---- edit with --json FILE (request_id and op are added) ---------------------
jq -n '{trip_id: "2026-xw-101", title: "义诊 修武县 (两天)", date: "2026-12-01",
  end_date: "2026-12-02",
  site: {code: "xw-cun-01", name: "村卫生室", county: "xiuwu", county_name: "修武县",
         township: "郇封镇", poor_village: true},
  mode: "upper_help", activities: ["clinic", "health"], departments: ["internal"],
  capacity: {doctor: 5, nurse: 2, pharmacist: 1}}' >"$WORK/trip.json"
expect_exit 0 admin create --json "$WORK/trip.json"
assert_eq '["义诊 修武县 (两天)",{"doctor":{"capacity":5,"confirmed":0,"waitlisted":0,"open":5},"nurse":{"capacity":2,"confirmed":0,"waitlisted":0,"open":2},"pharmacist":{"capacity":1,"confirmed":0,"waitlisted":0,"open":1}}]' \
  "$(trips_json | jq -c '.[0] | [.title, .roles]')" "trips --json after the edit"
expect_retained "$ROOT/trips/$TRIP" .capacity '{"doctor":5,"nurse":2,"pharmacist":1}'
jq '.capacity.doctor = 2000' "$WORK/trip.json" >"$WORK/bad.json"
expect_exit 2 admin create --json "$WORK/bad.json"
assert_eq "outreach-coordinator: invalid request (schema): capacity: field 'doctor' must be from 0 to 1000 (got 2000)" \
  "$(err)" "--json FILE is checked with the coordinator's rules"

# ---- trip show without registrations: the trip and an empty roster ----------
expect_exit 0 coord trip show "$TRIP" --db "$COORD_DB"
cat >"$WORK/want" <<'EOF'
Trip 2026-xw-101: 义诊 修武县 (两天)
  Date:         2026-12-01–2026-12-02
  Site:         村卫生室 (xw-cun-01), 郇封镇, 修武县 (xiuwu), poor village
  Mode:         upper_help
  Activities:   clinic, health
  Departments:  internal
  Status:       planned
  Places:       doctor 0/5, nurse 0/2, pharmacist 0/1

Roster
  doctor: 0 of 5 places confirmed
    no registrations
  nurse: 0 of 2 places confirmed
    no registrations
  pharmacist: 0 of 1 place confirmed
    no registrations

Came without registering: none

Attendance: 0 registered and came, 0 registered but absent, 0 came unregistered
EOF
diff -u "$WORK/want" "$WORK/out" >&2 || fail "trip show text"
pass "trip show: the trip and an empty roster"
expect_exit 0 coord trip show "$TRIP" --db "$COORD_DB" --json
assert_eq '["2026-xw-101","planned",{"doctor":{"confirmed":[],"waitlisted":[],"cancelled":[]},"nurse":{"confirmed":[],"waitlisted":[],"cancelled":[]},"pharmacist":{"confirmed":[],"waitlisted":[],"cancelled":[]}},[],{"registered_and_came":0,"registered_but_absent":0,"came_unregistered":0}]' \
  "$(out | jq -c '[.trip_id, .status, .roster, .walkins, .attendance]')" "trip show --json"
expect_exit 1 coord trip show 2026-zz-404 --db "$COORD_DB"
assert_eq "outreach-coordinator: no trip 2026-zz-404 in $COORD_DB" "$(err)" "unknown trip"
expect_exit 2 coord trip show --db "$COORD_DB"

# ---- refused by the coordinator -----------------------------------------------
expect_exit 3 admin complete 2026-zz-404
assert_eq "refused (unknown_trip): no trip 2026-zz-404" "$(err)" "completing an unknown trip"

# ---- cancel ------------------------------------------------------------------
expect_exit 0 admin cancel "$TRIP" --reason "山路塌方"
assert_eq "trip $TRIP: cancelled" "$(out)" "cancel prints the new status"
assert_eq '"cancelled"' "$(trips_json | jq -c '.[0].status')" "trips --json after cancel"
expect_retained "$ROOT/trips/$TRIP" .status '"cancelled"'
expect_exit 3 admin complete "$TRIP"
assert_eq "refused (conflict): trip $TRIP is cancelled and cannot become completed" "$(err)" \
  "completing a cancelled trip"
expect_exit 3 admin create "${create_flags[@]}"
assert_eq "refused (conflict): trip $TRIP is cancelled and cannot be changed" "$(err)" \
  "changing a cancelled trip"
expect_exit 0 coord trip show "$TRIP" --db "$COORD_DB"
grep -qx '  Status:       cancelled' "$WORK/out" || fail "trip show after cancel: $(out)"

# ---- no broker, wrong password, no coordinator: exit 1 ------------------------
expect_exit 1 coord trip complete "$TRIP" --broker tcp://127.0.0.1:1 --timeout 2
grep -q "cannot connect to the broker at tcp://127.0.0.1:1" "$WORK/err" || fail "no broker: $(err)"
echo wrong >"$WORK/wrong.pw"
expect_exit 1 coord trip complete "$TRIP" --broker "$BROKER_URI" --password-file "$WORK/wrong.pw" --timeout 2
coordinator_stop
expect_exit 1 admin complete "$TRIP" --timeout 2
assert_eq "outreach-coordinator: no reply from the coordinator within 2 s (is outreach-coordinator run going?)" \
  "$(err)" "no coordinator"

echo "trips_cli: all $PASSED checks passed"
