#!/usr/bin/env bash
# demo.sh -- one outreach day, end to end, on this machine: builds outreach,
# starts Mosquitto (broker-config/, loopback, free port) and the coordinator,
# creates trips in four counties, lets three volunteers sign up for one (one
# confirmed, one wait-listed then promoted), plays the field teams' devices (consultations
# by department, medicine, referrals, health education, check-ins, one resend
# and one invalid report), starts team-03's agent daemon with the site app (the
# team's phone page) on 127.0.0.1 and a free port and prints its address,
# passcode and QR code, takes that device off the air (a site-silent alert is
# raised) and back (cleared), imports a made-up register of villages and shows
# the poor villages reached, prints the year's progress, writes this month's report
# (xlsx), the year's (HTML) and a DHIS2 data value set into build-demo/demo-files,
# and stops everything.
#   --keep   leave the broker, coordinator and team-03's daemon (with the site
#            app) running until Ctrl-C
set -euo pipefail
cd "$(dirname "$0")/.."
KEEP=0
for a in "$@"; do
  case "$a" in
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown option '$a' (try --help)" >&2; exit 2 ;;
  esac
done

if [ -n "${OUTREACH_DEMO_BUILD_DIR:-}" ]; then # its test (integration_demo): that build
  export OUTREACH_BUILD_DIR=$OUTREACH_DEMO_BUILD_DIR
else
  bash scripts/deps.sh
  echo "== building"
  cmake -S . -B build-demo -DOUTREACH_WERROR=ON -DOUTREACH_TESTS=OFF >/dev/null
  cmake --build build-demo -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
  export OUTREACH_BUILD_DIR=$PWD/build-demo
fi
# Today at the sites (UTC+08:00): trips are dated around it.
export OUTREACH_TODAY=${OUTREACH_TODAY:-$(TZ=Asia/Shanghai date +%F)}
YEAR=${OUTREACH_TODAY%%-*}
day() { date -d "$OUTREACH_TODAY $1 days" +%F; }

source tests/lib/common.sh
source tests/lib/broker.sh
source tests/lib/stack.sh
pass() { :; }
tmpdir_setup
[ "$KEEP" = 1 ] && export KEEP_WORK=1

echo "== accounts, broker and coordinator"
# The broker also serves the pages (web/www) and MQTT over WebSockets.
export BROKER_HTTP_DIR=$PWD/web/www
broker_provision --agents "team-01 team-02 team-03 team-04" --volunteers "vol-01 vol-02 vol-03"
broker_start
on_exit coordinator_stop
# Alerts at once and at any hour, so that the demo shows one: a device of a trip
# of the day that goes off the air (the defaults wait 30 minutes, in working hours).
printf 'alert_offline_min = 0\nalert_work_hours = 00:00-24:00\n' >"$WORK/coordinator.conf"
coordinator_start --config "$WORK/coordinator.conf"
echo "   broker $BROKER_URI (accounts in $ACCOUNTS), store $COORD_DB"
echo "   dashboard:      ${BROKER_WEB_URL}#u=dashboard&p=$(password dashboard)"
echo "   volunteer page: ${BROKER_WEB_URL}volunteer.html#u=vol-01&p=$(password vol-01)"
echo "   (throwaway accounts of this demo; the broker listens on 127.0.0.1 only)"

echo "== the register of villages (a made-up sample: deploy/villages-sample.csv)"
"$COORD_BIN" villages import deploy/villages-sample.csv --broker "$BROKER_URI" \
  --password-file "$(secret admin)" 2>&1 | sed 's/^/   /'

echo "== trips"
trip_upsert "$YEAR-zjj-001" "$(day -300)" yongding 永定区
# Yesterday's trip in 修武县 is at a poor village of the register.
admin_request "$(jq -cn --arg id "$YEAR-xw-002" --arg date "$(day -1)" \
  '{request_id: "demo-up-2", op: "trip.upsert", trip_id: $id, title: "修武县送医下乡",
    date: $date, site: {code: "demo-xw-001", name: "示例东村卫生室", county: "xiuwu",
    county_name: "修武县", township: "示例甲镇", village: "demo-xw-001", poor_village: true},
    mode: "upper_help", activities: ["clinic", "health"],
    departments: ["general", "tcm"], capacity: {doctor: 4, nurse: 2}}')" >/dev/null
