/*
 * datatest.h - data tests: what `dla test` (and `dla run --test`, after each
 * node's load) checks in the warehouse.  docs/TESTS.md is the user's page.
 *
 * A data test is a query returning the FAILING rows of one node's table:
 * none means it passes.  Tests come from three places:
 *   generated  from the specs, no YAML needed (dimensions: unique and
 *              not-NULL surrogate and business keys, one current version
 *              per live key, is_current matching the open version,
 *              valid_from < valid_to, no overlapping and no gapped
 *              versions, the unknown member present, inferred members
 *              still open (warning); facts: unique and not-NULL grain, each
 *              lookup key not NULL and present in its dimension);
 *   declared   `tests:` of the spec (project.h struct dla_test_spec);
 *   freshness  a source's `freshness:` (latest value of a column against
 *              warn_after / error_after).
 *
 * Generation is pure (dla_datatest_node_sql): spec + dialect + the node's
 * columns as the database has them -> SQL text.  Execution
 * (dla_datatest_execute, dla_datatest_run_node) runs the queries on a
 * connection and returns results; neither prints anything nor writes
 * metadata (dla_datatest_outcome_record does, meta.h).
 *
 * Counting: a test's failures are the rows its query returns (for a
 * uniqueness test: one row per duplicated key, with dla_rows = how many
 * rows share it), counted with SELECT COUNT(*) over the query; up to 5 of
 * them, ordered by their first column, are the examples.
 *
 * Dimension tests ignore the unknown member (surrogate key -1) except the
 * tests about it; declared tests also ignore inferred members (their
 * attributes are NULL by design; a warning test lists them).
 *
 * Ownership: every string of a struct dla_datatest / result is owned by it
 * (released by the *_release functions); node names point into the dag.
 */
#ifndef DLA_DATATEST_H
#define DLA_DATATEST_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "code.h"
#include "dag.h"
#include "db.h"
#include "dialect.h"
#include "meta.h"
#include "project.h"
#include "sqlgen.h"
#include "warehouse.h"

/* Where a test comes from: "generated", "declared", "freshness". */
enum dla_datatest_origin {
	DLA_DATATEST_GENERATED, DLA_DATATEST_DECLARED, DLA_DATATEST_FRESHNESS
};
const char *dla_datatest_origin_name(enum dla_datatest_origin origin);

struct dla_datatest {
	const char *node;            /* node name (dag-owned) */
	char *name;                  /* unique within the node: "unique_grain",
					"one_current_version", "not_null_email",
					"relationships_customer_sk", custom: its name */
	enum dla_datatest_origin origin;
	enum dla_test_severity severity;
	char *sql;                   /* the failing rows; freshness: one row
					with the latest value; NULL when
					static_failure is set */
	char *count_sql;             /* SELECT COUNT(*) over sql (not freshness) */
	char *sample_sql;            /* up to 5 failing rows, ordered */
	char *static_failure;        /* known to fail without a query (the
					table or a column does not exist) */
	long warn_after_s, error_after_s;   /* freshness */
	char *freshness_column;      /* freshness */
};

struct dla_datatests {
	struct dla_datatest *items;
	size_t n, cap;
	bool failed;                 /* an allocation failed (sticky) */
};

#define DLA_DATATESTS_INIT { NULL, 0, 0, false }
void dla_datatests_release(struct dla_datatests *t);

struct dla_datatest_input {
	const struct dla_project *project;
	const struct dla_dag *dag;
	const struct dla_dialect *dialect;
	size_t node;                 /* index in dag->nodes */
	/* the node's table as the database has it (dialect->columns_query);
	 * n_columns == 0: it does not exist.  Not used for sources. */
	const struct dla_column *columns;
	size_t n_columns;
};

/*
 * Appends the tests of in->node to out, in a fixed order (generated,
 * declared, freshness).  Views and exposures have none.  Returns DLA_OK,
 * or DLA_ERR_NOMEM (out->failed set).  A missing table gives one test
 * "table_exists" with a static failure; a declared test naming a missing
 * column or an unknown `to` node gets a static failure naming it.
 */
enum dla_code dla_datatest_node_sql(const struct dla_datatest_input *in,
				    struct dla_datatests *out);

