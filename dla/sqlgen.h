/*
 * sqlgen.h - SQL generation for loads: what one node's transaction runs.
 *
 * Generators are pure: they take the spec, the dialect and what the runner
 * learned from the database (the source's described columns, the target's
 * existing columns) and append statements to a struct dla_stmts (stmts.h).
 * They never touch the database, never print; `dla plan --sql`, `dla run
 * --dry-run` and the golden SQL tests call them exactly as the runner does.
 * The algorithm for dimensions is described in docs/SCD.md, the one for
 * facts in docs/FACTS.md.
 *
 * Errors a generator finds (a business key missing from the source, a
 * column whose type changed, a source column that is not a valid identifier)
 * return DLA_ERR_INVALID with a one-line message in *errmsg, naming the
 * node and the column; nothing has been written anywhere.
 */
#ifndef DLA_SQLGEN_H
#define DLA_SQLGEN_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "code.h"
#include "dialect.h"
#include "project.h"
#include "stmts.h"

/* A column name with its logical type. */
struct dla_column {
	const char *name;
	struct dla_coltype type;
	bool undeclared;    /* the source declares no type dla can use: none
			       at all (dialect declared_types_query; type then
			       taken from the target's column or from the
			       values), or one dla has no logical type for
			       (uuid, json ...: stored as text).  Its values
			       are always converted (sqlgen_common.h) */
};

/* What a fact generator needs to know about one lookup: the dimension it
 * resolved to (dag.h: dla_dag_lookup_dimension), the fact column it fills
 * (dla_dag_lookup_key) and the dimension table's columns as the database
 * has them (n_dim_cols == 0: the table does not exist, and the fact fails
 * with a message saying so).  The columns decide how the lookup is done:
 * a valid_from column means versions (point-in-time lookups), an
 * is_inferred column allows on_missing: infer.
 *
 * A lookup whose key column the existing fact table lacks is new to it:
 * the load fills that key in the rows the table has, by the same rule as
 * new rows, from the lookup's columns as the table stores them, or fails
 * the node before any write when the table does not store them
 * (docs/FACTS.md, "Lookups added to a fact with rows").  key_unfilled
 * says the table has the key column with a NULL in it: the column was
 * added by a load that failed after its DDL committed (an engine whose DDL
 * commits, dialect ddl_commits: load.c asks only there), and the key is
 * filled the same way. */
struct dla_fact_lookup_input {
	const struct dla_dimension *dim;
	const char *key;
	const struct dla_column *dim_cols;
	size_t n_dim_cols;
	bool key_unfilled;
};

struct dla_load_input {
	const struct dla_project *project;   /* housekeeping names, open_end */
	const struct dla_dialect *dialect;
	const char *node;            /* node name, for messages */
	const char *run_id;
	const char *as_of;           /* normalised "YYYY-MM-DD HH:MM:SS[.f]" */
	const char *source_sql;      /* the source relation as SQL text
					(dialect->relation / view_relation) */
	const char *source_schema;   /* the stored table source_sql names (a */
	const char *source_table;    /* declared source or a loaded node: reading
					it twice costs no recompute); both NULL
					for a view (load.h dla_node_table) */
	bool source_stats_stale;     /* ... whose planner statistics are stale:
					the load refreshes them first */
	bool source_key_unique;      /* the database enforces the dimension's
					business key unique in that table
					(load.h dla_key_enforced_unique): the
					snapshot fast path leaves out its
					duplicate-key checks */
	const struct dla_column *source_cols;   /* described source columns */
	size_t n_source_cols;
	bool target_exists;
	bool target_stats_stale;     /* the planner's statistics of the existing
					target are stale (dialect
					stale_stats_query): the load refreshes
					them first (analyze_table) */
	const struct dla_column *target_cols;   /* existing target columns */
	size_t n_target_cols;
	bool with_inferred;          /* dimension: keep an is_inferred column
					(some fact looks it up with infer) */
	/* facts only (zero for dimensions): */
	bool full_refresh;           /* rebuild the fact from its source */
	const struct dla_fact_lookup_input *lookups;   /* one per spec lookup,
							  in spec order */
	size_t n_lookups;
};

/* Names of the temporary tables a load uses (one node at a time per
 * connection, so fixed names are safe). */
#define DLA_STAGE_TABLE "dla_stage"
#define DLA_CHANGE_TABLE "dla_chg"
/* Dimension loads only: each touched key's latest stored version, and
 * every event of every touched key (docs/SCD.md). */
#define DLA_BASE_TABLE "dla_base"
#define DLA_SEQ_TABLE "dla_seq"

/* The statements loading dimension dim (docs/SCD.md). */
enum dla_code dla_sqlgen_dimension(const struct dla_load_input *in,
				   const struct dla_dimension *dim,
				   struct dla_stmts *out, struct dla_buf *errmsg);

/* The statements loading fact fact (docs/FACTS.md).  in->lookups[i]
 * describes fact->lookups[i]; in->n_lookups must equal fact->n_lookups. */
enum dla_code dla_sqlgen_fact(const struct dla_load_input *in,
			      const struct dla_fact *fact,
			      struct dla_stmts *out, struct dla_buf *errmsg);

/* The surrogate key column of dim (spec value; the loader sets the
 * default). */
const char *dla_dimension_sk(const struct dla_dimension *dim);

/* True when dim has a type 2 or type 6 column among cols (so versions and
 * validity columns exist).  cols = the dimension's source columns. */
bool dla_dimension_versioned(const struct dla_dimension *dim,
			     const struct dla_column *cols, size_t n_cols);

#endif
