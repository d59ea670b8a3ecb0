"""Source shapes for the scenario runner (run.py --shapes): every dimension and
fact scenario replayed with its source rewritten into a value-preserving
view or table of another shape, so each expected table, stdout assertion and
integrity check must hold unchanged.

Shapes (the rewritten relation is named after the original source's table or
view name, e.g. staging.customer -> customer_expr_key):
  expr_key    a view whose business-key / grain columns are expressions:
              numbers `k + 0`, text `k || ''`; the other columns plain
  expr_attrs  a view whose other columns are expressions: integers `c + 0`,
              decimals `c * 1`, text `CASE WHEN c IS NULL THEN NULL ELSE
              c || '' END`, dates and timestamps `CASE WHEN 1 = 1 THEN c END`,
              columns without a value `COALESCE(c, NULL)`; the keys plain
  union_all   a view `SELECT .. WHERE k <= median UNION ALL SELECT .. WHERE
              NOT (k <= median) OR k IS NULL` (k the first key column, the
              median from the data): every row exactly once, NULL keys too
  ctas        a table staging.<name>_ctas made by `CREATE TABLE .. AS SELECT`
              with every column an expression (the expr_key and expr_attrs
              forms), declared as a source in models.yml
Every dimension and fact spec's `source:` points at the rewritten relation;
a source that already is a view is wrapped (a view over the view; ctas
inlines the view's SELECT).  Column names and order never change, so
effective_from, delete_when, drop, lookup and partition columns still work.

Column types come from the data, never from lists: a source's columns and
values are those of its latest seed CSV (a column keeps its type while later
seeds' values fit it, as `dla seed` keeps the column); a source that no seed
fills (a view, a table made by `sql` steps) is read from the database.  A
column whose values are all integers is an integer, all numbers a decimal,
all ISO dates / timestamps a timestamp, else text; a column without any
value is text when seeded (dla seed makes it TEXT), else left untyped
(`COALESCE(c, NULL)`, any type).

The views and ctas tables are rewritten before the first `run` or `dla`
step after a `seed` or `sql` step (the source may have changed, its columns
too); on PostgreSQL the views are dropped before each `seed` step (a seed
that re-creates its table fails while a view reads it) and created again
by the next run.  The steps are played as written, except that
  - a message naming the source (`source 'staging.customer'`) names the
    rewritten one;
  - an expected row naming the source relation (the lineage) names the
    relation dla reads instead (dla_views.customer_expr_key,
    staging.customer_ctas), and those rows are compared in any order;
  - a `run --select ...` selects the rewritten views too (on PostgreSQL a
    view exists only once its node ran).
"""
import csv
import io
import os
import re
import shlex

SHAPES = ("expr_key", "expr_attrs", "union_all", "ctas")

# Variants not played: case -> (shapes, reason).  Keep it short.
SKIP = {
    # a seed gives column `weight` / `amount` text values and the steps
    # assert dla's type-change error: a computed column has the type of its
    # expression, not of the seeded column (keys and UNION ALL keep it)
    "dim/schema_type_change": (("expr_attrs", "ctas"), "asserts a seeded column's type change"),
    "fact/schema_change": (("expr_attrs", "ctas"), "asserts a seeded column's type change"),
    # the case is about the source's column names themselves
    "dim/names_refused": (SHAPES, "asserts refusals naming the source's own columns"),
}

GROUPS = ("dim", "fact")

_INT = re.compile(r"[+-]?[0-9]+\Z")
_NUM = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)\Z")
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+\Z")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_TS = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?\Z")


def value_kind(v):
    """The kind of one non-empty value, as dla seed classifies it."""
    if v.lower() in ("true", "false"):
        return "bool"
    if _INT.match(v):
        digits = v.lstrip("+-")
        return "int" if len(digits) < 19 or (len(digits) == 19 and digits <= (
            "9223372036854775808" if v.startswith("-") else "9223372036854775807")) \
            else "dec"
    if _NUM.match(v):
        return "dec"
    if _FLOAT.match(v):
        return "float"
    if _DATE.match(v):
        return "date"
    if _TS.match(v):
        return "ts"
    return "text"


