#!/usr/bin/env bash
# Proves every rule of the generated ACL against a real broker: for each rule an
# allowed case that is delivered and a denied case that is not.
#
# How "not delivered" is made deterministic: observers (mosquitto_sub, MQTT 5,
# QoS 1) run for the whole test, each confirmed subscribed by a probe. A case
# publishes one uniquely marked message with QoS 1 and waits for mosquitto_pub
# to exit (the broker has routed it by then), then publishes a sentinel every
# observer concerned can read and waits until each has printed it. A broker
# keeps the order of the messages it sends to one subscriber, so a message that
# is not in the output before the sentinel was never delivered.
# "coord" (the coordinator on outreach/v1/#) sees every message the broker
# accepted under the root, so it is the witness that a publish was refused;
# a refused QoS 1 publish also gets "Not authorized" in its MQTT 5 PUBACK.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../lib/broker.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/broker.sh"

R=outreach/v1
STEP_TIMEOUT=5      # s, for one sentinel or probe to come through
OBS_LIFETIME=300    # s, mosquitto_sub -W for the observers
PASSED=0
FAILED=0
FAILURES=()
CASE_N=0
SYNC_N=0
TAG=$$

tmpdir_setup
broker_provision
broker_start
GROUP=$(<"$ACCOUNTS/secrets/share-group")
log "broker on $BROKER_URI, work dir $WORK"

# ---- observers ---------------------------------------------------------------
declare -A OBS_FILE=() OBS_SYNC_USER=() OBS_SYNC_TOPIC=()
OBS_NAMES=()

# obs_start NAME USER SYNC_USER SYNC_TOPIC FILTER...
obs_start() {
    local name=$1 user=$2 sync_user=$3 sync_topic=$4
    shift 4
    local -a filters=()
    local f
    for f in "$@"; do filters+=(-t "$f"); done
    OBS_FILE[$name]=$WORK/obs-$name.out
    OBS_SYNC_USER[$name]=$sync_user
    OBS_SYNC_TOPIC[$name]=$sync_topic
    OBS_NAMES+=("$name")
    mqtt_sub "$user" -V mqttv5 -q 1 -v -W "$OBS_LIFETIME" -i "acl-obs-$name-$TAG" \
        "${filters[@]}" >"${OBS_FILE[$name]}" 2>"$WORK/obs-$name.err" &
}

obs_has() { # NAME TOPIC PAYLOAD
    grep -qxF -- "$2 $3" "${OBS_FILE[$1]}"
}

# Publish a probe and look for it: repeated by wait_until until the
# subscription is live (a probe sent before it is simply lost).
_probe() { # NAME
    local name=$1 payload="probe-$1-$TAG"
    mqtt_pub "${OBS_SYNC_USER[$name]}" -q 1 -t "${OBS_SYNC_TOPIC[$name]}" \
        -m "$payload" >/dev/null 2>&1 || true
    obs_has "$name" "${OBS_SYNC_TOPIC[$name]}" "$payload"
}

obs_confirm() { # NAME
    wait_until "$STEP_TIMEOUT" "observer $1 to be subscribed" _probe "$1"
}

# One sentinel per distinct (user, topic) of the observers named, then wait
# until each observer has printed its sentinel.
obs_sync() { # NAME...
    local name key token
    local -A sent=()
    SYNC_N=$((SYNC_N + 1))
    token="sync-$SYNC_N-$TAG"
    for name in "$@"; do
        key="${OBS_SYNC_USER[$name]} ${OBS_SYNC_TOPIC[$name]}"
        if [[ -z ${sent[$key]:-} ]]; then
            mqtt_pub "${OBS_SYNC_USER[$name]}" -q 1 -t "${OBS_SYNC_TOPIC[$name]}" \
                -m "$token" >/dev/null 2>&1 \
                || fail "sentinel publish by ${OBS_SYNC_USER[$name]} failed"
            sent[$key]=1
        fi
    done
    for name in "$@"; do
        wait_until "$STEP_TIMEOUT" "sentinel $token at observer $name" \
            obs_has "$name" "${OBS_SYNC_TOPIC[$name]}" "$token"
    done
}

# The coordinator on the whole tree, and through its (secret) shared group.
obs_start coord coordinator coordinator "$R/progress/test-sync" "$R/#"
obs_start shared coordinator team-01 "$R/agents/team-01/reports/test-sync" \
    "\$share/$GROUP/$R/agents/+/reports/+"