/* ---- running ------------------------------------------------------------ */

enum dla_datatest_status {
	DLA_DATATEST_PASS,           /* no failing row, or fresh */
	DLA_DATATEST_FAIL,           /* failing rows, severity error */
	DLA_DATATEST_WARN,           /* failing rows, severity warn */
	DLA_DATATEST_ERROR           /* the query could not run */
};
/* "pass", "fail", "warn", "error". */
const char *dla_datatest_status_name(enum dla_datatest_status status);

struct dla_datatest_result {
	enum dla_datatest_status status;
	long failures;               /* failing rows; -1 when not counted */
	char *examples;              /* "(customer_id=3, current_versions=2),
					(...)"; NULL when none */
	char *message;               /* one line: "2 failing rows", the freshness
					verdict, the driver's error; never NULL
					after execute */
	char started_at[32], finished_at[32];
	double seconds;
};
void dla_datatest_result_release(struct dla_datatest_result *r);

/*
 * Runs t on db (outside any transaction; only SELECTs).  now is the
 * canonical UTC time freshness is measured against.  A query that fails is
 * reported in r (DLA_DATATEST_ERROR with the driver's message), not as the
 * return code: returns DLA_OK, or DLA_ERR_NOMEM, or DLA_ERR_CONN_DEAD when
 * the connection is gone (r is filled too).
 */
enum dla_code dla_datatest_execute(struct dla_db *db, const struct dla_datatest *t,
				   const char *now, struct dla_datatest_result *r);

/* True when the result makes an error-severity test fail (FAIL, or ERROR
 * of an error-severity test): what fails `dla test` and a node under
 * `dla run --test`. */
bool dla_datatest_result_fails(const struct dla_datatest *t,
			       const struct dla_datatest_result *r);

/* Every test of one node, run. */
struct dla_datatest_outcome {
	struct dla_datatests tests;
	struct dla_datatest_result *results;   /* one per test */
	size_t passed, failed, warned, errors; /* failed: dla_datatest_result_fails;
						  errors: ERROR of warn tests */
};
void dla_datatest_outcome_release(struct dla_datatest_outcome *o);

/* Called after each test of dla_datatest_run_node (may be NULL). */
typedef void (*dla_datatest_report_fn)(void *ctx, const struct dla_datatest *t,
				       const struct dla_datatest_result *r);

/*
 * Reads the node's columns from wh (dialect->columns_query), generates its
 * tests and runs each, calling report after each one.  Returns DLA_OK
 * (look at out->failed), DLA_ERR_NOMEM, or DLA_ERR_CONN_DEAD; out is
 * always initialised and released by the caller.  Uses only wh's
 * connection: a worker thread can call it on its own warehouse.
 *
 * `dla run --test`: call it right after a node's load commits, on the
 * same connection; when out->failed > 0 the node fails with the message
 * of dla_datatest_outcome_message, and the results are recorded with
 * dla_datatest_outcome_record (on the metadata connection).
 */
enum dla_code dla_datatest_run_node(struct dla_warehouse *wh, const struct dla_project *p,
				    const struct dla_dag *dag, size_t node,
				    dla_datatest_report_fn report, void *ctx,
				    struct dla_datatest_outcome *out);

/* "data tests failed: one_current_version (2 failing rows), ..." (the
 * failing error-severity tests, up to 5 named) appended to msg. */
void dla_datatest_outcome_message(const struct dla_datatest_outcome *o,
				  struct dla_buf *msg);

/* Records every result of o in <meta>.dla_test_result under run_id;
 * command is "test" or "run".  Stops at the first database error. */
enum dla_code dla_datatest_outcome_record(const struct dla_meta *m, const char *run_id,
					  const char *command,
					  const struct dla_datatest_outcome *o,
					  struct dla_db_error *err);

/*
 * Seconds from a to b (timestamps in any dla_time_parse form); false when
 * either does not parse.  Exposed for freshness reporting (lineage).
 */
bool dla_time_diff(const char *a, const char *b, long long *seconds);

/* "36h", "2 days", "90 min" style text of a duration, into out. */
void dla_duration_text(long long seconds, char out[32]);

#endif
