#!/usr/bin/env bash
# export_cli.sh -- `outreach-coordinator export --csv` with its filters on a
# generated store (tools/gen_store.c; no broker): --year, --county and
# --from/--to each give exactly the reports (in the store's order) that an
# independent reading of the store (sqlite3, the days worked out by Python
# from recorded_at in the coordinator's offset) selects; --config's
# tz_offset_min moves the days; --bom starts the file with EF BB BF and
# nothing else changes; bad dates, from after to, a bad county or year are
# refused with exit status 2 and a message naming the option.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh" # pass, the binaries; no broker started
GEN_BIN="$OUTREACH_BUILD_DIR/tools/outreach-gen-store"
tmpdir_setup

"$GEN_BIN" --db "$WORK/g.db" --reports 3000 --trips 90 --years 2024-2026 --agents 20 \
  --staff 200 --seed 11 --quiet >/dev/null
DB=$WORK/g.db

# export ARGS...: the msg_id column of `export --csv ARGS`, header checked and left out.
export_ids() {
  "$COORD_BIN" export --db "$DB" --csv "$@" >"$WORK/export.csv" || fail "export $* failed"
  head -1 "$WORK/export.csv" | grep -q '^msg_id,agent_id,seq,kind,trip_id,' \
    || fail "export $*: header $(head -1 "$WORK/export.csv")"
  tail -n +2 "$WORK/export.csv" | cut -d, -f1
}

# want YEAR COUNTY FROM TO OFFSET_MIN: the msg_ids those filters select ("" any),
# in the store's order, read with sqlite3 and Python, not the coordinator.
sqlite3 -separator ' ' "$DB" "SELECT r.msg_id, r.recorded_at, t.year, t.county FROM reports r
  JOIN trips t USING (trip_id) ORDER BY r.rowid" >"$WORK/all.txt"
want() {
  python3 - "$WORK/all.txt" "$@" <<'PY'
import datetime, sys
path, year, county, frm, to, off = sys.argv[1:7]
tz = datetime.timezone(datetime.timedelta(minutes=int(off)))
for line in open(path):
    mid, rec, y, c = line.split()
    day = datetime.datetime.fromisoformat(rec).astimezone(tz).date().isoformat()
    if (year and y != year) or (county and c != county) or (frm and day < frm) or (to and day > to):
        continue
    print(mid)
PY
}

# check WHAT YEAR COUNTY FROM TO OFFSET -- EXPORT-ARGS...
check() {
  local what=$1 year=$2 county=$3 from=$4 to=$5 off=$6
  shift 7
  want "$year" "$county" "$from" "$to" "$off" >"$WORK/want.txt"
  export_ids "$@" >"$WORK/got.txt"
  local n
  n=$(wc -l <"$WORK/want.txt")
  [ "$n" -gt 0 ] || [ "$what" = "a year without trips" ] || fail "$what: the case selects nothing"
  cmp -s "$WORK/want.txt" "$WORK/got.txt" \
    || fail "$what: $(wc -l <"$WORK/got.txt") rows, want $n; first difference: $(diff "$WORK/want.txt" "$WORK/got.txt" | head -3 | tr '\n' ' ')"
  pass "$what: exactly the $n reports"
}

