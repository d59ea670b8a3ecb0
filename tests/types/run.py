#!/usr/bin/python3
"""Type and name matrix: every column type and every awkward column name in
every role, generated from two tables and played on SQLite and PostgreSQL.

  tests/types/matrix.tsv   one line per type (engine, declared type, sample
                           values, a changed value, how to compare, xfail)
  tests/types/names.tsv    one line per column name (how it is written, the
                           outcome per engine: load or refuse, xfail)

For each engine and each role this writes ONE scenario directory in the
format of tests/scenarios (models.yml, views/, steps) holding one node (or
two: a lookup's dimension and fact) per type or name, and plays it with the
scenario runner's Case (tests/scenarios/run.py):

  attr    a dimension attribute, scd 2: dim_a_<x>(k, v)
  t3      (names only) a type 3 attribute, whose previous_<name> dla derives
  bk      the dimension's business key: dim_b_<x>(v, a)
  grain   a merge fact's grain: fact_g_<x>(v, m)
  lookup  a fact column looked up in a dimension keyed by the same type
          (on_missing: fail): dim_l_<x>(v, a) and fact_l_<x>(id, v)
  ef      (time types) a dimension's effective_from: dim_e_<x>(k, v, a)
  asof    (time types) a fact lookup's as_of, on dim_asof which has two
          versions, the second from 2024-01-05 10:00:00: fact_s_<x>(id, k, v)

Each node is played: first load (+n), the same data again (+0 ~0 -0), one
change (exactly one new version, or one updated fact row), the same again
(+0 ~0 -0), and after the first load and after the change an exact round
trip: the stored value equals the source value COMPARED IN THE DATABASE
(IS NOT DISTINCT FROM / IS, times as times, PostgreSQL types dla stores as
text cast back to their type). The scenario runner's history integrity
checks run after every run. A name a table says is refused must fail its
node before any write (its table is never created) with
models/models.yml:LINE:COL (a line of the node's own document) and the
column named.

A cell is (engine, type or name, role). It passes when all its checks pass;
an xfail cell (a known finding, with its reason, in the table) counts as
xfail when a check fails and as failed when all pass (remove the xfail).
PostgreSQL source rows are written by a session in Europe/Paris (SET TIME
ZONE), as an upstream job in another zone would write them.

Usage: run.py --dla BIN --target local|pg [--target ...] [--only TEXT]
              [--general BIN] [--keep DIR] [--verbose]
  --only TEXT   only cells whose id contains TEXT ("pg/type:uuid/attr",
                "/bk", "name:order")
  --general BIN also play the dimension roles with BIN, a dla whose
                dimension loads all take the general SCD path (cells
                "local:general/..."; an xfail "@local" holds for both)
  --keep DIR    also write the scenario directories under DIR: each plays
                with `tests/scenarios/run.py --dla BIN --target T DIR/T/ROLE`
                (there the exit code of a run mixing refused and loaded
                nodes is checked too; this runner checks each node's line)
Prints a line per failed and xfail cell, `types[T]: N passed, M failed, K
xfail` per engine and `types: N passed, M failed, K xfail`; exits 1 when a
cell failed.
"""
import argparse
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scenarios"))
import run as scenarios  # noqa: E402  (tests/scenarios/run.py)

ROLES = ["attr", "t3", "bk", "grain", "lookup", "ef", "asof"]
DIM_ROLES = ["attr", "t3", "bk", "lookup", "ef"]     # --general plays these
TYPE_ROLES = ["attr", "bk", "grain", "lookup"]
KEY_ROLES = ("bk", "grain", "ef")     # no NULL sample there (lookup: in the fact only)
PREFIX = {"attr": "a", "t3": "t", "bk": "b", "grain": "g", "lookup": "l",
          "ef": "e", "asof": "s"}
AS_OF_1 = "1999-01-01 00:00:00"    # dim_asof's first version
AS_OF_2 = "2024-01-05 10:00:00"    # ... and its second
RUNS = ["2024-12-01 00:00:00", "2024-12-02 00:00:00", "2024-12-03 00:00:00",
        "2024-12-04 00:00:00"]
PARIS = "SET TIME ZONE 'Europe/Paris'; "
UTC = "SET TIME ZONE 'UTC'; "

# the column types and values of a names.tsv line, by role
NAME_TEXT = (["'Lyon'", "'Oslo'", "'Bern'", "NULL"], "'Rome'")
NAME_TIME = (["'2000-01-01 00:00:00'", "'2024-01-05 10:00:00'", "'2024-01-05 11:30:00'"],
             "'2024-06-01 12:00:00'")


def split_values(text):
    return [v.strip() for v in text.split(" | ")]


