#!/usr/bin/env bash
# The broker's security matrix, against a real Mosquitto with the generated
# config (outreach_policy plugin + dynamic security): every account kind (two
# agents, two volunteers, dashboard, admin, coordinator) x subscribe and
# publish x every topic family, client-id takeovers, retained reports and
# requests (refused), retained alerts and devices (the dashboard reads them,
# never writes them), log-in failures, the listeners bound to 127.0.0.1 only, and a
# provisioning re-run (passwords kept, file modes, new account after a
# restart). Ends with a table of what each account was allowed and refused.
#
# Expected rights are written out below (WRITES, READS, SUBS), independently of
# deploy/provision-accounts.sh, which generates them.
#
# How "not delivered" is made deterministic: one observer per account
# (mosquitto_sub, MQTT 5, QoS 1) runs for the whole test, subscribed in ONE
# SUBSCRIBE to every filter of the matrix: its SUBACK codes are the subscribe
# matrix, and the filters granted receive what the account may read. A batch
# of cases publishes uniquely marked QoS 1 messages, each mosquitto_pub waiting
# for its PUBACK (the broker has routed the message by then); then the
# coordinator publishes a sentinel on progress/ (which every account reads)
# and the test waits until each observer has printed it. A broker keeps the
# order of the messages it sends to one subscriber, so a message that is not in
# an observer's output before the sentinel was never delivered to it. A refused
# QoS 1 publish gets "Not authorized" in its MQTT 5 PUBACK.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../lib/broker.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/broker.sh"

R=outreach/v1 A=outreach/v1/agents V=outreach/v1/volunteers
T1=$A/team-01 T2=$A/team-02
STEP_TIMEOUT=10     # s, for one sentinel or probe to come through
OBS_LIFETIME=600    # s, mosquitto_sub -W for the observers
SYNC_TOPIC=$R/progress/test-sync
PASSED=0 FAILED=0 CASE_N=0 SYNC_N=0 TAG=$$
FAILURES=()
ACCTS=(team-01 team-02 vol-01 vol-02 dashboard admin coordinator)

tmpdir_setup
broker_provision --agents "team-01 team-02" --volunteers "vol-01 vol-02"
mkdir -p "$WORK/www"
printf 'outreach test page\n' >"$WORK/www/index.html"
BROKER_HTTP_DIR=$WORK/www broker_start
log "broker on $BROKER_URI (WebSockets on port $BROKER_WS_PORT), work dir $WORK"

