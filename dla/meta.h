/*
 * meta.h - the metadata tables in the warehouse and the run lock.
 *
 * Tables (SPEC 7, contract columns first; extra columns are appended):
 *   <meta>.dla_run(run_id, project, target, command, selector, as_of,
 *                  started_at, finished_at, status, dla_version,
 *                  retry_of, message)
 *   <meta>.dla_node_run(run_id, node, kind, status, started_at, finished_at,
 *                  rows_inserted, rows_updated, rows_expired, rows_deleted,
 *                  message, queued_at, db_seconds, rows_inferred)
 *   <meta>.dla_lineage(run_id, node, input_relation, output_relation)
 *   <meta>.dla_lock(lock_name, run_id, holder_host, holder_pid,
 *                  acquired_at, expires_at)
 *   <meta>.dla_schema_version(version)  -- one row: migrations applied
 *   <meta>.dla_test_result(run_id, node, test_name, test_kind, severity,
 *                  status, failures, message, examples, started_at,
 *                  finished_at, command)          -- migration 2, datatest.h
 * Views for Tableau (migration 2, read-only, portable SQL):
 *   dla_last_load      the latest non-skipped attempt of each node:
 *                      node, kind, schema_name, table_name, run_id, status,
 *                      started_at, finished_at, rows_* and rows_touched,
 *                      message, last_success_at, age_seconds (since
 *                      finished_at), success_age_seconds
 *   dla_run_history    dla_run + duration_seconds, nodes_success /
 *                      _failed / _skipped and the rows_* totals
 *   dla_lineage_edges  dla_lineage + input_schema, input_table,
 *                      output_schema, output_table, run_started_at,
 *                      run_status
 *   dla_last_test      the latest dla_test_result row of each node's test
 * Creation is versioned: dla_meta_ensure() reads dla_schema_version and
 * applies, in order, every migration above it (each migration only CREATEs
 * or ADDs columns, so rows are never lost), in one transaction.
 *
 * All values are bound as parameters (db.h), never spliced: messages may
 * hold anything.  Timestamps are "YYYY-MM-DD HH:MM:SS[.ffffff]" UTC text.
 * Statuses: run: running|success|failed; node: success|failed|skipped.
 *
 * The run lock is a lease: one row in dla_lock per target (lock_name
 * "run").  Acquire inserts it, or takes it over when the holder's lease has
 * expired or the holder is on this host and its process is gone (the
 * caller's holder_alive callback says so); takeover marks the stale run
 * `failed` ("lease expired: run did not finish").  The holder renews the
 * lease while running.  Races are settled by the database: the insert has
 * a primary key, the takeover is a conditional UPDATE that one run wins.
 */
#ifndef DLA_META_H
#define DLA_META_H

#include <stdbool.h>
#include <stddef.h>

#include "code.h"
#include "db.h"
#include "dialect.h"

struct dla_meta {
	struct dla_db *db;
	const struct dla_dialect *dialect;
	const char *schema;        /* metadata_schema */
};

/* Creates the schema objects / applies migrations.  The schema itself must
 * already be usable (dialect->create_schema ran on this connection). */
enum dla_code dla_meta_ensure(const struct dla_meta *m, struct dla_db_error *err);

struct dla_run_row {
	const char *run_id, *project, *target, *command, *selector, *as_of;
	const char *started_at, *dla_version;
	const char *retry_of;      /* run id retried, or NULL */
};

enum dla_code dla_meta_run_start(const struct dla_meta *m,
				 const struct dla_run_row *run,
				 struct dla_db_error *err);
enum dla_code dla_meta_run_finish(const struct dla_meta *m, const char *run_id,
				  const char *status, const char *finished_at,
				  const char *message, struct dla_db_error *err);

struct dla_node_row {
	const char *run_id, *node, *kind, *status;
	const char *started_at, *finished_at, *queued_at;
	long rows_inserted, rows_updated, rows_expired, rows_deleted, rows_inferred;
	double db_seconds;
	const char *message;       /* NULL on success */
};

