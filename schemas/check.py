#!/usr/bin/python3
"""Check the outreach wire-contract schemas and their examples, offline.

Usage:
  check.py                         validate every schemas/examples/<name>/{valid,invalid}/*.json
                                   against schemas/<name>.schema.json; an example whose verdict
                                   disagrees with its folder is a failure
  check.py -v                      same, listing every example
  check.py --schema NAME FILE...   validate arbitrary JSON files against schema NAME
                                   (e.g. progress, report-headcount); FILE may be - for stdin
  check.py --schema NAME --jsonl FILE...
                                   each non-empty line of each FILE is one JSON document
                                   (e.g. the output of mosquitto_sub)

Prints a final line "N passed, M failed"; exits 0 when M is 0, 1 otherwise, 2 on usage errors.
Needs only python3-jsonschema (Debian 4.10.3, Draft 2020-12); never touches the network:
every schema in this folder (and defs.schema.json, if present) is preloaded into the
resolver store by its $id, and remote $refs are refused.
"""
import glob
import json
import os
import sys
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)

try:
    from jsonschema import Draft202012Validator, RefResolver
except ImportError:  # pragma: no cover
    sys.stderr.write("check.py: needs python3-jsonschema (apt-get install -y python3-jsonschema)\n")
    sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "examples")
ID_PREFIX = "https://outreach.example/schemas/v1/"
SUFFIX = ".schema.json"


def _no_network(uri):
    raise RuntimeError("remote $ref refused (offline): %s" % uri)


def load_json(path):
    if path == "-":
        return json.load(sys.stdin)
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"))


