#!/usr/bin/env bash
# report.sh -- `outreach-coordinator report` on a generated store
# (tools/gen_store.c; no broker): the xlsx read back with openpyxl agrees cell
# by cell with `progress --json` (summary, counties) and with the reports read
# by SQL (months at UTC+08:00, departments, referrals, trips); the same for a
# month of one county; the CSV starts with one UTF-8 byte-order mark and
# holds the xlsx's cells; a trip title with <script> is escaped in the HTML
# and one starting with '=' defused in the CSV; the store is not written;
# bad options are refused with exit status 2.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh" # pass, the binaries; no broker started
GEN_BIN="$OUTREACH_BUILD_DIR/tools/outreach-gen-store"
CHECK="$SRC_DIR/tests/integration/report/check_report.py"
PY=/usr/bin/python3 # Debian's, with python3-openpyxl
"$PY" -c 'import openpyxl' || fail "python3-openpyxl is missing (scripts/deps.sh installs it)"
tmpdir_setup
export OUTREACH_TODAY=2026-06-30

"$GEN_BIN" --db "$WORK/g.db" --reports 2500 --trips 60 --years 2025-2026 --agents 12 \
  --staff 90 --seed 13 --quiet >/dev/null
DB=$WORK/g.db
# Titles an admin request could have sent: markup, and a spreadsheet formula.
first=$(sqlite3 "$DB" "SELECT trip_id FROM trips WHERE year = 2026 ORDER BY date LIMIT 1")
second=$(sqlite3 "$DB" "SELECT trip_id FROM trips WHERE year = 2026 ORDER BY date LIMIT 1 OFFSET 1")
sqlite3 "$DB" "UPDATE trips SET title = '<script>alert(\"x\")</script> & 义诊''s' WHERE trip_id = '$first';
  UPDATE trips SET title = '=1+2' WHERE trip_id = '$second'"
# A village register (made up): a poor village at each of the first three
# trips of 2026 and at its last, two poor ones no trip goes to (one in another
# township), one not poor. The second trip is then cancelled (its village is
# not reached); the last is dated after OUTREACH_TODAY (not begun: not
# reached).
visited="trip_id IN (SELECT trip_id FROM trips WHERE year = 2026 ORDER BY date LIMIT 3)
  OR trip_id = (SELECT trip_id FROM trips WHERE year = 2026 ORDER BY date DESC LIMIT 1)"
sqlite3 "$DB" "INSERT INTO villages (code, name, township, county, county_name, poor, updated_at)
  SELECT 'v-' || trip_id, '村' || substr(trip_id, -2), township, county, county_name, 1,
    '2026-01-01T00:00:00+08:00' FROM trips WHERE $visited;
  INSERT INTO trip_villages (trip_id, village) SELECT trip_id, 'v-' || trip_id FROM trips
  WHERE $visited;
  INSERT INTO villages VALUES ('v-none-1', '未到村', '镇', 'gen-c2', '武陵源区', 1,
    '2026-01-01T00:00:00+08:00'), ('v-none-2', '北村', '北乡', 'gen-c2', '武陵源区', 1,
    '2026-01-01T00:00:00+08:00'), ('v-rich', '富村', '镇', 'gen-c2', '武陵源区', 0,
    '2026-01-01T00:00:00+08:00');
  UPDATE trips SET status = 'cancelled' WHERE trip_id = '$second'"
before=$(sha256sum "$DB" | cut -d' ' -f1)

"$COORD_BIN" progress --db "$DB" --year 2026 --json >"$WORK/progress.json"

# The whole year.
"$COORD_BIN" report --db "$DB" --year 2026 --format xlsx --output "$WORK/r.xlsx" \
  >"$WORK/out" || fail "report --format xlsx failed"
assert_eq "wrote $WORK/r.xlsx: 巡回医疗报告 Outreach report 2026 (as of X), 8 sections (xlsx), $(sqlite3 "$DB" "SELECT COUNT(*) FROM trips WHERE year = 2026") trips" \
  "$(sed 's/(as of [^)]*)/(as of X)/' "$WORK/out")" "report --output says what it wrote"
"$PY" "$CHECK" xlsx "$DB" "$WORK/r.xlsx" "$WORK/progress.json" 2026 >"$WORK/check.txt" \
  || fail "the xlsx differs (above)"
grep -q ', 2 of 6 poor villages reached)' "$WORK/check.txt" \
  || fail "coverage: want the first and third trips' villages reached: $(cat "$WORK/check.txt")"
[ "$(sqlite3 "$DB" "SELECT MAX(date) FROM trips WHERE year = 2026")" \> "$OUTREACH_TODAY" ] \
  || fail "the last trip of 2026 is not after OUTREACH_TODAY"
pass "xlsx of 2026 read back: $(cat "$WORK/check.txt")"