# ---- the expected rights ------------------------------------------------------
# Topics published on (one per family).
declare -A TOPIC=(
    [rep1]=$T1/reports/headcount [rep2]=$T2/reports/headcount
    [ack1]=$T1/acks [ack2]=$T2/acks [st1]=$T1/status [st2]=$T2/status
    [cst]=$R/coordinator/status [prog]=$R/progress/2026 [trip]=$R/trips/2026-t1
    [tripp]=$R/trips/2026-t1/progress [dev]=$R/devices/team-01 [alrt]=$R/alerts/seq_gap.team-01
    [areq]=$R/admin/requests [arep]=$R/admin/replies [art]=$R/admin/replies/admin.cli-1
    [vreq1]=$V/vol-01/requests [vreq2]=$V/vol-02/requests
    [vrep1]=$V/vol-01/replies [vrep2]=$V/vol-02/replies
    [out]=elsewhere/x
)
TOPIC_KEYS=(rep1 rep2 ack1 ack2 st1 st2 cst prog trip tripp dev alrt areq arep art vreq1 vreq2 vrep1 vrep2 out)
ROOT_TOPICS="rep1 rep2 ack1 ack2 st1 st2 cst prog trip tripp dev alrt areq arep art vreq1 vreq2 vrep1 vrep2"
declare -A WRITES=(
    [team-01]="rep1 st1" [team-02]="rep2 st2" [vol-01]="vreq1" [vol-02]="vreq2"
    [dashboard]="" [admin]="areq art" [coordinator]="$ROOT_TOPICS"
)
COMMON_READS="st1 st2 cst prog trip tripp"
STAFF_READS="dev alrt" # the coordinator's view of the devices, and its alerts
declare -A READS=(
    [team-01]="$COMMON_READS ack1" [team-02]="$COMMON_READS ack2"
    [vol-01]="$COMMON_READS vrep1" [vol-02]="$COMMON_READS vrep2"
    [dashboard]="$COMMON_READS $STAFF_READS" [admin]="$COMMON_READS $STAFF_READS arep art"
    [coordinator]="$ROOT_TOPICS"
)
# Subscription filters (every observer asks for all of them, in this order).
# shellcheck disable=SC2016 # '$SYS/#' and '$share/...' are MQTT topics, not expansions
declare -A FILTER=(
    [rep1]=$T1/reports/+ [rep2]=$T2/reports/+ [repall]=$A/+/reports/+
    [ack1]=$T1/acks [ack2]=$T2/acks [stall]=$A/+/status [st1]=$T1/status
    [cst]=$R/coordinator/status [prog]=$R/progress/# [trips]=$R/trips/# [trip1]=$R/trips/+
    [devs]=$R/devices/# [dev1]=$R/devices/team-01 [alrts]=$R/alerts/# [alrt1]=$R/alerts/+
    [areq]=$R/admin/requests [arep]=$R/admin/replies [art]=$R/admin/replies/+/#
    [vreq1]=$V/vol-01/requests [vreq2]=$V/vol-02/requests [vreqall]=$V/+/requests
    [vrep1]=$V/vol-01/replies [vrep2]=$V/vol-02/replies
    [root]=$R/# [all]='#' [sys]='$SYS/#'
    [shrep]="\$share/g1/$A/+/reports/+" [shreq]="\$share/g1/$V/+/requests"
    [shtrips]="\$share/g1/$R/trips/#"
)
FILTER_KEYS=(rep1 rep2 repall ack1 ack2 stall st1 cst prog trips trip1 devs dev1 alrts alrt1
    areq arep art vreq1 vreq2 vreqall vrep1 vrep2 root all sys shrep shreq shtrips)
COMMON_SUBS="stall st1 cst prog trips trip1"
STAFF_SUBS="devs dev1 alrts alrt1"
declare -A SUBS=(
    [team-01]="$COMMON_SUBS ack1" [team-02]="$COMMON_SUBS ack2"
    [vol-01]="$COMMON_SUBS vrep1" [vol-02]="$COMMON_SUBS vrep2"
    [dashboard]="$COMMON_SUBS $STAFF_SUBS" [admin]="$COMMON_SUBS $STAFF_SUBS arep art"
    [coordinator]="rep1 rep2 repall ack1 ack2 stall st1 cst prog trips trip1 $STAFF_SUBS areq arep art
                   vreq1 vreq2 vreqall vrep1 vrep2 root shrep shreq shtrips"
)

in_list() { # WORD LIST
    [[ " ${2//$'\n'/ } " == *" $1 "* ]]
}

# Outcomes per account, for the summary table.
declare -A N_PUB_OK=() N_PUB_NO=() N_SUB_OK=() N_SUB_NO=() N_ID_NO=() N_RET_NO=()
for a in "${ACCTS[@]}"; do
    N_PUB_OK[$a]=0 N_PUB_NO[$a]=0 N_SUB_OK[$a]=0 N_SUB_NO[$a]=0 N_ID_NO[$a]=0 N_RET_NO[$a]=0
done
bump() { # ARRAY KEY
    local -n arr=$1
    arr[$2]=$(( ${arr[$2]} + 1 ))
}

record() { # OK(0|1) DESCRIPTION [DETAIL]
    CASE_N=$((CASE_N + 1))
    if [[ $1 -eq 0 ]]; then
        PASSED=$((PASSED + 1))
        printf 'ok   %3d - %s\n' "$CASE_N" "$2"
    else
        FAILED=$((FAILED + 1))
        FAILURES+=("$CASE_N - $2: $3")
        printf 'FAIL %3d - %s: %s\n' "$CASE_N" "$2" "$3"
    fi
}

# ---- observers ---------------------------------------------------------------
declare -A OBS_FILE=()
OBS_NAMES=()