# Everyone else subscribes to everything: the broker filters what they may read.
obs_start team-01 team-01 coordinator "$R/progress/test-sync" '#'
obs_start vol-01 vol-01 coordinator "$R/progress/test-sync" '#'
obs_start dashboard dashboard coordinator "$R/progress/test-sync" '#'
obs_start admin admin coordinator "$R/progress/test-sync" '#'
# A volunteer joining the share group name one would guess for the coordinator.
obs_start vol-01-share vol-01 coordinator "$R/volunteers/vol-01/replies" \
    "\$share/coordinator/$R/agents/+/reports/+" "$R/volunteers/vol-01/replies"
for name in "${OBS_NAMES[@]}"; do
    obs_confirm "$name"
done
log "observers subscribed: ${OBS_NAMES[*]}"

# ---- cases -----------------------------------------------------------------
record() { # OK(0|1) DESCRIPTION [DETAIL]
    if [[ $1 -eq 0 ]]; then
        PASSED=$((PASSED + 1))
        printf 'ok   %2d - %s\n' "$CASE_N" "$2"
    else
        FAILED=$((FAILED + 1))
        FAILURES+=("$CASE_N - $2: $3")
        printf 'FAIL %2d - %s: %s\n' "$CASE_N" "$2" "$3"
    fi
}

