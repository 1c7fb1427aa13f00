#!/usr/bin/env python3
"""check-links.py -- every relative link in the repository's Markdown files must name a file
or folder inside the repository, and a #fragment must name a heading of the target file
(GitHub's slugs). Links to http(s) and mailto are not followed. Prints each broken link as
FILE:LINE: LINK: why, and exits 1 when there is any (0 otherwise).
  python3 scripts/check-links.py [FILE.md ...]   (default: every *.md git tracks)"""
import os, re, subprocess, sys

root = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
LINK = re.compile(r"\]\(([^)\s]+)\)")


def slugs(path):
    out, text = set(), open(path, encoding="utf-8").read()
    for h in re.findall(r"^#+ +(.+?) *$", re.sub(r"```.*?```", "", text, flags=re.S), re.M):
        out.add(re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-"))
    return out


files = sys.argv[1:] or subprocess.run(["git", "-C", root, "ls-files", "*.md"], check=True,
                                       capture_output=True, text=True).stdout.split()
bad = 0
for f in files:
    path = os.path.join(root, f)
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        for link in LINK.findall(line):
            if re.match(r"[a-z]+:", link):
                continue
            target, _, frag = link.partition("#")
            dest = os.path.realpath(os.path.join(os.path.dirname(path), target)) if target else path
            why = None
            if not (dest == root or dest.startswith(root + os.sep)):
                why = "outside the repository"
            elif not os.path.exists(dest):
                why = "no such file"
            elif frag and dest.endswith(".md") and frag not in slugs(dest):
                why = "no heading #" + frag
            if why:
                print(f"{f}:{n}: {link}: {why}")
                bad += 1
sys.exit(1 if bad else 0)
