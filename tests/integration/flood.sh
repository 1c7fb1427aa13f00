#!/usr/bin/env bash
# flood.sh -- 10,000 hostile messages (not JSON, invalid UTF-8, nested 200
# deep, 17 KB, wrong types, unknown trips, someone else's agent_id, NUL
# escapes, duplicate keys, control bytes) from two accounts, interleaved with 10,000 valid
# reports from 10 agents: the valid totals are exact, every hostile message is
# refused, the kept refusals stay at max_rejects (the rest counted as dropped),
# and the coordinator's memory stays bounded.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh"

N=10 M=1000 BAD=10000 TRIP=2026-fl-001
# Memory bound: 256 MiB; under AddressSanitizer (shadow memory, a quarantine
# of freed blocks, here shrunk to 32 MiB) 768 MiB.
rss_limit=262144
if [ "${OUTREACH_SANITIZE:-0}" = 1 ]; then
  export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=32"
  rss_limit=786432
fi
stack_up --agents "$(lg_agents $N) flood-01 flood-02" --coordinator-conf 'max_rejects = 1000' \
  --trip "$TRIP 2026-10-03 yongding 永定区"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$COORD_PID/status"; }
rss_before=$(rss)

# hostile AGENT: BAD/2 lines of every kind of bad payload, one per line.
hostile() {
  local i big
  big=$(head -c 17000 /dev/zero | tr '\0' a)
  for ((i = 0; i < BAD / 2; i++)); do
    case $((i % 10)) in
      0) echo "not json at all $i" ;;
      1) printf '{"msg_id":"%08x-1111-4111-8111-111111111111","agent_id":"%s","text":"\xff\xfe\xc0\xaf"}\n' "$i" "$1" ;;
      2) printf '%.0s[' {1..200}; echo ;;
      3) if ((i % 100 == 3)); then echo "{\"pad\":\"$big\"}"; else echo '{"msg_id":null}'; fi ;;
      4) printf '{"msg_id":"%08x-2222-4222-8222-222222222222","agent_id":"%s","seq":"one","trip_id":"%s","recorded_at":"2026-10-03T10:00:00+08:00","department":"general","consultations":"many"}\n' "$i" "$1" "$TRIP" ;;
      5) printf '{"msg_id":"%08x-3333-4333-8333-333333333333","agent_id":"%s","seq":%d,"trip_id":"2026-nowhere","recorded_at":"2026-10-03T10:00:00+08:00","department":"general","consultations":5}\n' "$i" "$1" $((i + 1)) ;;
      6) printf '{"msg_id":"%08x-4444-4444-8444-444444444444","agent_id":"lg-001","seq":%d,"trip_id":"%s","recorded_at":"2026-10-03T10:00:00+08:00","department":"general","consultations":5}\n' "$i" $((i + 1)) "$TRIP" ;;
      7) printf '{"msg_id":"%08x-5555-4555-8555-555555555555\\u0000","agent_id":"%s"}\n' "$i" "$1" ;;
      8) printf '{"msg_id":"%08x-6666-4666-8666-666666666666","agent_id":"%s","seq":1,"seq":2}\n' "$i" "$1" ;;
      9) printf '\x01\x02\x1b binary %d\n' "$i" ;; # (mosquitto_pub -l stops at a NUL byte)
    esac
  done
}
hostile flood-01 >"$WORK/bad1.txt"
hostile flood-02 >"$WORK/bad2.txt"
flood() {
  mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -V mqttv5 -q 1 -u "$1" -i "$1.test-flood" \
    -P "$(cat "$(secret "$1")")" -t "$ROOT/agents/$1/reports/headcount" -l <"$2"
}

lg_run $N $M $TRIP 1000 3000
wait_until 60 "the valid stream to start" stored_at_least $TRIP 500
flood flood-01 "$WORK/bad1.txt" &
f1=$!
flood flood-02 "$WORK/bad2.txt"
wait "$f1"
lg_done $N $M $TRIP

# Every hostile message was refused: 1,000 kept, the rest counted as dropped.
refused() { [ $(( $(sqlite3 "$COORD_DB" 'SELECT COUNT(*) FROM rejects') + \
  $(sqlite3 "$COORD_DB" "SELECT value FROM meta WHERE key = 'rejects_dropped'") )) -ge "$BAD" ]; }
wait_until 60 "all $BAD hostile messages refused" refused
assert_eq 1000 "$(sqlite3 "$COORD_DB" 'SELECT COUNT(*) FROM rejects')" "refusals kept (max_rejects)"
assert_eq $((BAD - 1000)) "$(sqlite3 "$COORD_DB" "SELECT value FROM meta WHERE key = 'rejects_dropped'")" \
  "refusals dropped and counted"
assert_eq 0 "$(sqlite3 "$COORD_DB" "SELECT COUNT(*) FROM reports WHERE agent_id LIKE 'flood-%'")" \
  "hostile reports stored"
rss_after=$(rss)
[ "$rss_after" -lt "$rss_limit" ] || fail "coordinator RSS ${rss_after} KiB after the flood (limit $rss_limit)"
pass "coordinator RSS ${rss_before} KiB before, ${rss_after} KiB after the flood"
coordinator_stop
pass "coordinator stopped cleanly"
echo "$PASSED passed, 0 failed"