trip_upsert "$YEAR-cl-003" "$OUTREACH_TODAY" cili 慈利县
trip_upsert "$YEAR-sz-004" "$(day 14)" sangzhi 桑植县
admin_request "{\"request_id\":\"demo-complete-1\",\"op\":\"trip.complete\",\"trip_id\":\"$YEAR-zjj-001\"}" >/dev/null
for t in "$YEAR-zjj-001" "$YEAR-xw-002" "$YEAR-cl-003" "$YEAR-sz-004"; do
  retained "$ROOT/trips/$t" | jq -r '"   \(.trip_id)  \(.date)  \(.site.county_name) \(.site.name)  \(.status)"'
done

echo "== volunteers sign up for the $YEAR-sz-005 trip in 桑植县 (1 doctor place, 1 nurse place)"
admin_request "$(jq -cn --arg id "$YEAR-sz-005" --arg date "$(day 21)" \
  '{request_id: "demo-up-5", op: "trip.upsert", trip_id: $id, title: "桑植县红十字义诊",
    date: $date, site: {code: "sz-lp-01", name: "澧源镇卫生院", county: "sangzhi",
    county_name: "桑植县", poor_village: true}, mode: "red_cross",
    activities: ["clinic", "health"], departments: ["internal"],
    capacity: {doctor: 1, nurse: 1}}')" >/dev/null
vol() { # VOLUNTEER SUBCOMMAND ARGS...: the volunteer client, as that volunteer
  local id=$1 sub=$2
  shift 2
  "$AGENT_BIN" volunteer "$sub" --broker "$BROKER_URI" --volunteer-id "$id" \
    --password-file "$(secret "$id")" "$@" 2>&1 | sed "s/^/   $id: /" || true
}
vol vol-01 profile --name 王医生 --phone "+86 139 0744 0001" --organization 桑植县人民医院 --roles doctor
vol vol-02 profile --name 李医生 --phone "+86 139 0744 0002" --organization 张家界市人民医院 --roles doctor
vol vol-03 profile --name 赵护士 --phone "+86 139 0744 0003" --organization 红十字会 --roles nurse,support
vol vol-01 register "$YEAR-sz-005" --role doctor
vol vol-02 register "$YEAR-sz-005" --role doctor
vol vol-03 register "$YEAR-sz-005" --role nurse
vol vol-01 cancel "$YEAR-sz-005"
vol vol-02 notices --wait 3
vol vol-02 list
echo "   the public card (counts only):"
retained "$ROOT/trips/$YEAR-sz-005" | jq -c '{trip_id, status, roles}' | sed 's/^/   /'
echo "   the coordinator's roster (phone numbers only here):"
"$COORD_BIN" trip show "$YEAR-sz-005" --db "$COORD_DB" 2>&1 | sed 's/^/   /' || true

report() { # AGENT KIND ARGS...: one report from a team device, and its answer.
  local a=$1 kind=$2 out
  shift 2
  out=$(agent "$a" report "$kind" "$@" 2>&1) || true
  printf '   %-8s %-10s %s\n   %19s-> %s\n' "$a" "$kind" "$*" "" "$(tail -1 <<<"$out")"
}
agent_setup team-01 "$YEAR-zjj-001"
agent_setup team-02 "$YEAR-xw-002"
agent_setup team-03 "$YEAR-cl-003"
agent_setup team-04 "$YEAR-cl-003"

