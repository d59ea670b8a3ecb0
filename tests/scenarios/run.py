#!/usr/bin/python3
"""Scenario runner: each directory under tests/scenarios/<group>/<case>/ is a
small dla project plus a `steps` file; the runner plays the steps with the
real `dla` binary against SQLite or PostgreSQL and compares table contents.
The same scenario runs unchanged on both engines.

Case directory:
  models.yml       the specs (sources with `seed:` paths, dimensions, facts)
  views/*.sql      optional views
  project.yml      optional lines appended to the generated dla.yml (e.g.
                   `open_end: null`, a `columns:` mapping renaming housekeeping
                   columns)
  steps            blocks separated by blank lines; '#' lines are comments

Blocks (the first line says what the block is):
  seed SOURCE          the following lines are the CSV (header first) written to
                       the source's seed file, then `dla seed --select SOURCE`
  run ARGS...          `dla run ARGS` (shell words); the following lines assert:
                         exit N            exit code (default 0)
                         stdout TEXT       stdout contains TEXT
                         stdout-lacks TEXT stdout does not contain TEXT
                         stdout-match RE   a line of stdout matches the Python
                                           regular expression RE (re.search)
                         stderr TEXT       stderr contains TEXT
  dla ARGS...          any other dla command, same assertions
  expect SQL           the following lines are the expected rows, columns joined
                       with '|', NULL as empty; `(no rows)` for none.  Write
                       booleans as CASE WHEN b THEN 1 ELSE 0 END (portable).
  sql SQL              run a statement (setup), no output checked
  models FILE          the case's file FILE (e.g. models.2.yml) replaces
                       models.yml from here on: a spec changed between runs
                       (a lookup added to a fact that has rows)
  columns TABLE        the following lines are TABLE's column names in order
                       (schema.table; lower case)
  integrity TABLE KEY...   check the history of dimension TABLE (schema.table)
                       with business key KEY... now (see below)
  WORD@TARGET ...      any block above, played only on TARGET (local or pg),
                       e.g. `sql@local CREATE TABLE t(id, city)` for SQL only
                       one engine accepts

Integrity (automatic): after every `run` step -- whatever its exit code -- and
at the end, every dimension of models.yml whose table exists is checked:
  - surrogate keys unique;
  - versioned tables (a valid_from column): per business key, versions ordered
    by valid_from have valid_from < valid_to, each version ends exactly where
    the next starts (a gap only after a version flagged is_deleted), only the
    last version may be current, and it is current unless flagged is_deleted
    (exactly one current row per live key); current rows and only they have
    the open end as valid_to;
  - unversioned tables: one row per business key;
  - surrogate keys unchanged across runs: every (surrogate key, business key,
    valid_from) seen after an earlier run is still there.
The unknown member (surrogate key -1) is only checked for uniqueness.  A
`run` step that expects a failure (exit 1) is checked too: a failed load must
leave the history as it was.
Shapes (--shapes): every dim/ and fact/ case is played again once per shape
of shapes.py (expr_key, expr_attrs, union_all, ctas), as variant
`<case>@<shape>`: the dimension and fact specs read a generated view (or a
CREATE TABLE AS table) computing the same values from the original source
in another shape -- computed keys, computed attributes, UNION ALL of two
halves, a table made from expressions -- and every expectation stays the
same (a message or lineage row naming the source names the rewritten
relation).  Column types are inferred from the seed CSV values (or, for a
source no seed fills, the data read back).  shapes.SKIP lists the variants
not played, with the reason.  --shape NAME (repeatable, implies --shapes)
keeps one shape; --only also matches `<case>@<shape>`.  See shapes.py.

Usage: run.py --dla BIN --target local|pg [--only SUBSTRING]
              [--shapes] [--shape NAME]... [DIR...]
Prints one line per failed check (stderr) and `scenarios[target]: N cases,
P passed, M failed` (with --shapes: N variants, and one line per shape
naming the failed cases).
"""
import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True      # no __pycache__ in the tree
import shapes  # noqa: E402  (beside this file)

HERE = os.path.dirname(os.path.abspath(__file__))

DLA_YML = """name: scenario
default_target: local
views_schema: dla_views
metadata_schema: dla_meta
targets:
  local:
    dialect: sqlite
    connection: "Driver=SQLite3;Database=.dla/warehouse.db"
  pg:
    dialect: postgres
    connection: "Driver=PostgreSQL Unicode;Server=${PGHOST:-127.0.0.1};Port=${PGPORT:-5432};Database=${PGDATABASE:-dla};Uid=${PGUSER:-dla};Pwd=${PGPASSWORD:-};BoolsAsChar=0"
"""