# A month of one county: the month and county of the 2026 trip with the most
# reports, so that the month has trips and figures.
read -r county month < <(sqlite3 -separator ' ' "$DB" "SELECT t.county,
  CAST(substr(t.date, 6, 2) AS INTEGER) FROM trips t JOIN reports r USING (trip_id)
  WHERE t.year = 2026 GROUP BY t.trip_id ORDER BY COUNT(*) DESC, t.trip_id LIMIT 1")
"$COORD_BIN" report --db "$DB" --year 2026 --month "$month" --county "$county" --format xlsx \
  --output "$WORK/m.xlsx" || fail "report --month $month --county $county failed"
"$PY" "$CHECK" xlsx "$DB" "$WORK/m.xlsx" "$WORK/progress.json" 2026 "$month" "$county" \
  >"$WORK/check.txt" || fail "the xlsx of month $month in $county differs (above)"
grep -q '([1-9][0-9]* trips' "$WORK/check.txt" || fail "month $month in $county: no trip shown"
pass "xlsx of 2026 month $month in $county: $(cat "$WORK/check.txt")"

# CSV: the BOM, then every section as in the xlsx.
"$COORD_BIN" report --db "$DB" --year 2026 --format csv --output "$WORK/r.csv" \
  || fail "report --format csv failed"
"$PY" "$CHECK" csv "$DB" "$WORK/r.csv" "$WORK/r.xlsx" >"$WORK/check.txt" \
  || fail "the CSV differs (above)"
pass "CSV: $(cat "$WORK/check.txt")"
grep -qF "\"'=1+2\"" "$WORK/r.csv" || fail "the title =1+2 is not defused in the CSV"
"$COORD_BIN" report --db "$DB" --year 2026 --format csv --section months >"$WORK/months.csv"
assert_eq "efbbbf" "$(head -c 3 "$WORK/months.csv" | od -An -tx1 | tr -d ' \n')" "--section months: BOM"
assert_eq 14 "$(wc -l <"$WORK/months.csv")" "--section months: header, 12 months, the total"
assert_eq "2026-12" "$(tail -2 "$WORK/months.csv" | head -1 | cut -d, -f1)" \
  "--section months: the last month"
assert_eq "合计 Total" "$(tail -1 "$WORK/months.csv" | cut -d, -f1)" "--section months: last row"
pass "CSV --section months: the BOM, the header, 12 months and the total"

# HTML: escaped, printable.
"$COORD_BIN" report --db "$DB" --year 2026 --format html --output "$WORK/r.html" \
  || fail "report --format html failed"
if grep -qi '<script' "$WORK/r.html"; then fail "the HTML holds a <script> element"; fi
grep -qF '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 义诊&#39;s' "$WORK/r.html" \
  || fail "the trip title is not in the HTML, escaped"
assert_eq 8 "$(grep -c '<table>' "$WORK/r.html")" "HTML tables"
grep -q '@page { size: A4 portrait' "$WORK/r.html" || fail "no A4 page in the print stylesheet"
grep -q 'break-after: page' "$WORK/r.html" || fail "no page break between the tables"
grep -q 'Noto Sans CJK SC' "$WORK/r.html" || fail "no Chinese font stack"
pass "HTML: 8 tables, A4 with a page each, the <script> title escaped"

for f in r.xlsx r.csv r.html; do
  assert_eq 600 "$(stat -c %a "$WORK/$f")" "the mode of $f (as export --csv's)"
done
assert_eq "$before" "$(sha256sum "$DB" | cut -d' ' -f1)" "the store after the reports"
pass "the files are 0600, the store is not written"

# Refusals: exit status 2 and a message naming the option.
refused() {
  local what=$1 want=$2
  shift 2
  set +e
  "$COORD_BIN" report --db "$DB" "$@" >/dev/null 2>"$WORK/err"
  local rc=$?
  set -e
  assert_eq 2 "$rc" "$what: exit status"
  grep -qF -- "$want" "$WORK/err" || fail "$what: no '$want' in: $(head -1 "$WORK/err")"
  pass "$what: refused ($want)"
}
refused "--format pdf" "--format must be xlsx, csv or html" --year 2026 --format pdf
refused "no --format" "--format is required" --year 2026
refused "xlsx to stdout" "--format xlsx needs --output FILE" --year 2026 --format xlsx
refused "--month 13" "--month must be a month 1 to 12" --year 2026 --month 13 --format csv
refused "--section with html" "--section is for --format csv" --format html --section months
refused "--section nope" "--section must be summary" --format csv --section nope
refused "an unknown county" "--county gen-c99: no trip or target of 2026 is in that county and the villages register has none of that code" \
  --year 2026 --county gen-c99 --format csv
# A county of the villages register only (no trip, no target): its report,
# zeros and its coverage, not a refusal.
sqlite3 "$DB" "INSERT INTO villages VALUES ('v-reg-1', '登记村', '登记乡', 'gen-reg', '登记县', 1,
  '2026-01-01T00:00:00+08:00')"
"$COORD_BIN" report --db "$DB" --year 2026 --county gen-reg --format csv --output "$WORK/reg.csv" \
  >"$WORK/out" || fail "report --county gen-reg (in the register only) failed"
grep -q '^wrote .*· 登记县 (gen-reg) (as of [^)]*), 8 sections (csv), 0 trips$' "$WORK/out" \
  || fail "report --county gen-reg said: $(cat "$WORK/out")"
grep -qF $'gen-reg,登记县,0,0,0,0,0,0.00,0,0,0,0,0,0,0,0,,,,,,\r' "$WORK/reg.csv" \
  || fail "report --county gen-reg: no county row of zeros"
grep -qF $'gen-reg,登记县,登记乡,1,0,1,0%\r' "$WORK/reg.csv" \
  || fail "report --county gen-reg: no coverage row of its township"
grep -qF $'gen-reg,登记乡,v-reg-1,登记村\r' "$WORK/reg.csv" \
  || fail "report --county gen-reg: its village is not among those not reached"
pass "report --county gen-reg (register only): 0 trips, zeros, 0 of 1 poor village reached"
set +e
"$COORD_BIN" report --db "$DB" --year 2026 --format pdf >/dev/null 2>"$WORK/err"
set -e
assert_eq "outreach-coordinator: --format must be xlsx, csv or html, not 'pdf'
try 'outreach-coordinator report --help'" "$(cat "$WORK/err")" "a usage error: the message and where to look, not the usage"
echo "report: $PASSED checks passed"
