/*
 * project_spec.c - models/ YAML documents -> sources, dimensions, facts and
 * exposures (SPEC section 3), with every per-spec check: keys, types,
 * identifiers, enums, required keys, duplicates inside a spec and the
 * combinations of settings that cannot work together.
 *
 * Document shapes (any number per file, separated by ---):
 *   sources: [...]  exposures: [...]  dimensions: [...]  facts: [...]
 *   dimension: name + its keys       (one dimension spec)
 *   fact: name + its keys            (one fact spec)
 * A single-spec document may also hold the list keys.  Top-level keys
 * starting with "x-" are ignored (a place for YAML anchors:
 * `x-defaults: &defaults {...}` then `<<: *defaults`).
 *
 * Extra keys beyond SPEC section 3:
 *   description  on every spec, lookups and column overrides
 *   columns.<c>.current   type 6: name of the current-value column
 *   schema       may be omitted when dla.yml sets default_schema
 *   tests        declared data tests on dimensions and facts, and under
 *                columns.<c>.tests (facts accept `columns:` for that and
 *                descriptions only); docs/TESTS.md
 *
 * Decisions: `on_delete: close` needs source_mode snapshot (in delta mode a
 * missing key means "no change"; deletions come from delete_when);
 * `delete_when` needs source_mode delta; a fact's grain is always
 * required; incremental_column / lookback / partition_column given for a
 * load that does not use them are warnings.
 */
#include "project_internal.h"
#include "alloc.h"
#include "regex.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const container_keys[] = { "sources", "dimensions", "facts", "exposures" };
enum { CK_SOURCES, CK_DIMENSIONS, CK_FACTS, CK_EXPOSURES, N_CONTAINER_KEYS };
static const char *const spec_name_keys[] = { "dimension", "fact" };

static void nomem_if(struct dla_loader *L, void *p)
{
	if (!p)
		L->nomem = true;
}

static void missing_key(struct dla_loader *L, const char *kind, const char *label,
			struct dla_loc loc, const char *key)
{
	if (label)
		ld_error_loc(L, loc, "%s '%s' is missing required key '%s'", kind, label, key);
	else
		ld_error_loc(L, loc, "%s is missing required key '%s'", kind, key);
}

/* The name written for a spec (valid or not), for messages. */
static const char *label_of(const struct dla_ynode *name_node)
{
	if (!name_node || name_node->kind != DLA_YNODE_SCALAR || dla_ynode_is_null(name_node))
		return NULL;
	return name_node->value;
}

static const struct dla_ynode *key_node(const struct dla_ynode *map, const char *key)
{
	for (size_t i = 0; i < map->n_pairs; i++) {
		const struct dla_ynode *k = map->pairs[i].key;
		if (k->kind == DLA_YNODE_SCALAR && strcmp(k->value, key) == 0)
			return k;
	}
	return NULL;
}

static bool names_contain(const struct dla_names *names, const char *name)
{
	for (size_t i = 0; i < names->n; i++)
		if (strcasecmp(names->items[i], name) == 0)
			return true;
	return false;
}

static int get_scd(struct dla_loader *L, const struct dla_ynode *n, enum dla_scd_type *out)
{
	long v = -1;

	if (!n || dla_ynode_is_null(n))
		return 0;
	if (n->flags & LD_FLAG_BAD)
		return -1;
	if (n->kind == DLA_YNODE_SCALAR && n->len && n->len <= 2 &&
	    strspn(n->value, "0123456789") == n->len)
		v = strtol(n->value, NULL, 10);
	if (!dla_scd_type_valid(v)) {
		ld_error(L, n, "'scd' must be one of 0, 1, 2, 3, 6");
		return -1;
	}
	*out = (enum dla_scd_type)v;
	return 1;
}

/* True when map has no value for key (absent or null). */
static bool absent(const struct dla_ynode *map, const char *key)
{
	const struct dla_ynode *v = dla_ynode_get(map, key);

	return !v || dla_ynode_is_null(v);
}

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define PUSH(L, arr, n, cap, item) do { \
		if (dla_grow((void **)&(arr), &(cap), (n) + 1, sizeof(*(arr)))) \
			(L)->nomem = true; \
		else \
			(arr)[(n)++] = (item); \
	} while (0)

/* ---- sources ------------------------------------------------------------- */

static const char *const source_keys[] = {
	"name", "schema", "seed", "freshness", "tags", "description"
};
enum { SK_NAME, SK_SCHEMA, SK_SEED, SK_FRESHNESS, SK_TAGS, SK_DESCRIPTION };

static const char *const freshness_keys[] = { "column", "warn_after", "error_after" };

static void parse_freshness(struct dla_loader *L, const struct dla_ynode *n,
			    struct dla_freshness *f)
{
	const struct dla_ynode *warn = NULL, *err = NULL;

	if (!ld_is_mapping(L, "freshness", n))
		return;
	f->loc = ld_loc(L, n);
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct dla_ynode *v = n->pairs[i].value;
		switch (ld_key(L, n->pairs[i].key, freshness_keys, 3, NULL, 0, false)) {
		case 0: ld_ident(L, "column", v, &f->column); break;
		case 1: if (ld_duration(L, "warn_after", v, &f->warn_after_s) > 0) warn = v; break;
		case 2: if (ld_duration(L, "error_after", v, &f->error_after_s) > 0) err = v; break;
		default: break;
		}
	}
	if (!f->column && !dla_ynode_get(n, "column"))
		ld_error(L, n, "'freshness' is missing required key 'column'");
	if (!dla_ynode_get(n, "warn_after") && !dla_ynode_get(n, "error_after"))
		ld_error(L, n, "'freshness' needs 'warn_after' or 'error_after'");
	if (warn && err && f->warn_after_s > f->error_after_s)
		ld_error(L, warn, "'warn_after' must not be longer than 'error_after'");
	f->set = f->column != NULL;
}

static bool seed_path_ok(const char *path)
{
	const char *s = path;

	if (!*path || *path == '/')
		return false;
	while (*s) {
		size_t len = strcspn(s, "/");
		if (len == 2 && s[0] == '.' && s[1] == '.')
			return false;
		s += len;
		if (*s == '/')
			s++;
	}
	return true;
}