def column_kind(values):
    """int, dec, float, bool, date, ts, text, or None (no value)."""
    kinds = set(value_kind(v) for v in values if v != "")
    if not kinds:
        return None
    if "text" in kinds:
        return "text"
    for kind, allowed in (("bool", {"bool"}), ("int", {"int"}), ("dec", {"int", "dec"}),
                          ("float", {"int", "dec", "float"}), ("date", {"date"}),
                          ("ts", {"date", "ts"})):
        if kinds <= allowed:
            return kind
    return "text"


# a column keeps its kind while new values fit it (dla seed replaces rows
# into the existing table when every column holds the new values)
_HOLDS = {"text": None, "dec": {"int", "dec"}, "float": {"int", "dec", "float"},
          "ts": {"date", "ts"}}


def holds(have, want):
    if want is None or have == want:
        return True
    allowed = _HOLDS.get(have, set())
    return allowed is None or want in allowed


def key_expr(col, kind):
    if kind in ("int", "dec", "float"):
        return "%s + 0" % col
    if kind == "text":
        return "%s || ''" % col
    return "COALESCE(%s, NULL)" % col


def attr_expr(col, kind):
    if kind == "int":
        return "%s + 0" % col
    if kind in ("dec", "float"):
        return "%s * 1" % col
    if kind == "text":
        return "CASE WHEN %s IS NULL THEN NULL ELSE %s || '' END" % (col, col)
    if kind in ("date", "ts"):
        return "CASE WHEN 1 = 1 THEN %s END" % col
    if kind == "bool":
        return "CASE WHEN %s IS NULL THEN NULL WHEN %s THEN TRUE ELSE FALSE END" % (col, col)
    return "COALESCE(%s, NULL)" % col


def sql_literal(value, kind):
    if kind in ("int", "dec", "float"):
        return value
    return "'%s'" % value.replace("'", "''")