def parse_xfail(text, engine):
    """'role[@engine]: reason; ...' -> {role: reason} for engine, which is
    local, pg, local:general or pg:general (the general SCD path build:
    @local applies to it too, @local:general only to it)."""
    out = {}
    if text in ("", "-"):
        return out
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        who, _, reason = part.partition(":")
        role, _, only = who.strip().partition("@")
        if only and only != engine and only != engine.split(":")[0]:
            continue
        for r in (ROLES if role == "*" else role.split(",")):
            out[r.strip()] = reason.strip()
    return out


def tsv_lines(path):
    with open(path) as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            yield n, line.split("\t")


class Item:
    """One line of a table, for one engine."""

    def __init__(self, engine, kind, slug, where):
        self.engine = engine
        self.kind = kind            # "type" or "name"
        self.slug = slug
        self.where = where          # file:line, for messages
        self.col = "v"              # the column as SQL writes it
        self.spec = "v"             # ... and as models.yml names it
        self.outcome = {}           # role -> "load" | "refuse"
        self.xfail_text = "-"

    def xfail(self, label, role):
        """The xfail reason of this item's cell on label (engine[:general])."""
        return parse_xfail(self.xfail_text, label).get(role)

    def id(self, role, label=None):
        return "%s/%s:%s/%s" % (label or self.engine, self.kind, self.slug, role)


class TypeItem(Item):
    def __init__(self, engine, fields, where):
        Item.__init__(self, engine, "type", fields[1], where)
        spelled = fields[2]
        m = re.match(r"^(.*?)\s+view\((.*)\)$", spelled)
        self.type, self.view = (m.group(1), m.group(2)) if m else (spelled, None)
        self.roles = TYPE_ROLES if fields[3] == "-" else fields[3].split(",")
        self.values = split_values(fields[4])
        self.change = fields[5]
        self.cmp = fields[6]
        self.xfail_text = fields[7] if len(fields) > 7 else "-"
        for r in self.roles:
            self.outcome[r] = "load"

    def values_for(self, role):
        return self.values, self.change


class NameItem(Item):
    def __init__(self, engine, fields, where):
        Item.__init__(self, engine, "name", fields[0], where)
        self.col = fields[1]
        self.spec = fields[2]
        self.view = None
        self.roles = ROLES
        rule = fields[3] if engine == "local" else fields[4]
        default, *overrides = [p.strip() for p in rule.split(",")]
        for r in ROLES:
            self.outcome[r] = default
        for o in overrides:
            who, _, what = o.partition("=")
            group = {"fact": ["grain", "asof"],
                     "dim": ["attr", "t3", "bk", "lookup", "ef"]}.get(who, [who])
            for r in group:
                self.outcome[r] = what
        self.xfail_text = fields[5] if len(fields) > 5 else "-"

    @property
    def type(self):
        return None     # set per role by the generator

    def type_for(self, role):
        return "TIMESTAMP" if role in ("ef", "asof") else "TEXT"

    def values_for(self, role):
        return NAME_TIME if role in ("ef", "asof") else NAME_TEXT

    @property
    def cmp(self):
        return "-"


def load_tables(engines, matrix, names):
    items = {e: [] for e in engines}
    setup = {e: [] for e in engines}
    for n, f in tsv_lines(matrix):
        where = "%s:%d" % (os.path.relpath(matrix), n)
        if f[0] == "!setup":
            for e in engines:
                if f[1] in ("*", e):
                    setup[e].append(f[2])
            continue
        if len(f) < 7:
            raise SystemExit("%s: %d fields, expected 7 or 8" % (where, len(f)))
        for e in engines:
            if f[0] in ("*", e):
                items[e].append(TypeItem(e, f, where))
    for n, f in tsv_lines(names):
        where = "%s:%d" % (os.path.relpath(names), n)
        if len(f) < 5:
            raise SystemExit("%s: %d fields, expected 5 or 6" % (where, len(f)))
        for e in engines:
            items[e].append(NameItem(e, f, where))
    return items, setup


# ---------------------------------------------------------------- comparisons

def exact(engine, d, s):
    return "(%s IS NOT DISTINCT FROM %s)" % (d, s) if engine == "pg" else "(%s IS %s)" % (d, s)