# check DESCRIPTION USER TOPIC allow|deny [OBSERVER=yes|no ...]
#   USER publishes a unique payload on TOPIC (MQTT 5, QoS 1). "allow": the
#   broker accepts it (the coord observer gets it); "deny": PUBACK says
#   "Not authorized" and coord does not get it. Each OBSERVER=yes|no says
#   whether that observer must receive it.
check() {
    local desc=$1 user=$2 topic=$3 verdict=$4
    shift 4
    CASE_N=$((CASE_N + 1))
    local payload="case-$CASE_N-$TAG" out rc=0 problems='' spec name want got
    local -a names=() wants=()
    [[ $verdict =~ ^(allow|deny)$ ]] || fail "check: verdict must be allow or deny, not '$verdict'"
    names=(coord)
    if [[ $verdict == allow ]]; then wants=(yes); else wants=(no); fi
    for spec in "$@"; do
        name=${spec%%=*} want=${spec#*=}
        [[ -n ${OBS_FILE[$name]:-} && $want =~ ^(yes|no)$ ]] || fail "bad observer spec '$spec'"
        names+=("$name") wants+=("$want")
    done
    out=$(mqtt_pub "$user" -V mqttv5 -q 1 -t "$topic" -m "$payload" 2>&1) || rc=$?
    if [[ $verdict == allow ]]; then
        if [[ $rc -ne 0 || $out == *"Not authorized"* ]]; then
            problems+=" publish refused (rc $rc: ${out//$'\n'/ });"
        fi
    else
        if [[ $out != *"Not authorized"* ]]; then
            problems+=" no 'Not authorized' PUBACK (rc $rc: ${out//$'\n'/ });"
        fi
    fi
    obs_sync "${names[@]}"
    local i
    for i in "${!names[@]}"; do
        if obs_has "${names[i]}" "$topic" "$payload"; then got=yes; else got=no; fi
        if [[ $got != "${wants[i]}" ]]; then
            if [[ $got == yes ]]; then
                problems+=" ${names[i]} received it;"
            else
                problems+=" ${names[i]} did not receive it;"
            fi
        fi
    done
    if [[ -z $problems ]]; then
        record 0 "$desc"
    else
        record 1 "$desc" "${problems# }"
    fi
}

# check_refused DESCRIPTION EXPECTED_ERROR mosquitto_pub-args...
check_refused() {
    local desc=$1 want=$2
    shift 2
    CASE_N=$((CASE_N + 1))
    local payload="case-$CASE_N-$TAG" topic="$R/progress/anon" out rc=0 problems=''
    out=$(timeout 10 mosquitto_pub -h "$BROKER_HOST" -p "$BROKER_PORT" "$@" \
        -q 1 -t "$topic" -m "$payload" 2>&1) || rc=$?
    [[ $rc -ne 0 ]] || problems+=" mosquitto_pub succeeded;"
    [[ $out == *"$want"* ]] || problems+=" no '$want' (rc $rc: ${out//$'\n'/ });"
    obs_sync coord dashboard
    if obs_has coord "$topic" "$payload" || obs_has dashboard "$topic" "$payload"; then
        problems+=" message delivered;"
    fi
    if [[ -z $problems ]]; then
        record 0 "$desc"
    else
        record 1 "$desc" "${problems# }"
    fi
}

A=$R/agents
V=$R/volunteers
T1=$A/team-01 T2=$A/team-02 T3=$A/team-03

echo "# agents"
check "team-01 publishes its headcount report (coordinator's shared subscription gets it)" \
    team-01 "$T1/reports/headcount" allow shared=yes team-01=no vol-01=no dashboard=no admin=no
check "team-01 publishes its dispense report" team-01 "$T1/reports/dispense" allow shared=yes
check "team-01 publishes its status, everyone reads it" \
    team-01 "$T1/status" allow team-01=yes vol-01=yes dashboard=yes admin=yes
check "team-01 cannot publish team-02's report" team-01 "$T2/reports/headcount" deny shared=no
check "team-01 cannot publish team-02's status" team-01 "$T2/status" deny dashboard=no
check "team-01 cannot publish a report outside reports/+" team-01 "$T1/reports/headcount/x" deny
check "team-01 reads its own acks, no one else but the coordinator does" \
    coordinator "$T1/acks" allow team-01=yes vol-01=no dashboard=no admin=no
check "team-01 cannot read team-02's acks" coordinator "$T2/acks" allow team-01=no
check "team-01 cannot read team-02's reports" team-02 "$T2/reports/headcount" allow \
    shared=yes team-01=no dashboard=no
check "team-01 cannot publish its own acks" team-01 "$T1/acks" deny team-01=no
check "team-01 cannot publish team-02's acks" team-01 "$T2/acks" deny
check "team-01 cannot publish progress" team-01 "$R/progress/2026" deny dashboard=no
check "team-01 cannot publish a trip card" team-01 "$R/trips/2026-t1" deny dashboard=no
check "team-01 cannot publish trip progress" team-01 "$R/trips/2026-t1/progress" deny
check "team-01 cannot publish coordinator status" team-01 "$R/coordinator/status" deny
check "team-01 cannot publish a volunteer reply" team-01 "$V/vol-01/replies" deny vol-01=no
check "team-01 cannot publish a volunteer request" team-01 "$V/vol-01/requests" deny
check "team-01 cannot publish an admin request" team-01 "$R/admin/requests" deny
check "team-01 cannot publish an admin reply" team-01 "$R/admin/replies" deny admin=no
check "team-01 cannot publish on an admin response topic" team-01 "$R/admin/replies/rt-1" deny admin=no
check "team-01 cannot publish outside the topic root" team-01 "elsewhere/x" deny

echo "# volunteers"
check "vol-01 publishes its request" vol-01 "$V/vol-01/requests" allow \
    vol-01=no team-01=no dashboard=no admin=no
check "vol-01 cannot publish vol-02's request" vol-01 "$V/vol-02/requests" deny
check "vol-01 cannot read vol-02's requests" vol-02 "$V/vol-02/requests" allow vol-01=no
check "vol-01 reads its own replies, no one else but the coordinator does" \
    coordinator "$V/vol-01/replies" allow vol-01=yes team-01=no dashboard=no admin=no
check "vol-01 cannot read vol-02's replies" coordinator "$V/vol-02/replies" allow vol-01=no
check "vol-01 cannot publish team-01's report" vol-01 "$T1/reports/headcount" deny shared=no
check "vol-01 cannot publish a report as agent vol-01" vol-01 "$A/vol-01/reports/headcount" deny shared=no
check "vol-01 cannot publish a status as agent vol-01" vol-01 "$A/vol-01/status" deny dashboard=no
check "vol-01 cannot read acks as agent vol-01" coordinator "$A/vol-01/acks" allow vol-01=no
check "vol-01 cannot publish acks" vol-01 "$T1/acks" deny team-01=no
check "vol-01 cannot publish progress" vol-01 "$R/progress/2026" deny dashboard=no
check "vol-01 cannot publish a trip card" vol-01 "$R/trips/2026-t1" deny dashboard=no
check "vol-01 cannot publish trip progress" vol-01 "$R/trips/2026-t1/progress" deny
check "vol-01 cannot publish its own replies" vol-01 "$V/vol-01/replies" deny vol-01=no
check "vol-01 cannot publish vol-02's replies" vol-01 "$V/vol-02/replies" deny
check "vol-01 cannot publish an admin request" vol-01 "$R/admin/requests" deny
check "vol-01 cannot publish an admin reply" vol-01 "$R/admin/replies" deny admin=no
check "vol-01 cannot read admin replies" coordinator "$R/admin/replies" allow vol-01=no admin=yes

echo "# dashboard (read-only)"
check "dashboard reads yearly progress (so do agents, volunteers, admins)" \
    coordinator "$R/progress/2026" allow dashboard=yes team-01=yes vol-01=yes admin=yes
check "dashboard reads county progress" coordinator "$R/progress/2026/counties/xiuwu" allow dashboard=yes team-01=yes
check "dashboard reads a trip card" coordinator "$R/trips/2026-t1" allow dashboard=yes vol-01=yes
check "dashboard reads trip progress" coordinator "$R/trips/2026-t1/progress" allow dashboard=yes team-01=yes
check "dashboard reads coordinator status" coordinator "$R/coordinator/status" allow \
    dashboard=yes team-01=yes vol-01=yes admin=yes
check "dashboard reads agent status" team-03 "$T3/status" allow dashboard=yes team-01=yes
check "dashboard cannot read reports" team-03 "$T3/reports/referral" allow dashboard=no shared=yes
check "dashboard cannot publish progress" dashboard "$R/progress/2026" deny dashboard=no
check "dashboard cannot publish a trip card" dashboard "$R/trips/2026-t1" deny dashboard=no
check "dashboard cannot publish trip progress" dashboard "$R/trips/2026-t1/progress" deny
check "dashboard cannot publish an admin request" dashboard "$R/admin/requests" deny
check "dashboard cannot publish a report" dashboard "$T1/reports/headcount" deny shared=no
check "dashboard cannot publish a report as agent dashboard" dashboard "$A/dashboard/reports/headcount" deny shared=no
check "dashboard cannot publish agent status" dashboard "$T1/status" deny
check "dashboard cannot publish acks" dashboard "$T1/acks" deny team-01=no
check "dashboard cannot publish a volunteer request" dashboard "$V/vol-01/requests" deny
check "dashboard cannot publish coordinator status" dashboard "$R/coordinator/status" deny

echo "# admins"
check "admin publishes an admin request" admin "$R/admin/requests" allow \
    admin=no dashboard=no team-01=no vol-01=no
check "admin reads admin replies" coordinator "$R/admin/replies" allow \
    admin=yes dashboard=no team-01=no vol-01=no
check "admin reads replies on an MQTT 5 response topic" coordinator "$R/admin/replies/rt-42" allow \
    admin=yes dashboard=no team-01=no
check "admin may publish on a response topic" admin "$R/admin/replies/rt-42/x" allow admin=yes
check "admin cannot publish on the fixed admin replies topic" admin "$R/admin/replies" deny admin=no
check "admin cannot publish a report" admin "$T1/reports/headcount" deny shared=no
check "admin cannot publish acks" admin "$T1/acks" deny team-01=no
check "admin cannot publish progress" admin "$R/progress/2026" deny dashboard=no
check "admin cannot publish a trip card" admin "$R/trips/2026-t1" deny dashboard=no
check "admin cannot publish a volunteer reply" admin "$V/vol-01/replies" deny vol-01=no

echo "# coordinator"
check "coordinator publishes acks" coordinator "$T3/acks" allow team-01=no
check "coordinator's shared subscription gets team-03's report" team-03 "$T3/reports/checkin" allow shared=yes
check "coordinator's shared subscription gets team-04's report" team-04 "$A/team-04/reports/void" allow shared=yes
# vol-01 sits in the group "coordinator" (its sync topic is its replies); the
# coordinator's own, secret group still gets every report and vol-01 none.
for k in 1 2 3; do
    check "vol-01 in a look-alike share group takes no report away ($k/3)" \
        team-02 "$T2/reports/education" allow shared=yes vol-01-share=no
done

echo "# authentication"
check_refused "anonymous connection is refused" "not authorised"
check_refused "wrong password is refused" "not authorised" -u team-01 -P "wrong-password"
check_refused "unknown account is refused" "not authorised" -u team-99 -P "$(password team-01)"
check_refused "coordinator with another account's password is refused" "not authorised" \
    -u coordinator -P "$(password dashboard)"

# ---- summary ---------------------------------------------------------------
for name in "${OBS_NAMES[@]}"; do
    broker_running || fail "broker died during the test"
    if [[ -s $WORK/obs-$name.err ]]; then
        log "observer $name stderr: $(head -c 300 "$WORK/obs-$name.err")"
    fi
done
if [[ $FAILED -gt 0 ]]; then
    printf '\nFailures:\n'
    printf '  %s\n' "${FAILURES[@]}"
fi
printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
[[ $FAILED -eq 0 ]]