class Checker:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.schemas = {}   # name -> schema
        self.store = {}     # $id -> schema
        self.problems = []  # schema-level problems
        for path in sorted(glob.glob(os.path.join(HERE, "*" + SUFFIX))):
            name = os.path.basename(path)[: -len(SUFFIX)]
            try:
                schema = load_json(path)
            except (OSError, ValueError) as e:
                self.problems.append("%s: not JSON: %s" % (os.path.basename(path), e))
                continue
            self.schemas[name] = schema
            if isinstance(schema, dict) and "$id" in schema:
                self.store[schema["$id"]] = schema
        self.validators = {}

    def check_schemas(self):
        for name, schema in sorted(self.schemas.items()):
            errs = []
            try:
                Draft202012Validator.check_schema(schema)
            except Exception as e:  # SchemaError
                errs.append("not a valid draft 2020-12 schema: %s" % getattr(e, "message", e))
            if not isinstance(schema, dict):
                errs.append("not an object")
            else:
                if schema.get("$schema") != "https://json-schema.org/draft/2020-12/schema":
                    errs.append("$schema is not draft 2020-12")
                if schema.get("$id") != ID_PREFIX + name + SUFFIX:
                    errs.append("$id should be %s%s%s" % (ID_PREFIX, name, SUFFIX))
                for k in ("title", "description"):
                    if not schema.get(k):
                        errs.append("missing %s" % k)
            if errs:
                self.fail("schema %s%s: %s" % (name, SUFFIX, "; ".join(errs)))
            else:
                self.passed += 1

    def validator(self, name):
        if name not in self.validators:
            schema = self.schemas[name]
            resolver = RefResolver.from_schema(
                schema, store=dict(self.store),
                handlers={"http": _no_network, "https": _no_network})
            self.validators[name] = Draft202012Validator(schema, resolver=resolver)
        return self.validators[name]

    def errors(self, name, doc):
        """List of readable error strings (empty when doc is valid)."""
        out = []
        for e in sorted(self.validator(name).iter_errors(doc), key=lambda e: list(e.absolute_path)):
            where = "/" + "/".join(str(p) for p in e.absolute_path)
            out.append("%s: %s" % (where, e.message))
        return out

    def fail(self, msg):
        self.failed += 1
        print("FAIL " + msg)

    def check_examples(self, verbose):
        if not os.path.isdir(EXAMPLES):
            self.fail("no examples folder %s" % EXAMPLES)
            return
        names = sorted(d for d in os.listdir(EXAMPLES) if os.path.isdir(os.path.join(EXAMPLES, d)))
        for name in names:
            if name not in self.schemas:
                self.fail("examples/%s: no schema %s%s" % (name, name, SUFFIX))
        for name in sorted(self.schemas):
            if name == "defs":
                continue
            for verdict in ("valid", "invalid"):
                files = sorted(glob.glob(os.path.join(EXAMPLES, name, verdict, "*.json")))
                if not files:
                    self.fail("examples/%s/%s: no examples" % (name, verdict))
                for path in files:
                    rel = os.path.relpath(path, HERE)
                    try:
                        doc = load_json(path)
                    except (OSError, ValueError) as e:
                        self.fail("%s: not JSON: %s" % (rel, e))
                        continue
                    errs = self.errors(name, doc)
                    if verdict == "valid" and errs:
                        self.fail("%s: expected valid, got: %s" % (rel, " | ".join(errs)))
                    elif verdict == "invalid" and not errs:
                        self.fail("%s: expected invalid, but it validates" % rel)
                    else:
                        self.passed += 1
                        if verbose:
                            print("ok   %s%s" % (rel, ("  (" + errs[0] + ")") if errs else ""))

    def check_files(self, name, files, jsonl, verbose):
        for path in files:
            try:
                if jsonl:
                    src = sys.stdin if path == "-" else open(path, "rb")
                    with src:
                        lines = src.read()
                    if isinstance(lines, bytes):
                        lines = lines.decode("utf-8")
                    docs = []
                    for i, line in enumerate(lines.splitlines(), 1):
                        if line.strip():
                            try:
                                docs.append(("%s:%d" % (path, i), json.loads(line)))
                            except ValueError as e:
                                self.fail("%s:%d: not JSON: %s" % (path, i, e))
                else:
                    docs = [(path, load_json(path))]
            except (OSError, ValueError) as e:
                self.fail("%s: not JSON: %s" % (path, e))
                continue
            for label, doc in docs:
                errs = self.errors(name, doc)
                if errs:
                    self.fail("%s: not a valid %s: %s" % (label, name, " | ".join(errs)))
                else:
                    self.passed += 1
                    if verbose:
                        print("ok   %s" % label)

    def summary(self):
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 0 if self.failed == 0 else 1


def usage(msg=None):
    if msg:
        sys.stderr.write("check.py: %s\n" % msg)
    sys.stderr.write(__doc__)
    sys.exit(2)


def main(argv):
    verbose = False
    jsonl = False
    schema_name = None
    files = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            usage()
        elif a in ("-v", "--verbose"):
            verbose = True
        elif a == "--jsonl":
            jsonl = True
        elif a == "--schema":
            if i + 1 >= len(argv):
                usage("--schema needs a NAME")
            schema_name = argv[i + 1]
            i += 1
        elif a.startswith("--schema="):
            schema_name = a.split("=", 1)[1]
        elif a.startswith("-") and a != "-":
            usage("unknown option %s" % a)
        else:
            files.append(a)
        i += 1

    c = Checker()
    for p in c.problems:
        c.fail(p)
    if schema_name is None:
        if files or jsonl:
            usage("FILE arguments need --schema NAME")
        c.check_schemas()
        c.check_examples(verbose)
        return c.summary()

    name = os.path.basename(schema_name)
    if name.endswith(SUFFIX):
        name = name[: -len(SUFFIX)]
    if name not in c.schemas or name == "defs":
        usage("unknown schema %r (known: %s)" % (schema_name, ", ".join(sorted(k for k in c.schemas if k != "defs"))))
    if not files:
        usage("--schema %s needs at least one FILE (or - for stdin)" % name)
    c.check_files(name, files, jsonl, verbose)
    return c.summary()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