# obs_start NAME USER CLIENT_ID FILTER...: a QoS 1 MQTT 5 subscriber, -d for the SUBACK.
obs_start() {
    local name=$1 user=$2 id=$3 f
    shift 3
    local -a args=()
    for f in "$@"; do args+=(-t "$f"); done
    OBS_FILE[$name]=$WORK/obs-$name.out
    OBS_NAMES+=("$name")
    mqtt_sub "$user" -V mqttv5 -q 1 -v -d -W "$OBS_LIFETIME" -i "$id" "${args[@]}" \
        >"${OBS_FILE[$name]}" 2>"$WORK/obs-$name.err" &
}

obs_has() { # NAME TOPIC PAYLOAD
    grep -qxF -- "$2 $3" "${OBS_FILE[$1]}"
}

# Every observer reads progress/#: the coordinator's probes and sentinels reach all.
_probe() { # NAME
    local payload="probe-$1-$TAG"
    mqtt_pub coordinator -q 1 -t "$SYNC_TOPIC" -m "$payload" >/dev/null 2>&1 || true
    obs_has "$1" "$SYNC_TOPIC" "$payload"
}

obs_confirm() { # NAME
    wait_until "$STEP_TIMEOUT" "observer $1 to be subscribed" _probe "$1"
}

# obs_try_sync NAME...: publish a sentinel; false unless every observer named
# prints it within STEP_TIMEOUT.
obs_try_sync() {
    local name
    SYNC_N=$((SYNC_N + 1))
    SYNC_TOKEN="sync-$SYNC_N-$TAG"
    mqtt_pub coordinator -q 1 -t "$SYNC_TOPIC" -m "$SYNC_TOKEN" >/dev/null 2>&1 \
        || fail "sentinel publish failed"
    for name in "$@"; do
        poll_until "$STEP_TIMEOUT" obs_has "$name" "$SYNC_TOPIC" "$SYNC_TOKEN" || return 1
    done
}

obs_sync() { # NAME...
    obs_try_sync "$@" || fail "timed out after $STEP_TIMEOUT s waiting for sentinel $SYNC_TOKEN at the observers $*"
}

all_filters=()
for k in "${FILTER_KEYS[@]}"; do all_filters+=("${FILTER[$k]}"); done
for a in "${ACCTS[@]}"; do
    # The coordinator's observer uses the coordinator's own client id: the
    # takeover cases below try to kick it.
    if [[ $a == coordinator ]]; then id=coordinator; else id=$a.obs; fi
    obs_start "$a" "$a" "$id" "${all_filters[@]}"
done
for a in "${ACCTS[@]}"; do
    obs_confirm "$a"
done
log "observers subscribed: ${OBS_NAMES[*]}"

