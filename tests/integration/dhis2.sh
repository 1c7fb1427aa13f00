#!/usr/bin/env bash
# dhis2.sh -- `outreach-coordinator export --format dhis2` on a small
# generated store (tools/gen_store.c; no broker): with a mapping of every
# figure, the dataValueSets JSON passes schemas/dhis2-datavalueset.schema.json
# and holds exactly the values the reports give by SQL (months at UTC+08:00),
# each once; --county keeps one org unit; --csv writes the same values in
# DHIS2's CSV form; the annotated example mapping loads; a county missing from
# the mapping, a figure we do not have and two figures on one data element
# and combo are refused, naming what to fix; `export --csv` is unchanged.
set -euo pipefail
source "$(dirname "$0")/../lib/stack.sh" # pass, the binaries; no broker started
GEN_BIN="$OUTREACH_BUILD_DIR/tools/outreach-gen-store"
CHECK="$SRC_DIR/tests/integration/report/check_dhis2.py"
PY=/usr/bin/python3 # Debian's, with python3-jsonschema
tmpdir_setup

"$GEN_BIN" --db "$WORK/g.db" --reports 800 --trips 24 --years 2025-2026 --agents 6 \
  --staff 40 --seed 21 --quiet >/dev/null
DB=$WORK/g.db

# A mapping of every figure we have, each to its own data element and combo,
# and of every county.
"$PY" - "$SRC_DIR/docs/dhis2-mapping.example.json" "$WORK/map.json" <<'PY'
import json, sys
ex = json.load(open(sys.argv[1]))
plain = ["consultations", "female", "over_60", "poor_households", "staff", "value_fen",
         "value_cny", "dispenses", "referrals", "brochures", "attendees", "talks", "education"]
groups = {"by_department": ["internal", "surgery", "obgyn", "pediatrics", "ophthalmology",
                            "tcm", "dental", "general", "other"],
          "by_destination": ["township_health_center", "county_hospital", "city_hospital"],
          "by_urgency": ["routine", "urgent", "emergency"]}
figs = [{"figure": f, "dataElement": "DE_" + f.upper(), "categoryOptionCombo": "default"}
        for f in plain]
for g, names in groups.items():
    figs += [{"figure": f"{g}.{n}", "dataElement": "DE_" + g.upper(),
              "categoryOptionCombo": "COC_" + n.upper()} for n in names]
json.dump({"comment": ex["comment"], "figures": figs,
           "orgUnits": [{"county": f"gen-c{i}", "orgUnit": f"OU_GEN_C{i}"} for i in range(1, 9)],
           "attributeOptionCombo": "AOC_OUTREACH"}, open(sys.argv[2], "w"), indent=1)
PY

"$COORD_BIN" export --db "$DB" --format dhis2 --mapping "$WORK/map.json" --year 2026 \
  --output "$WORK/set.json" >"$WORK/out" || fail "export --format dhis2 failed"
n=$(jq '.dataValues | length' "$WORK/set.json")
assert_eq "wrote $WORK/set.json: $n DHIS2 data values of 2026 (JSON)" "$(cat "$WORK/out")" \
  "--output: one line says what was written"
"$PY" "$SRC_DIR/schemas/check.py" --schema dhis2-datavalueset "$WORK/set.json" >"$WORK/schema.txt" \
  || fail "the data value set does not pass its schema: $(cat "$WORK/schema.txt")"
pass "the data value set passes schemas/dhis2-datavalueset.schema.json"
"$PY" "$CHECK" json "$DB" "$WORK/map.json" "$WORK/set.json" 2026 >"$WORK/check.txt" \
  || fail "the data values differ (above)"
grep -q '^[1-9][0-9]* values' "$WORK/check.txt" || fail "no values: $(cat "$WORK/check.txt")"
pass "2026: $(cat "$WORK/check.txt")"

"$COORD_BIN" export --db "$DB" --format dhis2 --mapping "$WORK/map.json" --year 2025 \
  --county gen-c3 >"$WORK/c3.json" || fail "export --format dhis2 --county gen-c3 failed"
"$PY" "$CHECK" json "$DB" "$WORK/map.json" "$WORK/c3.json" 2025 gen-c3 >"$WORK/check.txt" \
  || fail "the data values of gen-c3 in 2025 differ (above)"
grep -q ', 1 org units' "$WORK/check.txt" || fail "--county gen-c3: $(cat "$WORK/check.txt")"
pass "2025, --county gen-c3: $(cat "$WORK/check.txt")"

# --month: that month's values only, exactly those of the whole year's set.
month=$(jq -r '[.dataValues[].period] | sort | .[0][4:6]' "$WORK/set.json")
"$COORD_BIN" export --db "$DB" --format dhis2 --mapping "$WORK/map.json" --year 2026 \
  --month "$((10#$month))" >"$WORK/month.json" || fail "export --format dhis2 --month failed"
jq -S --arg p "2026$month" '[.dataValues[] | select(.period == $p)]' "$WORK/set.json" >"$WORK/want.json"
jq -S '.dataValues' "$WORK/month.json" >"$WORK/got.json"
[ "$(jq length "$WORK/got.json")" -gt 0 ] || fail "--month $month: no values (the case tests nothing)"
cmp -s "$WORK/want.json" "$WORK/got.json" || fail "--month $month: not the year's values of 2026$month"
[ "$(jq length "$WORK/got.json")" -lt "$n" ] || fail "--month $month: as many values as the year"
pass "--month $((10#$month)): exactly the $(jq length "$WORK/got.json") values of period 2026$month"
set +e
"$COORD_BIN" export --db "$DB" --format dhis2 --mapping "$WORK/map.json" --year 2026 \
  --county gen-c99 >"$WORK/out" 2>"$WORK/err"