def median(values, kind):
    vals = [v for v in values if v != ""]
    if not vals:
        return None
    if kind in ("int", "dec", "float"):
        vals.sort(key=float)
    else:
        vals.sort()
    return vals[(len(vals) - 1) // 2]


def _documents(text):
    return re.split(r"(?m)^---[ \t]*\n", text)


def _top(doc):
    spec = {}
    for raw in doc.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line or line[0] in " \t-":
            continue
        key, _, value = line.partition(":")
        spec[key.strip()] = value.strip().strip("'\"")
    return spec


def _flow_list(value):
    return [k.strip().strip("'\"") for k in value.strip("[]").split(",") if k.strip()]


class Shaper:
    """One shape applied to one Case (run.py): rewrites the project at
    setup, the relations before dla steps, and the source names in the
    steps' assertions."""

    def __init__(self, case, shape):
        self.case = case
        self.shape = shape
        path = os.path.join(case.work, "models", "models.yml")
        with open(path) as f:
            text = f.read()
        self.views = set(os.path.splitext(n)[0] for n in os.listdir(os.path.join(
            case.path, "views"))) if os.path.isdir(os.path.join(case.path, "views")) else set()
        # original source -> {name (in the spec), qualified (as dla names it),
        # keys (of the specs reading it), was (the source as dla named it)}
        self.rels = {}
        self.reader = {}     # dimension / fact -> the rel it reads
        docs = _documents(text)
        for i, doc in enumerate(docs):
            spec = _top(doc)
            if "dimension" not in spec and "fact" not in spec:
                continue
            src = spec.get("source", "")
            keys = _flow_list(spec.get("business_key", spec.get("grain", "")))
            rel = self.rels.get(src)
            if rel is None:
                base = src.split(".")[-1]
                if shape == "ctas":
                    name = "staging.%s_ctas" % base
                    qualified = name
                else:
                    name = "%s_%s" % (base, shape)
                    qualified = "dla_views." + name
                rel = self.rels[src] = {"name": name, "qualified": qualified, "keys": [],
                                        "was": src if "." in src else "dla_views." + src}
            rel["keys"] += [k for k in keys if k not in rel["keys"]]
            self.reader[spec.get("dimension") or spec.get("fact")] = rel
            docs[i] = re.sub(r"(?m)^source:.*$", "source: %s" % rel["name"], doc, count=1)
        text = "---\n".join(docs)
        if shape == "ctas":
            text = text.rstrip("\n") + "\n---\nsources:\n" + "".join(
                "  - {name: %s, schema: staging}\n" % r["name"].split(".", 1)[1]
                for r in self.rels.values())
        with open(path, "w") as f:
            f.write(text)
        os.makedirs(os.path.join(case.work, "views"), exist_ok=True)
        if shape != "ctas":
            # a pass-through until the first refresh knows the columns
            for src, rel in self.rels.items():
                self.write_view(rel, "select * from %s\n" % src)
        self.seeded = {}     # source -> (columns, rows, kinds) of its latest seed
        self.dirty = True

    # ---- the steps -------------------------------------------------------

    def block(self, block):
        """(block, renamed): the block with the source names in its
        assertions and expected rows rewritten; renamed when an expected row
        changed (its place in the query's order may have changed too)."""
        word, _, rest = block[0].partition(" ")
        head = block[0]
        if word == "run" and self.shape != "ctas":
            # a selection selects the views its dimensions and facts read
            # too: PostgreSQL creates a view (again) only when its node runs
            words = shlex.split(rest)
            views = []
            for opt, value in zip(words, words[1:]):
                rel = self.reader.get(value.strip("+")) if opt in ("--select", "-s") else None
                if rel and rel["name"] not in views:
                    views.append(rel["name"])
            head += "".join(" --select %s" % v for v in views)
        out = [head]
        renamed = False
        for line in block[1:]:
            if word in ("run", "dla"):
                kind, _, value = line.partition(" ")
                if kind in ("stdout", "stdout-lacks", "stderr"):
                    for src, rel in self.rels.items():
                        value = value.replace("'%s'" % src, "'%s'" % rel["name"])
                    line = "%s %s" % (kind, value)
            elif word == "expect":
                was = line
                for rel in self.rels.values():
                    line = re.sub(r"(?<![\w.])%s(?![\w.])" % re.escape(rel["was"]),
                                  rel["qualified"], line)
                renamed = renamed or line != was
            out.append(line)
        return out, renamed

    def seed(self, source, csv_lines):
        """A `seed` step: the source's columns, rows and column kinds now.
        Like dla seed, the same header keeps the table (and each column's
        type) while every column holds the new values; otherwise the table is
        re-created with the kinds of these values (no value: text)."""
        rows = list(csv.reader(io.StringIO("\n".join(csv_lines) + "\n")))
        if not rows:
            return
        columns = [c.strip() for c in rows[0]]
        rows = [r for r in rows[1:] if r]
        found = {c: column_kind([r[i] if i < len(r) else "" for r in rows])
                 for i, c in enumerate(columns)}
        prev = self.seeded.get(source)
        if prev and prev[0] == columns and all(holds(prev[2][c], found[c]) for c in columns):
            kinds = prev[2]
        else:
            kinds = {c: k or "text" for c, k in found.items()}
        self.seeded[source] = (columns, rows, kinds)
        self.dirty = True

    def before_seed(self, step):
        """Before a `seed` step: PostgreSQL refuses to drop (re-create) a
        table a view reads, so the rewritten views go; the next run
        creates them again."""
        if self.case.target == "pg" and self.shape != "ctas":
            try:
                self.case.query("; ".join("drop view if exists %s" % rel["qualified"]
                                          for rel in self.rels.values()))
            except RuntimeError as e:
                self.case.fail(step, "drop the rewritten views: %s" % e)

    def changed(self):
        """A `sql` step: any source may have changed."""
        self.dirty = True

    def refresh(self, step):
        """Before a dla step: the rewritten relations of the current sources."""
        if not self.dirty:
            return
        self.dirty = False
        for src, rel in self.rels.items():
            try:
                columns, kinds, values = self.describe(src)
            except RuntimeError:
                continue       # not there (yet): dla will say so
            if self.shape == "ctas":
                self.write_ctas(src, rel, columns, kinds, step)
            else:
                self.write_view(rel, self.view_sql(src, rel, columns, kinds, values))

    # ---- the relations ---------------------------------------------------

    def describe(self, src):
        """(columns, {column: kind}, {column: [values]}) of a source now:
        from its latest seed, else read from the database."""
        if src in self.seeded:
            columns, rows, kinds = self.seeded[src]
            values = {c: [r[i] if i < len(r) else "" for r in rows]
                      for i, c in enumerate(columns)}
            return columns, kinds, values
        out = self.case.query_rows("select * from %s" % self.inline(src))
        columns, rows = out[0], out[1:]
        values = {c: [r[i] for r in rows] for i, c in enumerate(columns)}
        return columns, {c: column_kind(values[c]) for c in columns}, values

    def inline(self, src):
        """src as a FROM item outside dla: a view's SELECT inlined."""
        if src in self.views:
            with open(os.path.join(self.case.path, "views", src + ".sql")) as f:
                return "(%s\n) as %s" % (f.read().rstrip().rstrip(";"), src)
        return src

    def exprs(self, rel, columns, kinds, key_form, attr_form):
        out = []
        for c in columns:
            if c in rel["keys"]:
                e = key_expr(c, kinds[c]) if key_form else c
            else:
                e = attr_expr(c, kinds[c]) if attr_form else c
            out.append(c if e == c else "%s as %s" % (e, c))
        return ", ".join(out)

    def view_sql(self, src, rel, columns, kinds, values):
        head = "-- generated by tests/scenarios/shapes.py (%s) from %s\n" % (self.shape, src)
        if self.shape == "union_all":
            key = rel["keys"][0] if rel["keys"] and rel["keys"][0] in columns else columns[0]
            cols = ", ".join(columns)
            mid = median(values[key], kinds[key])
            cond = ("%s is not null" % key if mid is None
                    else "%s <= %s" % (key, sql_literal(mid, kinds[key])))
            return ("%sselect %s from %s where %s\nunion all\n"
                    "select %s from %s where not (%s) or %s is null\n"
                    % (head, cols, src, cond, cols, src, cond, key))
        sel = self.exprs(rel, columns, kinds, self.shape == "expr_key",
                         self.shape == "expr_attrs")
        return "%sselect %s\nfrom %s\n" % (head, sel, src)

    def write_view(self, rel, sql):
        with open(os.path.join(self.case.work, "views", rel["name"] + ".sql"), "w") as f:
            f.write(sql)

    def write_ctas(self, src, rel, columns, kinds, step):
        sel = self.exprs(rel, columns, kinds, True, True)
        try:
            self.case.query("drop table if exists %s; create table %s as select %s from %s;"
                            % (rel["name"], rel["name"], sel, self.inline(src)))
        except RuntimeError as e:
            self.case.fail(step, "ctas %s: %s" % (rel["name"], e))


def skipped(relname, shape):
    """The reason variant relname@shape is not played, or None."""
    shapes, reason = SKIP.get(relname, ((), None))
    if shape in shapes:
        return reason
    steps = os.path.join(os.path.dirname(os.path.abspath(__file__)), relname, "steps")
    if os.path.exists(steps):
        with open(steps) as f:
            if any(line.startswith("models ") for line in f):
                return "a models step replaces the (reshaped) specs between runs"
    return None


def applies(relname):
    return relname.split(os.sep)[0] in GROUPS