# ---- 1. subscribe: the SUBACK of each observer -----------------------------
echo "# subscribe (${#FILTER_KEYS[@]} filters x ${#ACCTS[@]} accounts, one SUBSCRIBE each)"
for a in "${ACCTS[@]}"; do
    line=$(grep -m1 '^Subscribed (mid: [0-9]*): ' "${OBS_FILE[$a]}" || true)
    codes=${line##*: }
    IFS=', ' read -r -a got <<<"$codes"
    if [[ ${#got[@]} -ne ${#FILTER_KEYS[@]} ]]; then
        record 1 "$a: SUBACK with one code per filter" "got '${line}'"
        continue
    fi
    for i in "${!FILTER_KEYS[@]}"; do
        k=${FILTER_KEYS[i]}
        if in_list "$k" "${SUBS[$a]}"; then want=granted; else want=refused; fi
        case "${got[i]}" in
            0|1) have=granted; bump N_SUB_OK "$a" ;;
            *) have=refused; bump N_SUB_NO "$a" ;;
        esac
        if [[ $have == "$want" ]]; then
            record 0 "$a subscribes to ${FILTER[$k]}: $want"
        else
            record 1 "$a subscribes to ${FILTER[$k]}" "want $want, SUBACK code ${got[i]}"
        fi
    done
done

# ---- 2. publish: every account on every topic, and who receives it ------------
echo "# publish (${#TOPIC_KEYS[@]} topics x ${#ACCTS[@]} accounts) and delivery to every observer"
for a in "${ACCTS[@]}"; do
    declare -A OUT=() RC=()
    for k in "${TOPIC_KEYS[@]}"; do
        rc=0
        OUT[$k]=$(mqtt_pub "$a" -V mqttv5 -q 1 -t "${TOPIC[$k]}" -m "case-$a-$k-$TAG" 2>&1) || rc=$?
        RC[$k]=$rc
    done
    obs_sync "${ACCTS[@]}"
    for k in "${TOPIC_KEYS[@]}"; do
        topic=${TOPIC[$k]} payload="case-$a-$k-$TAG" problems=''
        if [[ ${OUT[$k]} == *"Not authorized"* ]]; then
            have=refused; bump N_PUB_NO "$a"
        elif [[ ${RC[$k]} -eq 0 ]]; then
            have=allowed; bump N_PUB_OK "$a"
        else
            have="error (rc ${RC[$k]}: ${OUT[$k]//$'\n'/ })"
        fi
        if in_list "$k" "${WRITES[$a]}"; then want=allowed; else want=refused; fi
        [[ $have == "$want" ]] || problems+=" publish $have;"
        for o in "${ACCTS[@]}"; do
            if [[ $want == allowed ]] && in_list "$k" "${READS[$o]}"; then w=yes; else w=no; fi
            if obs_has "$o" "$topic" "$payload"; then g=yes; else g=no; fi
            if [[ $w != "$g" ]]; then
                if [[ $g == yes ]]; then problems+=" $o received it;"; else problems+=" $o did not receive it;"; fi
            fi
        done
        if [[ -z $problems ]]; then
            record 0 "$a publishes on $topic: $want"
        else
            record 1 "$a publishes on $topic (want $want)" "${problems# }"
        fi
    done
    unset OUT RC
done

# ---- 3. client ids: nobody takes over another's session ---------------------
echo "# client ids"
# id_case DESCRIPTION USER CLIENT_ID accept|refuse
id_case() {
    local desc=$1 user=$2 id=$3 want=$4 out rc=0 have
    out=$(mqtt_pub "$user" -V mqttv5 -i "$id" -q 1 -t "$SYNC_TOPIC" -m "id-$id-$TAG" 2>&1) || rc=$?
    if [[ $rc -eq 0 ]]; then
        have=accept
    elif [[ $out == *"Not authorized"* ]]; then
        have=refuse
        bump N_ID_NO "$user"
    else
        have="error (rc $rc: ${out//$'\n'/ })"
    fi
    if [[ $have == "$want" ]]; then
        record 0 "$desc"
    else
        record 1 "$desc" "want $want, got $have"
    fi
}
id_case "team-02 cannot connect as 'coordinator' (the live coordinator session)" team-02 coordinator refuse
id_case "team-02 cannot connect as 'coordinator.x'" team-02 coordinator.x refuse
id_case "team-02 cannot connect as 'team-01'" team-02 team-01 refuse
id_case "team-02 cannot connect as 'team-01.cli-7'" team-02 team-01.cli-7 refuse
id_case "team-01 cannot connect as 'team-010' (a prefix without the dot)" team-01 team-010 refuse
id_case "team-01 cannot connect as 'team-01.' (nothing after the dot)" team-01 team-01. refuse
id_case "vol-02 cannot connect as 'vol-01.cli'" vol-02 vol-01.cli refuse
id_case "dashboard cannot connect as 'admin.cli-1'" dashboard admin.cli-1 refuse
id_case "admin cannot connect as 'dashboard'" admin dashboard refuse
id_case "coordinator cannot connect as 'team-01'" coordinator team-01 refuse
id_case "team-01 cannot connect with a broker-made id prefix 'mosq-x'" team-01 mosq-x refuse
id_case "team-01 connects as 'team-01'" team-01 team-01 accept
id_case "team-01 connects as 'team-01.cli-42'" team-01 team-01.cli-42 accept
id_case "vol-01 connects as 'vol-01.web'" vol-01 vol-01.web accept

# The coordinator's observer (client id "coordinator") was never kicked: it is
# still connected and still receives, and the broker logged no takeover.
problems=''
obs_try_sync coordinator || problems+=" the coordinator observer no longer receives;"
grep -q 'already connected, closing old connection' "$WORK/mosquitto.log" \
    && problems+=" the broker closed a connection for a takeover: $(grep -m1 'already connected' "$WORK/mosquitto.log");"
[[ $(grep -c '^Client coordinator received CONNACK' "${OBS_FILE[coordinator]}") -eq 1 ]] \
    || problems+=" the coordinator observer connected more than once;"
if [[ -z $problems ]]; then record 0 "an agent cannot kick the coordinator off"; else record 1 "an agent cannot kick the coordinator off" "${problems# }"; fi

# vol-01's durable session (client id vol-01.cli, like the CLI's) holds a
# notice while vol-01 is away; vol-02 tries to take the session over; vol-01
# comes back and still gets the notice.
mqtt_sub vol-01 -V mqttv5 -q 1 -c -x 600 -i vol-01.cli -t "$V/vol-01/replies" -E >/dev/null 2>&1 \
    || fail "vol-01 could not open its durable session"
mqtt_pub coordinator -V mqttv5 -q 1 -t "$V/vol-01/replies" -m "notice-$TAG" >/dev/null 2>&1 \
    || fail "the coordinator could not publish vol-01's notice"
id_case "vol-02 cannot take over vol-01's offline session 'vol-01.cli'" vol-02 vol-01.cli refuse
notice=$(mqtt_sub vol-01 -V mqttv5 -q 1 -c -x 600 -i vol-01.cli -t "$V/vol-01/replies" \
    -C 1 -W "$STEP_TIMEOUT" 2>/dev/null || true)
if [[ $notice == "notice-$TAG" ]]; then
    record 0 "vol-01's queued notice survives vol-02's attempt"
else
    record 1 "vol-01's queued notice survives vol-02's attempt" "vol-01 got '$notice'"
fi

# ---- 4. retained reports and requests are refused -------------------------
echo "# retained messages"
# ret_case DESCRIPTION USER TOPIC_KEY allow|refuse [QOS]
ret_case() {
    local desc=$1 user=$2 k=$3 want=$4 qos=${5:-1} out rc=0 have problems=''
    local payload="retained-$user-$k-$qos-$TAG"
    out=$(mqtt_pub "$user" -V mqttv5 -q "$qos" -r -t "${TOPIC[$k]}" -m "$payload" 2>&1) || rc=$?
    obs_sync coordinator
    if obs_has coordinator "${TOPIC[$k]}" "$payload"; then have=allow; else have=refuse; fi
    if [[ $want == refuse ]]; then
        [[ $qos -eq 0 || $out == *"Not authorized"* ]] || problems+=" no 'Not authorized' (rc $rc: ${out//$'\n'/ });"
        [[ $have == refuse ]] || problems+=" the coordinator received it;"
        [[ -n $problems ]] || bump N_RET_NO "$user"
    else
        [[ $rc -eq 0 && $out != *"Not authorized"* ]] || problems+=" publish refused (rc $rc: ${out//$'\n'/ });"
        [[ $have == allow ]] || problems+=" the coordinator did not receive it;"
    fi
    if [[ -z $problems ]]; then record 0 "$desc"; else record 1 "$desc" "${problems# }"; fi
}
ret_case "team-01 cannot publish a retained report (QoS 1)" team-01 rep1 refuse
ret_case "team-01 cannot publish a retained report (QoS 0)" team-01 rep1 refuse 0
ret_case "vol-01 cannot publish a retained request" vol-01 vreq1 refuse
ret_case "admin cannot publish a retained admin request" admin areq refuse
ret_case "not even the coordinator publishes a retained report" coordinator rep2 refuse
ret_case "team-01 publishes its retained status (docs/protocol.md)" team-01 st1 allow
# A subscriber that comes later gets the retained status, and no report or
# request: retained copies come right after the SUBACK, before the probe.
obs_start late coordinator coordinator.late "$T1/reports/+" "$T2/reports/+" "$V/+/requests" \
    "$R/admin/requests" "$T1/status" "$SYNC_TOPIC"
obs_confirm late
problems=''
obs_has late "${TOPIC[st1]}" "retained-team-01-st1-1-$TAG" || problems+=" no retained status;"
inbox_re=("-e" "^$A/[^ ]*/reports/" "-e" "^$V/[^ ]*/requests " "-e" "^$R/admin/requests ")
if grep -q "${inbox_re[@]}" "${OBS_FILE[late]}"; then
    problems+=" retained: $(grep -m1 "${inbox_re[@]}" "${OBS_FILE[late]}");"
fi
if [[ -z $problems ]]; then
    record 0 "a new subscriber finds no retained report or request"
else
    record 1 "a new subscriber finds no retained report or request" "${problems# }"
fi
# The coordinator's retained alerts and devices: the dashboard reads them when
# it subscribes later (the broker checks read access on retained messages
# too), never writes them; an agent gets none.
ret_case "the dashboard cannot publish a retained alert" dashboard alrt refuse
ret_case "the dashboard cannot publish a retained device" dashboard dev refuse
ret_case "the coordinator publishes a retained alert" coordinator alrt allow
ret_case "the coordinator publishes a retained device" coordinator dev allow
obs_start dlate dashboard dashboard.late "$R/alerts/#" "$R/devices/#" "$SYNC_TOPIC"
obs_start alate team-01 team-01.late "$R/alerts/#" "$R/devices/#" "$SYNC_TOPIC"
obs_confirm dlate
obs_confirm alate
problems=''
for k in alrt dev; do
    obs_has dlate "${TOPIC[$k]}" "retained-coordinator-$k-1-$TAG" || problems+=" no retained ${TOPIC[$k]};"
    ! obs_has dlate "${TOPIC[$k]}" "retained-dashboard-$k-1-$TAG" || problems+=" the dashboard's own on ${TOPIC[$k]};"
done
if [[ -z $problems ]]; then
    record 0 "a new dashboard subscriber reads the retained alerts/# and devices/#"
else
    record 1 "a new dashboard subscriber reads the retained alerts/# and devices/#" "${problems# }"
fi
if grep -q -e "^$R/alerts/" -e "^$R/devices/" "${OBS_FILE[alate]}"; then
    record 1 "a new agent subscriber gets no retained alert or device" "$(grep -m1 -e "^$R/alerts/" -e "^$R/devices/" "${OBS_FILE[alate]}")"
else
    record 0 "a new agent subscriber gets no retained alert or device"
fi

# ---- 5. log-in ---------------------------------------------------------------
echo "# authentication"
# login_case DESCRIPTION mosquitto_pub-args...: must be refused.
login_case() {
    local desc=$1 out rc=0
    shift
    out=$(timeout 10 mosquitto_pub -h "$BROKER_HOST" -p "$BROKER_PORT" -V mqttv5 "$@" \
        -q 1 -t "$SYNC_TOPIC" -m "login-$CASE_N-$TAG" 2>&1) || rc=$?
    if [[ $rc -ne 0 && $out == *"Not authorized"* ]]; then
        record 0 "$desc"
    else
        record 1 "$desc" "rc $rc: ${out//$'\n'/ }"
    fi
}
login_case "anonymous connection is refused" -i anon
login_case "wrong password is refused" -u team-01 -i team-01 -P wrong-password
login_case "unknown account is refused" -u team-99 -i team-99 -P "$(password team-01)"
login_case "coordinator with another account's password is refused" \
    -u coordinator -i coordinator.x -P "$(password dashboard)"

# ---- 6. listeners: 127.0.0.1 only --------------------------------------------
echo "# listeners"
for port in "$BROKER_PORT" "$BROKER_WS_PORT"; do
    socks=$(ss -Hltn "( sport = :$port )" | awk '{print $4}' | sort -u | tr '\n' ' ')
    if [[ $socks == "127.0.0.1:$port " ]]; then
        record 0 "port $port listens on 127.0.0.1 only (ss -ltn: $socks)"
    else
        record 1 "port $port listens on 127.0.0.1 only" "ss -ltn shows: ${socks:-nothing}"
    fi
done
http_status() { # PORT: the status line of GET / on 127.0.0.1:PORT
    exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
    printf 'GET /index.html HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    timeout 5 head -n 1 <&3 | tr -d '\r'
    exec 3<&-
}
status=$(http_status "$BROKER_WS_PORT" 2>/dev/null || true)
if [[ $status == *" 200 "* || $status == *" 200" ]]; then
    record 0 "the WebSockets listener serves the pages on 127.0.0.1 ($status)"
else
    record 1 "the WebSockets listener serves the pages on 127.0.0.1" "got '$status'"
fi

# ---- 7. provisioning again: passwords kept, new account, file modes ----------
echo "# provisioning again"
pw_before=$(password team-01)
touch "$ACCOUNTS/passwd" "$ACCOUNTS/acl" # files of the acl_file era, to be removed
"$REPO_ROOT/deploy/provision-accounts.sh" "$ACCOUNTS" --agents team-03 >/dev/null \
    || fail "deploy/provision-accounts.sh failed on a re-run"
problems=''
[[ $(password team-01) == "$pw_before" ]] || problems+=" team-01's password changed;"
[[ -f $ACCOUNTS/secrets/team-03.pw ]] || problems+=" no secret for team-03;"
[[ ! -e $ACCOUNTS/passwd && ! -e $ACCOUNTS/acl ]] || problems+=" old passwd/acl left behind;"
modes=$(stat -c '%a' "$ACCOUNTS/dynsec" "$ACCOUNTS/dynsec/dynsec.json" "$ACCOUNTS/secrets" \
    "$ACCOUNTS/secrets/team-01.pw" "$ACCOUNTS/secrets/team-03.pw" | tr '\n' ' ')
[[ $modes == "700 600 700 600 600 " ]] || problems+=" modes dynsec/, dynsec.json, secrets/, two secrets: $modes;"
if [[ -z $problems ]]; then record 0 "a re-run keeps passwords, adds team-03, keeps secrets private"; else record 1 "a re-run keeps passwords, adds team-03, keeps secrets private" "${problems# }"; fi
# The plugin reads dynsec.json at start-up only.
broker_restart
for c in "team-01 $T1/status allow" "team-03 $A/team-03/status allow" "team-03 $T1/status refuse"; do
    read -r user topic want <<<"$c"
    out=$(mqtt_pub "$user" -V mqttv5 -q 1 -t "$topic" -m "after-restart-$TAG" 2>&1) && rc=0 || rc=$?
    if [[ $rc -eq 0 && $out != *"Not authorized"* ]]; then have=allow; else have=refuse; fi
    if [[ $have == "$want" ]]; then
        record 0 "after the restart, $user publishes on $topic: $want"
    else
        record 1 "after the restart, $user publishes on $topic" "want $want (rc $rc: ${out//$'\n'/ })"
    fi
done

# ---- summary -------------------------------------------------------------------
broker_running || fail "broker died during the test"
for name in "${OBS_NAMES[@]}"; do
    if grep -qv -e '^Timed out' "$WORK/obs-$name.err" 2>/dev/null; then
        log "observer $name stderr: $(head -c 300 "$WORK/obs-$name.err")"
    fi
done
printf '\nSecurity matrix (observed; subscribe: %d filters, publish: %d topics each)\n' \
    "${#FILTER_KEYS[@]}" "${#TOPIC_KEYS[@]}"
printf '%-12s %9s %9s %9s %9s %11s %11s\n' account sub-ok sub-no pub-ok pub-no "id-refused" "ret-refused"
for a in "${ACCTS[@]}"; do
    printf '%-12s %9d %9d %9d %9d %11d %11d\n' "$a" "${N_SUB_OK[$a]}" "${N_SUB_NO[$a]}" \
        "${N_PUB_OK[$a]}" "${N_PUB_NO[$a]}" "${N_ID_NO[$a]}" "${N_RET_NO[$a]}"
done
if [[ $FAILED -gt 0 ]]; then
    printf '\nFailures:\n'
    printf '  %s\n' "${FAILURES[@]}"
fi
printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
[[ $FAILED -eq 0 ]]