static void parse_source(struct dla_loader *L, const struct dla_ynode *map)
{
	struct dla_source s;
	const struct dla_ynode *name_node = dla_ynode_get(map, "name");
	const char *label = label_of(name_node);

	memset(&s, 0, sizeof(s));
	s.loc = ld_loc(L, name_node ? name_node : map);
	for (size_t i = 0; i < map->n_pairs; i++) {
		const struct dla_ynode *v = map->pairs[i].value;
		switch (ld_key(L, map->pairs[i].key, source_keys, ARRAY_LEN(source_keys),
			       NULL, 0, false)) {
		case SK_NAME: ld_ident(L, "name", v, &s.name); break;
		case SK_SCHEMA: ld_ident(L, "schema", v, &s.schema); break;
		case SK_SEED:
			if (ld_string(L, "seed", v, &s.seed) > 0 && !seed_path_ok(s.seed)) {
				ld_error(L, v, "'seed' must be a relative path inside the project");
				s.seed = NULL;
			}
			break;
		case SK_FRESHNESS: parse_freshness(L, v, &s.freshness); break;
		case SK_TAGS: ld_names(L, "tags", v, LD_TAGS, &s.tags); break;
		case SK_DESCRIPTION: ld_string(L, "description", v, &s.description); break;
		default: break;
		}
	}
	if (absent(map, "name"))
		missing_key(L, "source", NULL, s.loc, "name");
	if (absent(map, "schema"))
		missing_key(L, "source", label, s.loc, "schema");
	if (!s.name || !s.schema)
		return;
	s.relation = dla_arena_printf(L->arena, "%s.%s", s.schema, s.name);
	nomem_if(L, (void *)s.relation);
	if (!s.relation)
		return;
	if (ld_register_node(L, s.relation, s.relation, s.loc))
		PUSH(L, L->sources, L->n_sources, L->cap_sources, s);
}

/* ---- declared tests ------------------------------------------------------ */

static const char *const test_kinds[] = {
	"not_null", "unique", "accepted_values", "relationships", "custom"
};
static const char *const severities[] = { "error", "warn" };
static const char *const test_option_keys[] = {
	"columns", "column", "values", "to", "field", "name", "sql", "severity", "description"
};
enum { TO_COLUMNS, TO_COLUMN, TO_VALUES, TO_TO, TO_FIELD, TO_NAME, TO_SQL, TO_SEVERITY,
       TO_DESCRIPTION };

/* Which option keys each kind takes (bit per TO_*); column-level tests take
 * no column(s) key. */
static const unsigned test_kind_options[] = {
	[DLA_TEST_NOT_NULL] = 1u << TO_COLUMNS | 1u << TO_SEVERITY | 1u << TO_DESCRIPTION,
	[DLA_TEST_UNIQUE] = 1u << TO_COLUMNS | 1u << TO_SEVERITY | 1u << TO_DESCRIPTION,
	[DLA_TEST_ACCEPTED_VALUES] = 1u << TO_COLUMN | 1u << TO_VALUES | 1u << TO_SEVERITY |
				     1u << TO_DESCRIPTION,
	[DLA_TEST_RELATIONSHIPS] = 1u << TO_COLUMN | 1u << TO_TO | 1u << TO_FIELD |
				   1u << TO_SEVERITY | 1u << TO_DESCRIPTION,
	[DLA_TEST_CUSTOM] = 1u << TO_NAME | 1u << TO_SQL | 1u << TO_SEVERITY |
			    1u << TO_DESCRIPTION,
};

struct test_list {
	struct dla_test_spec *v;
	size_t n, cap;
};

/* A decimal number as YAML writes it plainly: -12, 3.5 */
static bool is_number_text(const char *s)
{
	size_t digits = 0;

	if (*s == '-' || *s == '+')
		s++;
	while (*s >= '0' && *s <= '9') {
		s++;
		digits++;
	}
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			s++;
			digits++;
		}
	}
	return digits > 0 && *s == '\0';
}

static void parse_test_values(struct dla_loader *L, const struct dla_ynode *n,
			      struct dla_test_spec *t)
{
	if (!n || dla_ynode_is_null(n) || (n->flags & LD_FLAG_BAD))
		return;
	if (n->kind != DLA_YNODE_SEQUENCE || n->n_items == 0) {
		ld_error(L, n, "'values' must be a non-empty list of values");
		return;
	}
	t->values = dla_arena_calloc(L->arena, n->n_items, sizeof(*t->values));
	nomem_if(L, t->values);
	for (size_t i = 0; t->values && i < n->n_items; i++) {
		const struct dla_ynode *item = n->items[i];
		struct dla_test_value *v = &t->values[t->n_values];

		if (item->kind != DLA_YNODE_SCALAR || dla_ynode_is_null(item)) {
			ld_error(L, item, "'values' must be a non-empty list of values");
			continue;
		}
		if (item->flags & LD_FLAG_BAD)
			continue;
		v->text = ld_strdup(L, item->value);
		v->number = item->style == DLA_YSTYLE_PLAIN && !item->tag &&
			    is_number_text(item->value);
		if (v->text)
			t->n_values++;
	}
}

/* The options mapping of a test ({columns: [...], severity: warn} ...). */
static void parse_test_options(struct dla_loader *L, const struct dla_ynode *map,
			       bool column_level, struct dla_test_spec *t)
{
	unsigned allowed = test_kind_options[t->kind];

	if (column_level)
		allowed &= ~(1u << TO_COLUMNS | 1u << TO_COLUMN);
	for (size_t i = 0; i < map->n_pairs; i++) {
		const struct dla_ynode *k = map->pairs[i].key, *v = map->pairs[i].value;
		int key = ld_key(L, k, test_option_keys, ARRAY_LEN(test_option_keys), NULL, 0,
				 false);
		int sev = DLA_TEST_SEV_ERROR;
		const char *ignored;

		if (key < 0)
			continue;
		if (!(allowed & (1u << key))) {
			ld_error(L, k, "'%s' is not an option of a %s%s test", k->value,
				 column_level ? "column's " : "", test_kinds[t->kind]);
			continue;
		}
		switch (key) {
		case TO_COLUMNS:
			ld_names(L, "columns", v, LD_COLUMNS, &t->columns);
			break;
		case TO_COLUMN: {
			const char *col = NULL;
			if (ld_ident(L, "column", v, &col) > 0) {
				t->columns.items = dla_arena_calloc(L->arena, 1, sizeof(char *));
				t->columns.locs = dla_arena_calloc(L->arena, 1,
								   sizeof(struct dla_loc));
				nomem_if(L, t->columns.items);
				nomem_if(L, t->columns.locs);
				if (t->columns.items && t->columns.locs) {
					t->columns.items[0] = col;
					t->columns.locs[0] = ld_loc(L, v);
					t->columns.n = 1;
				}
			}
			break;
		}
		case TO_VALUES: parse_test_values(L, v, t); break;
		case TO_TO: ld_nodename(L, "to", v, &t->to); break;
		case TO_FIELD: ld_ident(L, "field", v, &t->field); break;
		case TO_NAME: ld_ident(L, "name", v, &t->name); break;
		case TO_SQL: ld_string(L, "sql", v, &t->sql); break;
		case TO_SEVERITY:
			if (ld_enum(L, "severity", v, severities, 2, &sev) > 0)
				t->severity = (enum dla_test_severity)sev;
			break;
		case TO_DESCRIPTION: ld_string(L, "description", v, &ignored); break;
		}
	}
}