def sqlite_time(x):
    """SQLite: x as the canonical UTC text of its instant, computed from the
    text (a date, 'T' or ' ', a fraction of any length, Z or an offset)
    without julianday(), whose double cannot hold a microsecond: the
    seconds through strftime (which applies the offset), the fraction's
    digits as written, trailing zeros dropped."""
    f = "substr(%s, 21, 9)" % x
    digits = "(length(%s) - length(ltrim(%s, '0123456789')))" % (f, f)
    flen = "(CASE WHEN substr(%s, 20, 1) = '.' THEN 1 + %s ELSE 0 END)" % (x, digits)
    secs = ("strftime('%%Y-%%m-%%d %%H:%%M:%%S', substr(%s, 1, 10) || ' ' || substr(%s, 12, 8)"
            " || substr(%s, 20 + %s))" % (x, x, x, flen))
    frac = ("(CASE WHEN %s > 1 THEN rtrim(rtrim('.' || substr(%s, 21, %s - 1), '0'), '.') "
            "ELSE '' END)" % (flen, x, flen))
    return ("(CASE WHEN length(%s) = 10 THEN %s || ' 00:00:00' ELSE %s || %s END)"
            % (x, x, secs, frac))


def as_time(engine, x):
    """x as a time comparable across spellings: PostgreSQL a UTC timestamp
    (the checking session is at UTC), SQLite canonical UTC text."""
    if engine == "pg":
        return "(CAST(%s AS timestamptz) AT TIME ZONE 'UTC')" % x
    return sqlite_time(x)


def compare(item, engine, d, s, type_):
    """SQL: the stored d equals the source value s."""
    how = item.cmp
    if how == "-":
        return exact(engine, d, s)
    if how == "time":
        if engine == "pg":
            return exact(engine, d, as_time(engine, s))
        shape = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
        if "TIME" in type_.upper():
            shape += " [0-9][0-9]:[0-9][0-9]:[0-9][0-9]*"
        # as times, and stored in the canonical spelling
        return "(%s IS %s AND (%s IS NULL OR %s GLOB '%s'))" % (
            sqlite_time(d), sqlite_time(s), d, d, shape)
    return "(" + how.replace("{d}", d).replace("{s}", s) + ")"


# ---------------------------------------------------------------- generation

class Project:
    """One scenario directory: one engine, one role, many nodes."""

    def __init__(self, engine, label, role, setup_sql):
        self.engine = engine
        self.label = label          # engine, or engine:general
        self.role = role
        self.sources = ["boot"]
        self.docs = []          # (node, [lines])
        self.views = {}
        self.blocks = []        # [(head, block_cell, [(cell, line)])]
        self.cells = []         # cell ids in order
        self.cell_info = {}     # cell -> (item, role)
        self.tables = {}        # presentation table -> cell (integrity)
        self.node_cell = {}
        self.setup_cell = "%s/setup:%s/-" % (label, role)
        self.block("seed staging.boot", self.setup_cell, [(None, "x"), (None, "1")])
        for sql in setup_sql:
            self.block("sql " + sql, self.setup_cell)

    def block(self, head, cell=None, lines=()):
        self.blocks.append((head, cell, list(lines)))

    def fill(self, sql):
        """A statement writing source rows: PostgreSQL as a session in Paris."""
        return (PARIS + sql) if self.engine == "pg" else sql

    def expect(self, cell, sql, rows):
        if self.engine == "pg":
            sql = UTC + sql
        self.block("expect " + sql, cell, [(None, r) for r in rows])

    def doc(self, node, cell, lines):
        self.docs.append((node, lines))
        self.node_cell[node] = cell
        if lines[0].startswith("dimension:"):
            self.tables["presentation." + node] = cell

    def models(self):
        out = ["sources:"]
        for s in self.sources:
            seed = ", seed: seeds/boot.csv" if s == "boot" else ""
            out.append("  - {name: %s, schema: staging%s}" % (s, seed))
        lines = {}
        for node, doc in self.docs:
            out.append("---")
            first = len(out) + 1
            out.extend(doc)
            lines[node] = (first - 1, len(out))
        return "\n".join(out) + "\n", lines

    def write(self, path):
        os.makedirs(path)
        text, self.doc_lines = self.models()
        with open(os.path.join(path, "models.yml"), "w") as f:
            f.write(text)
        if self.views:
            os.makedirs(os.path.join(path, "views"))
            for name, sql in self.views.items():
                with open(os.path.join(path, "views", name + ".sql"), "w") as f:
                    f.write(sql + "\n")
        with open(os.path.join(path, "steps"), "w") as f:
            f.write("# generated by tests/types/run.py from tests/types/*.tsv\n"
                    "# '#@ CELL' names the cell of the next assertion (or block)\n")
            for head, cell, lines in self.blocks:
                f.write("\n")
                if cell:
                    f.write("#@ %s\n" % cell)
                f.write(head + "\n")
                for c, line in lines:
                    if c and c != cell:
                        f.write("#@ %s\n" % c)
                    f.write(line + "\n")


def node_ok(node, plus, upd, minus):
    return r"stdout-match ^.* OK +%s \([^)]*\) \+%d ~%d -%d in " % (
        re.escape(node), plus, upd, minus)


