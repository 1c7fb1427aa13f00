#!/usr/bin/env bash
# bench/scale.sh -- the scale benchmark (issue 12), run by hand (not in CI):
# does the coordinator cost the same on a big store as on an empty one? It
# writes stores of synthetic reports with outreach-gen-store (tools/gen_store.c:
# the coordinator's own schema, 1,000 trips over 2024-2026, 10% check-ins, 200
# agents team-001..., random msg_ids) and measures on each, in ONE run, over
# ROUNDS rounds (min / median / max):
#   - start to "ready" (the log's "coordinator ready"), warm page cache, and
#     cold after `sync; echo 3 > /proc/sys/vm/drop_caches` (when the kernel
#     lets us; the table says so otherwise);
#   - wall time of `outreach-coordinator progress` and `agents` (daemon running);
#   - `export --csv` rows/s (to a file under the store directory, then removed);
#   - file size and bytes per report (as generated, after a clean close);
#   - (b) of bench/run.sh: 200 loadgen agents as fast as their window allows,
#     coordinator and broker CPU per report (user + system, whole phase);
#   - (d) of bench/run.sh: a paced 1,000 reports/s, publish-to-ack p50/p99 and
#     coordinator CPU per report.
# The first column is an empty store (the same trips, no reports; made afresh
# every round); the ratios (big / empty) are what compares across runs. The
# loadgen's trips (2026-scale-*) are created in each store by trip.upsert;
# the big stores keep the loadgen's reports from round to round (30,000 a
# round by default: 3% of 1M).
#
#   bash bench/scale.sh [--sizes "1000000 10000000"] [--rounds N] [--no-append]
#                       [--store-dir DIR] [--keep-stores]
#
#   --sizes "N..."   big store sizes in reports (default "1000000"; SCALE_10M=1
#                    adds 10000000)
#   --rounds N       rounds (default 3)
#   --no-append      print only; leave BENCHMARKS.md alone
#   --store-dir DIR  where stores go (default /tmp/outreach-scale; 1M ~ 0.5 GB,
#                    10M ~ 5 GB); deleted at the end unless --keep-stores
#   --keep-stores    keep them (a later run with the same DIR and sizes reuses
#                    a store only if its generator JSON is there; the figures
#                    then include the reports earlier runs added)
#   PER_AGENT=50 (b) reports per agent   PACED_N=25 (d) reports per agent
#   RANDOM_IDS=1     the loadgen's msg_ids random (version 4, as devices before
#                    time-ordered ids), not time-ordered (version 7, as the field
#                    agent makes them): the random-key case of the msg_id index
#   RESEND_MS=120000 the loadgen's resend interval: long, so that a coordinator
#                    slower than the 10,000 reports in flight is measured on
#                    reports, not on a flood of resends (bench/run.sh: 3000)
#   KEEP_WORK=1 keeps the work directory (logs, JSON of every phase).
#
# How long (measured 2026-12-01 on 2 cores shared with three other benchmarks,
# load average ~20, nice 19): generating 1M took 32 s (122k reports per CPU
# second) plus 11-19 s for the figures' rebuild; 10M took 245 s (41k/s, 80k
# per CPU second) plus 130 s of rebuild, 4.9 GB. One round took ~1 min
# on the empty store and ~3 min on 1M (PER_AGENT=25 PACED_N=15): 3 rounds with
# 1M ~12 min. A 10M round (before issue 12) is ~10x a 1M round.
# Exit 0 when every phase ran and checked out, else 1.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=3 APPEND=1 STORE_DIR=/tmp/outreach-scale KEEP_STORES=0 SIZES=1000000
[ "${SCALE_10M:-0}" = 1 ] && SIZES="1000000 10000000"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) [ $# -ge 2 ] || { echo "scale: --rounds needs a number" >&2; exit 2; }
      ROUNDS=$2; shift 2 ;;
    --sizes) [ $# -ge 2 ] || { echo "scale: --sizes needs sizes, e.g. \"1000000 10000000\"" >&2; exit 2; }
      SIZES=$2; shift 2 ;;
    --store-dir) [ $# -ge 2 ] || { echo "scale: --store-dir needs a directory" >&2; exit 2; }
      STORE_DIR=$2; shift 2 ;;
    --keep-stores) KEEP_STORES=1; shift ;;
    --no-append) APPEND=0; shift ;;
    -h|--help) sed -n '2,45p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "scale: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
PER_AGENT=${PER_AGENT:-50} PACED_N=${PACED_N:-25} AGENTS=200 RATE=1000
RESEND_MS=${RESEND_MS:-120000}
RUN=$(date +%s) # in the loadgen's trip ids: a kept store has those of earlier runs
IDS_FLAG="" IDS_NOTE="time-ordered msg_ids (version 7, as the field agent makes them)"
if [ "${RANDOM_IDS:-0}" = 1 ]; then
  IDS_FLAG=--random-ids IDS_NOTE="random msg_ids (version 4, RANDOM_IDS=1)"
