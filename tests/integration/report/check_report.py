#!/usr/bin/env python3
"""check_report.py -- reads back what `outreach-coordinator report` wrote and
compares it cell by cell with figures found independently: the summary and
counties with `progress --json`, the months, departments, referrals and trips
with the store's reports read here by SQL (a report's month is its recorded_at
at UTC+08:00). Exits non-zero naming the first cell that differs.

usage: check_report.py xlsx DB FILE.xlsx PROGRESS.json YEAR [MONTH COUNTY]
       check_report.py csv DB FILE.csv FILE.xlsx
"""
import csv
import datetime
import io
import json
import sqlite3
import sys

import openpyxl

TZ = datetime.timezone(datetime.timedelta(hours=8))
DEPTS = ["internal", "surgery", "obgyn", "pediatrics", "ophthalmology", "tcm", "dental",
         "general", "other"]
DESTS = ["township_health_center", "county_hospital", "city_hospital"]
URGS = ["routine", "urgent", "emergency"]
HEADER_ROW = 4  # 1-based: heading, title, note, header
TODAY = "2026-06-30"  # OUTREACH_TODAY of report.sh
# The words of codes (the report writes words, zh-CN then English).
PACE = {"ahead": "超前 Ahead", "on_pace": "符合进度 On pace", "behind": "落后 Behind"}
STATUS = {"planned": "计划中 Planned", "completed": "已完成 Completed",
          "cancelled": "已取消 Cancelled"}
SHEETS = ["summary", "counties", "months", "departments", "referrals", "trips", "coverage",
          "not_reached"]


def die(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def same(want, got, where):
    if isinstance(want, float) or isinstance(got, float):
        if got is None or round(float(got) * 100) != round(float(want) * 100):
            die(f"{where}: want {want!r}, got {got!r}")
    elif want != got:
        die(f"{where}: want {want!r}, got {got!r}")


def rows(ws):
    """The data rows of a sheet, as lists of values."""
    return [list(r) for r in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)]