/* One single-column list for a column-level test. */
static void set_one_column(struct dla_loader *L, struct dla_test_spec *t,
			   const char *column, struct dla_loc loc)
{
	t->columns.items = dla_arena_calloc(L->arena, 1, sizeof(char *));
	t->columns.locs = dla_arena_calloc(L->arena, 1, sizeof(struct dla_loc));
	nomem_if(L, t->columns.items);
	nomem_if(L, t->columns.locs);
	if (!t->columns.items || !t->columns.locs)
		return;
	t->columns.items[0] = column;
	t->columns.locs[0] = loc;
	t->columns.n = 1;
}

/*
 * One item of a `tests:` list.  column: the column of a column-level test
 * (NULL at table level).  Shapes:
 *   not_null | unique                      (column level)
 *   {not_null: [a, b]} {unique: [a, b]}    (table level: columns)
 *   {KIND: {option: value, ...}}           (any level)
 *   {accepted_values: [v1, v2]}            (column level: the values)
 */
static void parse_test(struct dla_loader *L, const struct dla_ynode *item, const char *column,
		       struct dla_loc column_loc, struct test_list *out)
{
	const struct dla_ynode *key, *val = NULL;
	struct dla_test_spec t;
	bool column_level = column != NULL;
	int kind;

	if (item->flags & LD_FLAG_BAD)
		return;
	if (item->kind == DLA_YNODE_SCALAR && !dla_ynode_is_null(item)) {
		key = item;
	} else if (item->kind == DLA_YNODE_MAPPING && item->n_pairs == 1) {
		key = item->pairs[0].key;
		val = item->pairs[0].value;
	} else {
		ld_error(L, item, "a test must be a name like 'not_null' or a mapping with one "
			 "key like {unique: [a, b]}");
		return;
	}
	kind = ld_key(L, key, test_kinds, ARRAY_LEN(test_kinds), NULL, 0, false);
	if (kind < 0)
		return;
	memset(&t, 0, sizeof(t));
	t.kind = (enum dla_test_kind)kind;
	t.severity = DLA_TEST_SEV_ERROR;
	t.loc = ld_loc(L, key);
	if (val && dla_ynode_is_null(val))
		val = NULL;
	if (val && val->kind == DLA_YNODE_MAPPING) {
		parse_test_options(L, val, column_level, &t);
	} else if (val && val->kind == DLA_YNODE_SEQUENCE && !column_level &&
		   (t.kind == DLA_TEST_NOT_NULL || t.kind == DLA_TEST_UNIQUE)) {
		ld_names(L, test_kinds[kind], val, LD_COLUMNS, &t.columns);
	} else if (val && val->kind == DLA_YNODE_SEQUENCE && column_level &&
		   t.kind == DLA_TEST_ACCEPTED_VALUES) {
		parse_test_values(L, val, &t);
	} else if (val) {
		ld_error(L, val, "'%s' must be a mapping of options%s", test_kinds[kind],
			 column_level ? (t.kind == DLA_TEST_ACCEPTED_VALUES ?
					 " or a list of values" : "")
				      : (t.kind == DLA_TEST_NOT_NULL || t.kind == DLA_TEST_UNIQUE ?
					 " or a list of columns" : ""));
		return;
	}
	if (column_level)
		set_one_column(L, &t, column, column_loc);

	/* what each kind needs */
	if (t.kind != DLA_TEST_CUSTOM && t.columns.n == 0) {
		ld_error(L, key, "test '%s' needs %s", test_kinds[kind],
			 t.kind == DLA_TEST_UNIQUE || t.kind == DLA_TEST_NOT_NULL
			 ? "'columns' (or use it under columns: <name>: tests:)"
			 : "'column' (or use it under columns: <name>: tests:)");
		return;
	}
	if (t.kind == DLA_TEST_ACCEPTED_VALUES && t.n_values == 0) {
		if (!(val && val->kind == DLA_YNODE_MAPPING && dla_ynode_get(val, "values")))
			ld_error(L, key, "test 'accepted_values' needs 'values'");
		return;       /* (a bad 'values' was reported) */
	}
	if (t.kind == DLA_TEST_RELATIONSHIPS && (!t.to || !t.field)) {
		ld_error(L, key, "test 'relationships' needs 'to' and 'field'");
		return;
	}
	if (t.kind == DLA_TEST_CUSTOM && (!t.name || !t.sql)) {
		ld_error(L, key, "test 'custom' needs 'name' and 'sql'");
		return;
	}
	if (t.kind == DLA_TEST_NOT_NULL && t.columns.n > 1) {
		/* one test per column: each names its own column */
		for (size_t i = 0; i < t.columns.n; i++) {
			struct dla_test_spec one = t;
			set_one_column(L, &one, t.columns.items[i], t.columns.locs[i]);
			PUSH(L, out->v, out->n, out->cap, one);
		}
		return;
	}
	PUSH(L, out->v, out->n, out->cap, t);
}

