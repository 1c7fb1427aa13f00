#!/usr/bin/env python3
"""layers.py -- two rules of the architecture, checked on the sources:
1. SQL only in the storage backends: no `sqlite3` in common/, in coordinator/ outside
   store_sqlite*.[ch], store_pg*.[ch] and sqldb*.[ch], in field-agent/ outside outbox*.[ch];
2. no include cycle between modules. A module is a header x.h with its x.c; a source
   without a header of its own whose name starts with "m_", where m.h is in the same folder,
   belongs to m (store_sqlite_reg.c and store_sqlite_priv.h are the store; outbox_site.c is
   the outbox). An edge goes from a module to each module whose header one of its files
   includes (a header is looked up in the file's folder first, then in common/).
  python3 tests/layers.py [SOURCE_DIR] [-v]   (-v prints the graph); exits 1 on a breach."""
import os, re, sys

DIRS = ["common", "coordinator", "field-agent"]
BACKENDS = {"coordinator": re.compile(r"^(store_sqlite|store_pg|sqldb)\w*\.[ch]$"),
            "field-agent": re.compile(r"^outbox\w*\.[ch]$")}


def module(d, stem, root):
    if not stem.endswith("_priv") and os.path.exists(os.path.join(root, d, stem + ".h")):
        return (d, stem)
    m = stem
    while "_" in m:
        m = m.rsplit("_", 1)[0]
        if os.path.exists(os.path.join(root, d, m + ".h")):
            return (d, m)
    return (d, stem)


def main():
    args = [a for a in sys.argv[1:] if a != "-v"]
    root = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    bad, edges = [], {}
    for d in DIRS:
        for f in sorted(os.listdir(os.path.join(root, d))):
            if not re.search(r"\.[ch]$", f):
                continue
            text = open(os.path.join(root, d, f), encoding="utf-8").read()
            if "sqlite3" in text and not (d in BACKENDS and BACKENDS[d].match(f)):
                bad.append(f"{d}/{f}")
            frm = module(d, f[:-2], root)
            for inc in re.findall(r'^#include "([\w]+)\.h"', text, re.M):
                for hd in (d, "common"):
                    if os.path.exists(os.path.join(root, hd, inc + ".h")):
                        to = module(hd, inc, root)
                        if to != frm:
                            edges.setdefault(frm, set()).add(to)
                        break
    rc = 0
    if bad:
        print("SQLite outside the storage backends:", " ".join(bad))
        rc = 1
    # Depth-first search for a cycle; print one if found.
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if not state.get(m):
                c = visit(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(edges):
        if not state.get(n):
            c = visit(n)
            if c:
                print("include cycle:", " -> ".join(f"{d}/{m}" for d, m in c))
                rc = 1
                break
    if "-v" in sys.argv:
        for (d, m) in sorted(edges):
            print(f"{d}/{m} -> " + " ".join(sorted(t for _, t in edges[(d, m)])))
    if rc == 0:
        n = sum(len(v) for v in edges.values())
        print(f"layers: SQL only in the store's backend and outbox*.[ch]; {len(edges)} modules, "
              f"{n} include edges, no cycle")
    return rc


sys.exit(main())
