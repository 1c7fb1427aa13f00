#!/usr/bin/env bash
# bench/idle.sh -- what idle field devices cost: a real broker (the project's
# config, accounts and plugins, tests/lib/broker.sh) and coordinator on
# loopback, DEVICES field devices connected as the agent daemon connects
# (MQTT 5, client id = agent id, durable session, keep-alive 30 s, subscribed
# to their acks and the trip cards, retained online status; several
# "outreach-loadgen idle" processes), then an idle minute: the broker's and
# the coordinator's memory (VmRSS from /proc, before the devices and over the
# idle minute) and CPU (user + system over the minute), and how many devices
# stayed connected (the clients' count and the broker port's established
# sockets, ss). Each round starts a fresh broker (empty persistence) and
# coordinator (new store, one trip). Run by hand (not in CI); prints a table
# and appends it to BENCHMARKS.md.
#
#   bash bench/idle.sh [--devices N] [--procs P] [--rounds R] [--idle-s S]
#                      [--accounts DIR] [--no-append]
#
#   --devices N     idle field devices, accounts idle-00001 .. (default 10000, <= 20000)
#   --procs P       client processes sharing them (default 10, 1..50)
#   --rounds R      rounds (default 3, <= 10)
#   --idle-s S      the measured idle window (default 60, 10..600 s)
#   --accounts DIR  provision-accounts.sh's OUTDIR, reused when it already has the
#                   accounts idle-00001 .. idle-N (provisioning 10,000 accounts takes
#                   minutes), else provisioned there; default: a new one in the
#                   work directory
#   --no-append     print only; leave BENCHMARKS.md alone
#   OUTREACH_BUILD_DIR=DIR  use that build (else a Release build in build-bench)
#   KEEP_WORK=1 keeps the work directory (logs, client output).
# Raises 'ulimit -n' to N + 1024 for the broker and the clients (the hard
# limit must allow it). Exit 0 when every round ran and every device stayed
# connected, else 1.
set -euo pipefail
cd "$(dirname "$0")/.."

DEVICES=10000 PROCS=10 ROUNDS=3 IDLE_S=60 APPEND=1 ACC_DIR=''
need() { [ "$1" -ge 2 ] || { echo "bench/idle.sh: $2 needs a value (try --help)" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
  case "$1" in
    --devices) need $# "$1"; DEVICES=$2; shift 2 ;;
    --procs) need $# "$1"; PROCS=$2; shift 2 ;;
    --rounds) need $# "$1"; ROUNDS=$2; shift 2 ;;
    --idle-s) need $# "$1"; IDLE_S=$2; shift 2 ;;
    --accounts) need $# "$1"; ACC_DIR=$2; shift 2 ;;
    --no-append) APPEND=0; shift ;;
    -h|--help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/idle.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
range() { # NAME VALUE MIN MAX
  if ! [[ $2 =~ ^[0-9]{1,6}$ ]] || [ "$2" -lt "$3" ] || [ "$2" -gt "$4" ]; then
    echo "bench/idle.sh: $1 must be a number from $3 to $4, not '$2'" >&2
    exit 2
  fi
}
range --devices "$DEVICES" 1 20000
range --procs "$PROCS" 1 50
range --rounds "$ROUNDS" 1 10
range --idle-s "$IDLE_S" 10 600
[ "$PROCS" -le "$DEVICES" ] || PROCS=$DEVICES

# One socket per device in the broker, and in the clients together.
NOFILE=$((DEVICES + 1024))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$NOFILE" ]; then
  hard=$(ulimit -Hn)
  if [ "$hard" != unlimited ] && [ "$hard" -lt "$NOFILE" ]; then
    echo "bench/idle.sh: $DEVICES devices need $NOFILE open files, the hard limit is $hard:" \
      "raise it (ulimit -Hn as root, or LimitNOFILE) or pass a smaller --devices" >&2
    exit 2
  fi
  ulimit -n "$NOFILE"
fi

