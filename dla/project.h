/*
 * project.h - the in-memory model of a dla project and its loader.
 *
 * A project is dla.yml + models/<dir>/<name>.yml + views/<name>.sql (README.md,
 * docs/SCD.md, docs/FACTS.md).  dla_project_load() reads all of it, checks every spec
 * it can check without a database or the DAG (keys, types, identifiers,
 * enums, duplicates inside a spec, duplicate node names), and collects every
 * problem as a diagnostic instead of stopping at the first one.  Reference
 * resolution (a view reading an unknown relation, a lookup naming an unknown
 * dimension) and cycles are checked by dla_dag_build() (dag.h).
 *
 * Ownership: everything reachable from a struct dla_project (strings, arrays,
 * specs) lives in project->arena and is freed by dla_project_release().
 * Strings are NUL-terminated; optional strings are NULL when absent.
 * Identifiers are stored as written (case preserved); they are compared
 * case-insensitively, like unquoted SQL identifiers.
 *
 * Locations: every spec and most values carry a struct dla_loc pointing at
 * the YAML node they came from (1-based line and column), so later checks
 * (DAG, SQL generation) can report file:line:col too.
 */
#ifndef DLA_PROJECT_H
#define DLA_PROJECT_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "code.h"
#include "diag.h"

struct dla_loc {
	const char *file;   /* project-relative path, arena-owned */
	int line, col;      /* 1-based; 0 = unknown */
};

/* A list of names with the location of each (business_key, grain, tags,
 * depends_on, drop ...). */
struct dla_names {
	const char **items;
	struct dla_loc *locs;
	size_t n;
};

/* ---- dla.yml ---------------------------------------------------------- */

struct dla_target {
	const char *name;
	const char *dialect;     /* "sqlite" | "postgres" | "snowflake" (checked) */
	const char *connection;  /* after ${VAR} expansion: may hold secrets,
				    never print it: see dla_redact() (redact.h) */
	struct dla_loc loc;
};

/* Housekeeping column names (SPEC 3; names configurable project-wide under
 * `columns:` in dla.yml, defaults are the contract). */
struct dla_housekeeping {
	const char *valid_from;    /* valid_from */
	const char *valid_to;      /* valid_to */
	const char *is_current;    /* is_current */
	const char *is_deleted;    /* is_deleted */
	const char *is_inferred;   /* is_inferred */
	const char *run_id;        /* dla_run_id */
	const char *updated_at;    /* dla_updated_at (dimensions) */
	const char *loaded_at;     /* dla_loaded_at (facts) */
};

/* ---- models/<name>.yml ----------------------------------------------------- */

struct dla_freshness {
	bool set;
	const char *column;
	long warn_after_s;       /* 0 = not set */
	long error_after_s;      /* 0 = not set */
	struct dla_loc loc;
};

struct dla_source {
	const char *name;        /* bare name: "customer" */
	const char *schema;      /* "staging" */
	const char *relation;    /* "staging.customer": its node name */
	const char *seed;        /* project-relative CSV path or NULL */
	struct dla_freshness freshness;
	struct dla_names tags;
	const char *description;
	struct dla_loc loc;      /* of the `name` value */
};

enum dla_scd_type { DLA_SCD_0 = 0, DLA_SCD_1 = 1, DLA_SCD_2 = 2, DLA_SCD_3 = 3, DLA_SCD_6 = 6 };

/* True for 0,1,2,3,6. */
bool dla_scd_type_valid(long type);

struct dla_column_spec {
	const char *name;
	enum dla_scd_type scd;
	const char *previous;    /* type 3: column holding the old value
				    (default: "previous_" + name) */
	const char *current;     /* type 6: column overwritten on every version
				    (default: "current_" + name) */
	struct dla_loc loc;
};

enum dla_source_mode { DLA_MODE_SNAPSHOT, DLA_MODE_DELTA };
enum dla_on_delete { DLA_ON_DELETE_IGNORE, DLA_ON_DELETE_CLOSE };

/* Declared data tests (`tests:` on a dimension or fact, and under
 * `columns: <col>: tests:`); see docs/TESTS.md.  Each test reads the
 * node's table and fails when its query returns rows. */
enum dla_test_kind {
	DLA_TEST_NOT_NULL,         /* columns[0] IS NULL */
	DLA_TEST_UNIQUE,           /* the combination of columns repeats */
	DLA_TEST_ACCEPTED_VALUES,  /* columns[0] not in values */
	DLA_TEST_RELATIONSHIPS,    /* columns[0] not found in to.field */
	DLA_TEST_CUSTOM            /* sql returns the failing rows */
};