def months_from_sql(db, year, county):
    """Per month 1..12: the figures of the counted reports of that month: the
    local day of recorded_at clamped to the report's trip's days."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    q = ("SELECT r.kind, r.recorded_at, r.department, r.consultations, r.female, r.over_60,"
         " r.poor_households, r.value_fen, r.destination, r.urgency, r.brochures, r.attendees,"
         " r.talks, r.staff_id, r.role, t.date, COALESCE(NULLIF(t.end_date, ''), t.date)"
         " FROM reports r JOIN trips t USING (trip_id)"
         " WHERE r.voided_by IS NULL AND r.kind <> 'void'")
    args = ()
    if county:
        q += " AND t.county = ?"
        args = (county,)
    m = {i: dict(consultations=0, female=0, over_60=0, poor=0, value=0, dispenses=0,
                 referrals=0, brochures=0, attendees=0, talks=0, education=0,
                 staff=set(), dept={d: 0 for d in DEPTS}, dest={d: 0 for d in DESTS},
                 urg={u: 0 for u in URGS}) for i in range(1, 13)}
    for (kind, rec, dept, cons, fem, o60, poor, val, dest, urg, bro, att, talks, staff,
         role, first, last) in con.execute(q, args):
        day = datetime.datetime.fromisoformat(rec).astimezone(TZ).date().isoformat()
        day = max(first, min(last, day))
        if int(day[:4]) != year:
            continue
        f = m[int(day[5:7])]
        if kind == "headcount":
            f["consultations"] += cons
            f["female"] += fem
            f["over_60"] += o60
            f["poor"] += poor
            f["dept"][dept] += cons
        elif kind == "dispense":
            f["dispenses"] += 1
            f["value"] += val
        elif kind == "referral":
            f["referrals"] += 1
            f["dest"][dest] += 1
            f["urg"][urg] += 1
        elif kind == "education":
            f["education"] += 1
            f["brochures"] += bro or 0
            f["attendees"] += att or 0
            f["talks"] += talks or 0
        elif kind == "checkin" and role != "support" and staff:
            f["staff"].add(staff)
    return m


def month_figures(f):
    return [f["consultations"], f["female"], f["over_60"], f["poor"], len(f["staff"]),
            f["value"] / 100, f["dispenses"], f["referrals"], f["brochures"], f["attendees"],
            f["talks"]]


def progress_figures(p):
    return [p["consultations"]["count"], p["consultations"]["female"],
            p["consultations"]["over_60"], p["consultations"]["poor_households"],
            p["staff"]["count"], p["medicine"]["value_fen"] / 100, p["medicine"]["dispenses"],
            p["referrals"]["count"], p["education"]["brochures"], p["education"]["attendees"],
            p["education"]["talks"]]


def check_xlsx(db, path, progress_path, year, month, county):
    wb = openpyxl.load_workbook(path)
    same(SHEETS, wb.sheetnames, "worksheets")
    p = json.load(open(progress_path))
    cells = 0

    # summary: the year's (or the county's) progress, targets and pace
    s = rows(wb["summary"])
    scope = p
    if county:
        scope = next(c for c in p["counties"] if c["county"] == county)
    for label, want in [("Consultations", scope["consultations"]), ("Staff", scope["staff"])]:
        r = next(r for r in s if r[0].endswith(label))
        same(want["count"], r[1], f"summary {label} count")
        if county:  # no county targets yet: the target cells stay empty
            same([None] * 4, r[2:6], f"summary {label} target cells of a county")
        else:
            same([want["target"], want["expected_to_date"], want["projected_year_end"],
                  PACE[want["pace"]]], r[2:6], f"summary {label} targets")
        cells += 5
    bd = scope["referrals"]["by_destination"]
    flat = [("Female", scope["consultations"]["female"]),
            ("Over 60", scope["consultations"]["over_60"]),
            ("Poor households", scope["consultations"]["poor_households"]),
            ("Medicine value (CNY)", scope["medicine"]["value_fen"] / 100),
            ("Dispenses", scope["medicine"]["dispenses"]),
            ("Referrals", scope["referrals"]["count"]),
            ("Township health centre", bd["township_health_center"]),
            ("County hospital", bd["county_hospital"]),
            ("City hospital", bd["city_hospital"]),
            ("Brochures", scope["education"]["brochures"]),
            ("Attendees", scope["education"]["attendees"]),
            ("Talks", scope["education"]["talks"]),
            ("Trips planned", scope["trips"]["planned"]),
            ("Trips completed", scope["trips"]["completed"]),
            ("Trips cancelled", scope["trips"]["cancelled"])]
    for label, want in flat:
        r = next(r for r in s if r[0].endswith(label))
        same(want, r[1], f"summary {label}")
        cells += 1
    same(2 + len(flat), len(s), "summary rows")

    # counties: each county's progress (the year) or its month (SQL)
    c = rows(wb["counties"])
    counties = [x for x in p["counties"] if not county or x["county"] == county]
    same([x["county"] for x in counties], [r[0] for r in c], "counties, in order")
    for x, r in zip(counties, c):
        same(x["county_name"], r[1], f"county {x['county']} name")
        if month:
            want = month_figures(months_from_sql(db, year, x["county"])[month])
        else:
            want = progress_figures(x) + [x["trips"]["planned"], x["trips"]["completed"],
                                          x["trips"]["cancelled"]]
        for i, w in enumerate(want):
            same(w, r[2 + i], f"county {x['county']} column {i + 3}")
            cells += 1
        if not month:
            same([None] * 6, r[2 + len(want):], f"county {x['county']} target cells")

    # months, departments, referrals: SQL over the reports
    m = months_from_sql(db, year, county)
    shown = [month] if month else list(range(1, 13))
    mr = rows(wb["months"])
    same([f"{year}-{i:02d}" for i in shown] + ["合计 Total"], [r[0] for r in mr],
         "months shown, then the total")
    for i, r in zip(shown, mr):
        for k, w in enumerate(month_figures(m[i]) + [m[i]["education"]]):
            same(w, r[1 + k], f"months {year}-{i:02d} column {k + 2}")
            cells += 1
    # the total: each column's sum, staff (distinct people in each month) empty
    tot = [sum(x) for x in zip(*[month_figures(m[i]) + [m[i]["education"]] for i in shown])]
    tot = [round(v, 2) if isinstance(v, float) else v for v in tot]
    tot[4] = None
    same(["合计 Total"] + tot, [round(v, 2) if isinstance(v, float) else v for v in mr[-1]],
         "months total")
    cells += len(tot)
    dr = rows(wb["departments"])
    same(len(shown) + 1, len(dr), "department rows (months and the total)")
    for i, r in zip(shown, dr):
        want = [m[i]["dept"][d] for d in DEPTS]
        same(want + [sum(want)], r[1:], f"departments {year}-{i:02d}")
        cells += len(want) + 1
    tot = [sum(m[i]["dept"][d] for i in shown) for d in DEPTS]
    same(["合计 Total"] + tot + [sum(tot)], dr[-1], "departments total")
    rr = rows(wb["referrals"])
    for i, r in zip(shown, rr):
        want = ([m[i]["referrals"]] + [m[i]["dest"][d] for d in DESTS] +
                [m[i]["urg"][u] for u in URGS])
        same(want, r[1:], f"referrals {year}-{i:02d}")
        cells += len(want)
    same(sum(m[i]["referrals"] for i in shown), rr[-1][1], "referrals total")

    # trips: every trip of the year (county, month) with its figures by SQL
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    q = ("SELECT t.trip_id, t.date, t.end_date, t.title, t.county, t.status, v.code, v.name"
         " FROM trips t LEFT JOIN trip_villages tv USING (trip_id)"
         " LEFT JOIN villages v ON v.code = tv.village WHERE t.year = ?")
    args = [year]
    if county:
        q += " AND t.county = ?"
        args.append(county)
    trips = [t for t in con.execute(q + " ORDER BY t.date, t.trip_id", args)
             if not month or int(t[1][5:7]) == month]
    tr = rows(wb["trips"])
    same([t[0] for t in trips], [r[0] for r in tr], "trips, in order")
    for t, r in zip(trips, tr):
        # dates are date cells (a datetime at midnight), not text
        same(datetime.datetime.fromisoformat(t[1]), r[1], f"trip {t[0]} date")
        same(datetime.datetime.fromisoformat(t[2]) if t[2] else None, r[2],
             f"trip {t[0]} end date")
        same(t[3], r[3], f"trip {t[0]} title")
        same(t[4], r[4], f"trip {t[0]} county")
        same([t[6], t[7]], r[8:10], f"trip {t[0]} village code and name")
        same(STATUS[t[5]], r[10], f"trip {t[0]} status")
        cons, fem, o60, poor = con.execute(
            "SELECT COALESCE(SUM(consultations), 0), COALESCE(SUM(female), 0),"
            " COALESCE(SUM(over_60), 0), COALESCE(SUM(poor_households), 0) FROM reports"
            " WHERE trip_id = ? AND kind = 'headcount' AND voided_by IS NULL", (t[0],)).fetchone()
        staff = con.execute(
            "SELECT COUNT(DISTINCT staff_id) FROM reports WHERE trip_id = ? AND kind = 'checkin'"
            " AND voided_by IS NULL AND role <> 'support'", (t[0],)).fetchone()[0]
        came = con.execute(
            "SELECT COUNT(DISTINCT staff_id) FROM reports WHERE trip_id = ? AND kind = 'checkin'"
            " AND voided_by IS NULL", (t[0],)).fetchone()[0]
        # no registrations in a generated store: everyone who came is unregistered
        same([cons, fem, o60, poor, staff, 0, 0, 0, came], r[11:20], f"trip {t[0]} figures")
        cells += 16

    # coverage: the register's poor villages, reached by a trip of the year
    # that is not cancelled, has begun by TODAY and has consultations
    vs = con.execute(
        "SELECT v.code, v.name, v.township, v.county, v.county_name, EXISTS (SELECT 1 FROM"
        " trip_villages tv JOIN trips t USING (trip_id) WHERE tv.village = v.code"
        " AND t.year = ? AND t.status <> 'cancelled' AND t.date <= ? AND (SELECT"
        " COALESCE(SUM(consultations), 0) FROM reports r WHERE r.trip_id = t.trip_id"
        " AND r.kind = 'headcount' AND r.voided_by IS NULL) > 0) FROM villages v"
        " WHERE v.poor = 1 AND (? IS NULL OR v.county = ?) ORDER BY v.county, v.township,"
        " v.code", (year, TODAY, county, county)).fetchall()
    want = []

    def cov(cty, name, tw, rows):
        n, k = len(rows), sum(x[5] for x in rows)
        # the share: a number (whole percent, rounded down) shown as a percent
        return [cty, name, tw, n, k, n - k, k * 100 // n / 100 if n else None]
    for cty in sorted({x[3] for x in vs}):
        of = [x for x in vs if x[3] == cty]
        want.append(cov(cty, of[0][4], None, of))
        for tw in sorted({x[2] for x in of}):
            want.append(cov(cty, of[0][4], tw, [x for x in of if x[2] == tw]))
    if not county:
        want.append(cov("合计 Total", None, None, vs))
    got = rows(wb["coverage"])
    same(want, got, "coverage rows")
    for r in wb["coverage"].iter_rows(min_row=HEADER_ROW + 1, min_col=7, max_col=7):
        if r[0].value is not None:
            same(("n", "0%"), (r[0].data_type, r[0].number_format),
                 f"coverage share {r[0].coordinate}: a number shown as a percent")
    cells += sum(len(w) for w in want)
    nr = [[x[3], x[2], x[0], x[1]] for x in vs if not x[5]]
    same(nr, rows(wb["not_reached"]), "poor villages not reached")
    cells += sum(len(w) for w in nr)
    reached = sum(x[5] for x in vs)
    print(f"xlsx: {cells} cells agree ({len(tr)} trips, {len(c)} counties, "
          f"{reached} of {len(vs)} poor villages reached)")


def check_csv(path, xlsx):
    raw = open(path, "rb").read()
    if raw[:3] != b"\xef\xbb\xbf":
        die(f"{path} does not begin with the UTF-8 byte-order mark: {raw[:3]!r}")
    if raw[3:6] == b"\xef\xbb\xbf":
        die(f"{path}: two byte-order marks")
    lines = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
    wb = openpyxl.load_workbook(xlsx)
    # the heading, but for its as_of (the runs are seconds apart)
    same(wb["summary"]["A1"].value.split(" (as of ")[0], lines[0][0].split(" (as of ")[0],
         "csv heading")
    at = 1
    n = 0
    for name in wb.sheetnames:
        ws = wb[name]
        same([], lines[at], f"csv blank line before {name}")
        same([ws["A2"].value], lines[at + 1], f"csv title of {name}")
        header = [v for v in next(ws.iter_rows(min_row=HEADER_ROW, max_row=HEADER_ROW,
                                               values_only=True))]
        same(header, lines[at + 2], f"csv header of {name}")
        body = rows(ws)
        for k, r in enumerate(body):
            got = lines[at + 3 + k]
            want = []
            for i, v in enumerate(r):
                if v is None:
                    want.append("")
                elif name == "coverage" and i == 6:
                    want.append(f"{round(v * 100)}%")  # the share: its text in the CSV
                elif isinstance(v, datetime.datetime):
                    want.append(v.strftime("%Y-%m-%d"))  # a date cell: the day as text
                elif isinstance(v, float):
                    want.append(f"{v:.2f}")
                elif isinstance(v, int):
                    want.append(str(v))
                elif v[:1] in ("=", "+", "-", "@"):
                    want.append("'" + v)  # a formula's first character, defused
                else:
                    want.append(v)
            same(want, got, f"csv {name} row {k + 1}")
            n += len(want)
        at += 3 + len(body)
    same(at, len(lines), "csv: nothing after the last section")
    print(f"csv: {n} cells agree with the xlsx")


if __name__ == "__main__":
    if sys.argv[1] == "xlsx":
        month = int(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[6] else 0
        county = sys.argv[7] if len(sys.argv) > 7 and sys.argv[7] else None
        check_xlsx(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), month, county)
    else:
        check_csv(sys.argv[3], sys.argv[4])
