#!/usr/bin/env bash
# tls.sh -- the pipeline over TLS: a real Mosquitto with the production
# profile's TLS listener (broker-config/render-config.sh --tls-port) on
# 127.0.0.1, certificates from deploy/make-certs.sh, and the coordinator, the
# admin CLI, the field agents (report, sync, daemon) and a volunteer all on
# ssl:// or mqtts://. A client that trusts another CA, or connects by a host
# name the certificate does not carry, is refused with a message saying
# which; the report made meanwhile stays queued and is counted once TLS is
# right. Then the dashboard page served over https talks wss:// to the
# broker's TLS WebSockets listener.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

export BROKER_TLS=1
stack_up --agents "team-01 team-02 team-03 team-04" --no-coordinator
[[ $BROKER_TLS_URI == ssl://localhost:* && -s $BROKER_TLS_CA ]] || fail "no TLS listener: $BROKER_TLS_URI"
grep -q "^listener $BROKER_TLS_PORT 127.0.0.1$" "$WORK/mosquitto.conf" || fail "TLS listener not on loopback"
grep -q '^tls_version tlsv1.2$' "$WORK/mosquitto.conf" || fail "no tls_version in the rendered config"
# Every listener states its max_connections (10000 by default), and the
# broker's systemd drop-in raises the open-file limit to render-config.sh's
# default --open-files, which a bigger --max-connections must fit in.
assert_eq "2 2" "$(grep -c '^listener ' "$WORK/mosquitto.conf") $(grep -c '^max_connections 10000$' "$WORK/mosquitto.conf")" \
  "listeners and their max_connections lines"
grep -qx 'LimitNOFILE=65536' "$SRC_DIR/deploy/mosquitto.service.d/outreach.conf" \
  || fail "deploy/mosquitto.service.d/outreach.conf: no LimitNOFILE=65536 (render-config.sh's --open-files)"
if "$SRC_DIR/broker-config/render-config.sh" --port 1883 --data-dir "$WORK/x" --dynsec-file /x.json \
    --log-file /x.log --no-mkdir --max-connections 40000 --tls-port 8883 --cafile /ca \
    --certfile /crt --keyfile /key >/dev/null 2>"$WORK/maxconn.err"; then
  fail "render-config.sh took 2 listeners x 40000 connections with 65536 open files"
fi
grep -q 'needs 81024 open files, more than --open-files 65536' "$WORK/maxconn.err" \
  || fail "render-config.sh's refusal: $(cat "$WORK/maxconn.err")"
"$SRC_DIR/broker-config/render-config.sh" --port 1883 --data-dir "$WORK/x" --dynsec-file /x.json \
  --log-file /x.log --no-mkdir --max-connections 40000 --open-files 90000 --tls-port 8883 \
  --cafile /ca --certfile /crt --keyfile /key | grep -c '^max_connections 40000$' >"$WORK/maxconn.n" || true
assert_eq 2 "$(cat "$WORK/maxconn.n")" "max_connections 40000 with --open-files 90000"
pass "broker with a TLS listener on 127.0.0.1:$BROKER_TLS_PORT"
# The server key made by deploy/make-certs.sh is private.
assert_eq 600 "$(stat -c %a "$WORK/tls/server.key")" "server.key mode"
assert_eq 600 "$(stat -c %a "$WORK/tls/ca.key")" "ca.key mode"
# Run again (a renewal): the CA stays, the new server certificate is signed by it.
ca_sum=$(sha256sum <"$WORK/tls/ca.crt")
"$SRC_DIR/deploy/make-certs.sh" localhost "$WORK/tls" >/dev/null
assert_eq "$ca_sum" "$(sha256sum <"$WORK/tls/ca.crt")" "make-certs.sh run again keeps the CA"
openssl verify -CAfile "$WORK/tls/ca.crt" "$WORK/tls/server.crt" >/dev/null || fail "renewed server.crt"
assert_eq "X509v3 Subject Alternative Name: DNS:localhost" \
  "$(openssl x509 -in "$WORK/tls/server.crt" -noout -ext subjectAltName | tr -s ' \n' ' ' | sed 's/ $//')" \
  "server.crt names localhost only"
MQTTS_URI=mqtts://localhost:$BROKER_TLS_PORT

# The wire is TLS: a plain MQTT client on the TLS port gets no CONNACK,
# while the same client with TLS and the CA is served.
if timeout 5 mosquitto_pub -h 127.0.0.1 -p "$BROKER_TLS_PORT" -u admin -i admin.plain-test \
    -P "$(password admin)" -q 1 -t "$ROOT/admin/replies/admin.plain-test/probe" -m x >"$WORK/plain.out" 2>&1; then
  fail "a plain client was served on the TLS port"
fi
timeout 10 mosquitto_pub -h localhost -p "$BROKER_TLS_PORT" --cafile "$BROKER_TLS_CA" -u admin \
  -i admin.plain-test -P "$(password admin)" -q 1 -t "$ROOT/admin/replies/admin.plain-test/probe" -m x \
  || fail "the same client over TLS was refused"
pass "a plain client is not served on the TLS port (the same client over TLS is)"

# expect_exit CODE CMD...: runs CMD (stdout+stderr to $WORK/last.out), checks its status.
expect_exit() {
  local want=$1 got=0; shift
  "$@" >"$WORK/last.out" 2>&1 || got=$?
  [ "$got" = "$want" ] || { cat "$WORK/last.out" >&2; fail "exit $got, expected $want: $*"; }
  pass "exit $want: ${*:1:4}"
}
expect_out() { # REGEX WHAT
  grep -Eq -- "$1" "$WORK/last.out" || { cat "$WORK/last.out" >&2; fail "$2: no /$1/"; }
  pass "$2"
}

# ---- the coordinator on ssl:// ---------------------------------------------
expect_exit 1 "$COORD_BIN" run --db "$WORK/x.db" --broker "$BROKER_TLS_URI" --tls-ca-file "$WORK/no-ca.pem"
expect_out "cannot read the CA file \(tls_ca_file\) $WORK/no-ca.pem" "coordinator: a missing CA file is named"
expect_exit 2 "$COORD_BIN" run --db "$WORK/x.db" --broker "tcp://127.0.0.1:$BROKER_PORT" --tls-ca-file "$BROKER_TLS_CA"
expect_out "--tls-ca-file \(tls_ca_file\) is a TLS option, but the broker URI 'tcp://" "coordinator: TLS option with tcp:// is a usage error"
on_exit coordinator_stop
coordinator_start --broker "$BROKER_TLS_URI" --tls-ca-file "$BROKER_TLS_CA"
grep -q "connected to $BROKER_TLS_URI as" "$WORK/coordinator.log" || fail "coordinator not on TLS: $(cat "$WORK/coordinator.log")"
pass "coordinator connected over TLS"

# ---- the admin CLI on mqtts:// ------------------------------------------------
admin() { "$COORD_BIN" trip "$@" --password-file "$(secret admin)"; }
create_tls() { # ID DATE: trip create over mqtts://
  expect_exit 0 admin create --broker "$MQTTS_URI" --tls-ca-file "$BROKER_TLS_CA" --id "$1" \
    --title "义诊 $1" --date "$2" --site-code s1 --site-name 村卫生室 --county xiuwu \
    --county-name 修武县 --mode upper_help --activities clinic --departments internal --capacity doctor=2
}
create_tls 2026-tls-001 2026-11-20
assert_eq "trip 2026-tls-001: planned" "$(cat "$WORK/last.out")" "trip created over mqtts://"
create_tls 2026-tls-002 2026-11-21
create_tls 2026-tls-003 2026-12-24
expect_exit 0 admin cancel 2026-tls-003 --broker "$BROKER_TLS_URI" --tls-ca-file "$BROKER_TLS_CA" --reason snow
expect_retained "$ROOT/trips/2026-tls-003" .status '"cancelled"'

# Another CA, made the way an operator would for another site.
"$SRC_DIR/deploy/make-certs.sh" localhost "$WORK/other-ca" >/dev/null
expect_exit 1 admin complete 2026-tls-002 --broker "$BROKER_TLS_URI" --tls-ca-file "$WORK/other-ca/ca.crt"
expect_out "not signed by a CA in $WORK/other-ca/ca.crt \(tls_ca_file\): .*(self-signed|local issuer)" \
  "admin CLI: a broker certificate from another CA is refused, naming the CA file"
expect_exit 1 admin complete 2026-tls-002 --broker "ssl://127.0.0.1:$BROKER_TLS_PORT" --tls-ca-file "$BROKER_TLS_CA"
expect_out "host name mismatch: .*not for '127\.0\.0\.1' \(it names DNS:localhost\)" \
  "admin CLI: a certificate for another host name is refused, naming the host"
expect_exit 2 admin complete 2026-tls-002 --broker "tcp://127.0.0.1:$BROKER_PORT" --tls-insecure-skip-hostname
expect_out "tls-insecure-skip-hostname.*is a TLS option, but the broker URI 'tcp://" "admin CLI: TLS option with tcp://"
expect_exit 1 admin complete 2026-tls-002 --broker "$BROKER_TLS_URI" --tls-ca-file "$WORK/none.pem"
expect_out "cannot read the CA file \(tls_ca_file\) $WORK/none.pem" "admin CLI: a missing CA file is named"
# The insecure switch accepts the other host name, the CA is still checked.
expect_exit 0 admin complete 2026-tls-002 --broker "ssl://127.0.0.1:$BROKER_TLS_PORT" \
  --tls-ca-file "$BROKER_TLS_CA" --tls-insecure-skip-hostname
expect_retained "$ROOT/trips/2026-tls-002" .status '"completed"'

# ---- field agents on ssl:// ------------------------------------------------------
# tls_agent ID TRIP URI CA: an agent config for a TLS broker.
tls_agent() {
  BROKER_URI=$3 agent_setup "$1" "$2"
  echo "tls_ca_file = $4" >>"$WORK/agents/$1.conf"
}
tls_agent team-01 2026-tls-001 "$BROKER_TLS_URI" "$BROKER_TLS_CA"
expect_exit 0 agent team-01 report headcount --department internal --consultations 120 --female 70
expect_out '^accepted' "team-01: a headcount accepted over TLS"
first=$(sqlite3 "$WORK/agents/team-01.db" "SELECT msg_id FROM outbox WHERE seq = 1")
expect_exit 0 agent team-01 report checkin --staff-id doc-li --role doctor
expect_out '^accepted' "team-01: a check-in accepted"
expect_exit 3 agent team-01 report headcount --trip 2026-tls-003 --department internal --consultations 5
expect_out 'trip_cancelled' "team-01: a report for the cancelled trip rejected"
expect_exit 3 agent team-01 report headcount --trip 2026-zz-404 --department internal --consultations 5
expect_out 'unknown_trip' "team-01: a report for an unknown trip rejected"
expect_exit 2 agent team-01 report headcount --department internal --consultations 5 \
  --broker "tcp://127.0.0.1:$BROKER_PORT"
expect_out "is a TLS option, but the broker URI 'tcp://" "agent: tls_ca_file with tcp:// is a usage error"
# A resend of the first report (the device never saw the ack): duplicate.
sqlite3 "$WORK/agents/team-01.db" "UPDATE outbox SET state = 'pending' WHERE msg_id = '$first'"
expect_exit 0 agent team-01 sync
expect_out '1 duplicate' "team-01: a resend over TLS answered duplicate"

# team-02 trusts another CA: the report is saved and queued, with the reason.
tls_agent team-02 2026-tls-001 "$MQTTS_URI" "$WORK/other-ca/ca.crt"
expect_exit 0 agent team-02 report headcount --department internal --consultations 30
expect_out "^queued: TLS: the broker's certificate is not signed by a CA in $WORK/other-ca/ca.crt \(tls_ca_file\)" \
  "team-02: wrong CA, the report is queued and the CA named"
assert_eq 1 "$(outbox_count team-02 pending sent)" "team-02: one report waits in the outbox"
# team-03 connects by a name its certificate does not carry.
tls_agent team-03 2026-tls-001 "ssl://127.0.0.1:$BROKER_TLS_PORT" "$BROKER_TLS_CA"
expect_exit 0 agent team-03 report headcount --department internal --consultations 7
expect_out "^queued: TLS: host name mismatch: the broker's certificate is not for '127\.0\.0\.1' \(it names DNS:localhost\)" \
  "team-03: wrong host name, the report is queued and the name given"
expect_exit 1 agent team-03 sync
expect_out "not sent: TLS: host name mismatch" "team-03: sync says why too"
assert_eq 1 "$(outbox_count team-03 pending sent)" "team-03: one report waits in the outbox"
# Nothing of theirs reached the coordinator.
expect_retained "$ROOT/trips/2026-tls-001/progress" '[.consultations.count, .staff.count]' '[120,1]'

# TLS put right: both queued reports are counted once.
tls_agent team-02 2026-tls-001 "$MQTTS_URI" "$BROKER_TLS_CA"
expect_exit 0 agent team-02 sync
expect_out '1 accepted' "team-02: the queued report accepted with the right CA"
expect_exit 0 agent team-03 sync --broker "$BROKER_TLS_URI"
expect_out '1 accepted' "team-03: the queued report accepted by the right host name"

# team-04's daemon: first with a CA file that is not there (it says so and
# keeps trying; stops cleanly), then over TLS; its report goes through it.
tls_agent team-04 2026-tls-001 "$BROKER_TLS_URI" "$WORK/none.pem"
daemon_start team-04 nowait
wait_until 15 "the daemon names the missing CA file" \
  grep -q "cannot read the CA file (tls_ca_file) $WORK/none.pem" "$WORK/daemon-team-04.log"
daemon_stop
tls_agent team-04 2026-tls-001 "$BROKER_TLS_URI" "$BROKER_TLS_CA"
daemon_start team-04
expect_exit 0 agent team-04 report headcount --department internal --consultations 3
expect_out '^accepted' "team-04: accepted through the daemon over TLS"
daemon_stop

# ---- a volunteer on ssl:// ----------------------------------------------------------
vol() { "$AGENT_BIN" volunteer "$@" --volunteer-id vol-01 --password-file "$(secret vol-01)"; }
expect_exit 0 vol trips --json --broker "$BROKER_TLS_URI" --tls-ca-file "$BROKER_TLS_CA"
assert_eq '["2026-tls-001"]' "$(jq -c '[.[] | .trip_id] | sort' "$WORK/last.out" 2>/dev/null || cat "$WORK/last.out")" \
  "volunteer: the open trips listed over TLS"
expect_exit 1 vol trips --broker "$BROKER_TLS_URI" --tls-ca-file "$WORK/other-ca/ca.crt"
expect_out "not signed by a CA in $WORK/other-ca/ca.crt" "volunteer: another CA refused, named"

# ---- exact totals ---------------------------------------------------------------
expect_retained "$ROOT/trips/2026-tls-001/progress" '[.consultations.count, .staff.count]' '[160,1]'
expect_retained "$ROOT/progress/2026" '[.consultations.count, .consultations.female, .staff.count, .trips]' \
  '[160,70,1,{"planned":1,"completed":1,"cancelled":1}]'
assert_eq 5 "$(sqlite3 "$COORD_DB" "SELECT COUNT(*) FROM reports WHERE trip_id = '2026-tls-001'")" \
  "stored reports for 2026-tls-001"
assert_eq 2 "$(sqlite3 "$COORD_DB" 'SELECT COUNT(*) FROM rejects')" "refused reports kept"
for a in team-01 team-02 team-03 team-04; do
  assert_eq 0 "$(outbox_count "$a" pending sent)" "$a: nothing left unanswered"
done

# ---- the dashboard served over https uses wss:// -------------------------------------
WEB_DIR=$SRC_DIR/web
[ -f "$WEB_DIR/www/vendor/mqtt.min.js" ] && [ -d "$WEB_DIR/node_modules/playwright-core" ] ||
  fail "the pages are not built: run 'bash scripts/deps.sh' (npm ci and node build.mjs in web/)"
[ -x /usr/bin/chromium ] || fail "no /usr/bin/chromium: run 'bash scripts/deps.sh'"
# A second broker with the production profile's TLS WebSockets listener
# (bound to 127.0.0.1 here; every interface by default).
WSS_PORT=$(_pick_port)
"$SRC_DIR/broker-config/render-config.sh" --port "$(_pick_port)" --data-dir "$WORK/wss-data" \
  --dynsec-file "$ACCOUNTS/dynsec/dynsec.json" --policy-plugin "$(_broker_policy_plugin)" \
  --log-file "$WORK/wss.log" --user "$(id -un)" --wss-port "$WSS_PORT" --wss-address 127.0.0.1 \
  --cafile "$WORK/tls/ca.crt" --certfile "$WORK/tls/server.crt" --keyfile "$WORK/tls/server.key" \
  --out "$WORK/wss.conf"
mosquitto -c "$WORK/wss.conf" >>"$WORK/wss.stderr" 2>&1 &
track_pid $!
# The pages over https from a web server of the site's own (here Python's, on
# loopback), as broker-config/README.md says: Mosquitto cannot serve them to
# HTTP/2 browsers.
HTTPS_PORT=$(_pick_port)
python3 - "$HTTPS_PORT" "$WEB_DIR/www" "$WORK/tls/server.crt" "$WORK/tls/server.key" \
  >>"$WORK/https.log" 2>&1 <<'PY' &
import functools, http.server, ssl, sys
port, root, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
server.serve_forever()
PY
HTTPS_PID=$!
track_pid $HTTPS_PID
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
wait_until 30 "TLS WebSockets listener" port_open "$WSS_PORT"
# Python's start (it imports http.server and ssl from disk) took over 10 s
# twice on a machine busy writing gigabytes: 30 s, and its own words if it died.
https_up() {
  port_open "$HTTPS_PORT" && return 0
  kill -0 "$HTTPS_PID" 2>/dev/null || fail "the https server for the pages exited: $(tail -5 "$WORK/https.log")"
  return 1
}
wait_until 30 "https server for the pages" https_up
export WEB_DIR ACCOUNTS WEB_URL="https://localhost:$HTTPS_PORT/?wss_port=$WSS_PORT"
timeout 120 node "$SRC_DIR/tests/web/https_wss.mjs" || fail "the page over https did not connect with wss://"
pass "dashboard over https connects with wss://localhost:$WSS_PORT/"

coordinator_stop
pass "coordinator stopped cleanly"
echo "$PASSED passed, 0 failed"