def hk_names(project_text):
    """Housekeeping column names and open end from the case's project.yml
    (a `columns:` mapping and `open_end:`), defaults otherwise."""
    hk = {"valid_from": "valid_from", "valid_to": "valid_to", "is_current": "is_current",
          "is_deleted": "is_deleted", "is_inferred": "is_inferred"}
    open_end = "9999-12-31 00:00:00"
    in_columns = False
    for raw in project_text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        indented = line[0] in " \t"
        key, _, value = line.strip().partition(":")
        value = value.strip().strip("'\"")
        if not indented:
            in_columns = key == "columns"
            if key == "open_end":
                open_end = None if value in ("null", "~", "") else value
        elif in_columns and key in hk:
            hk[key] = value
    return hk, open_end


def dimensions(models_text):
    """(schema.table, [business key], surrogate key) of every dimension in
    models.yml (top-level keys of each `---` document; flow lists)."""
    dims = []
    for doc in models_text.split("\n---"):
        spec = {}
        for raw in doc.splitlines():
            line = raw.split("#", 1)[0].rstrip()
            if not line or line[0] in " \t-":
                continue
            key, _, value = line.partition(":")
            spec[key.strip()] = value.strip()
        if "dimension" not in spec:
            continue
        name = spec["dimension"].strip("'\"")
        keys = [k.strip().strip("'\"") for k in
                spec.get("business_key", "").strip("[]").split(",") if k.strip()]
        sk = spec.get("surrogate_key", "").strip("'\"")
        if not sk:
            sk = (name[4:] if name.startswith("dim_") else name) + "_sk"
        dims.append(("%s.%s" % (spec.get("schema", "presentation"), name), keys, sk))
    return dims


def blocks(text):
    block = []
    for raw in text.splitlines():
        line = raw.rstrip("\n")
        if line.startswith("#"):
            continue
        if not line.strip():
            if block:
                yield block
            block = []
            continue
        block.append(line)
    if block:
        yield block


