#!/usr/bin/env bash
# A throwaway Mosquitto broker for integration tests, on 127.0.0.1 only.
# Source it after (or instead of) common.sh; call tmpdir_setup first.
#
#   broker_provision [provision-accounts.sh options...]
#         accounts into $WORK/accounts (exported as ACCOUNTS); without options:
#         --agents "team-01 team-02 team-03 team-04" --volunteers "vol-01 vol-02 vol-03"
#         (plus the script's defaults: coordinator, dashboard, admin)
#   secret USER        print the path of USER's password file
#   password USER      print USER's password
#   broker_start       render $WORK/mosquitto.conf (data $WORK/mosq-data, log
#                      $WORK/mosquitto.log) on a free random port, start mosquitto,
#                      wait (<= 10 s, or $BROKER_READY_S) until the coordinator
#                      account can publish;
#                      exports BROKER_HOST BROKER_PORT BROKER_URI BROKER_PID;
#                      provisions first if ACCOUNTS is unset; registers broker_stop
#   broker_stop        SIGTERM, wait (<= 10 s, then SIGKILL); no-op if not running
#   broker_kill        SIGKILL (a crash: the last second of data may be lost)
#   broker_restart     stop if running, start again on the same port and data dir
#   broker_running     true while the broker process lives
#   mqtt_pub USER [mosquitto_pub options...]   mosquitto_pub against the test
#                      broker, logged in as USER, killed after $MQTT_PUB_TIMEOUT s
#                      (default 10; exit status 124 then); client id
#                      USER.test-RANDOM unless the options have -i/--id/-I
#                      (the broker takes only USER or USER.SUFFIX from USER)
#   mqtt_sub USER [mosquitto_sub options...]   mosquitto_sub likewise, not
#                      bounded: pass -W SECONDS (and/or -C COUNT)
#
# The broker loads broker-plugin/outreach_policy.so from $OUTREACH_BUILD_DIR
# (set by ctest; default: build/ of the repository) and Mosquitto's
# dynamic-security plugin with the provisioned $ACCOUNTS/dynsec/dynsec.json.
#
# With BROKER_HTTP_DIR set (a folder, e.g. web/www), broker_start also opens a
# WebSockets listener serving that folder on a second free loopback port:
# BROKER_WS_PORT, BROKER_WEB_URL (http://127.0.0.1:PORT/, for a browser).
#
# With BROKER_TLS=1, broker_start also opens a TLS listener (the production
# profile's, broker-config/render-config.sh --tls-port) on 127.0.0.1 and a free
# port, with a CA and a server certificate that deploy/make-certs.sh makes once
# in $WORK/tls for the name "localhost" only (no IP in its subjectAltName, so
# ssl://127.0.0.1:PORT is a host-name mismatch): BROKER_TLS_PORT,
# BROKER_TLS_URI (ssl://localhost:PORT), BROKER_TLS_CA ($WORK/tls/ca.crt).
#
# The broker's stdout/stderr go to $WORK/mosquitto.stderr; its log to $WORK/mosquitto.log.

if [[ -n ${_OUTREACH_BROKER_SH:-} ]]; then
    return 0
fi
_OUTREACH_BROKER_SH=1

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

BROKER_HOST=127.0.0.1
export BROKER_HOST
_BROKER_STOP_REGISTERED=''

_broker_need_work() {
    [[ -n ${WORK:-} && -d ${WORK:-} ]] || fail "call tmpdir_setup before using the broker helpers"
}