if [ -z "${OUTREACH_BUILD_DIR:-}" ]; then
  echo "== building (Release) in build-bench"
  nice -n 19 cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DOUTREACH_TESTS=OFF >/dev/null
  nice -n 19 cmake --build build-bench -j1 --target outreach-coordinator outreach-loadgen \
    outreach_policy >/dev/null
  export OUTREACH_BUILD_DIR=$PWD/build-bench
fi
# Mosquitto 2.0.11 takes 15-20 s here to load 10,000 accounts (dynsec.json).
export BROKER_READY_S=${BROKER_READY_S:-120}
source bench/lib.sh
tmpdir_setup

names() { seq -f 'idle-%05g' 1 "$DEVICES" | tr '\n' ' '; }
if [ -n "$ACC_DIR" ]; then
  ACCOUNTS=$(realpath -m "$ACC_DIR")
  if [ -f "$ACCOUNTS/accounts" ] && [ -f "$ACCOUNTS/dynsec/dynsec.json" ] \
     && [ -f "$ACCOUNTS/secrets/coordinator.pw" ] && [ -f "$ACCOUNTS/secrets/dashboard.pw" ] \
     && [ -f "$ACCOUNTS/secrets/admin.pw" ] \
     && [ "$(grep -c '^agent idle-[0-9]\{5\}$' "$ACCOUNTS/accounts")" -ge "$DEVICES" ] \
     && grep -qx "agent $(printf 'idle-%05d' "$DEVICES")" "$ACCOUNTS/accounts"; then
    echo "== reusing the accounts in $ACCOUNTS"
  else
    echo "== provisioning $DEVICES accounts into $ACCOUNTS (minutes for 10,000)"
    nice -n 19 deploy/provision-accounts.sh "$ACCOUNTS" --agents "$(names)" >/dev/null
  fi
  export ACCOUNTS
else
  echo "== provisioning $DEVICES accounts (minutes for 10,000; --accounts DIR keeps them)"
  broker_provision --agents "$(names)"
fi

TICK=$(getconf CLK_TCK)
cpu_ms() { local f; read -r -a f <"/proc/$1/stat"; echo $(( (f[13] + f[14]) * 1000 / TICK )); }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
established() { ss -Htn state established "( sport = :$BROKER_PORT )" | wc -l; }
# heap_kb PID FILE: the heap PID has in use (glibc's malloc_stats, called through gdb,
# which prints to PID's standard error, FILE here), in kB; "?" without gdb. RSS alone
# hides the connections: the broker frees tens of MB after parsing dynsec.json and
# the connections reuse them.
heap_kb() {
  command -v gdb >/dev/null || { echo '?'; return 0; }
  local off
  off=$(stat -c %s "$2")
  timeout 60 gdb -p "$1" -batch -ex 'call (void) malloc_stats()' >/dev/null 2>&1 || { echo '?'; return 0; }
  tail -c "+$((off + 1))" "$2" | awk '/^Total/ { t = 1 } t && /in use bytes/ { v = int($NF / 1024) } END { print (v == "" ? "?" : v) }'
}
saves() { grep -c 'Saving in-memory database' "$WORK/mosquitto.log" || true; }
# quiet PID...: true when none of them used more than 20 ms of CPU in the last 0.5 s.
_q_prev=''
quiet() {
  local now='' p
  for p in "$@"; do now+="$(cpu_ms "$p") "; done
  local prev=$_q_prev
  _q_prev=$now
  [ -n "$prev" ] || return 1
  local -a a b
  read -r -a a <<<"$prev"; read -r -a b <<<"$now"
  for p in "${!a[@]}"; do [ $(( b[p] - a[p] )) -le 20 ] || return 1; done
}
settle() { _q_prev=''; poll_until 120 quiet "$BROKER_PID" "$COORD_PID" || log "not quiet after 120 s: measuring anyway"; }
all_ready() {
  local i
  for ((i = 0; i < PROCS; i++)); do grep -q '^ready ' "$WORK/idle-$r-$i.out" || return 1; done
}
all_said() { # WORD COUNT: COUNT lines starting with WORD in every client's output
  local i
  for ((i = 0; i < PROCS; i++)); do
    [ "$(grep -c "^$1 " "$WORK/idle-$r-$i.out")" -ge "$2" ] || return 1
  done
}
sum_field() { # WORD FIELD: the sum of FIELD=N over the clients' last WORD lines
  local i s=0 v
  for ((i = 0; i < PROCS; i++)); do
    v=$(grep "^$1 " "$WORK/idle-$r-$i.out" | tail -1 | tr ' ' '\n' | sed -n "s/^$2=//p")
    s=$((s + ${v:-0}))
  done
  echo "$s"
}
max_field() {
  local i m=0 v
  for ((i = 0; i < PROCS; i++)); do
    v=$(grep "^$1 " "$WORK/idle-$r-$i.out" | tail -1 | tr ' ' '\n' | sed -n "s/^$2=//p")
    [ "${v:-0}" -le "$m" ] || m=$v
  done
  echo "$m"
}

