#!/usr/bin/python3
"""sqlglot_check.py - parse generated Snowflake SQL with sqlglot's snowflake dialect.

Snowflake is not reachable from the test machine, so every Snowflake
statement dla generates is written to files (build/sqlglot/**.sql by the
unit tests and golden runs) and parsed here with sqlglot.  A file holds one
statement, or several separated by a line `-- @@`; chunks holding only
comments are skipped.

A statement fails when sqlglot raises a parse error, when a chunk holds more
than one statement, or when sqlglot only recognised it as an opaque command
(exp.Command: nothing was checked).  Statements sqlglot 10.6 cannot parse
are exempt by prefix, each with its reason, in EXEMPTIONS below.

Usage: sqlglot_check.py PATH...   (files, or directories searched for *.sql)
prints one FAIL line per failure, then
    sqlglot: N passed, M failed
and exits 1 when M > 0 (2 on a usage error).
"""
import os
import re
import sys

try:
    import sqlglot
    from sqlglot import exp
except ImportError:  # pragma: no cover - environment problem
    sys.stderr.write("sqlglot_check: python module 'sqlglot' is not installed "
                     "(run: make deps)\n")
    sys.exit(2)

# (statement prefix, upper case, whitespace collapsed) -> why it is exempt
EXEMPTIONS = [
    ("ALTER SESSION ",
     "sqlglot 10.6 has no parser for ALTER SESSION (session parameters: "
     "TIMEZONE, TIMESTAMP_TYPE_MAPPING, QUERY_TAG)"),
    ("TRUNCATE TABLE ",
     "sqlglot 10.6 parses TRUNCATE only as an opaque command"),
]

SEPARATOR = re.compile(r"^--\s*@@\s*$")


def chunks(path):
    """Yields (line number, statement text) for each statement in path."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    start, buf = 1, []
    for number, line in enumerate(lines, 1):
        if SEPARATOR.match(line):
            yield start, "\n".join(buf)
            start, buf = number + 1, []
        else:
            buf.append(line)
    yield start, "\n".join(buf)


def only_comments(sql):
    return all(not l.strip() or l.strip().startswith("--") for l in sql.split("\n"))


def normalised_head(sql):
    body = "\n".join(l for l in sql.split("\n") if not l.strip().startswith("--"))
    return " ".join(body.split()).upper() + " "


def exemption(sql):
    head = normalised_head(sql)
    for prefix, reason in EXEMPTIONS:
        if head.startswith(prefix):
            return prefix.strip()
    return None


def check(sql):
    """Returns None when sql parses as one statement, else the reason."""
    try:
        trees = [t for t in sqlglot.parse(sql, read="snowflake") if t is not None]
    except sqlglot.errors.SqlglotError as e:
        return str(e).split("\n")[0]
    if len(trees) != 1:
        return "%d statements in one chunk (separate them with a line '-- @@')" % len(trees)
    if isinstance(trees[0], exp.Command):
        return "parsed only as an opaque command (nothing checked)"
    return None


def sql_files(paths):
    for path in paths:
        if not os.path.isdir(path):
            yield path
            continue
        found = []
        for root, _, names in os.walk(path):
            found += [os.path.join(root, n) for n in names if n.endswith(".sql")]
        for f in sorted(found):
            yield f


def main(argv):
    if len(argv) < 2:
        sys.stderr.write("usage: sqlglot_check.py PATH...\n")
        return 2
    passed = failed = 0
    exempt = {}
    for path in sql_files(argv[1:]):
        for line, sql in chunks(path):
            if only_comments(sql):
                continue
            prefix = exemption(sql)
            if prefix:
                exempt[prefix] = exempt.get(prefix, 0) + 1
                continue
            reason = check(sql)
            if reason is None:
                passed += 1
                continue
            failed += 1
            print("FAIL %s:%d: %s" % (path, line, reason))
            for l in sql.strip().split("\n"):
                print("    " + l)
    if exempt:
        print("sqlglot: exempt (sqlglot %s cannot parse): %s" % (
            sqlglot.__version__,
            ", ".join("%s (%d)" % (p, n) for p, n in sorted(exempt.items()))))
    print("sqlglot: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