enum dla_code dla_meta_node_record(const struct dla_meta *m,
				   const struct dla_node_row *row,
				   struct dla_db_error *err);

/* One edge read or written by a node: relations schema-qualified. */
enum dla_code dla_meta_lineage_record(const struct dla_meta *m, const char *run_id,
				      const char *node, const char *input_relation,
				      const char *output_relation,
				      struct dla_db_error *err);

struct dla_lineage_row {
	const char *run_id, *node, *input_relation, *output_relation;
};

/*
 * rows[0..n) in as few round trips as the driver allows (one prepared
 * INSERT executed with parameter arrays, else multi-row VALUES:
 * dla_db_insert_rows); n == 0 does nothing.  Like every function here
 * each is atomic only inside the caller's transaction: the runner records
 * the nodes that finished since its last write (node rows, lineage, test
 * results) between one dla_db_begin and dla_db_commit on m->db (group
 * commit), and rolls back when any of them fails.
 */
enum dla_code dla_meta_node_record_many(const struct dla_meta *m,
					const struct dla_node_row *rows, size_t n,
					struct dla_db_error *err);
enum dla_code dla_meta_lineage_record_many(const struct dla_meta *m,
					   const struct dla_lineage_row *rows, size_t n,
					   struct dla_db_error *err);

/* One data test result (datatest.h); failures -1 is NULL (not counted). */
struct dla_test_row {
	const char *run_id, *node, *test_name;
	const char *test_kind;     /* generated | declared | freshness */
	const char *severity;      /* error | warn */
	const char *status;        /* pass | fail | warn | error */
	long failures;
	const char *message, *examples;
	const char *started_at, *finished_at;
	const char *command;       /* test | run */
};

enum dla_code dla_meta_test_record(const struct dla_meta *m, const struct dla_test_row *row,
				   struct dla_db_error *err);

struct dla_lock_holder {
	char run_id[64];
	char host[256];
	long pid;
	char acquired_at[32];
	char expires_at[32];
};

/* Returns true when the process pid on this host is still alive. */
typedef bool (*dla_pid_alive_fn)(long pid, void *ctx);

/*
 * Takes the run lock for run_id until now + lease_s.  host/pid identify this
 * process.  Returns DLA_OK, or DLA_ERR_LOCKED with *holder filled, or a
 * database error.  When a stale holder was taken over, *took_over is set to
 * its run id (else ""); the stale run has been marked failed.  holder,
 * took_over, err and alive may be NULL (without alive only expiry counts).
 * now is any dla_time_parse form; a lease is expired when expires_at < now.
 * Races: the insert is "INSERT ... SELECT ... WHERE NOT EXISTS" (a
 * concurrent insert's key violation counts as "held"); the lock rows are
 * then read back and the earliest wins, which also settles Snowflake, where
 * primary keys are not enforced.  An expired lease is taken over only while
 * it is still expired in the database (a late renewal wins).  Each lock
 * operation is its own short statement or transaction, so other processes
 * see it at once.
 */
enum dla_code dla_meta_lock_acquire(const struct dla_meta *m, const char *run_id,
				    const char *host, long pid, const char *now,
				    long lease_s, dla_pid_alive_fn alive, void *alive_ctx,
				    struct dla_lock_holder *holder, char took_over[64],
				    struct dla_db_error *err);
/* Reads who holds the run lock, taking nothing: *found says whether a
 * lock row exists (then *holder is filled).  A missing dla_lock table is a
 * database error.  For naming the holder when another lock of the target
 * (the PostgreSQL advisory lock) is what refused a run. */
enum dla_code dla_meta_lock_holder(const struct dla_meta *m, struct dla_lock_holder *holder,
				   bool *found, struct dla_db_error *err);
/* Extends the lease of run_id to now + lease_s; DLA_ERR_LOCKED if lost. */
enum dla_code dla_meta_lock_renew(const struct dla_meta *m, const char *run_id,
				  const char *now, long lease_s,
				  struct dla_db_error *err);
