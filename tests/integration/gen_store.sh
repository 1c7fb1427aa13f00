#!/usr/bin/env bash
# gen_store.sh -- outreach-gen-store (tools/gen_store.c, the scale benchmark's
# store generator) writes a store the coordinator reads as its own: for each
# year, `outreach-coordinator progress --json` shows exactly the figures the
# generator says it wrote (whole year and summed over the counties), every
# report is there once, every agent's seqs are one range 1..last with nothing
# missing, every payload decodes (--validate-all), the same seed gives the same
# store, an existing file is refused, and a failed or killed run never leaves
# FILE behind. Small (2,000 reports; one run of 3M killed early), no broker.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh" # pass, the binaries; no broker started
: "${OUTREACH_BUILD_DIR:?set OUTREACH_BUILD_DIR to the build directory}"
GEN_BIN="$OUTREACH_BUILD_DIR/tools/outreach-gen-store"
tmpdir_setup

N=2000
"$GEN_BIN" --db "$WORK/g.db" --reports $N --trips 60 --years 2024-2026 --checkins 0.2 \
  --agents 25 --staff 300 --seed 7 --validate-all --quiet >"$WORK/gen.json"
assert_eq "$N" "$(jq .reports "$WORK/gen.json")" "reports the generator says it wrote"
assert_eq "$N" "$(jq .validated "$WORK/gen.json")" "payloads decoded by report_decode"
assert_eq "$N" "$(jq '[.years[].reports] | add' "$WORK/gen.json")" "reports summed over the years"
assert_eq "$N" "$(sqlite3 "$WORK/g.db" 'SELECT COUNT(DISTINCT msg_id) FROM reports')" \
  "distinct msg_ids stored"
assert_eq "g.db gen.json" "$(cd "$WORK" && ls g.db* gen.json | paste -sd' ')" \
  "the store alone: no FILE.tmp and no side file of it left"
pass "$N reports stored, each msg_id once, every payload valid for its kind"

# The progress figures, as the contract names them, from the generator's sums.
want() { # YEAR: the generator's figures for YEAR, shaped like progress --json
  jq -c --arg y "$1" '.years[$y] | {consultations: .consultations, female, over_60,
    poor_households, staff, value_fen, dispenses, referrals, by_destination, brochures,
    attendees, talks, trips}' "$WORK/gen.json"
}
got() { # the same figures from a progress object on stdin
  jq -c '{consultations: .consultations.count, female: .consultations.female,
    over_60: .consultations.over_60, poor_households: .consultations.poor_households,
    staff: .staff.count, value_fen: .medicine.value_fen, dispenses: .medicine.dispenses,
    referrals: .referrals.count, by_destination: .referrals.by_destination,
    brochures: .education.brochures, attendees: .education.attendees,
    talks: .education.talks, trips}'
}
for y in 2024 2025 2026; do
  "$COORD_BIN" progress --db "$WORK/g.db" --year $y --json >"$WORK/p$y.json"
  assert_eq "$(want $y)" "$(got <"$WORK/p$y.json")" "progress --json of $y"
  # The counties partition the year's trips (staff aside: one person may work in two).
  assert_eq "$(want $y | jq .consultations)" \
    "$(jq '[.counties[].consultations.count] | add' "$WORK/p$y.json")" "consultations of $y's counties"
  assert_eq "$(want $y | jq .value_fen)" \
    "$(jq '[.counties[].medicine.value_fen] | add' "$WORK/p$y.json")" "medicine of $y's counties"
done
[ "$(jq '[.years[].consultations] | add' "$WORK/gen.json")" -gt 0 ] || fail "no consultations generated"
[ "$(jq '[.years[].staff] | add' "$WORK/gen.json")" -gt 0 ] || fail "no staff generated"
pass "progress --json equals what the generator wrote, for every year and county sum"

# Agents: one seq range each, nothing missing, their seqs add up to the reports.
assert_eq "$N" "$(sqlite3 "$WORK/g.db" 'SELECT SUM(last_seq) FROM agents')" "sum of the agents' last seqs"
assert_eq "25|25|0" "$(sqlite3 "$WORK/g.db" "SELECT COUNT(*), SUM(seq_ranges),
  (SELECT COUNT(*) FROM agent_seqs s JOIN agents a USING (agent_id) WHERE s.lo <> 1 OR s.hi <> a.last_seq)
  FROM agents")" "agents, their ranges, ranges other than 1..last_seq"