# shellcheck disable=SC2120 # arguments are optional
broker_provision() {
    _broker_need_work
    local -a args=("$@")
    if [[ ${#args[@]} -eq 0 ]]; then
        args=(--agents "team-01 team-02 team-03 team-04" --volunteers "vol-01 vol-02 vol-03")
    fi
    ACCOUNTS=$WORK/accounts
    export ACCOUNTS
    "$REPO_ROOT/deploy/provision-accounts.sh" "$ACCOUNTS" "${args[@]}" >/dev/null \
        || fail "deploy/provision-accounts.sh failed"
}

secret() {
    [[ -n ${ACCOUNTS:-} ]] || fail "no accounts: call broker_provision first"
    local f=$ACCOUNTS/secrets/$1.pw
    [[ -f $f ]] || fail "no account '$1' in $ACCOUNTS"
    printf '%s\n' "$f"
}

password() {
    local f
    f=$(secret "$1") || exit 1
    printf '%s\n' "$(<"$f")"
}

# The first coordinator account of the manifest (the readiness probe logs in as it).
_broker_coordinator() {
    local role user
    while read -r role user; do
        if [[ $role == coordinator ]]; then
            printf '%s\n' "$user"
            return 0
        fi
    done <"$ACCOUNTS/accounts"
    fail "no coordinator account in $ACCOUNTS/accounts"
}

# Sets _MQTT_ID to (-i USER.test-RANDOM), or to () when the options ($2...)
# choose the client id themselves.
_mqtt_id() {
    local user=$1 a
    shift
    _MQTT_ID=()
    for a in "$@"; do
        case "$a" in -i|--id|-I|--id-prefix) return 0 ;; esac
    done
    _MQTT_ID=(-i "$user.test-$RANDOM$RANDOM")
}

mqtt_pub() {
    local user=$1 pw
    shift
    pw=$(password "$user") || exit 1
    _mqtt_id "$user" "$@"
    timeout "${MQTT_PUB_TIMEOUT:-10}" mosquitto_pub -h "$BROKER_HOST" -p "$BROKER_PORT" \
        -u "$user" -P "$pw" "${_MQTT_ID[@]}" "$@"
}

mqtt_sub() {
    local user=$1 pw
    shift
    pw=$(password "$user") || exit 1
    _mqtt_id "$user" "$@"
    mosquitto_sub -h "$BROKER_HOST" -p "$BROKER_PORT" -u "$user" -P "$pw" "${_MQTT_ID[@]}" "$@"
}

broker_running() {
    [[ -n ${BROKER_PID:-} ]] && kill -0 "$BROKER_PID" 2>/dev/null
}

# True when nothing listens on 127.0.0.1:PORT (or on the wildcard address).
_port_free() {
    local port=$1
    if command -v ss >/dev/null 2>&1; then
        # No socket on it, listening or connected (a client's local port too);
        # TIME-WAIT ones do not count: servers bind with SO_REUSEADDR past them.
        [[ -z $(ss -Htan exclude time-wait "( sport = :$port )" 2>/dev/null) ]]
    else
        ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
    fi
}

# _pick_port: a free TCP port on 127.0.0.1, below the kernel's ephemeral range
# (ip_local_port_range), where no client connection can be holding it as its
# local port between our check and the bind: with thousands of loopback
# connections around (a benchmark, a flood test), a port picked inside that
# range was taken by a client in time and the bind failed "Address already in use".
_pick_port() {
    local tries port lo=32768 hi=60999 base span
    read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
    if (( lo > 12000 )); then
        base=10000 span=$(( lo - 10000 ))
    else
        base=$(( hi + 1 )) span=$(( 65535 - hi ))
    fi
    for (( tries = 0; tries < 50; tries++ )); do
        port=$(( base + (RANDOM * 32768 + RANDOM) % span ))
        if _port_free "$port"; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    fail "no free TCP port found on 127.0.0.1 in 50 tries"
}

_broker_policy_plugin() {
    local f=${OUTREACH_BUILD_DIR:-$REPO_ROOT/build}/broker-plugin/outreach_policy.so
    [[ -f $f ]] || fail "$f not found: build it (cmake --build BUILD) and set OUTREACH_BUILD_DIR=BUILD"
    printf '%s\n' "$f"
}

_broker_render() {
    "$REPO_ROOT/broker-config/render-config.sh" \
        --port "$1" \
        --data-dir "$WORK/mosq-data" \
        --dynsec-file "$ACCOUNTS/dynsec/dynsec.json" \
        --policy-plugin "$(_broker_policy_plugin)" \
        --log-file "$WORK/mosquitto.log" \
        --user "$(id -un)" \
        ${BROKER_HTTP_DIR:+--ws-port "$BROKER_WS_PORT" --http-dir "$BROKER_HTTP_DIR"} \
        "${_BROKER_TLS_ARGS[@]}" \
        --out "$WORK/mosquitto.conf" || fail "broker-config/render-config.sh failed"
}

_BROKER_TLS_ARGS=()
# BROKER_TLS=1: the certificates (once per $WORK) and the listener's flags.
_broker_tls_setup() {
    _BROKER_TLS_ARGS=()
    [[ ${BROKER_TLS:-0} == 1 ]] || return 0
    local dir=$WORK/tls
    if [[ ! -s $dir/server.crt ]]; then
        "$REPO_ROOT/deploy/make-certs.sh" localhost "$dir" >/dev/null \
            || fail "deploy/make-certs.sh failed"
    fi
    BROKER_TLS_CA=$dir/ca.crt
    BROKER_TLS_URI=ssl://localhost:$BROKER_TLS_PORT
    export BROKER_TLS_CA BROKER_TLS_URI BROKER_TLS_PORT
    _BROKER_TLS_ARGS=(--tls-port "$BROKER_TLS_PORT" --tls-address "$BROKER_HOST"
                      --cafile "$dir/ca.crt" --certfile "$dir/server.crt" --keyfile "$dir/server.key")
}

_broker_probe() {
    timeout 5 mosquitto_pub -h "$BROKER_HOST" -p "$BROKER_PORT" -u "$_BROKER_PROBE_USER" \
        -i "$_BROKER_PROBE_USER.probe-$$" -P "$_BROKER_PROBE_PW" -q 1 -t "outreach/v1/test/broker-ready" -m ready \
        >/dev/null 2>&1
}

_broker_up_or_dead() {
    _broker_probe || ! broker_running
}

_broker_dump_log() {
    local f
    for f in "$WORK/mosquitto.stderr" "$WORK/mosquitto.log"; do
        if [[ -s $f ]]; then
            printf -- '----- %s (last 40 lines)\n' "$f" >&2
            tail -n 40 "$f" >&2
        fi
    done
}

_broker_log_sizes() {
    local f
    for f in "$WORK/mosquitto.stderr" "$WORK/mosquitto.log"; do
        if [[ -f $f ]]; then stat -c %s "$f"; else echo 0; fi
    done
}

# Did the launch that began when the logs had sizes $_BROKER_LOG_OFF fail to bind?
_broker_bind_error() {
    local -a off
    read -r -d '' -a off <<<"$_BROKER_LOG_OFF" || true
    {
        tail -c "+$(( off[0] + 1 ))" "$WORK/mosquitto.stderr" 2>/dev/null || true
        tail -c "+$(( off[1] + 1 ))" "$WORK/mosquitto.log" 2>/dev/null || true
    } | grep -q -e 'Address already in use' -e 'Unable to create websockets listener'
}

# Start mosquitto on $1; returns 0 when ready, 2 on a bind error, fails otherwise.
_broker_launch() {
    local port=$1
    BROKER_PORT=$port
    BROKER_URI=tcp://$BROKER_HOST:$port
    export BROKER_PORT BROKER_URI
    _broker_tls_setup
    _broker_render "$port"
    _BROKER_LOG_OFF=$(_broker_log_sizes)
    mosquitto -c "$WORK/mosquitto.conf" >>"$WORK/mosquitto.stderr" 2>&1 &
    BROKER_PID=$!
    export BROKER_PID
    if [[ -z $_BROKER_STOP_REGISTERED ]]; then
        on_exit broker_stop
        _BROKER_STOP_REGISTERED=1
    fi
    if ! poll_until "${BROKER_READY_S:-10}" _broker_up_or_dead; then
        _broker_dump_log
        fail "broker on port $port not ready after ${BROKER_READY_S:-10} s"
    fi
    if broker_running && _broker_probe; then
        return 0
    fi
    # The process ended.
    wait "$BROKER_PID" 2>/dev/null || true
    if _broker_bind_error; then
        return 2
    fi
    _broker_dump_log
    fail "broker on port $port exited during start-up"
}

_broker_start_on() { # PORT|'' TRIES
    local fixed=$1 tries=$2 i port rc
    command -v mosquitto >/dev/null || fail "mosquitto not installed (apt-get install mosquitto mosquitto-clients)"
    # shellcheck disable=SC2119 # the defaults are wanted here
    [[ -n ${ACCOUNTS:-} ]] || broker_provision
    _BROKER_PROBE_USER=$(_broker_coordinator)
    _BROKER_PROBE_PW=$(password "$_BROKER_PROBE_USER")
    for (( i = 1; i <= tries; i++ )); do
        if [[ -n $fixed ]]; then
            port=$fixed
            # Same port: wait (bounded) until whatever holds it lets go.
            poll_until 5 _port_free "$port" || true
        else
            port=$(_pick_port)
            if [[ -n ${BROKER_HTTP_DIR:-} ]]; then
                BROKER_WS_PORT=$(_pick_port)
                [[ $BROKER_WS_PORT != "$port" ]] || BROKER_WS_PORT=$(_pick_port)
                BROKER_WEB_URL=http://$BROKER_HOST:$BROKER_WS_PORT/
                export BROKER_WS_PORT BROKER_WEB_URL
            fi
            if [[ ${BROKER_TLS:-0} == 1 ]]; then
                BROKER_TLS_PORT=$(_pick_port)
                [[ $BROKER_TLS_PORT != "$port" && $BROKER_TLS_PORT != "${BROKER_WS_PORT:-}" ]] \
                    || BROKER_TLS_PORT=$(_pick_port)
            fi
        fi
        rc=0
        _broker_launch "$port" || rc=$?
        if [[ $rc -eq 0 ]]; then
            return 0
        fi
        log "port $port${BROKER_HTTP_DIR:+ or WebSockets port ${BROKER_WS_PORT:-}} taken (try $i of $tries)"
    done
    _broker_dump_log
    fail "broker could not bind a port in $tries tries"
}

broker_start() {
    _broker_need_work
    ! broker_running || fail "broker_start: a broker is already running (pid $BROKER_PID)"
    _broker_start_on '' 5
}

broker_restart() {
    _broker_need_work
    [[ -n ${BROKER_PORT:-} ]] || fail "broker_restart: no broker was started"
    broker_stop
    _broker_start_on "$BROKER_PORT" 5
}

broker_stop() {
    broker_running || return 0
    kill -TERM "$BROKER_PID" 2>/dev/null || true
    if ! poll_until 10 _none_alive "$BROKER_PID"; then
        log "broker (pid $BROKER_PID) ignored SIGTERM for 10 s: SIGKILL"
        kill -KILL "$BROKER_PID" 2>/dev/null || true
        poll_until 5 _none_alive "$BROKER_PID" || fail "broker pid $BROKER_PID does not die"
    fi
    wait "$BROKER_PID" 2>/dev/null || true
}

broker_kill() {
    broker_running || return 0
    kill -KILL "$BROKER_PID" 2>/dev/null || true
    # Reap it at once, with bash's "Killed" job report silenced (SIGKILL is
    # delivered even to a process busy writing its database).
    { wait "$BROKER_PID"; } 2>/dev/null || true
    poll_until 5 _none_alive "$BROKER_PID" || fail "broker pid $BROKER_PID does not die"
}