/* Releases the lock if run_id holds it. */
enum dla_code dla_meta_lock_release(const struct dla_meta *m, const char *run_id,
				    struct dla_db_error *err);

/* ---- reading runs back (the scheduler and `dla retry`) ---------------- */

/* One past successful execution of a node. */
struct dla_node_duration {
	char *node;                /* owned */
	double seconds;            /* finished_at - started_at */
};

/*
 * The successful node executions of the last max_runs runs (by run_id,
 * any project sharing the metadata schema), newest run first: the input
 * of the scheduler's duration weights (schedule.h).  *out is a new array
 * of *n items (caller frees with dla_meta_node_durations_free); rows whose
 * timestamps do not parse are left out.
 */
enum dla_code dla_meta_node_durations(const struct dla_meta *m, size_t max_runs,
				      struct dla_node_duration **out, size_t *n,
				      struct dla_db_error *err);
void dla_meta_node_durations_free(struct dla_node_duration *d, size_t n);

/* A run row read back. */
struct dla_run_info {
	char run_id[64];
	char command[32];
	char status[16];           /* running | success | failed */
	char as_of[32];            /* canonical, or "" */
	char retry_of[64];         /* or "" */
	char *selector;            /* owned; NULL when the run had none */
};

/*
 * Finds one run of project (command 'run' or 'retry'):
 *   run_id set      that run (any command, any project);
 *   as_of set       the latest run with that as_of;
 *   neither         the latest run.
 * "Latest" is the greatest run_id.  *found says whether one exists (then
 * *out is filled; release it with dla_meta_run_info_release).
 */
enum dla_code dla_meta_run_find(const struct dla_meta *m, const char *project,
				const char *run_id, const char *as_of,
				struct dla_run_info *out, bool *found,
				struct dla_db_error *err);
void dla_meta_run_info_release(struct dla_run_info *r);

/* The node rows of run_id: a result of columns (node, status), ordered by
 * node; caller frees with dla_db_result_free. */
enum dla_code dla_meta_run_nodes(const struct dla_meta *m, const char *run_id,
				 struct dla_db_result **out, struct dla_db_error *err);

/*
 * Appends every statement meta.c runs, spelled for m->dialect, with "?"
 * for the bound values (m->db is not used): the metadata DDL for a
 * `plan --sql`-style listing, and the Snowflake spelling for the sqlglot
 * check.  Appending never fails visibly (dla_stmts_failed).
 */
void dla_meta_statements(const struct dla_meta *m, struct dla_stmts *out);

/*
 * Time helpers (UTC, timeutil.c).  The canonical form is
 * "YYYY-MM-DD HH:MM:SS" plus '.' and at most six digits without trailing
 * zeros when the fraction is not zero ("12:30:00.5", as PostgreSQL prints
 * it): one spelling per instant, so canonical texts compare
 * and sort like the times they stand for (SQLite stores them as text).
 * dla_time_now formats the current time with microseconds; dla_time_add
 * adds seconds to a timestamp (any form dla_time_parse accepts);
 * dla_time_parse accepts "YYYY-MM-DD HH:MM:SS[.f{1,6}]", "YYYY-MM-DD",
 * and ISO 8601 with 'T' and 'Z' or an offset +HH:MM / +HHMM / +HH (what
 * Airflow's {{ ts }} gives), normalising to the canonical form in out (at
 * least 27 bytes); false if not a valid timestamp (ranges checked, leap
 * years included; years 0001-9999, also after the offset is applied).  A
 * non-UTC offset is converted to UTC.
 */
void dla_time_now(char out[32]);
bool dla_time_parse(const char *text, char out[32]);
bool dla_time_add(const char *ts, long seconds, char out[32]);

/* A new run id: sortable in start order ("20261125T190644123456Z-1234":
 * UTC start time with microseconds, then the pid).  Strictly increasing
 * within a process, even for two ids in one microsecond.  Thread-safe. */
void dla_run_id_new(char out[64]);

#endif
