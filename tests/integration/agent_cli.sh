#!/usr/bin/env bash
# agent_cli.sh -- the field agent's command line as a site team uses it,
# against a real Mosquitto and coordinator: trip cards reach the outbox
# through sync and through the daemon (a new card, a cancelled one, a removed
# one, an invalid one ignored); `report` takes 内科 and Internal; a report for
# a trip the device does not know, or one that is cancelled, is refused before
# it is saved, and --force-trip saves it; `void N` by the entry's number and
# the totals drop; what `void` refuses; `status` says what each entry held.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

stack_up --agents "team-01 team-02"

TODAY=$OUTREACH_TODAY # 2026-11-22, the site's today for the agent too
T1=2026-xw-201        # today
T2=2026-xw-202        # today, cancelled
T3=2026-xw-203        # another day
T4=2026-xw-204        # created after the device's last sync
P="$ROOT/progress/2026"

admin() { "$COORD_BIN" trip "$@" --broker "$BROKER_URI" --password-file "$(secret admin)" >/dev/null; }
# cards ID: the trip cards in agent ID's outbox, "trip_id:status" by trip_id.
cards() { sqlite3 "$WORK/agents/$1.db" "SELECT trip_id || ':' || status FROM trips ORDER BY trip_id" | tr '\n' ' '; }
cards_are() { [ "$(cards "$1")" = "$2" ]; }
entries() { sqlite3 "$WORK/agents/$1.db" "SELECT COUNT(*) FROM outbox"; }

trip_upsert "$T1" "$TODAY" xiuwu 修武县
trip_upsert "$T2" "$TODAY" wuzhi 武陟县
trip_upsert "$T3" 2026-11-25 boai 博爱县
admin cancel "$T2" --reason "山路塌方"
agent_setup team-01 "$T1"
agent_setup team-02 "$T1"

# ---- a device that never connected saves as before, and says so ------------
expect_exit 0 agent team-02 report headcount --offline --department 内科 --consultations 1
grep -q "no trip cards yet" "$WORK/err" || fail "no note without cards: $(err)"
assert_eq 1 "$(entries team-02)" "saved without cards"
pass "no trip cards: saved with a note"

# ---- names in Chinese or English; unknown ones refused naming the field -----
expect_exit 2 agent team-01 report headcount --department 心科 --consultations 1 --offline
grep -q -- "--department: '心科' is not a department (科室); use one of: internal 内科 Internal medicine, surgery 外科 Surgery" "$WORK/err" \
  || fail "unknown department: $(err)"
expect_exit 2 agent team-01 report referral --destination hospital --condition x --urgency 急 --patient-ref P-1 --offline
grep -q "county_hospital 县医院 County hospital" "$WORK/err" || fail "unknown destination: $(err)"
[ ! -e "$WORK/agents/team-01.db" ] || assert_eq 0 "$(entries team-01)" "refused names save nothing"

# ---- trip cards through sync ------------------------------------------------
expect_exit 0 agent team-01 sync
grep -q "sync: 3 trip cards on this device" "$WORK/out" || fail "sync: $(out)"
assert_eq "$T1:planned $T2:cancelled $T3:planned " "$(cards team-01)" "cards after sync"

# ---- reports with 内科 and Internal are accepted and counted ----------------
agent_accepted team-01 report headcount --department 内科 --consultations 12 --female 5
grep -q "saved headcount report #1 .* for trip $T1: headcount 内科 internal 12 consultations (female 5)" "$WORK/last.out" \
  || fail "report 内科: $(cat "$WORK/last.out")"
agent_accepted team-01 report headcount --department Internal --consultations 7
agent_accepted team-01 report referral --destination 县医院 --condition cataract --urgency 常规 \
  --patient-ref P-0042 --age 71 --sex 女
agent_accepted team-01 report checkin --staff-id dr-wang-01 --role 医生
expect_retained "$P" .consultations.count 19
expect_retained "$P" .referrals.by_destination.county_hospital 1
expect_retained "$P" .staff.count 1

# ---- an unknown or cancelled trip is refused before saving ------------------
admin create --id "$T4" --title "义诊 $T4" --date "$TODAY" --site-code s4 --site-name 村卫生室 \
  --county xiuwu --county-name 修武县 --mode upper_help --activities clinic \
  --departments internal,surgery --capacity doctor=2
before=$(entries team-01)
expect_exit 3 agent team-01 report headcount --trip "$T4" --department 外科 --consultations 40
grep -q "unknown trip '$T4': this device has no trip card for it; nothing was saved" "$WORK/err" || fail "unknown trip: $(err)"
grep -q "trips today ($TODAY) this device knows:" "$WORK/err" || fail "no list of today's trips: $(err)"
grep -q "^    $T1 义诊 $T1 ($TODAY, 修武县 村卫生室)$" "$WORK/err" || fail "today's trip not listed: $(err)"
grep -q "^    $T2 .*cancelled)$" "$WORK/err" || fail "cancelled trip not listed as such: $(err)"
! grep -q "$T3" "$WORK/err" || fail "another day's trip listed: $(err)"
grep -q -- "--force-trip" "$WORK/err" || fail "no hint of --force-trip: $(err)"
assert_eq "$before" "$(entries team-01)" "an unknown trip saves nothing"
expect_exit 3 agent team-01 report headcount --trip 2026-xw-999 --department 外科 --consultations 40 --offline
assert_eq "$before" "$(entries team-01)" "refused offline too"
expect_exit 3 agent team-01 report education --trip "$T2" --brochures 10
grep -q "trip $T2 is cancelled (its trip card says so); nothing was saved" "$WORK/err" || fail "cancelled trip: $(err)"
expect_exit 3 agent team-01 report education --trip "$T2" --brochures 10 --force-trip
assert_eq "$before" "$(entries team-01)" "a cancelled trip saves nothing, even forced"
expect_exit 0 agent team-01 report headcount --trip "$T4" --department 外科 --consultations 40 --force-trip
grep -q "^accepted" "$WORK/out" || fail "forced report: $(out)"
grep -q "not among this device's 3 trip cards; saved anyway (--force-trip)" "$WORK/err" || fail "force note: $(err)"
assert_eq $((before + 1)) "$(entries team-01)" "forced report saved"
expect_retained "$P" .consultations.count 59