fi
for v in ROUNDS PER_AGENT PACED_N RESEND_MS; do
  [[ ${!v} =~ ^[1-9][0-9]{0,5}$ ]] || { echo "scale: $v must be a positive integer" >&2; exit 2; }
done
[ "$ROUNDS" -le 20 ] || { echo "scale: at most 20 rounds" >&2; exit 2; }
for n in $SIZES; do
  [[ $n =~ ^[1-9][0-9]{0,8}$ ]] || { echo "scale: --sizes: '$n' is not a positive report count" >&2; exit 2; }
done
mkdir -p "$STORE_DIR"
STORE_DIR=$(realpath "$STORE_DIR")

# Needs the packages of scripts/deps.sh (run it first on a new machine).
echo "== building (Release) in build-bench"
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DOUTREACH_TESTS=OFF >/dev/null
nice -n 19 cmake --build build-bench -j 1 >/dev/null
export OUTREACH_BUILD_DIR=$PWD/build-bench
source bench/lib.sh
tmpdir_setup
GEN_BIN=$OUTREACH_BUILD_DIR/tools/outreach-gen-store
VALS=$WORK/vals # VALS/SIZE/FIGURE: one value per round
cleanup_stores() {
  [ "$KEEP_STORES" = 1 ] && return 0
  local n
  for n in 0 $SIZES; do rm -f "$STORE_DIR/store-$n.db"{,-wal,-shm} "$STORE_DIR/store-$n.json"; done
  rm -f "$STORE_DIR/export.csv"
  rmdir "$STORE_DIR" 2>/dev/null || true
}
on_exit cleanup_stores

# gen SIZE: makes STORE_DIR/store-SIZE.db (kept if its JSON is there).
gen() {
  local db=$STORE_DIR/store-$1.db
  if [ -s "$STORE_DIR/store-$1.json" ] && [ -f "$db" ]; then
    echo "== reusing $db"
    return 0
  fi
  rm -f "$db" "$db-wal" "$db-shm"
  echo "== generating $1 reports: outreach-gen-store --db $db --reports $1"
  nice -n 19 "$GEN_BIN" --db "$db" --reports "$1" --quiet >"$STORE_DIR/store-$1.json.tmp"
  mv "$STORE_DIR/store-$1.json.tmp" "$STORE_DIR/store-$1.json"
  jq -c '{reports, load_s, load_cpu_s, rebuild_s, rebuild_cpu_s, reports_per_s, reports_per_cpu_s}' \
    "$STORE_DIR/store-$1.json"
}
for n in $SIZES; do gen "$n"; done

echo "== $AGENTS agent accounts, broker"
broker_provision --agents "$(lg_agents $AGENTS)" --volunteers "vol-01"
broker_start
on_exit coordinator_stop

TICK=$(getconf CLK_TCK)
cpu_ms() { # PID: user + system CPU time in ms (fields 14 and 15 of /proc/PID/stat)
  local f
  read -r -a f <"/proc/$1/stat"
  echo $(( (f[13] + f[14]) * 1000 / TICK ))
}
put() { mkdir -p "$VALS/$1"; echo "$3" >>"$VALS/$1/$2"; } # SIZE FIGURE VALUE

# start_timed SIZE DB: starts the coordinator on DB and sets START_MS to the ms
# from its launch to its "coordinator ready" log line; then waits until it is
# online. Runs in this shell (not in $(...)): COORD_PID must stay set.
start_timed() {
  local t0 t1 log=$WORK/coordinator.log lines i
  touch "$log"
  lines=$(wc -l <"$log")
  t0=$(_now_us)
  "$COORD_BIN" run --init --broker "$BROKER_URI" --db "$2" --username coordinator \
    --password-file "$(secret coordinator)" --share-group-file "$ACCOUNTS/secrets/share-group" \
    >>"$log" 2>&1 &
  COORD_PID=$!
  # Bounded: 30,000 looks at 20 ms (10 minutes).
  for ((i = 0; i < 30000; i++)); do
    if tail -n +"$((lines + 1))" "$log" | grep -q "coordinator ready"; then break; fi
    kill -0 "$COORD_PID" 2>/dev/null || { tail -20 "$log" >&2; fail "coordinator exited while starting on $2"; }
    sleep 0.02
  done
  t1=$(_now_us)
  [ "$i" -lt 30000 ] || fail "coordinator not ready on $2 after 10 minutes"
  wait_until 60 "coordinator online" coordinator_is_online
  START_MS=$(( (t1 - t0) / 1000 ))
}
can_drop=0 drop_note=""
if sync && echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then
  can_drop=1
else
  drop_note="not measured: this kernel does not let us drop the page cache (echo 3 > /proc/sys/vm/drop_caches failed)"