/* A `tests:` list. */
static void parse_tests(struct dla_loader *L, const struct dla_ynode *n, const char *column,
			struct dla_loc column_loc, struct test_list *out)
{
	if (!n || dla_ynode_is_null(n) || (n->flags & LD_FLAG_BAD))
		return;
	if (n->kind != DLA_YNODE_SEQUENCE) {
		ld_error(L, n, "'tests' must be a list of tests");
		return;
	}
	for (size_t i = 0; i < n->n_items && !L->nomem; i++)
		parse_test(L, n->items[i], column, column_loc, out);
}

/* The `tests:` of every column of a `columns:` mapping (already checked
 * to be a mapping of mappings by the caller's parser). */
static void parse_column_tests(struct dla_loader *L, const struct dla_ynode *columns,
			       struct test_list *out)
{
	if (!columns || columns->kind != DLA_YNODE_MAPPING)
		return;
	for (size_t i = 0; i < columns->n_pairs && !L->nomem; i++) {
		const struct dla_ynode *k = columns->pairs[i].key, *v = columns->pairs[i].value;
		const struct dla_ynode *tests;

		if (k->kind != DLA_YNODE_SCALAR || !dla_ident_valid(k->value) ||
		    !v || v->kind != DLA_YNODE_MAPPING)
			continue;
		tests = dla_ynode_get(v, "tests");
		if (tests)
			parse_tests(L, tests, ld_strdup(L, k->value), ld_loc(L, k), out);
	}
}

/* Moves the collected tests into the project arena. */
static void keep_tests(struct dla_loader *L, struct test_list *list,
		       struct dla_test_spec **tests, size_t *n_tests)
{
	*tests = NULL;
	*n_tests = 0;
	if (list->n) {
		*tests = dla_arena_calloc(L->arena, list->n, sizeof(**tests));
		nomem_if(L, *tests);
		if (*tests) {
			memcpy(*tests, list->v, list->n * sizeof(**tests));
			*n_tests = list->n;
		}
	}
	dla_free(list->v);
	memset(list, 0, sizeof(*list));
}

/* ---- dimensions ---------------------------------------------------------- */

static const char *const dim_keys[] = {
	"dimension", "schema", "source", "business_key", "surrogate_key", "scd",
	"columns", "effective_from", "source_mode", "on_delete", "delete_when",
	"unknown_member", "drop", "tags", "depends_on", "description", "tests"
};
enum {
	DK_DIMENSION, DK_SCHEMA, DK_SOURCE, DK_BUSINESS_KEY, DK_SURROGATE_KEY, DK_SCD,
	DK_COLUMNS, DK_EFFECTIVE_FROM, DK_SOURCE_MODE, DK_ON_DELETE, DK_DELETE_WHEN,
	DK_UNKNOWN_MEMBER, DK_DROP, DK_TAGS, DK_DEPENDS_ON, DK_DESCRIPTION, DK_TESTS
};

static const char *const column_keys[] = { "scd", "previous", "current", "description",
					    "tests" };
static const char *const source_modes[] = { "snapshot", "delta" };
static const char *const on_deletes[] = { "ignore", "close" };

struct override_info {
	const struct dla_ynode *key, *previous_key, *current_key;
	bool scd_set;
	bool tests_only;     /* only tests/description: not an scd override */
};

/* Reads `columns:`; types are finalised by finish_overrides once the
 * dimension's default scd is known. */
static struct override_info *parse_overrides(struct dla_loader *L, const struct dla_ynode *n,
					     struct dla_dimension *d)
{
	struct override_info *info;

	if (!n || dla_ynode_is_null(n) || (n->flags & LD_FLAG_BAD))
		return NULL;
	if (n->kind != DLA_YNODE_MAPPING) {
		ld_error(L, n, "'columns' must be a mapping of column names to settings");
		return NULL;
	}
	d->columns = dla_arena_calloc(L->arena, n->n_pairs ? n->n_pairs : 1, sizeof(*d->columns));
	info = dla_calloc(n->n_pairs ? n->n_pairs : 1, sizeof(*info));
	if (!d->columns || !info) {
		dla_free(info);
		L->nomem = true;
		return NULL;
	}
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct dla_ynode *k = n->pairs[i].key, *v = n->pairs[i].value;
		struct dla_column_spec *c = &d->columns[d->n_columns];
		struct override_info *oi = &info[d->n_columns];
		bool dup = false;

		if (k->kind != DLA_YNODE_SCALAR) {
			ld_error(L, k, "invalid key (keys must be plain names)");
			continue;
		}
		if (!ld_check_ident(L, k, k->value))
			continue;
		for (size_t j = 0; j < d->n_columns && !dup; j++)
			dup = strcasecmp(d->columns[j].name, k->value) == 0;
		if (dup) {
			ld_error(L, k, "column '%s' listed twice in 'columns'", k->value);
			continue;
		}
		if (!v || v->kind != DLA_YNODE_MAPPING) {
			ld_error(L, v && !dla_ynode_is_null(v) ? v : k,
				 "override of column '%s' must be a mapping like {scd: 2}", k->value);
			continue;
		}
		memset(c, 0, sizeof(*c));
		memset(oi, 0, sizeof(*oi));
		c->name = ld_strdup(L, k->value);
		c->loc = ld_loc(L, k);
		oi->key = k;
		for (size_t j = 0; j < v->n_pairs; j++) {
			const struct dla_ynode *kk = v->pairs[j].key, *vv = v->pairs[j].value;
			const char *ignored;
			switch (ld_key(L, kk, column_keys, ARRAY_LEN(column_keys), NULL, 0, false)) {
			case 0: oi->scd_set = get_scd(L, vv, &c->scd) > 0; break;
			case 1:
				if (ld_ident(L, "previous", vv, &c->previous) > 0)
					oi->previous_key = kk;
				break;
			case 2:
				if (ld_ident(L, "current", vv, &c->current) > 0)
					oi->current_key = kk;
				break;
			case 3: ld_string(L, "description", vv, &ignored); break;
			case 4: oi->tests_only = true; break;   /* parse_column_tests */
			default: break;
			}
		}
		if (oi->scd_set || oi->previous_key || oi->current_key)
			oi->tests_only = false;
		/* a column listed only for its tests is not an override (it
		 * may be a key column) */
		if (c->name && !oi->tests_only)
			d->n_columns++;
	}
	return info;
}