"$COORD_BIN" agents --db "$WORK/g.db" --json >"$WORK/agents.json"
assert_eq "25" "$(jq '.agents | length' "$WORK/agents.json")" "agents listed"
assert_eq "0" "$(jq '[.agents[].missing_count] | add' "$WORK/agents.json")" "seqs missing"
pass "agents team-001..team-025, seqs 1..last each, none missing"

"$GEN_BIN" --db "$WORK/h.db" --reports $N --trips 60 --years 2024-2026 --checkins 0.2 \
  --agents 25 --staff 300 --seed 7 --quiet >"$WORK/gen2.json"
assert_eq "$(jq -c 'del(.db, .load_s, .load_cpu_s, .rebuild_s, .rebuild_cpu_s, .reports_per_s, .reports_per_cpu_s, .validated)' "$WORK/gen.json")" \
  "$(jq -c 'del(.db, .load_s, .load_cpu_s, .rebuild_s, .rebuild_cpu_s, .reports_per_s, .reports_per_cpu_s, .validated)' "$WORK/gen2.json")" "same seed, same sums"
assert_eq "$(sqlite3 "$WORK/g.db" 'SELECT msg_id, seq FROM reports ORDER BY msg_id' | md5sum)" \
  "$(sqlite3 "$WORK/h.db" 'SELECT msg_id, seq FROM reports ORDER BY msg_id' | md5sum)" "same seed, same reports"
pass "the same seed gives the same store"

rc=0
"$GEN_BIN" --db "$WORK/g.db" --reports 10 >/dev/null 2>"$WORK/err" || rc=$?
assert_eq 2 "$rc" "exit status over an existing store"
grep -q "exists; give a new file" "$WORK/err" || fail "no word of the existing file: $(cat "$WORK/err")"
rc=0
"$GEN_BIN" --db "$WORK/x.db" --reports -5 >/dev/null 2>"$WORK/err" || rc=$?
assert_eq 2 "$rc" "exit status of --reports -5"
grep -q -- "--reports must be an integer" "$WORK/err" || fail "no word of --reports: $(cat "$WORK/err")"
[ ! -e "$WORK/x.db" ] || fail "a refused run created $WORK/x.db"
pass "an existing store and a bad count are refused, nothing written"

# A store is written as FILE.tmp and renamed once complete: a run that fails
# leaves nothing, a run that is killed leaves FILE.tmp and never FILE (the
# next run for FILE removes it), and the store has the new reports layout.
rc=0
"$GEN_BIN" --db "$WORK/missing/m.db" --reports 10 --quiet >/dev/null 2>"$WORK/err" || rc=$?
assert_eq 1 "$rc" "exit status with --db in a missing directory"
grep -q "m.db.tmp" "$WORK/err" || fail "no word of the file: $(cat "$WORK/err")"
[ ! -e "$WORK/missing" ] || fail "a failed run created $WORK/missing"
"$GEN_BIN" --db "$WORK/k.db" --reports 3000000 --quiet >/dev/null 2>&1 &
gen_pid=$!
kill_gen() { kill -9 "$gen_pid" 2>/dev/null || true; }
on_exit kill_gen
wait_until 30 "the killed run's FILE.tmp has reports" \
  bash -c "[ \$(stat -c %s '$WORK/k.db.tmp' 2>/dev/null || echo 0) -gt 1000000 ]"
kill -9 "$gen_pid"
wait "$gen_pid" 2>/dev/null || true
[ -e "$WORK/k.db.tmp" ] || fail "the killed run left no $WORK/k.db.tmp"
[ ! -e "$WORK/k.db" ] || fail "a killed run left $WORK/k.db, which looks like a store"
"$GEN_BIN" --db "$WORK/k.db" --reports 10 --quiet >/dev/null 2>"$WORK/err"
grep -q "removed .*k.db.tmp, left by a run that did not finish" "$WORK/err" ||
  fail "no word of the old k.db.tmp: $(cat "$WORK/err")"
assert_eq "10|0|0" "$(sqlite3 "$WORK/k.db" "SELECT COUNT(*) FROM reports;
  SELECT COUNT(*) FROM pragma_table_info('reports') WHERE name = 'payload';
  SELECT COUNT(*) FROM sqlite_schema WHERE sql LIKE '%WITHOUT ROWID%' AND name = 'reports'" |
  paste -sd'|')" "reports, a payload column, a WITHOUT ROWID reports table"
[ ! -e "$WORK/k.db.tmp" ] && [ ! -e "$WORK/k.db.tmp-wal" ] || fail "k.db.tmp left after a good run"
pass "a failed run leaves nothing, a killed one only FILE.tmp, removed by the next run"