echo "== team-01 syncs late: the 3-hour clinic in 永定区 (600 villagers, ~20,000 CNY of medicine)"
report team-01 headcount --department internal --consultations 260 --female 150 --over-60 120
report team-01 headcount --department surgery --consultations 140 --over-60 60
report team-01 headcount --department obgyn --consultations 120 --female 120
report team-01 headcount --department pediatrics --consultations 80
report team-01 dispense --medicine 阿莫西林胶囊 --quantity 300 --unit box --value 9000
report team-01 dispense --medicine 硝苯地平缓释片 --quantity 200 --unit box --value 11000
report team-01 education --brochures 120 --talks 2 --attendees 150 --topic 高血压防治
report team-01 referral --destination county_hospital --condition cataract --urgency routine --patient-ref YD-0001 --age 71 --sex F
for s in "doc-li doctor" "doc-chen doctor" "nurse-zhao nurse" "pharm-sun pharmacist" "driver-wu support"; do
  set -- $s; report team-01 checkin --staff-id "$1" --role "$2" --organization 张家界市人民医院
done

echo "== team-02 in 修武县, yesterday"
report team-02 headcount --department general --consultations 95 --poor-households 40
report team-02 headcount --department tcm --consultations 35
report team-02 referral --destination township_health_center --condition hypertension --urgency routine --patient-ref XW-0042
report team-02 checkin --staff-id doc-li --role doctor
report team-02 checkin --staff-id hp-qian --role health_promoter

echo "== team-03 and team-04 at today's site in 慈利县"
report team-03 headcount --department ophthalmology --consultations 48 --over-60 40
report team-04 headcount --department dental --consultations 22
report team-03 referral --destination city_hospital --condition cataract --urgency urgent --patient-ref CL-0007 --age 66
report team-04 dispense --medicine 布洛芬 --quantity 40 --unit bottle --value 480.00
report team-03 checkin --staff-id tech-he --role technician
report team-04 headcount --department dental --consultations 10
# The team sees the last headcount was entered twice and cancels it by its entry number.
wrong=$(agent team-04 status --all --json | jq '[.entries[] | select(.kind == "headcount")] | last | .seq')
out=$(agent team-04 void "$wrong" --reason "counted twice by mistake" 2>&1) || true
printf '   %-8s %-10s %s\n   %19s-> %s\n' team-04 void "$wrong --reason 'counted twice by mistake'" "" "$(tail -1 <<<"$out")"

echo "== a device resends a report it never saw acknowledged, and one invalid report"
ack_listen team-03 "$ROOT/agents/team-03/acks"
payload=$(sqlite3 "$WORK/agents/team-03.db" "SELECT payload FROM outbox ORDER BY seq LIMIT 1")
publish_as team-03 "$ROOT/agents/team-03/reports/headcount" "$payload"
publish_as team-03 "$ROOT/agents/team-03/reports/headcount" \
  "$(jq -c '.msg_id = "9c0d5e1a-0000-4000-8000-000000000001" | .seq = 99 | .consultations = 0' <<<"$payload")"
acks_collect team-03 2 | jq -r '"   coordinator: \(.msg_id) \(.status)\(if .code then " (\(.code)): \(.reason)" else "" end)"'

echo "== team-04's device"
agent team-04 status | sed 's/^/   /'

echo "== team-03's device serves the site app: the team's phones sign in with the passcode"
SITE_PORT=$(_pick_port)
printf 'site_listen = 127.0.0.1\nsite_port = %s\nsite_fold_s = 10\n' "$SITE_PORT" >>"$WORK/agents/team-03.conf"
daemon_start team-03
site_up() { curl -s -o /dev/null "http://127.0.0.1:$SITE_PORT/"; }
wait_until 10 "team-03's site app" site_up
# The daemon prints the address, a QR code of it and the passcode it made.
site_banner() { # the daemon's last start (it is started twice)
  awk '/^site app: http/ {b = ""; on = 1} on {b = b "   " $0 "\n"} /^site app passcode/ {on = 0}
       END {printf "%s", b}' "$WORK/daemon-team-03.log"
}
site_banner
echo "   (a phone on the device's Wi-Fi needs site_listen = 0.0.0.0; this demo stays on 127.0.0.1)"

