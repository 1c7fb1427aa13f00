#!/usr/bin/env bash
# renew.sh -- the coordinator recovers from a broker that closes every
# connection right after accepting it (as Mosquitto did once in CI, calling
# each of Paho's reconnects a malformed packet): after 5 such connections it
# starts a fresh MQTT client, and once a real broker is back on the port the
# reports sent before and after are counted exactly.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

stack_up --trip "2026-rn-001 2026-11-22 cili 慈利县" --agent team-01
agent team-01 report headcount --department internal --consultations 10 >"$WORK/last.out" 2>&1 ||
  fail "first report: $(cat "$WORK/last.out")"
grep -q '^accepted' "$WORK/last.out" || fail "first report not accepted: $(cat "$WORK/last.out")"

# A "broker" on the same port that answers CONNECT with a successful CONNACK
# (MQTT 5) and hangs up at once, for at most 90 s.
broker_stop
cat >"$WORK/hangup.py" <<'PY'
import socket, sys, time
port, end = int(sys.argv[1]), time.time() + 90
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(8)
srv.settimeout(0.5)
while time.time() < end:
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        continue
    conn.settimeout(2)
    try:
        conn.recv(4096)
        conn.sendall(b"\x20\x03\x00\x00\x00")
    except OSError:
        pass
    conn.close()
PY
poll_until 10 _port_free "$BROKER_PORT" || fail "port $BROKER_PORT still taken"
python3 "$WORK/hangup.py" "$BROKER_PORT" >"$WORK/hangup.log" 2>&1 &
HANGUP=$!
track_pid "$HANGUP"
renewed() { grep -q "starting a fresh MQTT client" "$WORK/coordinator.log"; }
wait_until 60 "the coordinator to start a fresh MQTT client" renewed
pass "after 5 connections closed at once, the coordinator started a fresh client"
kill "$HANGUP" 2>/dev/null || true
wait "$HANGUP" 2>/dev/null || true

broker_restart
wait_until 40 "coordinator online again" coordinator_is_online
agent team-01 report headcount --department surgery --consultations 5 >"$WORK/last.out" 2>&1 ||
  fail "report after the renewal: $(cat "$WORK/last.out")"
grep -q '^accepted' "$WORK/last.out" || fail "report after the renewal not accepted: $(cat "$WORK/last.out")"
expect_retained "$ROOT/trips/2026-rn-001/progress" .consultations.count 15
coordinator_stop
log "renew: $PASSED checks passed"