enum dla_test_severity { DLA_TEST_SEV_ERROR, DLA_TEST_SEV_WARN };

/* An accepted value: number is true for a plain YAML scalar that is a
 * decimal number (compared as a number), false for text. */
struct dla_test_value {
	const char *text;
	bool number;
};

struct dla_test_spec {
	enum dla_test_kind kind;
	const char *name;          /* custom: its name (identifier); else NULL */
	struct dla_names columns;  /* not_null, accepted_values, relationships:
				      one column; unique: one or more */
	struct dla_test_value *values;   /* accepted_values */
	size_t n_values;
	const char *to;            /* relationships: node name or relation */
	const char *field;         /* relationships: column of `to` */
	const char *sql;           /* custom: a query returning failing rows */
	enum dla_test_severity severity;   /* default error */
	struct dla_loc loc;        /* of the test's key */
};

struct dla_dimension {
	const char *name;            /* target table, e.g. "dim_customer" */
	const char *schema;          /* target schema */
	const char *source;          /* as written: "v_customer" or "staging.customer" */
	struct dla_loc source_loc;
	struct dla_names business_key;
	const char *surrogate_key;   /* defaulted: name minus "dim_" + "_sk" */
	enum dla_scd_type scd;       /* default type of attribute columns (1) */
	struct dla_column_spec *columns;   /* per-column overrides */
	size_t n_columns;
	const char *effective_from;  /* NULL = the run's as-of time */
	enum dla_source_mode source_mode;
	enum dla_on_delete on_delete;
	const char *delete_when;     /* SQL predicate (delta mode) or NULL */
	struct dla_loc delete_when_loc;
	bool unknown_member;         /* default true */
	struct dla_names drop;
	struct dla_names tags;
	struct dla_names depends_on;
	const char *description;
	struct dla_loc loc;          /* of the `dimension` value */
	struct dla_test_spec *tests; /* declared tests, table-level first,
					then per column in `columns:` order */
	size_t n_tests;
};

enum dla_fact_load {
	DLA_LOAD_APPEND, DLA_LOAD_MERGE, DLA_LOAD_INCREMENTAL,
	DLA_LOAD_DELETE_INSERT, DLA_LOAD_REPLACE
};

enum dla_on_missing { DLA_MISSING_UNKNOWN, DLA_MISSING_INFER, DLA_MISSING_FAIL };

struct dla_key_pair {
	const char *fact_column;     /* column of the fact source */
	const char *dim_column;      /* business-key column of the dimension */
	struct dla_loc loc;
};

struct dla_lookup {
	const char *dimension;       /* dimension node name */
	struct dla_key_pair *on;
	size_t n_on;
	const char *as_of;           /* fact source column or NULL (= current) */
	const char *key;             /* fact column; NULL = the dimension's
					surrogate key (resolved by the DAG) */
	enum dla_on_missing on_missing;
	struct dla_loc loc;          /* of the `dimension` value */
};

struct dla_fact {
	const char *name;
	const char *schema;
	const char *source;
	struct dla_loc source_loc;
	struct dla_names grain;
	enum dla_fact_load load;         /* default merge */
	const char *incremental_column;  /* required for incremental */
	long lookback_s;                 /* 0 = none */
	const char *partition_column;    /* required for delete_insert */
	struct dla_lookup *lookups;
	size_t n_lookups;
	struct dla_names drop;
	struct dla_names tags;
	struct dla_names depends_on;
	const char *description;
	struct dla_loc loc;
	struct dla_test_spec *tests; /* declared tests (as for dimensions) */
	size_t n_tests;
};

enum dla_exposure_type {
	DLA_EXPOSURE_TABLEAU_WORKBOOK, DLA_EXPOSURE_TABLEAU_DATASOURCE, DLA_EXPOSURE_OTHER
};

struct dla_exposure {
	const char *name;
	enum dla_exposure_type type;
	const char *url;
	const char *owner;
	const char *description;
	struct dla_names depends_on;
	struct dla_names tags;
	struct dla_loc loc;
};

/* ---- views/<name>.sql ------------------------------------------------------ */

/* One relation a view reads, as found by the scanner (view_scan.h). */
struct dla_view_ref {
	const char *schema;      /* NULL when unqualified */
	const char *name;
	int line, col;           /* in the view file, 1-based */
};