def node_refused(node, spec, lines):
    first, last = lines
    nums = "|".join(str(n) for n in range(first, last + 1))
    return (r"stdout-match ^ *failed +%s: models/models\.yml:(?:%s):[0-9]+: .*'[A-Za-z_]*%s'"
            % (re.escape(node), nums, re.escape(spec)))


class Gen:
    """Adds one item's nodes, tables and checks to a project, step by step:
    setup, then the assertions of run 1..4, the round trips and the change,
    so that the steps of all items interleave by phase."""

    def __init__(self, project, item, role):
        self.p = project
        self.item = item
        self.role = role
        self.engine = project.engine
        self.cell = item.id(role, project.label)
        self.x = ("n_" if item.kind == "name" else "") + item.slug
        self.pre = PREFIX[role]
        self.type = item.type_for(role) if item.kind == "name" else item.type
        self.values, self.change = item.values_for(role)
        if role in KEY_ROLES:
            self.values = [v for v in self.values if v != "NULL"]
        self.refused = item.outcome.get(role) == "refuse"
        self.col = item.col
        project.cells.append(self.cell)
        project.cell_info[self.cell] = (item, role)

    # names
    def t(self, suffix=""):
        return "%s_%s%s" % (self.pre, self.x, suffix)

    def coldef(self):
        return self.col if self.type == "-" else "%s %s" % (self.col, self.type)

    def source(self, table, cols):
        """The node's source: the table, or a view over it when the type is an
        expression; returns (source name for the spec, SQL relation for the
        checks, expression of the value column over alias s)."""
        self.p.sources.append(table)
        view = self.item.view
        if not view:
            return "staging." + table, "staging." + table, "s." + self.col
        vname = "v_" + table
        expr = view.replace("{v}", self.col)
        sel = ", ".join(expr + " AS " + self.col if c == self.col else c for c in cols)
        self.p.views[vname] = "select %s from staging.%s" % (sel, table)
        return vname, "staging." + table, view.replace("{v}", "s." + self.col)

    def cmp(self, d, s):
        return compare(self.item, self.engine, d, s, self.type or "")

    def rows(self, make):
        return ", ".join(make(i, v) for i, v in enumerate(self.values, 1))

    def create(self, table, cols_sql, rows_sql):
        sql = "CREATE TABLE staging.%s (%s)" % (table, cols_sql)
        if rows_sql:
            sql += "; INSERT INTO staging.%s VALUES %s" % (table, rows_sql)
        self.p.block("sql " + self.p.fill(sql), self.cell)

    def dim(self, node, source, key, extra=()):
        self.p.doc(node, self.cell, ["dimension: " + node, "schema: presentation",
                                     "source: " + source, "business_key: [%s]" % key]
                   + list(extra))

    def fact(self, node, source, grain, extra=()):
        self.p.doc(node, self.cell, ["fact: " + node, "schema: presentation",
                                     "source: " + source, "grain: [%s]" % grain,
                                     "load: merge"] + list(extra))

    # ---- phase 1: tables and specs
    def setup(self):
        c, s = self.col, self.item.spec
        r = self.role
        n = len(self.values)
        if r in ("attr", "t3"):
            tab = self.t()
            self.create(tab, "k integer, " + self.coldef(),
                        self.rows(lambda i, v: "(%d, %s)" % (i, v)))
            self.src, self.rel, self.sx = self.source(tab, ["k", c])
            self.node = "dim_" + tab
            self.dim(self.node, self.src, "k", ["scd: %d" % (2 if r == "attr" else 3)])
            self.nodes = [self.node]
        elif r == "bk":
            tab = self.t()
            self.create(tab, self.coldef() + ", a text",
                        self.rows(lambda i, v: "(%s, 'a%d')" % (v, i)))
            self.src, self.rel, self.sx = self.source(tab, [c, "a"])
            self.node = "dim_" + tab
            self.dim(self.node, self.src, s, ["scd: 2"])
            self.nodes = [self.node]
        elif r == "grain":
            tab = self.t()
            self.create(tab, self.coldef() + ", m integer",
                        self.rows(lambda i, v: "(%s, %d)" % (v, i)))
            self.src, self.rel, self.sx = self.source(tab, [c, "m"])
            self.node = "fact_" + tab
            self.fact(self.node, self.src, s)
            self.nodes = [self.node]
        elif r == "lookup":
            dtab, ftab = self.t("_d"), self.t("_f")
            keys = [v for v in self.values if v != "NULL"]
            self.create(dtab, self.coldef() + ", a text",
                        ", ".join("(%s, 'a%d')" % (v, i) for i, v in enumerate(keys, 1)))
            self.create(ftab, "id integer, " + self.coldef(),
                        self.rows(lambda i, v: "(%d, %s)" % (i, v)))
            self.dsrc, self.drel, self.dsx = self.source(dtab, [c, "a"])
            self.src, self.rel, self.sx = self.source(ftab, ["id", c])
            self.dnode, self.node = "dim_" + self.t(), "fact_" + self.t()
            self.sk = self.t() + "_sk"
            self.dim(self.dnode, self.dsrc, s, ["scd: 2"])
            self.fact(self.node, self.src, "id",
                      ["lookups:", "  - dimension: " + self.dnode,
                       "    on: {%s: %s}" % (s, s), "    on_missing: fail"])
            self.nodes = [self.dnode, self.node]
            self.n_keys = len(keys)
        elif r == "ef":
            tab = self.t()
            self.create(tab, "k integer, %s, a text" % self.coldef(),
                        self.rows(lambda i, v: "(%d, %s, 'a%d')" % (i, v, i)))
            self.src, self.rel, self.sx = self.source(tab, ["k", c, "a"])
            self.node = "dim_" + tab
            self.dim(self.node, self.src, "k", ["scd: 2", "effective_from: " + s])
            self.nodes = [self.node]
        elif r == "asof":
            tab = self.t()
            self.create(tab, "id integer, k integer, " + self.coldef(),
                        self.rows(lambda i, v: "(%d, 1, %s)" % (i, v)))
            self.src, self.rel, self.sx = self.source(tab, ["id", "k", c])
            self.node = "fact_" + tab
            self.fact(self.node, self.src, "id",
                      ["lookups:", "  - dimension: dim_asof", "    on: {k: k}",
                       "    as_of: " + s])
            self.nodes = [self.node]
        self.n = n

    # ---- phase 2: the assertions of run number `run` (1..4)
    def run_lines(self, run, lines_of):
        out = []
        if self.refused:
            if run == 1:
                node = self.nodes[0]
                out.append((self.cell, node_refused(node, self.item.spec, lines_of[node])))
            return out
        r = self.role
        if run in (2, 4):
            for node in self.nodes:
                out.append((self.cell, node_ok(node, 0, 0, 0)))
            return out
        if run == 1:
            if r == "lookup":
                out.append((self.cell, node_ok(self.dnode, self.n_keys, 0, 0)))
            out.append((self.cell, node_ok(self.node, self.n, 0, 0)))
            return out
        # run 3: after the change
        if r in ("attr", "bk", "ef"):
            out.append((self.cell, node_ok(self.node, 1, 0, 1)))
        elif r == "t3":
            out.append((self.cell, node_ok(self.node, 0, 1, 0)))
        elif r in ("grain", "asof"):
            out.append((self.cell, node_ok(self.node, 0, 1, 0)))
        elif r == "lookup":
            out.append((self.cell, node_ok(self.dnode, 1, 0, 1)))
            out.append((self.cell, node_ok(self.node, 0, 1, 0)))
        return out

    # ---- phase 3: nothing written for a refused node
    def refused_checks(self):
        if self.refused:
            self.p.block("columns presentation." + self.nodes[0], self.cell)

    # ---- phase 4: round trip, compared in the database
    def round_trip(self):
        if self.refused:
            return
        r, e, c = self.role, self.engine, self.col
        tab = "presentation." + self.node
        if r in ("attr", "t3"):
            sql = ("select count(*) from %s d join %s s on s.k = d.k where %s"
                   % (tab, self.rel, self.cmp("d." + c, self.sx)))
            if r == "attr":
                sql += " and d.is_current"
            self.p.expect(self.cell, sql, [str(self.n)])
        elif r == "bk":
            self.p.expect(self.cell, "select count(*) from %s d join %s s on %s "
                          "where d.is_current and d.a = s.a"
                          % (tab, self.rel, self.cmp("d." + c, self.sx)), [str(self.n)])
        elif r == "grain":
            self.p.expect(self.cell, "select count(*) from %s f join %s s on %s and f.m = s.m"
                          % (tab, self.rel, self.cmp("f." + c, self.sx)), [str(self.n)])
        elif r == "lookup":
            dtab = "presentation." + self.dnode
            base = "from %s f join %s s on s.id = f.id" % (tab, self.rel)
            self.p.expect(self.cell, "select (select count(*) %s join %s d on d.%s = f.%s "
                          "where %s), (select count(*) %s where %s)"
                          % (base, dtab, self.sk, self.sk, self.cmp("d." + c, self.sx),
                             base, self.cmp("f." + c, self.sx)),
                          ["%d|%d" % (self.n, self.n)])
        elif r == "ef":
            # the effective_from column is not stored: valid_from is its time
            self.p.expect(self.cell, "select count(*) from %s d join %s s on s.k = d.k "
                          "where d.is_current and d.valid_from = %s"
                          % (tab, self.rel, as_time(e, self.sx)), [str(self.n)])
        elif r == "asof":
            b = ("TIMESTAMP '%s'" % AS_OF_2) if e == "pg" else "'%s'" % AS_OF_2
            want = ("CASE WHEN %s IS NULL THEN 'v2' WHEN %s >= %s THEN 'v2' ELSE 'v1' END"
                    % (self.sx, as_time(e, self.sx), b))
            self.p.expect(self.cell, "select count(*) from %s f join %s s on s.id = f.id "
                          "join presentation.dim_asof d on d.asof_sk = f.asof_sk "
                          "where d.a = %s and %s"
                          % (tab, self.rel, want, self.cmp("f." + c, self.sx)), [str(self.n)])

    # ---- phase 5: one change
    def change_rows(self):
        if self.refused:
            return
        r, c = self.role, self.col
        if r in ("attr", "t3"):
            sql = "UPDATE staging.%s SET %s = %s WHERE k = 1" % (self.t(), c, self.change)
        elif r == "bk":
            sql = "UPDATE staging.%s SET a = 'changed' WHERE a = 'a1'" % self.t()
        elif r == "grain":
            sql = "UPDATE staging.%s SET m = m + 100 WHERE m = 1" % self.t()
        elif r == "lookup":
            sql = "UPDATE staging.%s SET a = 'changed' WHERE a = 'a1'" % self.t("_d")
        elif r == "ef":
            sql = "UPDATE staging.%s SET %s = %s, a = 'changed' WHERE k = 1" % (
                self.t(), c, self.change)
        elif r == "asof":
            sql = "UPDATE staging.%s SET %s = %s WHERE id = 1" % (self.t(), c, self.change)
        self.p.block("sql " + self.p.fill(sql), self.cell)