# The span of days the reports cover, and the day of the middle report (a
# trip's day: it has reports), to pick days inside it.
read -r first last mid_day < <(python3 - "$WORK/all.txt" <<'PY'
import datetime, sys
tz = datetime.timezone(datetime.timedelta(hours=8))
days = sorted(datetime.datetime.fromisoformat(l.split()[1]).astimezone(tz).date() for l in open(sys.argv[1]))
print(days[0], days[-1], days[len(days) // 2])
PY
)
log "reports recorded from $first to $last (UTC+08:00); middle $mid_day"

check "no filter" "" "" "" "" 480 --
assert_eq 3000 "$(wc -l <"$WORK/got.txt")" "no filter: every report"
check "--year 2025" 2025 "" "" "" 480 -- --year 2025
check "--county gen-c3" "" gen-c3 "" "" 480 -- --county gen-c3
check "--year 2026 --county gen-c1" 2026 gen-c1 "" "" 480 -- --year 2026 --county gen-c1
check "a year without trips" 2030 "" "" "" 480 -- --year 2030
check "--from $mid_day" "" "" "$mid_day" "" 480 -- --from "$mid_day"
check "--to $mid_day" "" "" "" "$mid_day" 480 -- --to "$mid_day"
check "--from $mid_day --to $mid_day (one day)" "" "" "$mid_day" "$mid_day" 480 -- \
  --from "$mid_day" --to "$mid_day"
check "--county gen-c2 --from $first --to $mid_day" "" gen-c2 "$first" "$mid_day" 480 -- \
  --county gen-c2 --from "$first" --to "$mid_day"
# Days in another offset: tz_offset_min from --config.
printf 'tz_offset_min = -300\n' >"$WORK/coord.conf"
check "--from/--to $mid_day at UTC-05:00 (--config)" "" "" "$mid_day" "$mid_day" -300 -- \
  --from "$mid_day" --to "$mid_day" --config "$WORK/coord.conf"
[ "$(want "" "" "$mid_day" "$mid_day" -300)" != "$(want "" "" "$mid_day" "$mid_day" 480)" ] \
  || fail "the offset makes no difference to this store's days: the case tests nothing"

# --bom: EF BB BF, then the same bytes.
"$COORD_BIN" export --db "$DB" --csv --year 2025 --output "$WORK/plain.csv" >"$WORK/out"
assert_eq "wrote $WORK/plain.csv: the accepted reports as CSV" "$(cat "$WORK/out")" \
  "--output: one line says what was written"
"$COORD_BIN" export --db "$DB" --csv --year 2025 --bom --output "$WORK/bom.csv" >"$WORK/out"
assert_eq "wrote $WORK/bom.csv: the accepted reports as CSV with a byte-order mark" \
  "$(cat "$WORK/out")" "--output --bom: the line says so"
assert_eq "efbbbf6d73" "$(head -c 5 "$WORK/bom.csv" | od -An -tx1 | tr -d ' \n')" "--bom: the first bytes"
assert_eq "6d73675f69" "$(head -c 5 "$WORK/plain.csv" | od -An -tx1 | tr -d ' \n')" "no --bom: no mark"
cmp -s <(tail -c +4 "$WORK/bom.csv") "$WORK/plain.csv" || fail "--bom changed more than the first 3 bytes"
pass "--bom starts the file with a UTF-8 byte-order mark, the rest the same"

# Refusals: exit 2, the option named, nothing written.
refused() { # WANT-MESSAGE ARGS...
  local msg=$1 rc=0
  shift
  "$COORD_BIN" export --db "$DB" --csv "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  [ "$rc" = 2 ] || fail "export $*: exit status $rc, want 2"
  grep -qF -- "$msg" "$WORK/err" || fail "export $*: said '$(head -1 "$WORK/err")', want '$msg'"
  [ ! -s "$WORK/out" ] || fail "export $*: wrote $(wc -c <"$WORK/out") bytes"
  pass "export $* refused: $msg"
}
refused "--from must be a date YYYY-MM-DD, not '2026-02-30': February 2026 has 28 days: 2026-02-30 is not a day of it" --from 2026-02-30
refused "--to must be a date YYYY-MM-DD, not '2026-11-31': November 2026 has 30 days: 2026-11-31 is not a day of it" --to 2026-11-31
refused "--from must be a date YYYY-MM-DD, not '2026-13-01': 13 is not a month (01 to 12)" --from 2026-13-01
refused "--to must be a date YYYY-MM-DD, not '26-3-1': not a date YYYY-MM-DD (like 2026-03-01)" --to 26-3-1
refused "--from 2026-05-02 is after --to 2026-05-01: no day is in between; swap them" \
  --from 2026-05-02 --to 2026-05-01
refused "--county must be a county code like xiuwu" --county 'gen/c1'
refused "--year must be a year like 2026, not 'last'" --year last
# A county no trip is in: refused like report's, not a header and exit 0.
refused "--county gen-c99: no trip or target of any year is in that county and the villages register has none of that code; 'outreach-coordinator progress --db $DB --year Y' lists a year's counties" \
  --county gen-c99
refused "--county gen-c1: no trip or target of 2030 is in that county" --year 2030 --county gen-c1
refused "--county gen-c99: no trip or target of 2025 is in that county" --year 2025 --county gen-c99 \
  --output "$WORK/none.csv"
[ ! -e "$WORK/none.csv" ] || fail "a refused county created its --output file"
# A usage error: the message, then where to read more, not the whole usage.
rc=0
"$COORD_BIN" export --db "$DB" --csv --to 2026-11-31 >/dev/null 2>"$WORK/err" || rc=$?
assert_eq 2 "$rc" "--to 2026-11-31: exit status"
assert_eq "outreach-coordinator: --to must be a date YYYY-MM-DD, not '2026-11-31': November 2026 has 30 days: 2026-11-31 is not a day of it
try 'outreach-coordinator export --help'" "$(cat "$WORK/err")" "a usage error is two lines"
rc=0
"$COORD_BIN" export --db "$DB" --csv --no-such-option >/dev/null 2>"$WORK/err" || rc=$?
assert_eq 2 "$rc" "an unknown option: exit status"
assert_eq "outreach-coordinator: unrecognized option '--no-such-option'
try 'outreach-coordinator export --help'" "$(cat "$WORK/err")" \
  "an unknown option: getopt's message by the program's name, then where to look"
pass "usage errors are the message and one line \"try ... --help\""
# Every command's unknown option: named by the program, as every other
# message (not "alerts: unrecognized option").
for cmd in alerts agents coverage progress report trips check rebuild "trip show" \
  "villages import" "targets set" "targets list"; do
  rc=0
  # shellcheck disable=SC2086 # the command and its subcommand, two words
  "$COORD_BIN" $cmd --bogus >/dev/null 2>"$WORK/err" || rc=$?
  assert_eq 2 "$rc" "$cmd --bogus: exit status"
  assert_eq "outreach-coordinator: unrecognized option '--bogus'" "$(head -1 "$WORK/err")" \
    "$cmd --bogus: the first line"
done
pass "an unknown option of every command is named by outreach-coordinator"
# What is wrong, and only that.
export_says() { # WANT-MESSAGE ARGS...
  local want=$1 rc=0
  shift
  "$COORD_BIN" export --db "$DB" "$@" >/dev/null 2>"$WORK/err" || rc=$?
  assert_eq 2 "$rc" "export $*: exit status"
  assert_eq "outreach-coordinator: $want" "$(head -1 "$WORK/err")" "export $*"
}
export_says "choose a format: --csv (the accepted reports) or --format dhis2 (the month figures for DHIS2)"
export_says "--month is for --format dhis2 (and the report command)" --csv --month 12
export_says "--mapping is for --format dhis2" --csv --mapping "$WORK/m.json"
export_says "--mapping is for --format dhis2; --section is the report command's" \
  --csv --mapping "$WORK/m.json" --section months
export_says "--month is for --format dhis2 (and the report command); --section is the report command's" \
  --csv --month 1 --section months
pass "export: no format, and options not for --csv, say what was wrong"
"$COORD_BIN" export --help | grep -q -- '--from DATE' || fail "export --help names --from"
pass "export --help"

echo "all $PASSED checks passed"