fi

timed_ms() { # CMD...: runs CMD (output discarded), prints its wall ms
  local t0 t1
  t0=$(_now_us)
  "$@" >/dev/null || fail "failed: $*"
  t1=$(_now_us)
  echo $(( (t1 - t0) / 1000 ))
}

# loadphase SIZE NAME TRIP RATE N: one loadgen run; CPU of coordinator and broker.
loadphase() {
  local size=$1 name=$2 trip=$3 rate=$4 n=$5 c0 b0 c1 b1 json=$WORK/$1-$2.json reports
  trip_upsert "$trip" 2026-11-02 cili 慈利县
  c0=$(cpu_ms "$COORD_PID"); b0=$(cpu_ms "$BROKER_PID")
  if ! "$LOADGEN_BIN" run --broker "$BROKER_URI" --secrets "$ACCOUNTS/secrets" --agents $AGENTS \
    --reports-per-agent "$n" --trip "$trip" --rate "$rate" --window 50 --resend-ms "$RESEND_MS" --deadline-s 1200 \
    ${IDS_FLAG:+"$IDS_FLAG"} \
    --check-progress --json "$json" >"$WORK/$1-$2.log" 2>&1; then
    cat "$WORK/$1-$2.log" >&2
    fail "$size $name: the load generator failed"
  fi
  c1=$(cpu_ms "$COORD_PID"); b1=$(cpu_ms "$BROKER_PID")
  reports=$(jq .reports "$json")
  put "$size" "${name}_coord_us" $(( (c1 - c0) * 1000 / reports ))
  put "$size" "${name}_broker_us" $(( (b1 - b0) * 1000 / reports ))
  put "$size" "${name}_rate" "$(jq '.rate_per_s | floor' "$json")"
  put "$size" "${name}_p50" "$(jq '.latency_ms.p50' "$json")"
  put "$size" "${name}_p99" "$(jq '.latency_ms.p99' "$json")"
}

# measure SIZE ROUND: one round on one store.
measure() {
  local size=$1 r=$2 db=$STORE_DIR/store-$1.db ms rows t0 t1
  echo "== round $r, store of $size reports"
  if [ "$size" = 0 ]; then # the empty store, afresh
    rm -f "$db" "$db-wal" "$db-shm"
    "$GEN_BIN" --db "$db" --reports 0 --quiet >/dev/null
  fi
  if [ "$r" = 1 ]; then
    put "$size" bytes $(( $(stat -c %s "$db") + $(stat -c %s "$db-wal" 2>/dev/null || echo 0) ))
  fi
  if [ "$can_drop" = 1 ]; then
    sync; echo 3 >/proc/sys/vm/drop_caches
    start_timed "$size" "$db"; put "$size" start_cold "$START_MS"; echo "   cold start $START_MS ms"
    coordinator_stop
  fi
  start_timed "$size" "$db"; put "$size" start_warm "$START_MS"; echo "   warm start $START_MS ms"
  ms=$(timed_ms "$COORD_BIN" progress --db "$db" --json); put "$size" progress "$ms"
  ms=$(timed_ms "$COORD_BIN" agents --db "$db" --json); put "$size" agents "$ms"
  echo "   progress $(tail -1 "$VALS/$size/progress") ms, agents $ms ms"
  t0=$(_now_us)
  "$COORD_BIN" export --db "$db" --csv --output "$STORE_DIR/export.csv" || fail "export failed"
  t1=$(_now_us)
  rows=$(( $(wc -l <"$STORE_DIR/export.csv") - 1 ))
  rm -f "$STORE_DIR/export.csv"
  put "$size" export_rows "$rows"
  [ "$rows" = 0 ] || put "$size" export_rps $(( rows * 1000000 / (t1 - t0 + 1) ))
  echo "   export $rows rows in $(( (t1 - t0) / 1000 )) ms"
  loadphase "$size" b "2026-scale-max-$size-$RUN-$r" 0 "$PER_AGENT"
  echo "   (b) coordinator $(tail -1 "$VALS/$size/b_coord_us") us/report, broker $(tail -1 "$VALS/$size/b_broker_us") us/report"
  loadphase "$size" d "2026-scale-1k-$size-$RUN-$r" $RATE "$PACED_N"
  echo "   (d) p99 $(tail -1 "$VALS/$size/d_p99") ms, coordinator $(tail -1 "$VALS/$size/d_coord_us") us/report"
  coordinator_stop
}

for r in $(seq 1 "$ROUNDS"); do
  for n in 0 $SIZES; do measure "$n" "$r"; done
done