ok=1 CMD=''
per=$(( (DEVICES + PROCS - 1) / PROCS ))
for r in $(seq 1 "$ROUNDS"); do
  echo "== round $r: fresh broker and coordinator"
  coordinator_stop
  broker_stop
  rm -rf -- "$WORK/mosq-data" "$WORK"/coordinator.db*
  broker_start
  coordinator_start
  trip_upsert "2026-idle-$r" 2026-11-01 cili 慈利县
  settle
  b_rss0=$(rss_kb "$BROKER_PID") c_rss0=$(rss_kb "$COORD_PID")
  b_heap0=$(heap_kb "$BROKER_PID" "$WORK/mosquitto.stderr") c_heap0=$(heap_kb "$COORD_PID" "$WORK/coordinator.log")
  echo "   before the devices: broker RSS $b_rss0 kB (heap in use $b_heap0 kB)," \
    "coordinator RSS $c_rss0 kB (heap $c_heap0 kB)"

  pids=() t0=$(_now_us)
  for ((i = 0; i < PROCS; i++)); do
    first=$((1 + i * per)) n=$per
    [ $((first + n - 1)) -le "$DEVICES" ] || n=$((DEVICES - first + 1))
    [ "$n" -ge 1 ] || break
    args=(idle --broker "$BROKER_URI" --secrets "$ACCOUNTS/secrets" --agents "$n" --first "$first"
          --hold-s $((IDLE_S + 900)) --window 8 --connect-timeout-ms 30000)
    [ -n "$CMD" ] || CMD="outreach-loadgen ${args[*]//"$WORK"/\$WORK}"
    "$LOADGEN_BIN" "${args[@]}" >"$WORK/idle-$r-$i.out" 2>"$WORK/idle-$r-$i.err" &
    pids+=($!)
    track_pid $!
  done
  PROCS_R=${#pids[@]}
  wait_until 600 "all $DEVICES devices tried" all_ready
  connect_s=$(( ($(_now_us) - t0) / 100000 ))
  ready=$(sum_field ready connected) failed=$(sum_field ready failed)
  echo "   ready: $ready of $DEVICES connected, $failed failed, in $((connect_s / 10)).$((connect_s % 10)) s"
  cat "$WORK"/idle-"$r"-*.err >&2 || true
  settle

  # The idle window.
  b_hwm=$(hwm_kb "$BROKER_PID") c_hwm=$(hwm_kb "$COORD_PID")
  b_rss1=$(rss_kb "$BROKER_PID") c_rss1=$(rss_kb "$COORD_PID") est1=$(established)
  s1=$(saves)
  b_cpu1=$(cpu_ms "$BROKER_PID") c_cpu1=$(cpu_ms "$COORD_PID") w1=$(_now_us)
  kill -USR1 "${pids[@]}"
  wait_until 30 "the clients' counts" all_said now 1
  now1=$(sum_field now connected)
  echo "   idle for $IDLE_S s: $now1 connected (clients), $est1 sockets established (broker port)"
  sleep "$IDLE_S"
  b_cpu2=$(cpu_ms "$BROKER_PID") c_cpu2=$(cpu_ms "$COORD_PID") w2=$(_now_us)
  b_rss2=$(rss_kb "$BROKER_PID") c_rss2=$(rss_kb "$COORD_PID") est2=$(established) s2=$(saves)
  db_kb=$(( $(stat -c %s "$WORK/mosq-data/mosquitto.db" 2>/dev/null || echo 0) / 1024 ))
  b_heap2=$(heap_kb "$BROKER_PID" "$WORK/mosquitto.stderr") c_heap2=$(heap_kb "$COORD_PID" "$WORK/coordinator.log")
  kill -TERM "${pids[@]}"
  wait_until 60 "the clients' last counts" all_said end 1
  end=$(sum_field end connected) lost=$(sum_field end lost) msgs=$(sum_field end messages)
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  denied=$(grep -c -e 'denied access by tcpd' -e 'Unable to accept' -e 'max_connections exceeded' \
    "$WORK/mosquitto.log" || true)
  wall_ms=$(( (w2 - w1) / 1000 ))
  b_cpu=$(( (b_cpu2 - b_cpu1) * 1000 / wall_ms )) c_cpu=$(( (c_cpu2 - c_cpu1) * 1000 / wall_ms ))
  b_per='?' c_per='?'
  [ "$b_heap0" = '?' ] || [ "$b_heap2" = '?' ] || b_per=$(( (b_heap2 - b_heap0) * 1024 / DEVICES ))
  [ "$c_heap0" = '?' ] || [ "$c_heap2" = '?' ] || c_per=$(( (c_heap2 - c_heap0) * 1024 / DEVICES ))
  echo "   end: $end connected, $lost lost, $est2 sockets; broker ${b_rss2} kB (peak $b_hwm)," \
    "CPU $b_cpu ms/s, heap $b_heap2 kB ($b_per B a device), $((s2 - s1)) saves of a $db_kb kB mosquitto.db;" \
    "coordinator ${c_rss2} kB (peak $c_hwm), CPU $c_cpu ms/s, heap $c_heap2 kB; $denied refusals in the broker log"
  [ "$ready" = "$DEVICES" ] && [ "$end" = "$DEVICES" ] && [ "$lost" = 0 ] && [ "$denied" = 0 ] || ok=0
  printf '%s\n' "connect_s=$connect_s ready=$ready failed=$failed end=$end lost=$lost est1=$est1 est2=$est2" \
    "denied=$denied msgs=$msgs b_rss0=$b_rss0 b_rss1=$b_rss1 b_rss2=$b_rss2 b_hwm=$b_hwm b_cpu=$b_cpu b_per=$b_per" \
    "c_rss0=$c_rss0 c_rss1=$c_rss1 c_rss2=$c_rss2 c_hwm=$c_hwm c_cpu=$c_cpu c_per=$c_per" \
    "b_heap0=$b_heap0 b_heap2=$b_heap2 c_heap0=$c_heap0 c_heap2=$c_heap2 saves=$((s2 - s1)) db_kb=$db_kb" \
    >"$WORK/round-$r.txt"
done
coordinator_stop

vals() { # KEY: the rounds' values, "v1, v2, v3"
  local k=$1 out=() x
  for x in $(seq 1 "$ROUNDS"); do
    out+=("$(tr ' ' '\n' <"$WORK/round-$x.txt" | sed -n "s/^$k=//p")")
  done
  local IFS=,
  printf '%s\n' "${out[*]}" | sed 's/,/, /g'
}
mmm() { # KEY [DIV]: "min / median / max" (divided by DIV, one decimal when DIV is 10 or 1024)
  local v
  v=$(vals "$1" | tr ',' '\n' | tr -d ' ' | sort -g)
  awk -v d="${2:-1}" '{ v[NR] = $1 } END {
      f = (d == 1) ? "%d" : "%.1f"; m = v[int((NR + 1) / 2)]
      printf(f " / " f " / " f "\n", v[1] / d, m / d, v[NR] / d) }' <<<"$v"
}
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
ver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo '?'; }
entry=$(cat <<ENTRY
## $(date -u +%Y-%m-%dT%H:%MZ): idle field devices (bench/idle.sh), $(nproc) cores, ${cpu:-unknown CPU}, $ROUNDS rounds

Mosquitto $(ver mosquitto) with broker-config/ (dynamic security, outreach_policy,
max_connections 10000 per listener), Paho C $(ver libpaho-mqtt1.3), coordinator defaults, all on
127.0.0.1. $DEVICES devices (own accounts idle-NNNNN, client id = account) over $PROCS_R client
processes, each device as the agent daemon: MQTT 5, durable session, keep-alive 30 s, retained
will, subscribed to its acks and \`trips/+\` (one trip card), retained online status. Each
round: a fresh broker and coordinator, the devices connected 8 at a time in each process,
then (after both were quiet) a ${IDLE_S} s idle window. RSS is VmRSS from /proc; "before" is
with the broker and coordinator started and nothing else connected. CPU is user + system over
the window, in ms per second (1000 = one core). Open-file limit: \`ulimit -n $(ulimit -n)\`.

| figure | min / median / max | rounds |
|---|---|---|
| devices connected at the start of the window (clients' count) | $(mmm ready) | $(vals ready) |
| devices connected at its end (clients' count) | $(mmm end) | $(vals end) |
| sockets established on the broker's port at its end (ss; the coordinator's included) | $(mmm est2) | $(vals est2) |
| connections lost during the window (clients' count) | $(mmm lost) | $(vals lost) |
| clients refused in the broker log (tcpd, accept, max_connections) | $(mmm denied) | $(vals denied) |
| time to connect them all, s | $(mmm connect_s 10) | $(vals connect_s) (tenths) |
| broker RSS before the devices, MB | $(mmm b_rss0 1024) | $(vals b_rss0) kB |
| broker RSS at the end of the window, MB | $(mmm b_rss2 1024) | $(vals b_rss2) kB |
| broker RSS peak (VmHWM), MB | $(mmm b_hwm 1024) | $(vals b_hwm) kB |
| broker heap in use before the devices (glibc malloc_stats via gdb), MB | $(mmm b_heap0 1024) | $(vals b_heap0) kB |
| broker heap in use at the end of the window, MB | $(mmm b_heap2 1024) | $(vals b_heap2) kB |
| broker heap per device, bytes | $(mmm b_per) | $(vals b_per) |
| persistence: mosquitto.db at the end of the window, kB | $(mmm db_kb) | $(vals db_kb) |
| persistence: saves of mosquitto.db during the window (autosave_interval 1) | $(mmm saves) | $(vals saves) |
| broker CPU at idle, ms/s | $(mmm b_cpu) | $(vals b_cpu) |
| coordinator RSS before the devices, MB | $(mmm c_rss0 1024) | $(vals c_rss0) kB |
| coordinator RSS at the end of the window, MB | $(mmm c_rss2 1024) | $(vals c_rss2) kB |
| coordinator RSS peak (VmHWM), MB | $(mmm c_hwm 1024) | $(vals c_hwm) kB |
| coordinator heap in use before the devices, MB | $(mmm c_heap0 1024) | $(vals c_heap0) kB |
| coordinator heap in use at the end of the window, MB | $(mmm c_heap2 1024) | $(vals c_heap2) kB |
| coordinator CPU at idle, ms/s | $(mmm c_cpu) | $(vals c_cpu) |

Client command (process 1 of round 1; the others take the next \`--first\`): \`$CMD\`
ENTRY
)
bench_report "$entry"
[ "$ok" = 1 ] || { echo "bench/idle.sh: not every device stayed connected (see above)" >&2; exit 1; }