echo "== team-03's device goes off the air during today's clinic, then comes back"
alert_state() { retained "$ROOT/alerts/site_silent.$YEAR-cl-003.team-03" | jq -r .state 2>/dev/null; }
alert_is() { [ "$(alert_state)" = "$1" ]; }
daemon_stop
wait_until 20 "the site-silent alert raised" alert_is open
"$COORD_BIN" alerts --db "$COORD_DB" | sed 's/^/   /'
daemon_start team-03
wait_until 20 "the site-silent alert cleared" alert_is cleared
echo "   back online; retained alerts/site_silent.$YEAR-cl-003.team-03 is now:"
retained "$ROOT/alerts/site_silent.$YEAR-cl-003.team-03" | jq -c '{state, since, cleared_at}' | sed 's/^/   /'
"$COORD_BIN" alerts --db "$COORD_DB" | sed 's/^/   /'

# The retained progress is republished within a second; wait until it has
# caught up with the store before showing it.
want=$("$COORD_BIN" progress --db "$COORD_DB" --json | jq .consultations.count)
caught_up() { [ "$(retained "$ROOT/progress/$YEAR" | jq .consultations.count)" = "$want" ]; }
wait_until 10 "retained progress to catch up" caught_up
echo "== retained $ROOT/progress/$YEAR, as a dashboard sees it"
retained "$ROOT/progress/$YEAR" | jq -c '{consultations, staff}' | sed 's/^/   /'
echo
"$COORD_BIN" progress --db "$COORD_DB" --year "$YEAR"
echo
echo "== poor villages of the register reached this year"
"$COORD_BIN" coverage --db "$COORD_DB" --year "$YEAR" | sed 's/^/   /'
echo

echo "== for the commission: this month's report (xlsx), the year's to print (HTML), DHIS2"
OUT=${OUTREACH_DEMO_OUT:-$OUTREACH_BUILD_DIR/demo-files} # kept after the demo
mkdir -p "$OUT"
MONTH=$((10#$(echo "$OUTREACH_TODAY" | cut -d- -f2)))
"$COORD_BIN" report --db "$COORD_DB" --year "$YEAR" --month "$MONTH" --format xlsx \
  --output "$OUT/report-$YEAR-$MONTH.xlsx"
"$COORD_BIN" report --db "$COORD_DB" --year "$YEAR" --format html --output "$OUT/report-$YEAR.html"
# The example mapping (made-up codes) with the demo's four counties as org units.
jq '.orgUnits = [("yongding", "xiuwu", "cili", "sangzhi") | {county: ., orgUnit: ("DEMO_" + ascii_upcase)}]' \
  docs/dhis2-mapping.example.json >"$OUT/dhis2-mapping.json"
"$COORD_BIN" export --db "$COORD_DB" --format dhis2 --mapping "$OUT/dhis2-mapping.json" \
  --year "$YEAR" --output "$OUT/dhis2-$YEAR.json"
echo "   $OUT/report-$YEAR-$MONTH.xlsx (a worksheet per section), $OUT/report-$YEAR.html"
echo "   $OUT/dhis2-$YEAR.json: $(jq '.dataValues | length' "$OUT/dhis2-$YEAR.json") data values for" \
  "POST /api/dataValueSets?idScheme=code"
echo

if [ "$KEEP" = 1 ]; then
  echo "== running until Ctrl-C: broker $BROKER_URI, accounts in $ACCOUNTS, store $COORD_DB"
  echo "   dashboard:      ${BROKER_WEB_URL}#u=dashboard&p=$(password dashboard)"
  echo "   volunteer page: ${BROKER_WEB_URL}volunteer.html#u=vol-01&p=$(password vol-01)"
  echo "   team-03's site app (agent daemon pid $DAEMON_PID):"
  site_banner
  trap 'exit 0' INT TERM
  while kill -0 "$COORD_PID" 2>/dev/null; do sleep 1; done # poll until stopped
fi
echo "== demo done; stopping team-03's daemon, the coordinator and the broker"
daemon_stop
