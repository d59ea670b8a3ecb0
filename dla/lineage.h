/*
 * lineage.h - what feeds what, for analysts and for other tools
 * (docs/LINEAGE.md).
 *
 * Static lineage comes from the project alone: the DAG's edges (sources ->
 * views -> dimensions / facts -> presentation views -> exposures), each
 * edge a read, a declared depends_on or an exposure's dependency; and
 * column lineage where it can be told:
 *   views       dla_view_columns (view_scan.h): each output column with the
 *               columns it is computed from, direct or derived;
 *   dimensions  the source's columns (business key and attributes direct,
 *               type 3 previous_ / type 6 current_ columns derived,
 *               valid_from derived from effective_from) plus the columns
 *               dla generates (surrogate key, housekeeping);
 *   facts       the source's columns direct, each lookup key derived from
 *               the dimension's surrogate key and the fact's `on` columns,
 *               housekeeping generated;
 *   sources     the columns something downstream reads (their complete
 *               list is in the warehouse, not in the project).
 * A node is column-level when its list is complete (a view the scanner
 * fully understood, a dimension or fact whose source is such a view);
 * table-level otherwise, with the reason in `note`.
 *
 * Run lineage comes from the warehouse: a run's row in dla_run, its
 * dla_node_run rows (status, counts, times) and its dla_lineage rows (the
 * relations each node actually read and wrote).  The last load of every
 * node (dla_last_load view), source freshness and the columns of every
 * relation with their types (for OpenLineage schema facets) are read the
 * same way.  Reading never writes anything.
 *
 * Impact analysis: dla_lineage_focus keeps a node (or one column of it)
 * and everything upstream or downstream of it; renderers show only
 * included nodes.
 *
 * Ownership: everything hangs off l->arena and is freed by
 * dla_lineage_release; names point into the project / dag, which must
 * outlive the lineage.
 */
#ifndef DLA_LINEAGE_H
#define DLA_LINEAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "buf.h"
#include "code.h"
#include "dag.h"
#include "db.h"
#include "project.h"
#include "warehouse.h"

enum dla_edge_kind {
	DLA_EDGE_READS,        /* the node reads the relation */
	DLA_EDGE_DEPENDS_ON,   /* declared ordering (depends_on), not a read */
	DLA_EDGE_EXPOSES       /* an exposure is built on the node */
};
/* "reads", "depends_on", "exposes". */
const char *dla_edge_kind_name(enum dla_edge_kind kind);

struct dla_lineage_edge {
	size_t from, to;       /* dag indices: from feeds to */
	enum dla_edge_kind kind;
};

enum dla_col_kind {
	DLA_COL_DIRECT,        /* a column of an input, unchanged (maybe renamed) */
	DLA_COL_DERIVED,       /* computed from the inputs (none: a constant) */
	DLA_COL_GENERATED,     /* made by dla: surrogate keys, housekeeping */
	DLA_COL_SOURCE,        /* a column of a source (raw data) */
	DLA_COL_UNKNOWN        /* the scanner cannot tell */
};
/* "direct", "derived", "generated", "source", "unknown". */
const char *dla_col_kind_name(enum dla_col_kind kind);

/* One input of a column: a column of a node, or of a relation that is no
 * node (node == (size_t)-1, relation as written). */
struct dla_col_input {
	size_t node;
	const char *relation;    /* the node's relation/name, or as written */
	const char *column;      /* NULL: the whole relation (a star) */
};

struct dla_lineage_column {
	const char *name;
	enum dla_col_kind kind;
	struct dla_col_input *inputs;
	size_t n_inputs;
	bool in_focus;           /* on the path of a column focus */
};

/* What a run did to a node (from dla_node_run), or its last load. */
struct dla_node_load {
	bool set;
	const char *run_id, *status, *started_at, *finished_at, *message;
	long rows_inserted, rows_updated, rows_expired, rows_deleted;
	long long age_seconds;   /* since finished_at; -1 unknown */
};

/* A relation's column as the warehouse has it. */
struct dla_field {
	const char *name;
	const char *type;        /* the engine's spelling */
};

struct dla_lineage_node {
	struct dla_lineage_column *columns;
	size_t n_columns;
	bool column_level;       /* columns complete and resolved */
	const char *note;        /* why not, or NULL */
	/* dla_lineage_read_run */
	struct dla_node_load run;
	const char **run_inputs; /* relations the run read (dla_lineage) */
	size_t n_run_inputs;
	const char *run_output;  /* the relation it wrote, or NULL */
	/* dla_lineage_read_last_loads */
	struct dla_node_load last;
	/* dla_lineage_read_freshness (sources with freshness:) */
	bool has_freshness;
	const char *fresh_status;   /* "pass" | "warn" | "fail" | "error" */
	const char *fresh_message;  /* datatest.h's verdict text */
	/* dla_lineage_read_last_tests: the latest result of each data test */
	size_t tests_passed, tests_failed, tests_warned;
	const char *tests_failing;  /* "a, b" (failed or errored), or NULL */
	/* dla_lineage_read_fields */
	struct dla_field *fields;
	size_t n_fields;
	bool fields_read;        /* the relation exists in the warehouse */
};