rc=$?
set -e
assert_eq 2 "$rc" "an unknown county: exit status"
assert_eq "outreach-coordinator: --county gen-c99: no trip or target of 2026 is in that county and the villages register has none of that code; 'outreach-coordinator progress --db $DB --year 2026' lists the counties" \
  "$(cat "$WORK/err")" "an unknown county: refused as report refuses it"
[ ! -s "$WORK/out" ] || fail "an unknown county: wrote $(wc -c <"$WORK/out") bytes"
pass "--county gen-c99: refused, nothing written"

"$COORD_BIN" export --db "$DB" --format dhis2 --mapping "$WORK/map.json" --year 2026 --csv \
  --output "$WORK/set.csv" || fail "export --format dhis2 --csv failed"
"$PY" "$CHECK" csv "$WORK/set.csv" "$WORK/set.json" >"$WORK/check.txt" \
  || fail "the CSV form differs (above)"
pass "$(cat "$WORK/check.txt")"

# The annotated example loads (its counties are not the generated store's:
# refused, naming the county and what to add).
set +e
"$COORD_BIN" export --db "$DB" --format dhis2 --mapping "$SRC_DIR/docs/dhis2-mapping.example.json" \
  --year 2026 >/dev/null 2>"$WORK/err"
rc=$?
set -e
assert_eq 1 "$rc" "a county missing from the mapping: exit status"
grep -qE '^outreach-coordinator: county (gen-c[1-8]) \(.*\) has figures in 2026 but no orgUnit in the mapping: add \{"county": "\1", "orgUnit": "ITS_DHIS2_CODE"\} to "orgUnits"$' \
  "$WORK/err" || fail "no county named, or no fix said, in: $(cat "$WORK/err")"
pass "the example mapping loads; a county it lacks is named, with what to add"

# Mappings refused (exit 2), naming the entry.
bad_map() {
  local what=$1 want=$2 edit=$3
  "$PY" -c "import json,sys; m=json.load(open('$WORK/map.json')); $edit; json.dump(m,open('$WORK/bad.json','w'))"
  set +e
  "$COORD_BIN" export --db "$DB" --format dhis2 --mapping "$WORK/bad.json" --year 2026 \
    >/dev/null 2>"$WORK/err"
  local rc=$?
  set -e
  assert_eq 2 "$rc" "$what: exit status"
  grep -qF -- "$want" "$WORK/err" || fail "$what: no '$want' in: $(head -1 "$WORK/err")"
  pass "$what: refused ($want)"
}
bad_map "a figure we do not have" 'figures[2]: "figure" must be one of' \
  "m['figures'][2]['figure']='by_department.cardiology'"
bad_map "two figures on one element and combo" 'figures[0] (consultations) and figures[1] (female) both go to' \
  "m['figures'][1]['dataElement']='DE_CONSULTATIONS'"
bad_map "a code longer than 50" 'orgUnits[0]: "orgUnit" must be a DHIS2 code' \
  "m['orgUnits'][0]['orgUnit']='X'*51"
bad_map "no orgUnits" '"orgUnits" must be an array' "del m['orgUnits']"
set +e
"$COORD_BIN" export --db "$DB" --format dhis2 --year 2026 >/dev/null 2>"$WORK/err"
assert_eq 2 "$?" "no --mapping: exit status"
set -e
grep -qF -- '--format dhis2 needs --mapping FILE' "$WORK/err" || fail "no --mapping: $(cat "$WORK/err")"
pass "no --mapping: refused"

# A county of the villages register only (no trip, no target): no value to
# send, not a refusal; its reports' CSV is the header alone.
sqlite3 "$DB" "INSERT INTO villages VALUES ('v-reg-1', '登记村', '登记乡', 'gen-reg', '登记县', 1,
  '2026-01-01T00:00:00+08:00')"
"$COORD_BIN" export --db "$DB" --format dhis2 --mapping "$WORK/map.json" --year 2026 \
  --county gen-reg --output "$WORK/reg.json" >"$WORK/out" \
  || fail "export --format dhis2 --county gen-reg (in the register only) failed"
assert_eq "wrote $WORK/reg.json: 0 DHIS2 data values of 2026 in one county (JSON)" \
  "$(cat "$WORK/out")" "--county gen-reg: what was written"
assert_eq '{"dataValues":[]}' "$(jq -c . "$WORK/reg.json")" "--county gen-reg: no value"
"$COORD_BIN" export --db "$DB" --csv --county gen-reg >"$WORK/reg.csv" \
  || fail "export --csv --county gen-reg failed"
assert_eq 1 "$(wc -l <"$WORK/reg.csv")" "export --csv --county gen-reg: the header alone"
pass "--county gen-reg (register only): an empty data value set, the CSV's header alone"

# The reports' CSV is as it was.
"$COORD_BIN" export --db "$DB" --csv --year 2026 >"$WORK/reports.csv"
head -1 "$WORK/reports.csv" | grep -q '^msg_id,agent_id,seq,kind,trip_id,' \
  || fail "export --csv header: $(head -1 "$WORK/reports.csv")"
assert_eq "$(sqlite3 "$DB" "SELECT COUNT(*) FROM reports JOIN trips USING (trip_id) WHERE year = 2026")" \
  "$(($(wc -l <"$WORK/reports.csv") - 1))" "export --csv --year 2026 rows"
pass "export --csv unchanged beside it"
echo "dhis2: $PASSED checks passed"
