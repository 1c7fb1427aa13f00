#!/usr/bin/env python3
"""check_dhis2.py -- compares what `export --format dhis2` wrote with the data
values worked out here from the store's reports by SQL (check_report.py's
months at UTC+08:00) and the mapping: the same values, exactly, each once.

usage: check_dhis2.py json DB MAPPING OUT.json YEAR [COUNTY]
       check_dhis2.py csv OUT.csv OUT.json
"""
import csv
import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_report import DEPTS, DESTS, URGS, die, months_from_sql  # noqa: E402


def value_of(f, figure):
    plain = {"consultations": f["consultations"], "female": f["female"],
             "over_60": f["over_60"], "poor_households": f["poor"], "staff": len(f["staff"]),
             "value_fen": f["value"], "dispenses": f["dispenses"], "referrals": f["referrals"],
             "brochures": f["brochures"], "attendees": f["attendees"], "talks": f["talks"],
             "education": f["education"]}
    if figure == "value_cny":
        return "%d.%02d" % (f["value"] // 100, f["value"] % 100)
    group, _, name = figure.partition(".")
    if group == "by_department":
        return str(f["dept"][name])
    if group == "by_destination":
        return str(f["dest"][name])
    if group == "by_urgency":
        return str(f["urg"][name])
    return str(plain[figure])


def empty(f):
    return not any([f["consultations"], f["female"], f["over_60"], f["poor"], f["staff"],
                    f["value"], f["dispenses"], f["referrals"], f["brochures"],
                    f["attendees"], f["talks"], f["education"]])


def check_json(db, mapping_path, out, year, county):
    mapping = json.load(open(mapping_path))
    ou = {u["county"]: u["orgUnit"] for u in mapping["orgUnits"]}
    aoc = mapping.get("attributeOptionCombo")
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    counties = [c for (c,) in con.execute("SELECT DISTINCT county FROM trips ORDER BY county")
                if not county or c == county]
    want = []
    for c in counties:
        months = months_from_sql(db, year, c)
        for mo in range(1, 13):
            if empty(months[mo]):
                continue
            for fig in mapping["figures"]:
                v = {"dataElement": fig["dataElement"], "period": "%04d%02d" % (year, mo),
                     "orgUnit": ou[c], "categoryOptionCombo": fig["categoryOptionCombo"],
                     "value": value_of(months[mo], fig["figure"])}
                if aoc:
                    v["attributeOptionCombo"] = aoc
                want.append(v)
    got = json.load(open(out))
    if list(got) != ["dataValues"]:
        die(f"members {list(got)}, want only dataValues")
    got = got["dataValues"]
    key = lambda v: (v["orgUnit"], v["period"], v["dataElement"], v["categoryOptionCombo"])
    keys = [key(v) for v in got]
    if len(set(keys)) != len(keys):
        die("a value is written twice for the same key")
    w = sorted(want, key=key)
    g = sorted(got, key=key)
    if len(w) != len(g):
        die(f"{len(g)} values, want {len(w)}")
    for a, b in zip(w, g):
        if a != b:
            die(f"value differs: want {a}, got {b}")
    nonzero = sum(1 for v in got if v["value"] not in ("0", "0.00"))
    print(f"{len(got)} values exactly as the reports give them ({nonzero} not zero, "
          f"{len(set(v['orgUnit'] for v in got))} org units, "
          f"{len(set(v['period'] for v in got))} periods)")


def check_csv(out_csv, out_json):
    rows = list(csv.reader(open(out_csv, newline="")))
    head = ["dataelement", "period", "orgunit", "catoptcombo", "attroptcombo", "value",
            "storedby", "lastupdated", "comment", "followup"]
    if rows[0] != head:
        die(f"CSV header {rows[0]}, want {head}")
    vals = json.load(open(out_json))["dataValues"]
    if len(rows) - 1 != len(vals):
        die(f"CSV has {len(rows) - 1} values, the JSON {len(vals)}")
    for r, v in zip(rows[1:], vals):
        want = [v["dataElement"], v["period"], v["orgUnit"], v["categoryOptionCombo"],
                v.get("attributeOptionCombo", ""), v["value"], "", "", "", ""]
        if r != want:
            die(f"CSV row {r}, want {want}")
    print(f"CSV: {len(vals)} rows as the JSON")


if __name__ == "__main__":
    if sys.argv[1] == "json":
        check_json(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]),
                   sys.argv[6] if len(sys.argv) > 6 else None)
    else:
        check_csv(sys.argv[2], sys.argv[3])