# ---- trip cards through the daemon ------------------------------------------
daemon_start team-01
wait_until 10 "the daemon's cards" cards_are team-01 "$T1:planned $T2:cancelled $T3:planned $T4:planned "
admin cancel "$T3" --reason "暴雨"
wait_until 10 "a cancelled card" cards_are team-01 "$T1:planned $T2:cancelled $T3:cancelled $T4:planned "
pass "the daemon keeps the cards up to date"
# A card removed from the broker (empty retained message) leaves the device;
# an invalid one is ignored.
card=$(retained "$ROOT/trips/$T1" | jq -c '.trip_id = "2026-xw-fake"')
mqtt_pub coordinator -V mqttv5 -q 1 -r -t "$ROOT/trips/2026-xw-fake" -m "$card"
wait_until 10 "a new card" cards_are team-01 "$T1:planned $T2:cancelled $T3:cancelled $T4:planned 2026-xw-fake:planned "
mqtt_pub coordinator -V mqttv5 -q 1 -r -t "$ROOT/trips/2026-xw-bad" -m '{"trip_id":"2026-xw-bad","title":""}'
mqtt_pub coordinator -V mqttv5 -q 1 -r -t "$ROOT/trips/2026-xw-fake" -n
wait_until 10 "a removed card" cards_are team-01 "$T1:planned $T2:cancelled $T3:cancelled $T4:planned "
wait_until 5 "the invalid card logged" grep -q "ignored the trip card of 2026-xw-bad: field 'title'" "$WORK/daemon-team-01.log"
mqtt_pub coordinator -V mqttv5 -q 1 -r -t "$ROOT/trips/2026-xw-bad" -n
pass "removed and invalid cards"

# ---- void N ---------------------------------------------------------------
agent team-01 void 2 --reason "entered twice" >"$WORK/last.out" 2>&1 || fail "void 2: $(cat "$WORK/last.out")"
grep -q "^cancelling entry #2: headcount 内科 internal 7 consultations$" "$WORK/last.out" || fail "void 2: $(cat "$WORK/last.out")"
grep -q "^accepted" "$WORK/last.out" || fail "void 2 not accepted: $(cat "$WORK/last.out")"
expect_retained "$P" .consultations.count 52
n=$(entries team-01)
expect_exit 3 agent team-01 void 2 --reason again
assert_eq "outreach-agent: entry #2 is already cancelled by entry #$n; nothing was saved" "$(err)" "void twice"
expect_exit 3 agent team-01 void "$n" --reason again
assert_eq "outreach-agent: entry #$n is itself a void; a void cannot be voided; nothing was saved" "$(err)" "void a void"
expect_exit 3 agent team-01 void 99 --reason x
assert_eq "outreach-agent: no entry #99 in this outbox (its entries are #1 to #$n; see 'outreach-agent status --all'); nothing was saved" "$(err)" "void a missing entry"
expect_exit 2 agent team-01 void 1
grep -q -- "--reason is required" "$WORK/err" || fail "void without reason: $(err)"
expect_exit 2 agent team-01 void abc --reason x
expect_exit 0 agent team-01 void --help
assert_eq "$n" "$(entries team-01)" "refused voids save nothing"
expect_retained "$P" .consultations.count 52

# ---- status says what each entry contained ----------------------------------
expect_exit 0 agent team-01 status --all
for line in \
  "  #1     headcount 内科 internal 12 consultations (female 5) | trip $T1 | accepted" \
  "  #2     headcount 内科 internal 7 consultations | trip $T1 | accepted, cancelled by #$n" \
  "  #3     referral cataract → 县医院 county_hospital, 常规 routine, patient P-0042, age 71, F | trip $T1 | accepted" \
  "  #4     checkin dr-wang-01 医生 doctor | trip $T1 | accepted" \
  "  #5     headcount 外科 surgery 40 consultations | trip $T4 | accepted" \
  "  #$n     void of #2: entered twice | trip $T1 | accepted"; do
  grep -qxF "$line" "$WORK/out" || fail "status --all lacks '$line': $(out)"
done
grep -q '^  accepted                   6$' "$WORK/out" || fail "status summary: $(out)"
grep -q "^    $T4 " "$WORK/out" || fail "status lists today's trips: $(out)"
pass "status --all shows every entry in words"
expect_exit 0 agent team-01 status --json
assert_eq '6 6 "headcount 内科 internal 7 consultations" 6 0 4' \
  "$(jq -r '[.counts.accepted, (.entries | length), (.entries[1].summary | tojson),
            .entries[1].voided_by, .counts.pending, .trip_cards] | map(tostring) | join(" ")' "$WORK/out")" "status --json"
daemon_stop
coordinator_stop
echo "1..$PASSED"