struct dla_view {
	const char *name;        /* file name without .sql */
	const char *path;        /* "views/v_customer.sql" */
	const char *sql;         /* file contents, NUL-terminated */
	size_t sql_len;
	struct dla_view_ref *refs;  /* relations read (CTE names excluded) */
	size_t n_refs;
	struct dla_names tags;   /* from a leading "-- dla: tags: [a, b]" comment
				    (optional; may stay empty) */
	struct dla_loc loc;      /* path, line 1 col 1 */
};

/* ---- the project ------------------------------------------------------ */

struct dla_project {
	struct dla_arena arena;
	const char *dir;             /* project directory as given */
	const char *name;
	const char *default_target;
	const char *views_schema;    /* default "dla_views" */
	const char *metadata_schema; /* default "dla_meta" */
	const char *open_end;        /* "9999-12-31 00:00:00", or NULL for
					`open_end: null` */
	struct dla_housekeeping hk;
	struct dla_target *targets;
	size_t n_targets;

	struct dla_source *sources;
	size_t n_sources;
	struct dla_view *views;
	size_t n_views;
	struct dla_dimension *dimensions;
	size_t n_dimensions;
	struct dla_fact *facts;
	size_t n_facts;
	struct dla_exposure *exposures;
	size_t n_exposures;
	size_t n_model_files;        /* models/<dir>/<name>.yml files read */

	/* dla.yml settings beyond SPEC section 2 (appended) */
	const char *default_schema;  /* schema of specs that omit `schema:`, or
					NULL (then `schema:` is required) */
	long lock_lease_s;           /* `lock_lease` in seconds (default 600) */
	int threads;                 /* `threads`: default worker count (4) */
};

/*
 * Loads the project in dir.  Returns DLA_OK, DLA_ERR_INVALID when any error
 * diagnostic was added (the project is still filled with everything that
 * could be read, so more checks can run), DLA_ERR_IO when dir/dla.yml cannot
 * be read (also reported as a diagnostic), or DLA_ERR_NOMEM.
 * env_lookup resolves ${VAR}; NULL means getenv().  On any return the caller
 * must call dla_project_release(p).
 */
typedef const char *(*dla_env_lookup_fn)(const char *name, void *ctx);

enum dla_code dla_project_load(struct dla_project *p, const char *dir,
			       dla_env_lookup_fn env_lookup, void *env_ctx,
			       struct dla_diags *diags);
void dla_project_release(struct dla_project *p);

/* A project file held in memory (dla_project_load_files). */
struct dla_text_file {
	const char *path;    /* project-relative: "dla.yml", "models/a/b.yml",
				"views/v_customer.sql" */
	const char *text;    /* text[0..len); need not be NUL-terminated */
	size_t len;
};

/*
 * dla_project_load() on a project held in memory, for fuzzing and tests:
 * files[] stands for the directory's dla.yml, models/ YAML files and
 * views/ SQL files (paths of any other shape are ignored, as on disk).  The
 * texts go through exactly the checks and parsing of files read from disk
 * (size, UTF-8, YAML, specs, views, node registry), in the same order, with
 * the same diagnostics and return codes; no dla.yml gives DLA_ERR_IO like
 * a missing file.  dir only becomes p->dir.  The project copies what it
 * keeps: files[] may be freed after the call.  The caller must call
 * dla_project_release(p) on any return.
 */
enum dla_code dla_project_load_files(struct dla_project *p, const char *dir,
				     const struct dla_text_file *files, size_t n_files,
				     dla_env_lookup_fn env_lookup, void *env_ctx,
				     struct dla_diags *diags);

/* The target named name (NULL = default_target), or NULL if absent. */
const struct dla_target *dla_project_target(const struct dla_project *p,
					    const char *name);

/*
 * Expands ${VAR} and ${VAR:-default} in text (SPEC 2).  "$$" is a literal
 * "$"; a "$" not followed by "{" or "$" is kept.  ${VAR:-default} uses the
 * default when VAR is unset or empty; the default may itself hold
 * references.  Returns the arena-allocated result, or NULL with *missing
 * set to the first undefined variable's name (arena-allocated) and
 * *err_offset to the byte offset of its "${"; a malformed reference ("${"
 * without "}", a bad name) fails the same way with *missing set to "".  On
 * allocation failure returns NULL with *missing NULL.
 */
char *dla_expand_env(struct dla_arena *a, const char *text,
		     dla_env_lookup_fn env_lookup, void *env_ctx,
		     const char **missing, size_t *err_offset);

/* Parses a duration like "3 days", "6h", "90 min", "30s", "1 week" into
 * seconds.  Returns false when text is not a duration. */
bool dla_parse_duration(const char *text, long *seconds);

#endif
