/*
 * progress.h - what a run tells its operator while it works: one line per
 * node start and end, and a summary, as text (default) or as one JSON
 * object per line (--log-format json, for Airflow / log shippers).
 *
 * Text lines go to stdout; error details to stderr.  NO_COLOR is
 * respected (colour is used only when stdout is a terminal and NO_COLOR
 * is unset or empty).  "N of M" is the order nodes started (or were
 * skipped) in; with parallel workers a node's end line may come after
 * later start lines, and carries the same N as its start line.
 *   19:04:05  3 of 9 START dim_customer (dimension scd2)
 *   19:04:05  3 of 9 OK   dim_customer (dimension scd2) +2 ~1 -1 in 0.04s
 *   19:04:05  4 of 9 FAIL fact_sales (fact merge) in 0.01s
 *   19:04:05  5 of 9 SKIP rpt_sales (view): upstream 'fact_sales' failed
 *   done: failed, 7 ok, 1 failed, 1 skipped in 0.31s (run 2026...Z-42)
 *     failed  fact_sales: <first line of the error>
 *     skipped rpt_sales: upstream 'fact_sales' failed
 * JSON (docs/OPERATIONS.md): one object per line, keys in a fixed order,
 * always "ts", "run_id", "event" first; events run_start, node_start,
 * node_end, run_end, note, warning, error.  node_end carries the counts,
 * seconds / db_seconds / queued_seconds and error {sqlstate, message}.
 *
 * Not thread-safe: the runner serialises calls.
 */
#ifndef DLA_PROGRESS_H
#define DLA_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

struct dla_progress {
	bool json;
	bool color;
	const char *run_id;
	size_t total;          /* nodes to run */
};

struct dla_progress_node {
	size_t index;          /* 1-based position in the run */
	const char *node;
	const char *kind;      /* "view", "dimension", "fact" */
	const char *detail;    /* "scd2", "merge", ... or NULL */
	const char *status;    /* "success", "failed", "skipped" (end only) */
	long inserted, updated, expired, deleted, inferred;
	double seconds, db_seconds, queued_seconds;
	int worker;            /* 1-based worker that ran it; 0 = none */
	const char *error;     /* first line of the error, or NULL */
	const char *sqlstate;  /* or NULL / "" */
};

void dla_progress_init(struct dla_progress *pr, bool json, const char *run_id,
		       size_t total);
void dla_progress_run_start(const struct dla_progress *pr, const char *project,
			    const char *target, const char *as_of);
void dla_progress_node_start(const struct dla_progress *pr,
			     const struct dla_progress_node *n);
void dla_progress_node_end(const struct dla_progress *pr,
			   const struct dla_progress_node *n);
/* The summary: counts per status and the failed/skipped nodes with the
 * first line of their error. */
void dla_progress_run_end(const struct dla_progress *pr, const char *status,
			  size_t succeeded, size_t failed, size_t skipped,
			  double seconds, const struct dla_progress_node *problems,
			  size_t n_problems);
/* A run-level error (cannot connect, locked, interrupted): "PROG: message"
 * on stderr, and in JSON mode also an "error" event on stdout. */
void dla_progress_error(const struct dla_progress *pr, const char *prog,
			const char *message);
/* A warning (took over a stale lock): like dla_progress_error, event
 * "warning". */
void dla_progress_warning(const struct dla_progress *pr, const char *prog,
			  const char *message);
/* Information for the operator (dla retry: nothing to retry): a line on
 * stdout, or a "note" event. */
void dla_progress_note(const struct dla_progress *pr, const char *message);

#endif