static void finish_overrides(struct dla_loader *L, struct dla_dimension *d,
			     const struct override_info *info)
{
	for (size_t i = 0; i < d->n_columns; i++) {
		struct dla_column_spec *c = &d->columns[i];
		const struct override_info *oi = &info[i];

		if (!oi->scd_set)
			c->scd = d->scd;
		if (c->previous && c->scd != DLA_SCD_3) {
			ld_error(L, oi->previous_key, "'previous' is only valid for scd 3 columns");
			c->previous = NULL;
		}
		if (c->current && c->scd != DLA_SCD_6) {
			ld_error(L, oi->current_key, "'current' is only valid for scd 6 columns");
			c->current = NULL;
		}
		if (c->scd == DLA_SCD_3 && !c->previous) {
			c->previous = dla_arena_printf(L->arena, "previous_%s", c->name);
			nomem_if(L, (void *)c->previous);
		}
		if (c->scd == DLA_SCD_6 && !c->current) {
			c->current = dla_arena_printf(L->arena, "current_%s", c->name);
			nomem_if(L, (void *)c->current);
		}
		if (names_contain(&d->business_key, c->name))
			ld_error(L, oi->key, "cannot override business key column '%s'", c->name);
		else if (d->effective_from && strcasecmp(d->effective_from, c->name) == 0)
			ld_error(L, oi->key, "cannot override effective_from column '%s'", c->name);
		else if (names_contain(&d->drop, c->name))
			ld_error(L, oi->key, "cannot override dropped column '%s'", c->name);
	}
}

static const char *default_surrogate_key(struct dla_loader *L, const char *name)
{
	const char *base = strncasecmp(name, "dim_", 4) == 0 && name[4] ? name + 4 : name;
	const char *sk = dla_arena_printf(L->arena, "%s_sk", base);

	nomem_if(L, (void *)sk);
	return sk;
}

static void parse_dimension(struct dla_loader *L, const struct dla_ynode *map, bool in_doc)
{
	struct dla_dimension d;
	const struct dla_ynode *name_node = dla_ynode_get(map, "dimension");
	const struct dla_ynode *columns = NULL, *delete_when_key = NULL, *on_delete_node = NULL;
	const struct dla_ynode *effective_node = NULL, *tests_node = NULL;
	const char *label = label_of(name_node);
	struct override_info *info;
	struct test_list tests = { NULL, 0, 0 };
	int mode = DLA_MODE_SNAPSHOT, on_delete = DLA_ON_DELETE_IGNORE;

	memset(&d, 0, sizeof(d));
	d.scd = DLA_SCD_1;
	d.unknown_member = true;
	d.loc = ld_loc(L, label ? name_node : map);
	for (size_t i = 0; i < map->n_pairs; i++) {
		const struct dla_ynode *k = map->pairs[i].key, *v = map->pairs[i].value;
		switch (ld_key(L, k, dim_keys, ARRAY_LEN(dim_keys),
			       in_doc ? container_keys : NULL, in_doc ? N_CONTAINER_KEYS : 0,
			       in_doc)) {
		case DK_DIMENSION: ld_ident(L, "dimension", v, &d.name); break;
		case DK_SCHEMA: ld_ident(L, "schema", v, &d.schema); break;
		case DK_SOURCE:
			ld_nodename(L, "source", v, &d.source);
			d.source_loc = ld_loc(L, v);
			break;
		case DK_BUSINESS_KEY:
			ld_names(L, "business_key", v, LD_COLUMNS, &d.business_key);
			if (v && v->kind == DLA_YNODE_SEQUENCE && v->n_items == 0)
				ld_error(L, v, "'business_key' must not be empty");
			break;
		case DK_SURROGATE_KEY: ld_ident(L, "surrogate_key", v, &d.surrogate_key); break;
		case DK_SCD: get_scd(L, v, &d.scd); break;
		case DK_COLUMNS: columns = v; break;
		case DK_EFFECTIVE_FROM:
			if (ld_ident(L, "effective_from", v, &d.effective_from) > 0)
				effective_node = v;
			break;
		case DK_SOURCE_MODE:
			ld_enum(L, "source_mode", v, source_modes, 2, &mode);
			break;
		case DK_ON_DELETE:
			if (ld_enum(L, "on_delete", v, on_deletes, 2, &on_delete) > 0)
				on_delete_node = v;
			break;
		case DK_DELETE_WHEN:
			if (ld_string(L, "delete_when", v, &d.delete_when) > 0) {
				delete_when_key = k;
				d.delete_when_loc = ld_loc(L, v);
			}
			break;
		case DK_UNKNOWN_MEMBER: ld_bool(L, "unknown_member", v, &d.unknown_member); break;
		case DK_DROP: ld_names(L, "drop", v, LD_COLUMNS, &d.drop); break;
		case DK_TAGS: ld_names(L, "tags", v, LD_TAGS, &d.tags); break;
		case DK_DEPENDS_ON: ld_names(L, "depends_on", v, LD_NODES, &d.depends_on); break;
		case DK_DESCRIPTION: ld_string(L, "description", v, &d.description); break;
		case DK_TESTS: tests_node = v; break;
		default: break;
		}
	}
	d.source_mode = (enum dla_source_mode)mode;
	d.on_delete = (enum dla_on_delete)on_delete;

	if (absent(map, "dimension"))
		missing_key(L, "dimension", NULL, d.loc, "dimension");
	if (absent(map, "schema")) {
		if (L->p->default_schema)
			d.schema = L->p->default_schema;
		else
			missing_key(L, "dimension", label, d.loc, "schema");
	}
	if (absent(map, "source"))
		missing_key(L, "dimension", label, d.loc, "source");
	if (absent(map, "business_key"))
		missing_key(L, "dimension", label, d.loc, "business_key");

	info = parse_overrides(L, columns, &d);
	if (info)
		finish_overrides(L, &d, info);
	dla_free(info);

	if (d.delete_when && d.source_mode != DLA_MODE_DELTA)
		ld_error(L, delete_when_key, "'delete_when' is only valid with source_mode delta");
	if (d.on_delete == DLA_ON_DELETE_CLOSE && d.source_mode == DLA_MODE_DELTA)
		ld_error(L, on_delete_node, "'on_delete: close' is only valid with source_mode "
			 "snapshot (in delta mode use 'delete_when')");
	for (size_t i = 0; i < d.drop.n; i++) {
		if (names_contain(&d.business_key, d.drop.items[i]))
			ld_error_loc(L, d.drop.locs[i], "cannot drop business key column '%s'",
				     d.drop.items[i]);
	}
	if (d.effective_from && names_contain(&d.business_key, d.effective_from))
		ld_error(L, effective_node, "effective_from column '%s' cannot be part of the "
			 "business key", d.effective_from);
	if (d.name && !d.surrogate_key)
		d.surrogate_key = default_surrogate_key(L, d.name);
	parse_tests(L, tests_node, NULL, d.loc, &tests);
	parse_column_tests(L, columns, &tests);
	keep_tests(L, &tests, &d.tests, &d.n_tests);

	if (!d.name || !d.schema || !d.source || !d.business_key.n || !d.surrogate_key) {
		if (d.name)
			ld_register_node(L, d.name, NULL, d.loc);
		return;
	}
	{
		const char *rel = dla_arena_printf(L->arena, "%s.%s", d.schema, d.name);
		nomem_if(L, (void *)rel);
		if (!rel)
			return;
		if (ld_register_node(L, d.name, rel, d.loc))
			PUSH(L, L->dims, L->n_dims, L->cap_dims, d);
	}
}