def build_project(engine, label, role, items, setup_sql):
    p = Project(engine, label, role, setup_sql)
    gens = [Gen(p, it, role) for it in items if role in it.roles]
    if not gens:
        return None
    if role == "asof":
        p.sources.append("asof_dim")
        p.doc("dim_asof", p.setup_cell, ["dimension: dim_asof", "schema: presentation",
                                         "source: staging.asof_dim", "business_key: [k]",
                                         "scd: 2"])
        p.block("sql CREATE TABLE staging.asof_dim (k integer, a text); "
                "INSERT INTO staging.asof_dim VALUES (1, 'v1')", p.setup_cell)
    for g in gens:
        g.setup()
    p.generators = gens
    if role == "asof":
        p.block("run --select dim_asof --as-of '%s'" % AS_OF_1, p.setup_cell,
                [(p.setup_cell, node_ok("dim_asof", 1, 0, 0))])
        p.block("sql UPDATE staging.asof_dim SET a = 'v2'", p.setup_cell)
        p.block("run --select dim_asof --as-of '%s'" % AS_OF_2, p.setup_cell,
                [(p.setup_cell, node_ok("dim_asof", 1, 0, 1))])
    _, lines_of = p.models()
    refusing = any(g.refused for g in gens)

    def run(n):
        lines = [(None, "exit %d" % (1 if refusing else 0))]
        for g in gens:
            lines += g.run_lines(n, lines_of)
        p.block("run --as-of '%s'" % RUNS[n - 1], None, lines)

    run(1)
    for g in gens:
        g.refused_checks()
    for g in gens:
        g.round_trip()
    run(2)
    for g in gens:
        g.change_rows()
    run(3)
    for g in gens:
        g.round_trip()
    run(4)
    return p


