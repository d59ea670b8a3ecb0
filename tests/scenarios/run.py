#!/usr/bin/python3
"""Scenario runner: each directory under tests/scenarios/<group>/<case>/ is a
small dla project plus a `steps` file; the runner plays the steps with the
real `dla` binary against SQLite or PostgreSQL and compares table contents.
The same scenario runs unchanged on both engines.

Case directory:
  models.yml       the specs (sources with `seed:` paths, dimensions, facts)
  views/*.sql      optional views
  steps            blocks separated by blank lines; '#' lines are comments

Blocks (the first line says what the block is):
  seed SOURCE          the following lines are the CSV (header first) written to
                       the source's seed file, then `dla seed --select SOURCE`
  run ARGS...          `dla run ARGS` (shell words); the following lines assert:
                         exit N            exit code (default 0)
                         stdout TEXT       stdout contains TEXT
                         stderr TEXT       stderr contains TEXT
  dla ARGS...          any other dla command, same assertions
  expect SQL           the following lines are the expected rows, columns joined
                       with '|', NULL as empty; `(no rows)` for none.  Write
                       booleans as CASE WHEN b THEN 1 ELSE 0 END (portable).
  sql SQL              run a statement (setup), no output checked

Usage: run.py --dla BIN --target local|pg [--only SUBSTRING] [DIR...]
Prints one line per failed check and `scenarios[target]: N passed, M failed`.
"""
import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

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
    def __init__(self, path, target, dla):
        self.path = path
        self.name = os.path.relpath(path, HERE)
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
        views = os.path.join(path, "views")
        if os.path.isdir(views):
            shutil.copytree(views, os.path.join(self.work, "views"))
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

    def psql(self, sql, check=True):
        p = subprocess.run(["psql", "-X", "-q", "-At", "-F", "|", "-v", "ON_ERROR_STOP=1",
                            "-c", sql], capture_output=True, text=True)
        if check and p.returncode != 0:
            raise RuntimeError(p.stderr.strip())
        return p.stdout

    def sqlite(self, sql):
        dla_dir = os.path.join(self.work, ".dla")
        attach = []
        if os.path.isdir(dla_dir):
            for name in sorted(os.listdir(dla_dir)):
                if name.endswith(".db") and name != "warehouse.db":
                    attach.append("attach '%s' as %s;" % (os.path.join(dla_dir, name), name[:-3]))
        db = os.path.join(dla_dir, "warehouse.db")
        p = subprocess.run(["sqlite3", "-separator", "|", db, " ".join(attach) + sql],
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(p.stderr.strip())
        return p.stdout

    def query(self, sql):
        return self.psql(sql) if self.target == "pg" else self.sqlite(sql)

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

    def expect(self, step, sql, rows):
        try:
            out = self.query(sql)
        except RuntimeError as e:
            self.fail(step, "query failed: %s" % e)
            return
        got = [line for line in out.splitlines()]
        want = [] if rows == ["(no rows)"] else rows
        if got == want:
            self.ok()
        else:
            self.fail(step, "rows differ\n  expected:\n    %s\n  actual:\n    %s" % (
                "\n    ".join(want) or "(no rows)", "\n    ".join(got) or "(no rows)"))

    def play(self):
        with open(os.path.join(self.path, "steps")) as f:
            text = f.read()
        for n, block in enumerate(blocks(text), 1):
            head = block[0]
            word, _, rest = head.partition(" ")
            step = "step %d (%s)" % (n, head[:60])
            if word == "seed":
                self.seed(step, rest.strip(), block[1:])
            elif word == "run":
                self.dla_cmd(step, ["run"] + shlex.split(rest), block[1:])
            elif word == "dla":
                self.dla_cmd(step, shlex.split(rest), block[1:])
            elif word == "expect":
                self.expect(step, rest, block[1:])
            elif word == "sql":
                try:
                    self.query(rest)
                except RuntimeError as e:
                    self.fail(step, "statement failed: %s" % e)
            else:
                self.fail(step, "unknown step %r" % word)
        shutil.rmtree(self.work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dla", required=True)
    ap.add_argument("--target", choices=["local", "pg"], required=True)
    ap.add_argument("--only", default="")
    ap.add_argument("dirs", nargs="*")
    args = ap.parse_args()
    dla = os.path.abspath(args.dla)
    roots = args.dirs or [HERE]
    cases = []
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            if "steps" in filenames and args.only in dirpath:
                cases.append(dirpath)
    passed = failed = 0
    for path in sorted(cases):
        case = Case(path, args.target, dla)
        case.play()
        passed += case.passed
        failed += case.failed
    print("scenarios[%s]: %d cases, %d passed, %d failed" % (args.target, len(cases),
                                                             passed, failed))
    return 1 if failed or not cases else 0


if __name__ == "__main__":
    sys.exit(main())