class Case:
    def __init__(self, path, target, dla, shape=None):
        self.path = path
        self.name = os.path.relpath(path, HERE) + ("@" + shape if shape else "")
        self.target = target
        self.dla = dla
        self.passed = 0
        self.failed = 0
        self.work = tempfile.mkdtemp(prefix="dla-scn-")
        os.makedirs(os.path.join(self.work, "models"))
        os.makedirs(os.path.join(self.work, "seeds"))
        with open(os.path.join(self.work, "dla.yml"), "w") as f:
            f.write(DLA_YML)
        shutil.copy(os.path.join(path, "models.yml"),
                    os.path.join(self.work, "models", "models.yml"))
        project = os.path.join(path, "project.yml")
        project_text = ""
        if os.path.exists(project):
            with open(project) as f:
                project_text = f.read()
            with open(os.path.join(self.work, "dla.yml"), "a") as f:
                f.write(project_text)
        self.hk, self.open_end = hk_names(project_text)
        with open(os.path.join(path, "models.yml")) as f:
            self.dims = dimensions(f.read())
        self.seen = {}     # table -> {sk: (key, valid_from)} after earlier runs
        views = os.path.join(path, "views")
        if os.path.isdir(views):
            shutil.copytree(views, os.path.join(self.work, "views"))
        self.shaper = shapes.Shaper(self, shape) if shape else None
        if target == "pg":
            self.psql("drop schema if exists presentation cascade; "
                      "drop schema if exists staging cascade; "
                      "drop schema if exists dla_views cascade; "
                      "drop schema if exists dla_meta cascade", check=False)

    def fail(self, step, message):
        self.failed += 1
        print("scenarios[%s]: FAIL %s: %s: %s" % (self.target, self.name, step, message),
              file=sys.stderr)

    def ok(self):
        self.passed += 1

    def psql(self, sql, check=True, fmt=("-At", "-F", "|")):
        p = subprocess.run(["psql", "-X", "-q"] + list(fmt) + ["-v", "ON_ERROR_STOP=1",
                            "-c", sql], capture_output=True, text=True)
        if check and p.returncode != 0:
            raise RuntimeError(p.stderr.strip())
        return p.stdout

    def sqlite(self, sql, fmt=("-separator", "|")):
        dla_dir = os.path.join(self.work, ".dla")
        attach = []
        if os.path.isdir(dla_dir):
            for name in sorted(os.listdir(dla_dir)):
                if name.endswith(".db") and name != "warehouse.db":
                    attach.append("attach '%s' as %s;" % (os.path.join(dla_dir, name), name[:-3]))
        db = os.path.join(dla_dir, "warehouse.db")
        p = subprocess.run(["sqlite3"] + list(fmt) + [db, " ".join(attach) + sql],
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(p.stderr.strip())
        return p.stdout

    def query(self, sql):
        return self.psql(sql) if self.target == "pg" else self.sqlite(sql)

    def query_rows(self, sql):
        """[column names] + rows (lists of text, NULL as ''), whatever the
        values hold ('|', newlines)."""
        if self.target == "pg":
            out = self.psql(sql, fmt=("-A", "-F", "\x1f", "-R", "\x1e", "-P", "footer=off"))
        else:
            out = self.sqlite(sql, fmt=("-header", "-separator", "\x1f", "-newline", "\x1e"))
        return [r.split("\x1f") for r in out.rstrip("\n").split("\x1e") if r != ""]

    def dla_cmd(self, step, args, asserts):
        cmd = [self.dla, "--project", self.work, "--target", self.target] + args
        p = subprocess.run(cmd, capture_output=True, text=True)
        want_exit = 0
        for a in asserts:
            kind, _, value = a.partition(" ")
            if kind == "exit":
                want_exit = int(value)
            elif kind == "stdout":
                if value in p.stdout:
                    self.ok()
                else:
                    self.fail(step, "stdout lacks %r:\n%s%s" % (value, p.stdout, p.stderr))
            elif kind == "stdout-match":
                if re.search(value, p.stdout, re.M):
                    self.ok()
                else:
                    self.fail(step, "stdout matches no %r:\n%s" % (value, p.stdout))
            elif kind == "stdout-lacks":
                if value not in p.stdout:
                    self.ok()
                else:
                    self.fail(step, "stdout has %r:\n%s" % (value, p.stdout))
            elif kind == "stderr":
                if value in p.stderr:
                    self.ok()
                else:
                    self.fail(step, "stderr lacks %r:\n%s" % (value, p.stderr))
            else:
                self.fail(step, "unknown assertion %r" % a)
        if p.returncode == want_exit:
            self.ok()
        else:
            self.fail(step, "exit %d, expected %d:\n%s%s" % (p.returncode, want_exit,
                                                         p.stdout, p.stderr))
        return p

    def seed(self, step, source, csv_lines):
        name = source.split(".")[-1]
        with open(os.path.join(self.work, "seeds", name + ".csv"), "w") as f:
            f.write("\n".join(csv_lines) + "\n")
        p = subprocess.run([self.dla, "--project", self.work, "--target", self.target,
                            "seed", "--select", source], capture_output=True, text=True)
        if p.returncode != 0:
            self.fail(step, "seed failed: %s%s" % (p.stdout, p.stderr))

    def expect(self, step, sql, rows, unordered=False):
        try:
            out = self.query(sql)
        except RuntimeError as e:
            self.fail(step, "query failed: %s" % e)
            return
        got = [line for line in out.splitlines()]
        want = [] if rows == ["(no rows)"] else rows
        if got == want or unordered and sorted(got) == sorted(want):
            self.ok()
        else:
            self.fail(step, "rows differ\n  expected:\n    %s\n  actual:\n    %s" % (
                "\n    ".join(want) or "(no rows)", "\n    ".join(got) or "(no rows)"))

    def column_names(self, table):
        """Column names of schema.table in order (lower case), [] if absent."""
        schema, name = table.split(".")
        if self.target == "pg":
            out = self.psql("select column_name from information_schema.columns "
                            "where table_schema = '%s' and table_name = '%s' "
                            "order by ordinal_position" % (schema.lower(), name.lower()))
        else:
            if not os.path.exists(os.path.join(self.work, ".dla", schema + ".db")):
                return []
            out = self.sqlite("select name from pragma_table_info('%s', '%s') order by cid;"
                              % (name, schema))
        return [c.lower() for c in out.splitlines()]

    def table_columns(self, table):
        return set(self.column_names(table))

    def integrity(self, step, table, keys, sk):
        """Checks the history of one dimension table (see the module doc)."""
        try:
            cols = self.table_columns(table)
        except RuntimeError as e:
            self.fail(step, "integrity %s: %s" % (table, e))
            return
        if not cols:
            return
        hk = self.hk
        # a type 1/3 dimension may have a source column called valid_from
        versioned = hk["valid_from"].lower() in cols and hk["valid_to"].lower() in cols
        deleted = hk["is_deleted"].lower() in cols
        sel = [sk] + keys
        if versioned:
            sel += [hk["valid_from"], hk["valid_to"],
                    "case when %s then 1 else 0 end" % hk["is_current"]]
        sel.append("case when %s then 1 else 0 end" % hk["is_deleted"] if deleted else "0")
        order = ", ".join(keys + ([hk["valid_from"]] if versioned else []) + [sk])
        try:
            out = self.query("select %s from %s order by %s" % (", ".join(sel), table, order))
        except RuntimeError as e:
            self.fail(step, "integrity %s: %s" % (table, e))
            return
        problems = []
        n_keys = len(keys)
        rows = [line.split("|") for line in out.splitlines()]
        sks = [r[0] for r in rows]
        dup = sorted(set(k for k in sks if sks.count(k) > 1))
        if dup:
            problems.append("surrogate keys not unique: %s" % ", ".join(dup[:5]))
        open_end = "" if self.open_end is None else self.open_end
        by_key = {}
        for r in rows:
            if r[0] == "-1":
                continue
            by_key.setdefault(tuple(r[1:1 + n_keys]), []).append(r)
        now = {}
        for key, versions in by_key.items():
            name = "key %s" % "|".join(key)
            if not versioned:
                if len(versions) > 1:
                    problems.append("%s: %d rows in an unversioned table" % (name, len(versions)))
                for v in versions:
                    now[v[0]] = (key, None)
                continue
            for i, v in enumerate(versions):
                sk_, vf, vt, cur, dele = v[0], v[1 + n_keys], v[2 + n_keys], v[3 + n_keys], v[4 + n_keys]
                now[sk_] = (key, vf)
                last = i == len(versions) - 1
                if vt != "" and not vf < vt:
                    problems.append("%s: version %s has valid_from %s not before valid_to %s"
                                    % (name, sk_, vf, vt))
                if (cur == "1") != (vt == open_end):
                    problems.append("%s: version %s is_current=%s but valid_to=%r"
                                    % (name, sk_, cur, vt or None))
                if cur == "1" and not last:
                    problems.append("%s: version %s is current but not the last" % (name, sk_))
                if last and cur != "1" and dele != "1":
                    problems.append("%s: no current version and the last (%s) is not "
                                    "flagged deleted" % (name, sk_))
                if last and cur == "1" and dele == "1":
                    problems.append("%s: current version %s flagged deleted" % (name, sk_))
                if not last:
                    nxt = versions[i + 1][1 + n_keys]
                    if dele == "1":
                        if nxt < vt:
                            problems.append("%s: version %s (deleted at %s) overlaps the "
                                            "next one starting %s" % (name, sk_, vt, nxt))
                    elif nxt != vt:
                        problems.append("%s: version %s ends %s but the next starts %s (%s)"
                                        % (name, sk_, vt, nxt,
                                           "gap" if nxt > vt else "overlap"))
        for v in rows:
            if v[0] == "-1":
                now["-1"] = (tuple(v[1:1 + n_keys]), v[1 + n_keys] if versioned else None)
        before = self.seen.get(table, {})
        for sk_, was in sorted(before.items()):
            if now.get(sk_) != was:
                problems.append("surrogate key %s was %r, now %r" % (sk_, was, now.get(sk_)))
        self.seen[table] = now
        if problems:
            self.fail(step, "integrity %s:\n    %s" % (table, "\n    ".join(problems[:10])))
        else:
            self.ok()

    def integrity_all(self, step):
        for table, keys, sk in self.dims:
            self.integrity(step, table, keys, sk)

    def play(self):
        with open(os.path.join(self.path, "steps")) as f:
            text = f.read()
        shaper = self.shaper
        for n, block in enumerate(blocks(text), 1):
            renamed = False
            if shaper:
                block, renamed = shaper.block(block)
            head = block[0]
            word, _, rest = head.partition(" ")
            step = "step %d (%s)" % (n, head[:60])
            word, _, only_on = word.partition("@")
            if only_on and only_on != self.target:
                continue
            if shaper and word in ("run", "dla"):
                shaper.refresh(step)
            if word == "seed":
                if shaper:
                    shaper.before_seed(step)
                self.seed(step, rest.strip(), block[1:])
                if shaper:
                    shaper.seed(rest.strip(), block[1:])
            elif word == "run":
                self.dla_cmd(step, ["run"] + shlex.split(rest), block[1:])
                self.integrity_all(step)
            elif word == "dla":
                self.dla_cmd(step, shlex.split(rest), block[1:])
            elif word == "expect":
                self.expect(step, rest, block[1:], unordered=renamed)
            elif word == "columns":
                try:
                    got = self.column_names(rest.strip())
                except RuntimeError as e:
                    self.fail(step, "query failed: %s" % e)
                    continue
                if got == block[1:]:
                    self.ok()
                else:
                    self.fail(step, "columns differ\n  expected: %s\n  actual:   %s"
                              % (", ".join(block[1:]), ", ".join(got)))
            elif word == "integrity":
                words = rest.split()
                dim = [d for d in self.dims if d[0] == words[0]] if words else []
                base = words[0].split(".")[-1] if words else ""
                sk = dim[0][2] if dim else (base[4:] if base.startswith("dim_") else base) + "_sk"
                self.integrity(step, words[0], words[1:], sk)
            elif word == "sql":
                try:
                    self.query(rest)
                except RuntimeError as e:
                    self.fail(step, "statement failed: %s" % e)
                if shaper:
                    shaper.changed()
            elif word == "models":
                src = os.path.join(self.path, rest.strip())
                shutil.copy(src, os.path.join(self.work, "models", "models.yml"))
                with open(src) as f:
                    self.dims = dimensions(f.read())
            else:
                self.fail(step, "unknown step %r" % word)
        self.integrity_all("end")
        shutil.rmtree(self.work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dla", required=True)
    ap.add_argument("--target", choices=["local", "pg"], required=True)
    ap.add_argument("--only", default="")
    ap.add_argument("--shapes", action="store_true",
                    help="play the dim/ and fact/ cases with their sources rewritten "
                    "into each shape (shapes.py) instead of as written")
    ap.add_argument("--shape", action="append", choices=shapes.SHAPES,
                    help="only this shape (repeatable; implies --shapes)")
    ap.add_argument("dirs", nargs="*")
    ap.add_argument("--rotate", type=int, default=0, metavar="N",
                    help="with --shapes: each case in N of the shapes only, taken in "
                    "turn (case i: shapes i, i + 4/N, ...), so every shape plays about "
                    "N/4 of the cases; make check uses 2")
    args = ap.parse_args()
    args.shapes = args.shapes or bool(args.shape) or args.rotate > 0
    dla = os.path.abspath(args.dla)
    roots = args.dirs or [HERE]
    cases = []      # (path, shape)
    skipped = []
    n_applied = 0   # cases --shapes applies to so far (--rotate)
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            if "steps" not in filenames:
                continue
            if not args.shapes:
                if args.only in dirpath:
                    cases.append((dirpath, None))
                continue
            rel = os.path.relpath(dirpath, HERE)
            if not shapes.applies(rel):
                continue
            picked = args.shape or shapes.SHAPES
            if args.rotate > 0:
                n = len(shapes.SHAPES)
                step = max(1, n // args.rotate)
                picked = [shapes.SHAPES[(n_applied + j * step) % n]
                          for j in range(min(args.rotate, n))]
            n_applied += 1
            for shape in picked:
                if args.only not in "%s@%s" % (dirpath, shape):
                    continue
                if shapes.skipped(rel, shape):
                    skipped.append("%s@%s" % (rel, shape))
                else:
                    cases.append((dirpath, shape))
    passed = failed = 0
    failing = {}
    for path, shape in sorted(cases, key=lambda c: (c[0], shapes.SHAPES.index(c[1])
                                                    if c[1] else -1)):
        case = Case(path, args.target, dla, shape)
        case.play()
        passed += case.passed
        failed += case.failed
        if case.failed:
            failing.setdefault(shape, []).append(case.name)
    if args.shapes:
        for shape in args.shape or shapes.SHAPES:
            n = sum(1 for c in cases if c[1] == shape)
            bad = failing.get(shape, [])
            print("scenarios[%s]: shape %s: %d variants, %d failed%s"
                  % (args.target, shape, n, len(bad),
                     ": " + " ".join(b.split("@")[0] for b in bad) if bad else ""))
        if skipped:
            print("scenarios[%s]: skipped (shapes.SKIP): %s" % (args.target, " ".join(skipped)))
    print("scenarios[%s]: %d %s, %d passed, %d failed" % (
        args.target, len(cases), "variants" if args.shapes else "cases", passed, failed))
    return 1 if failed or not cases else 0


if __name__ == "__main__":
    sys.exit(main())