# ---------------------------------------------------------------- playing

class PsqlSession:
    """One psql for all the checks of a run (a psql per query costs a
    connection each, 0.2 s on a loaded machine)."""

    def __init__(self):
        self.proc = subprocess.Popen(
            ["psql", "-X", "-q", "-At", "-F", "|", "-v", "ON_ERROR_STOP=0"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, bufsize=1)

    def query(self, sql):
        self.proc.stdin.write(sql.rstrip().rstrip(";") + ";\n\\echo __DLA_END__ :ERROR\n"
                              "\\echo :LAST_ERROR_MESSAGE\n")
        self.proc.stdin.flush()
        out = []
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("psql ended")
            if line.startswith("__DLA_END__ "):
                failed = line.split()[1] == "true"
                message = self.proc.stdout.readline().rstrip("\n")
                if failed:
                    raise RuntimeError(message)
                return "".join(l + "\n" for l in out)
            out.append(line.rstrip("\n"))

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


class MatrixCase(scenarios.Case):
    """The scenario runner's Case, each check recorded for its cell."""

    def __init__(self, path, target, dla, project, session):
        self.session = session
        self.project = project
        self.cell = None
        self.results = {}       # cell -> [failure messages]
        self.checks = {}        # cell -> number of checks
        scenarios.Case.__init__(self, path, target, dla)

    def ok(self):
        scenarios.Case.ok(self)
        self.checks[self.cell] = self.checks.get(self.cell, 0) + 1

    def fail(self, step, message):
        self.failed += 1
        self.checks[self.cell] = self.checks.get(self.cell, 0) + 1
        self.results.setdefault(self.cell, []).append("%s: %s" % (step, message))

    def psql(self, sql, check=True):
        try:
            return self.session.query(sql)
        except RuntimeError:
            if check:
                raise
            return ""

    def sqlite(self, sql):
        """One connection while the attached files stay the same (autocommit:
        it holds no lock between statements); writes without fsync."""
        dla_dir = os.path.join(self.work, ".dla")
        files = tuple(sorted(n for n in os.listdir(dla_dir)
                             if n.endswith(".db") and n != "warehouse.db"))
        if getattr(self, "_con_files", None) != files:
            self.close_sqlite()
            con = sqlite3.connect(os.path.join(dla_dir, "warehouse.db"),
                                  isolation_level=None)
            con.execute("PRAGMA synchronous = OFF")
            for name in files:
                con.execute("attach ? as %s" % name[:-3], (os.path.join(dla_dir, name),))
                con.execute("PRAGMA %s.synchronous = OFF" % name[:-3])
            self._con, self._con_files = con, files
        try:
            if ";" in sql.rstrip().rstrip(";"):
                self._con.executescript(sql)
                return ""
            rows = self._con.execute(sql).fetchall()
        except sqlite3.Error as e:
            raise RuntimeError(str(e))
        return "".join("|".join("" if v is None else str(v) for v in r) + "\n" for r in rows)

    def close_sqlite(self):
        if getattr(self, "_con", None) is not None:
            self._con.close()
            self._con = None
            self._con_files = None

    def integrity_all(self, step):
        for table, keys, sk in self.dims:
            self.cell = self.project.tables.get(table, self.project.setup_cell)
            try:
                self.integrity(step, table, keys, sk)
            except (IndexError, ValueError) as e:
                self.fail(step, "integrity %s: cannot read the history (%r)" % (table, e))

    def run_dla(self, step, args, asserts):
        cmd = [self.dla, "--project", self.work, "--target", self.target] + args
        p = subprocess.run(cmd, capture_output=True, text=True)
        for cell, line in asserts:
            kind, _, value = line.partition(" ")
            if kind == "exit":
                continue    # each node's own line says what happened to it
            self.cell = cell
            if kind == "stdout-match":
                if re.search(value, p.stdout, re.M):
                    self.ok()
                else:
                    self.fail(step, "expected %s\n%s" % (
                        value[len("^.* "):] if value.startswith("^.* ") else value,
                        node_lines(p.stdout + p.stderr, value)))
            else:
                self.fail(step, "unknown assertion %r" % line)

    def play_blocks(self, text):
        for n, (head, cell, lines) in enumerate(cell_blocks(text), 1):
            word, _, rest = head.partition(" ")
            step = "step %d (%s)" % (n, head[:70])
            self.cell = cell or self.project.setup_cell
            if word == "seed":
                self.seed(step, rest.strip(), [l for _, l in lines])
            elif word == "run":
                self.run_dla(step, ["run"] + shlex.split(rest), lines)
                self.integrity_all(step)
            elif word == "expect":
                self.expect(step, rest, [l for _, l in lines])
            elif word == "columns":
                try:
                    got = self.column_names(rest.strip())
                except RuntimeError as e:
                    self.fail(step, "query failed: %s" % e)
                    continue
                want = [l for _, l in lines]
                if got == want:
                    self.ok()
                else:
                    self.fail(step, "table written: columns %s" % ", ".join(got))
            elif word == "sql":
                try:
                    self.query(rest)
                    self.ok()
                except RuntimeError as e:
                    self.fail(step, "statement failed: %s" % e)
            else:
                self.fail(step, "unknown step %r" % word)
        self.cell = self.project.setup_cell
        self.close_sqlite()
        if os.environ.get("DLA_TYPES_KEEP_WORK"):
            print("types: project %s/%s played in %s" % (self.target, self.project.role,
                                                         self.work))
        else:
            shutil.rmtree(self.work, ignore_errors=True)


def node_lines(output, regex):
    """The lines of output about the node an assertion is about."""
    m = re.search(r"(?:OK|failed) \+(\w+)", regex.replace("\\", ""))
    if not m:
        return output
    node = m.group(1)
    got = [l for l in output.splitlines() if re.search(r"\b%s\b" % node, l)
           and "START" not in l]
    return "  got: " + ("\n  got: ".join(got) if got else "(no line for %s)" % node)


def cell_blocks(text):
    """The steps' blocks as (head, cell of the block, [(cell, line)])."""
    for block in re.split(r"\n\s*\n", text):
        cell = None
        head = None
        lines = []
        pending = None
        for line in block.splitlines():
            if line.startswith("#@ "):
                pending = line[3:].strip()
                continue
            if line.startswith("#") or not line.strip():
                continue
            if head is None:
                head, cell, pending = line, pending, None
            else:
                lines.append((pending or cell, line))
                pending = None
        if head is not None:
            yield head, cell, lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dla", required=True)
    ap.add_argument("--target", action="append", choices=["local", "pg"], required=True)
    ap.add_argument("--only", default="")
    ap.add_argument("--keep", default="")
    ap.add_argument("--general", default="",
                    help="also play the dimension roles with this dla (a build whose "
                    "dimension loads all take the general SCD path)")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    dla = os.path.abspath(args.dla)
    items, setup = load_tables(args.target, os.path.join(HERE, "matrix.tsv"),
                               os.path.join(HERE, "names.tsv"))
    total = {"pass": 0, "fail": 0, "xfail": 0}
    started = time.time()
    tmp = tempfile.mkdtemp(prefix="dla-types-")
    plays = []
    for engine in args.target:
        plays.append((engine, engine, dla, ROLES))
        if args.general:
            plays.append((engine, engine + ":general", os.path.abspath(args.general),
                          DIM_ROLES))
    try:
        for engine, label, binary, roles in plays:
            count = {"pass": 0, "fail": 0, "xfail": 0}
            t0 = time.time()
            session = PsqlSession() if engine == "pg" else None
            for role in roles:
                chosen = [it for it in items[engine]
                          if role in it.roles and args.only in it.id(role, label)]
                p = build_project(engine, label, role, chosen, setup[engine])
                if p is None:
                    continue
                path = os.path.join(tmp, label.replace(":", "-"), role)
                p.write(path)
                if args.keep:
                    dest = os.path.join(args.keep, label.replace(":", "-"), role)
                    shutil.rmtree(dest, ignore_errors=True)
                    shutil.copytree(path, dest)
                case = MatrixCase(path, engine, binary, p, session)
                with open(os.path.join(path, "steps")) as f:
                    case.play_blocks(f.read())
                report(label, p, case, count, args.verbose)
                sys.stdout.flush()
            if session:
                session.close()
            print("types[%s]: %d passed, %d failed, %d xfail (%.0fs)" % (
                label, count["pass"], count["fail"], count["xfail"], time.time() - t0))
            for k in total:
                total[k] += count[k]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("types: %d passed, %d failed, %d xfail" % (total["pass"], total["fail"],
                                                     total["xfail"]))
    if args.verbose:
        print("types: %.0fs" % (time.time() - started))
    return 1 if total["fail"] or not (total["pass"] + total["xfail"]) else 0


def report(label, p, case, count, verbose):
    """Counts and prints the cells of one played project."""
    for cell in [p.setup_cell] + p.cells:
        failures = case.results.get(cell, [])
        item, r = p.cell_info.get(cell, (None, None))
        reason = item.xfail(label, r) if item else None
        name = cell.split("/", 1)[1].replace("/", " ")
        if cell == p.setup_cell and not failures:
            continue
        if reason and failures:
            count["xfail"] += 1
            print("types[%s]: XFAIL %s (%s): %s" % (
                label, name, reason, what_happened(failures[0], verbose)))
        elif reason:
            count["fail"] += 1
            print("types[%s]: FAIL %s: passes, but %s says xfail (%s): remove the xfail"
                  % (label, name, item.where, reason))
        elif failures:
            count["fail"] += 1
            print("types[%s]: FAIL %s: %s" % (label, name, first_line(failures[0], True)))
            for more in failures[1:3 if not verbose else None]:
                print("    and %s" % first_line(more, verbose))
            if len(failures) > 3 and not verbose:
                print("    and %d more" % (len(failures) - 3))
        else:
            count["pass"] += 1


def what_happened(message, full):
    """A failure in two lines: what was expected, and the node's line of the
    run that shows what happened (or what the query returned)."""
    if full:
        return first_line(message, True)
    lines = message.splitlines()
    got = [l.strip() for l in lines[1:] if l.strip().startswith("got:")]
    if got:
        # the node's summary line ("failed  node: ...") says most
        failed = [g for g in got if " failed  " in g or g.startswith("got: dla:")]
        return lines[0] + "\n      " + (failed or got)[0]
    return " ".join(l.strip() for l in lines[:5])


def first_line(message, full):
    if full:
        return message.replace("\n", "\n    ")
    return message.splitlines()[0] if message else message


if __name__ == "__main__":
    sys.exit(main())