/* ---- facts --------------------------------------------------------------- */

static const char *const fact_keys[] = {
	"fact", "schema", "source", "grain", "load", "incremental_column", "lookback",
	"partition_column", "lookups", "drop", "tags", "depends_on", "description",
	"tests", "columns"
};
enum {
	FK_FACT, FK_SCHEMA, FK_SOURCE, FK_GRAIN, FK_LOAD, FK_INCREMENTAL_COLUMN,
	FK_LOOKBACK, FK_PARTITION_COLUMN, FK_LOOKUPS, FK_DROP, FK_TAGS, FK_DEPENDS_ON,
	FK_DESCRIPTION, FK_TESTS, FK_COLUMNS
};
static const char *const loads[] = { "append", "merge", "incremental", "delete_insert", "replace" };

static const char *const lookup_keys[] = {
	"dimension", "on", "as_of", "key", "on_missing", "description"
};
static const char *const on_missings[] = { "unknown", "infer", "fail" };

static bool parse_lookup(struct dla_loader *L, const struct dla_ynode *map,
			 struct dla_lookup *lk, const struct dla_ynode **key_value)
{
	const struct dla_ynode *name_node = dla_ynode_get(map, "dimension");
	const struct dla_ynode *on = NULL;
	const char *label = label_of(name_node);
	const char *ignored;
	int on_missing = DLA_MISSING_UNKNOWN;

	memset(lk, 0, sizeof(*lk));
	*key_value = NULL;
	lk->loc = ld_loc(L, label ? name_node : map);
	for (size_t i = 0; i < map->n_pairs; i++) {
		const struct dla_ynode *v = map->pairs[i].value;
		switch (ld_key(L, map->pairs[i].key, lookup_keys, ARRAY_LEN(lookup_keys),
			       NULL, 0, false)) {
		case 0: ld_nodename(L, "dimension", v, &lk->dimension); break;
		case 1: on = v; break;
		case 2: ld_ident(L, "as_of", v, &lk->as_of); break;
		case 3:
			if (ld_ident(L, "key", v, &lk->key) > 0)
				*key_value = v;
			break;
		case 4: ld_enum(L, "on_missing", v, on_missings, 3, &on_missing); break;
		case 5: ld_string(L, "description", v, &ignored); break;
		default: break;
		}
	}
	lk->on_missing = (enum dla_on_missing)on_missing;
	if (absent(map, "dimension"))
		missing_key(L, "lookup", NULL, lk->loc, "dimension");
	if (!on || dla_ynode_is_null(on)) {
		missing_key(L, label ? "lookup of" : "lookup", label, lk->loc, "on");
	} else if (!(on->flags & LD_FLAG_BAD)) {
		if (on->kind != DLA_YNODE_MAPPING || on->n_pairs == 0) {
			ld_error(L, on, "'on' must be a mapping of fact columns to dimension columns");
		} else {
			lk->on = dla_arena_calloc(L->arena, on->n_pairs, sizeof(*lk->on));
			nomem_if(L, lk->on);
			for (size_t i = 0; lk->on && i < on->n_pairs; i++) {
				const struct dla_ynode *k = on->pairs[i].key, *v = on->pairs[i].value;
				struct dla_key_pair *kp = &lk->on[lk->n_on];
				if (k->kind != DLA_YNODE_SCALAR || !v || v->kind != DLA_YNODE_SCALAR ||
				    dla_ynode_is_null(v)) {
					ld_error(L, v && !dla_ynode_is_null(v) ? v : k,
						 "'on' must be a mapping of fact columns to "
						 "dimension columns");
					continue;
				}
				if (!ld_check_ident(L, k, k->value) || !ld_check_ident(L, v, v->value))
					continue;
				kp->fact_column = ld_strdup(L, k->value);
				kp->dim_column = ld_strdup(L, v->value);
				kp->loc = ld_loc(L, k);
				lk->n_on++;
			}
		}
	}
	return lk->dimension && lk->n_on > 0;
}

static void parse_lookups(struct dla_loader *L, const struct dla_ynode *n, struct dla_fact *f)
{
	const struct dla_ynode **keys;

	if (!n || dla_ynode_is_null(n) || (n->flags & LD_FLAG_BAD))
		return;
	if (n->kind != DLA_YNODE_SEQUENCE) {
		ld_error(L, n, "'lookups' must be a list of mappings");
		return;
	}
	f->lookups = dla_arena_calloc(L->arena, n->n_items ? n->n_items : 1, sizeof(*f->lookups));
	keys = dla_calloc(n->n_items ? n->n_items : 1, sizeof(*keys));
	if (!f->lookups || !keys) {
		dla_free(keys);
		L->nomem = true;
		return;
	}
	for (size_t i = 0; i < n->n_items; i++) {
		const struct dla_ynode *item = n->items[i], *key_value;
		struct dla_lookup *lk = &f->lookups[f->n_lookups];
		bool clash = false;

		if (item->kind != DLA_YNODE_MAPPING) {
			ld_error(L, item, "'lookups' must be a list of mappings");
			continue;
		}
		if (!parse_lookup(L, item, lk, &key_value))
			continue;
		/* two lookups must not write the same fact key column */
		for (size_t j = 0; j < f->n_lookups && !clash; j++) {
			const struct dla_lookup *o = &f->lookups[j];
			if (lk->key && o->key && strcasecmp(lk->key, o->key) == 0) {
				ld_error(L, key_value, "lookup key '%s' used twice (first at %s:%d:%d)",
					 lk->key, L->file, keys[j]->line, keys[j]->col);
				clash = true;
			} else if (!lk->key && !o->key &&
				   strcasecmp(lk->dimension, o->dimension) == 0) {
				ld_error_loc(L, lk->loc, "dimension '%s' is looked up twice: give "
					     "each lookup its own 'key'", lk->dimension);
				clash = true;
			}
		}
		keys[f->n_lookups] = key_value;
		if (!clash)
			f->n_lookups++;
	}
	dla_free(keys);
}

