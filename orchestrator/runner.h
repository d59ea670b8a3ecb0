/*
 * runner.h - executes the selected nodes of a project against a target and
 * records the run in the warehouse (SPEC 5 and 7).
 *
 * Sequence: connect (exit 3 if impossible), create/migrate the metadata
 * tables, take the run lock (advisory lock where the engine has one, then
 * the lease row; exit 3 "locked by run <id> since <time>" if held), record
 * the run `running`, create per-connection views (SQLite), then run each
 * selected view/dimension/fact in DAG order, each as one transaction.  A
 * failed node marks everything downstream of it `skipped`; --fail-fast
 * stops starting new nodes after the first failure (the rest are
 * `skipped`).  Every node gets a dla_node_run row, every edge it read or
 * wrote a dla_lineage row; the run ends `success` or `failed`, the lock is
 * released.  Returns the process exit code (command.h).
 */
#ifndef DLA_RUNNER_H
#define DLA_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include "command.h"
#include "project_open.h"

struct dla_run_opts {
	const char *prog;            /* "dla run", for messages */
	const char *command;         /* "run" | "retry" */
	const char *selector;        /* the --select/--exclude text, for dla_run */
	const char *as_of;           /* normalised; NULL = now */
	const char *retry_of;        /* run id retried, or NULL */
	int threads;
	bool fail_fast;
	bool dry_run;
	bool full_refresh;
	bool json_log;
};

/* selected[0..dag.n): nodes to run (sources and exposures are ignored). */
int dla_runner_run(struct dla_open_project *op, const struct dla_global_opts *g,
		   const struct dla_run_opts *o, const bool *selected);

#endif