# ---- the table ----
mmm() { # SIZE FIGURE: "min / median / max" (median: the lower of an even count)
  local f=$VALS/$1/$2
  [ -s "$f" ] || { echo "–"; return; }
  sort -g "$f" | awk '{ v[NR] = $1 } END { if (NR == 1) print v[1]; else printf "%s / %s / %s\n", v[1], v[int((NR + 1) / 2)], v[NR] }'
}
median() { [ -s "$VALS/$1/$2" ] && sort -g "$VALS/$1/$2" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }' || echo 0; }
ratio() { # A B: A / B with one decimal, "–" when B is 0
  awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "–"; else printf "%.1f×\n", a / b }'
}
human() { # N -> 1M, 10M, 0 -> empty
  case $1 in 0) echo "empty store" ;; *000000) echo "$(( $1 / 1000000 ))M reports" ;; *) echo "$1 reports" ;; esac
}
cols=("0" $SIZES)
hdr="| figure (min / median / max over $ROUNDS rounds) |" sep="|---|"
for n in "${cols[@]}"; do hdr="$hdr $(human "$n") |"; sep="$sep---|"; done
row() { # LABEL FIGURE UNIT
  local line="| $1 |" n v
  for n in "${cols[@]}"; do
    v=$(mmm "$n" "$2")
    [ "$v" = "–" ] && line="$line – |" || line="$line $v${3:+ $3} |"
  done
  echo "$line"
}
rowf() { # LABEL FUNC: a computed cell per size
  local line="| $1 |" n
  for n in "${cols[@]}"; do line="$line $("$2" "$n") |"; done
  echo "$line"
}
cell_bytes() { local b; b=$(median "$1" bytes); [ "$1" = 0 ] && echo "$(( b / 1024 )) KiB" || echo "$(( b / 1048576 )) MiB, $(( b / $1 )) B/report"; }
cell_cpu_ratio() { ratio "$(median "$1" b_coord_us)" "$(median 0 b_coord_us)"; }
cell_coord_broker() { ratio "$(median "$1" b_coord_us)" "$(median "$1" b_broker_us)"; }
cell_paced_sat() { ratio "$(median "$1" d_coord_us)" "$(median "$1" b_coord_us)"; }
cell_gen() { [ "$1" = 0 ] && echo "–" || jq -r '"\(.reports_per_s) /s (\(.reports_per_cpu_s) per CPU-s), figures rebuilt in \(.rebuild_s) s"' "$STORE_DIR/store-$1.json"; }
cold_label="start to \"ready\", cold cache"
[ "$can_drop" = 1 ] || cold_label="start to \"ready\", cold cache: $drop_note"
table=$(cat <<TABLE
$hdr
$sep
$(row "start to \"ready\", warm cache" start_warm ms)
$(row "$cold_label" start_cold ms)
$(row "\`outreach-coordinator progress --json\` (daemon running)" progress ms)
$(row "\`outreach-coordinator agents --json\`" agents ms)
$(row "\`export --csv\`" export_rps rows/s)
$(rowf "file size (as generated)" cell_bytes)
$(row "(b) coordinator CPU per report at saturation, $AGENTS agents x $PER_AGENT" b_coord_us µs)
$(rowf "(b) coordinator CPU per report / empty store's (goal at 10M: <= 1.2×)" cell_cpu_ratio)
$(row "(b) broker CPU per report" b_broker_us µs)
$(rowf "(b) coordinator / broker CPU per report (goal <= 2×)" cell_coord_broker)
$(row "(b) committed-and-acked rate" b_rate reports/s)
$(row "(d) p50 publish-to-ack, $AGENTS agents x $PACED_N paced at $RATE/s" d_p50 ms)
$(row "(d) p99 publish-to-ack (goal at 10M: < 50 ms)" d_p99 ms)
$(row "(d) coordinator CPU per report, paced" d_coord_us µs)
$(rowf "(d) paced / saturated coordinator CPU per report (goal <= 1.5×)" cell_paced_sat)
$(rowf "store generation (outreach-gen-store)" cell_gen)
TABLE
)
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
ver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo '?'; }
entry=$(cat <<ENTRY
## $(date -u +%Y-%m-%dT%H:%MZ): scale, $(nproc) cores, ${cpu:-unknown CPU}, $ROUNDS rounds, $(git rev-parse --short HEAD 2>/dev/null || echo '?')

\`bash bench/scale.sh --sizes "$SIZES" --rounds $ROUNDS\`: stores from \`outreach-gen-store --reports N\`
(1,000 trips over 2024-2026, 10% check-ins, 200 agents, random msg_ids); the loadgen sends
$IDS_NOTE and resends after $RESEND_MS ms; the empty store has the same trips and no reports. The big stores keep the loadgen's reports between rounds
($(( AGENTS * (PER_AGENT + PACED_N) )) a round). Mosquitto $(ver mosquitto), Paho C $(ver libpaho-mqtt1.3),
SQLite $(ver libsqlite3-0); coordinator defaults; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg).

$table
ENTRY
)
bench_report "$entry"