static const char *const fact_column_keys[] = { "description", "tests" };

/* A fact's `columns:`: per-column descriptions and tests only. */
static void parse_fact_columns(struct dla_loader *L, const struct dla_ynode *n)
{
	if (!n || dla_ynode_is_null(n) || (n->flags & LD_FLAG_BAD))
		return;
	if (n->kind != DLA_YNODE_MAPPING) {
		ld_error(L, n, "'columns' must be a mapping of column names to settings");
		return;
	}
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct dla_ynode *k = n->pairs[i].key, *v = n->pairs[i].value;
		const char *ignored;

		if (k->kind != DLA_YNODE_SCALAR) {
			ld_error(L, k, "invalid key (keys must be plain names)");
			continue;
		}
		if (!ld_check_ident(L, k, k->value))
			continue;
		if (!v || v->kind != DLA_YNODE_MAPPING) {
			ld_error(L, v && !dla_ynode_is_null(v) ? v : k,
				 "settings of column '%s' must be a mapping like {tests: [not_null]}",
				 k->value);
			continue;
		}
		for (size_t j = 0; j < v->n_pairs; j++) {
			switch (ld_key(L, v->pairs[j].key, fact_column_keys,
				       ARRAY_LEN(fact_column_keys), NULL, 0, false)) {
			case 0: ld_string(L, "description", v->pairs[j].value, &ignored); break;
			default: break;   /* tests: parse_column_tests */
			}
		}
	}
}

static void parse_fact(struct dla_loader *L, const struct dla_ynode *map, bool in_doc)
{
	struct dla_fact f;
	const struct dla_ynode *name_node = dla_ynode_get(map, "fact");
	const struct dla_ynode *load_node = NULL, *lookups = NULL;
	const struct dla_ynode *inc_key = NULL, *lookback_key = NULL, *part_key = NULL;
	const struct dla_ynode *tests_node = NULL, *columns_node = NULL;
	const char *label = label_of(name_node);
	struct test_list tests = { NULL, 0, 0 };
	int load = DLA_LOAD_MERGE;

	memset(&f, 0, sizeof(f));
	f.loc = ld_loc(L, label ? name_node : map);
	for (size_t i = 0; i < map->n_pairs; i++) {
		const struct dla_ynode *k = map->pairs[i].key, *v = map->pairs[i].value;
		switch (ld_key(L, k, fact_keys, ARRAY_LEN(fact_keys),
			       in_doc ? container_keys : NULL, in_doc ? N_CONTAINER_KEYS : 0,
			       in_doc)) {
		case FK_FACT: ld_ident(L, "fact", v, &f.name); break;
		case FK_SCHEMA: ld_ident(L, "schema", v, &f.schema); break;
		case FK_SOURCE:
			ld_nodename(L, "source", v, &f.source);
			f.source_loc = ld_loc(L, v);
			break;
		case FK_GRAIN:
			ld_names(L, "grain", v, LD_COLUMNS, &f.grain);
			if (v && v->kind == DLA_YNODE_SEQUENCE && v->n_items == 0)
				ld_error(L, v, "'grain' must not be empty");
			break;
		case FK_LOAD:
			if (ld_enum(L, "load", v, loads, ARRAY_LEN(loads), &load) > 0)
				load_node = v;
			break;
		case FK_INCREMENTAL_COLUMN:
			if (ld_ident(L, "incremental_column", v, &f.incremental_column) > 0)
				inc_key = k;
			break;
		case FK_LOOKBACK:
			if (ld_duration(L, "lookback", v, &f.lookback_s) > 0)
				lookback_key = k;
			break;
		case FK_PARTITION_COLUMN:
			if (ld_ident(L, "partition_column", v, &f.partition_column) > 0)
				part_key = k;
			break;
		case FK_LOOKUPS: lookups = v; break;
		case FK_DROP: ld_names(L, "drop", v, LD_COLUMNS, &f.drop); break;
		case FK_TAGS: ld_names(L, "tags", v, LD_TAGS, &f.tags); break;
		case FK_DEPENDS_ON: ld_names(L, "depends_on", v, LD_NODES, &f.depends_on); break;
		case FK_DESCRIPTION: ld_string(L, "description", v, &f.description); break;
		case FK_TESTS: tests_node = v; break;
		case FK_COLUMNS: columns_node = v; break;
		default: break;
		}
	}
	f.load = (enum dla_fact_load)load;

	if (absent(map, "fact"))
		missing_key(L, "fact", NULL, f.loc, "fact");
	if (absent(map, "schema")) {
		if (L->p->default_schema)
			f.schema = L->p->default_schema;
		else
			missing_key(L, "fact", label, f.loc, "schema");
	}
	if (absent(map, "source"))
		missing_key(L, "fact", label, f.loc, "source");
	if (absent(map, "grain"))
		missing_key(L, "fact", label, f.loc, "grain");

	if (f.load == DLA_LOAD_INCREMENTAL && !f.incremental_column &&
	    absent(map, "incremental_column"))
		ld_error(L, load_node, "'incremental_column' is required for load incremental");
	if (f.load == DLA_LOAD_DELETE_INSERT && !f.partition_column &&
	    absent(map, "partition_column"))
		ld_error(L, load_node, "'partition_column' is required for load delete_insert");
	if (inc_key && f.load != DLA_LOAD_INCREMENTAL)
		ld_warn(L, inc_key, "'incremental_column' is ignored unless load is incremental");
	if (lookback_key && f.load != DLA_LOAD_INCREMENTAL)
		ld_warn(L, lookback_key, "'lookback' is ignored unless load is incremental");
	if (part_key && f.load != DLA_LOAD_DELETE_INSERT)
		ld_warn(L, part_key, "'partition_column' is ignored unless load is delete_insert");
	for (size_t i = 0; i < f.drop.n; i++) {
		if (names_contain(&f.grain, f.drop.items[i]))
			ld_error_loc(L, f.drop.locs[i], "cannot drop grain column '%s'",
				     f.drop.items[i]);
	}
	parse_lookups(L, lookups, &f);
	parse_fact_columns(L, columns_node);
	parse_tests(L, tests_node, NULL, f.loc, &tests);
	parse_column_tests(L, columns_node, &tests);
	keep_tests(L, &tests, &f.tests, &f.n_tests);

	if (!f.name || !f.schema || !f.source || !f.grain.n) {
		if (f.name)
			ld_register_node(L, f.name, NULL, f.loc);
		return;
	}
	{
		const char *rel = dla_arena_printf(L->arena, "%s.%s", f.schema, f.name);
		nomem_if(L, (void *)rel);
		if (!rel)
			return;
		if (ld_register_node(L, f.name, rel, f.loc))
			PUSH(L, L->facts, L->n_facts, L->cap_facts, f);
	}
}