enum dla_lineage_direction {
	DLA_LINEAGE_ALL, DLA_LINEAGE_UPSTREAM, DLA_LINEAGE_DOWNSTREAM
};

struct dla_run_summary {
	bool set;
	const char *run_id, *project, *target, *command, *selector, *as_of;
	const char *started_at, *finished_at, *status;
};

struct dla_lineage {
	const struct dla_project *project;
	const struct dla_dag *dag;
	struct dla_arena arena;
	struct dla_lineage_node *nodes;     /* dag->n */
	struct dla_lineage_edge *edges;     /* by target node in dag order */
	size_t n_edges;
	bool *included;                     /* dag->n: shown (impact filter) */
	size_t n_included;
	/* focus (dla_lineage_focus) */
	enum dla_lineage_direction direction;
	size_t focus_node;                  /* (size_t)-1 when none */
	const char *focus_column;           /* or NULL */
	/* dla_lineage_read_run */
	struct dla_run_summary run;
};

/* Builds the static lineage.  Returns DLA_OK or DLA_ERR_NOMEM; the caller
 * always calls dla_lineage_release. */
enum dla_code dla_lineage_build(struct dla_lineage *l, const struct dla_project *p,
				const struct dla_dag *dag);
void dla_lineage_release(struct dla_lineage *l);

/*
 * Keeps what is upstream or downstream of target: a node name or relation
 * spelling (dag.h), or "<node>.<column>" for one column (its column-level
 * ancestors or descendants, and the nodes holding them; exposures of
 * downstream nodes included).  The target itself stays included.  Errors:
 * DLA_ERR_USAGE with errmsg "unknown node 'x' (did you mean 'y'?)" or
 * "node 'x' has no column 'c'"; DLA_ERR_NOMEM.
 */
enum dla_code dla_lineage_focus(struct dla_lineage *l, const char *target,
				enum dla_lineage_direction direction, struct dla_buf *errmsg);

/*
 * Reads run run_id (NULL or "last": the latest run of the project) from
 * the metadata schema on db: the run row, its node rows and its lineage
 * rows.  DLA_ERR_USAGE with errmsg when there is no such run (or no run
 * yet); database errors as DLA_ERR_DB with err filled.
 */
enum dla_code dla_lineage_read_run(struct dla_lineage *l, struct dla_warehouse *wh,
				   const char *run_id, struct dla_buf *errmsg,
				   struct dla_db_error *err);

/* Reads the last load of every node from <meta>.dla_last_load. */
enum dla_code dla_lineage_read_last_loads(struct dla_lineage *l, struct dla_warehouse *wh,
					  struct dla_db_error *err);

/* Reads the latest data test results (<meta>.dla_last_test, docs/TESTS.md)
 * into each node's tests_* counts. */
enum dla_code dla_lineage_read_last_tests(struct dla_lineage *l, struct dla_warehouse *wh,
					  struct dla_db_error *err);

/* Runs the freshness test of every included source with `freshness:`
 * (datatest.h) and keeps its verdict.  now: canonical UTC. */
enum dla_code dla_lineage_read_freshness(struct dla_lineage *l, struct dla_warehouse *wh,
					 const char *now);

/* Reads the columns and types of every included relation (views, tables,
 * sources) through dialect->columns_query; a relation that does not exist
 * keeps fields_read false. */
enum dla_code dla_lineage_read_fields(struct dla_lineage *l, struct dla_warehouse *wh,
				      struct dla_db_error *err);

/* ---- OpenLineage helpers ------------------------------------------------- */

/*
 * The dataset namespace of a target and the prefix of its dataset names,
 * from its dialect and connection string (never a user or password):
 *   sqlite     "sqlite://<absolute path of the main database file>", prefix ""
 *   postgres   "postgres://<Server>:<Port or 5432>", prefix "<Database>."
 *   snowflake  "snowflake://<account>" (Server= minus
 *              ".snowflakecomputing.com", else Account=, else the DSN
 *              name), prefix "<Database>." when Database= is set
 * Appends to ns and prefix.  project_dir: for a relative SQLite path.
 */
void dla_lineage_namespace(const struct dla_target *target, const char *project_dir,
			   struct dla_buf *ns, struct dla_buf *prefix);

/* A name-based (version 5, SHA-1) UUID of name in dla's namespace, as
 * "xxxxxxxx-xxxx-5xxx-yxxx-xxxxxxxxxxxx" (36 characters + NUL).  The same
 * name always gives the same UUID: a run id and a node name make a node
 * run's OpenLineage runId. */
void dla_uuid5(const char *name, char out[37]);

/* "2024-03-11T06:00:00.123456Z" from a timestamp in any dla_time_parse
 * form; false when it does not parse. */
bool dla_time_iso8601(const char *ts, char out[40]);

#endif