/* ---- exposures ----------------------------------------------------------- */

static const char *const exposure_keys[] = {
	"name", "type", "url", "owner", "depends_on", "tags", "description"
};
static const char *const exposure_types[] = {
	"tableau_workbook", "tableau_datasource", "other"
};

static void parse_exposure(struct dla_loader *L, const struct dla_ynode *map)
{
	struct dla_exposure e;
	const struct dla_ynode *name_node = dla_ynode_get(map, "name");
	const char *label = label_of(name_node);
	int type = -1;

	memset(&e, 0, sizeof(e));
	e.loc = ld_loc(L, label ? name_node : map);
	for (size_t i = 0; i < map->n_pairs; i++) {
		const struct dla_ynode *v = map->pairs[i].value;
		switch (ld_key(L, map->pairs[i].key, exposure_keys, ARRAY_LEN(exposure_keys),
			       NULL, 0, false)) {
		case 0: ld_ident(L, "name", v, &e.name); break;
		case 1: ld_enum(L, "exposure type", v, exposure_types, 3, &type); break;
		case 2: ld_string(L, "url", v, &e.url); break;
		case 3: ld_string(L, "owner", v, &e.owner); break;
		case 4: ld_names(L, "depends_on", v, LD_NODES, &e.depends_on); break;
		case 5: ld_names(L, "tags", v, LD_TAGS, &e.tags); break;
		case 6: ld_string(L, "description", v, &e.description); break;
		default: break;
		}
	}
	if (absent(map, "name"))
		missing_key(L, "exposure", NULL, e.loc, "name");
	if (absent(map, "type"))
		missing_key(L, "exposure", label, e.loc, "type");
	if (!e.name)
		return;
	if (!ld_register_node(L, e.name, NULL, e.loc) || type < 0)
		return;
	e.type = (enum dla_exposure_type)type;
	PUSH(L, L->exposures, L->n_exposures, L->cap_exposures, e);
}

/* ---- documents ----------------------------------------------------------- */

static void parse_list(struct dla_loader *L, const char *key, const struct dla_ynode *n,
		       int which)
{
	if (!n || dla_ynode_is_null(n) || (n->flags & LD_FLAG_BAD))
		return;
	if (n->kind != DLA_YNODE_SEQUENCE) {
		ld_error(L, n, "'%s' must be a list of mappings", key);
		return;
	}
	for (size_t i = 0; i < n->n_items && !L->nomem; i++) {
		const struct dla_ynode *item = n->items[i];
		if (item->kind != DLA_YNODE_MAPPING) {
			ld_error(L, item, "'%s' must be a list of mappings", key);
			continue;
		}
		switch (which) {
		case CK_SOURCES: parse_source(L, item); break;
		case CK_DIMENSIONS: parse_dimension(L, item, false); break;
		case CK_FACTS: parse_fact(L, item, false); break;
		case CK_EXPOSURES: parse_exposure(L, item); break;
		}
	}
}

void ld_models_document(struct dla_loader *L, const struct dla_ynode *doc)
{
	const struct dla_ynode *dim, *fact;

	if (!doc || dla_ynode_is_null(doc))
		return;
	if (doc->kind != DLA_YNODE_MAPPING) {
		ld_error(L, doc, "a models document must be a mapping (with 'sources', "
			 "'dimensions', 'facts', 'exposures', 'dimension' or 'fact')");
		return;
	}
	dim = key_node(doc, "dimension");
	fact = key_node(doc, "fact");
	if (dim && fact) {
		ld_error(L, dim->line > fact->line ? dim : fact,
			 "a document cannot define both a dimension and a fact "
			 "(separate them with ---)");
	}
	for (size_t i = 0; i < doc->n_pairs && !L->nomem; i++) {
		const struct dla_ynode *k = doc->pairs[i].key, *v = doc->pairs[i].value;
		int idx;

		if (k->kind == DLA_YNODE_SCALAR && strcmp(k->value, "dimension") == 0) {
			if (!fact)
				parse_dimension(L, doc, true);
			continue;
		}
		if (k->kind == DLA_YNODE_SCALAR && strcmp(k->value, "fact") == 0) {
			if (!dim)
				parse_fact(L, doc, true);
			continue;
		}
		if (dim || fact) {
			/* keys of the single spec: the spec parser reports unknown
			 * ones; only the list keys are handled here */
			for (idx = 0; idx < N_CONTAINER_KEYS; idx++)
				if (k->kind == DLA_YNODE_SCALAR &&
				    strcmp(k->value, container_keys[idx]) == 0)
					break;
		} else {
			idx = ld_key(L, k, container_keys, N_CONTAINER_KEYS, spec_name_keys,
				     ARRAY_LEN(spec_name_keys), true);
		}
		if (idx >= 0 && idx < N_CONTAINER_KEYS)
			parse_list(L, container_keys[idx], v, idx);
	}
}
