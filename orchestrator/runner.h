/*
 * runner.h - executes the selected nodes of a project against a target, in
 * parallel, and records the run in the warehouse (SPEC 5 and 7).
 *
 * Sequence: connect the main connection (exit 3 if impossible), take the
 * advisory lock where the engine has one (before the metadata tables
 * exist: two first runs on a new warehouse do not race to create them),
 * create / migrate the metadata tables, take the lease row (exit 3 "locked
 * by run <id> since <time>" if either lock is held, naming the holder from
 * the lease row), let the chooser decide what to run (dla retry), start
 * the workers (they connect while the main thread reads past node
 * durations and records the run `running`), then let them take nodes.
 *
 * Threads.  The main thread keeps the main connection for every metadata
 * write (node rows, lineage, run row) and the lease lock, which it renews
 * every lease/3 seconds while nodes run.  N workers (--threads, default
 * `threads` of dla.yml, else 4; never more than the nodes to run) each
 * open their OWN warehouse connection (with the project's views attached:
 * SQLite TEMP views and search paths are per connection) and take ready
 * nodes from the queue of schedule.h: highest priority first, the
 * priority being the longest remaining path to the end of the DAG,
 * weighted by each node's median duration in the last 20 runs.  Each node
 * is one transaction on its worker's connection (load.h).  Two nodes that
 * write one table never run at once: a fact inferring members into a
 * dimension writes that dimension, like the dimension's load and every
 * other fact inferring into it; the scheduler holds such a node back
 * while another runs (schedule.h, "One writer per table").
 *
 * SQLite.  Concurrent writers in different transactions on one database
 * file can fail at once with SQLITE_BUSY (a transaction that read first
 * and then writes is not retried by the busy handler), so on SQLite the
 * nodes that write tables (dimensions, facts) take one process-wide
 * writer lock for their whole transaction: they run one at a time, while
 * views (TEMP views, private to each connection) run in parallel with
 * them.  Metadata is written on the main connection into the metadata
 * schema's own file, a different file than any target table, in
 * transactions that only write (never read first), which the driver's
 * busy handler retries.
 *
 * Recording (group commit).  A node's dla_node_run row, its lineage and
 * its --test results are not written one autocommit statement at a time
 * (a SQLite commit costs fsyncs: 2,000 of them for 1,000 trivial nodes)
 * but in batches: every node that finished or was skipped since the last
 * write, in ONE transaction of multi-row inserts.  A batch is written as
 * soon as no node is running, else at most 50 ms after its first node
 * finished, at once after a signal, and at the end of the run (then the
 * run's end and the lease release follow, in one transaction).
 * Every node still gets its row, with the same values.  A run killed
 * outright (SIGKILL, power loss) loses at most the records of those last
 * 50 ms, like a run killed between a node's commit and its record: the run
 * is recorded failed when its lease is taken over, and `dla retry` runs
 * again every node it did not record as succeeded.
 *
 * Failures.  A failed node skips everything downstream of it and nothing
 * else; --fail-fast starts no new node after the first failure (nodes
 * already running finish).  A worker whose connection died reconnects
 * before its next node; when no worker can connect, the rest is skipped.
 * When the main connection dies, the main thread reconnects, takes the
 * advisory lock again and renews the lease (still this run's) before its
 * next write; when it cannot renew for 2/3 of the lease, the lock counts
 * as lost (running nodes cancelled, exit 3) before another run could take
 * the expired lease over.
 *
 * Signals.  SIGINT / SIGTERM stop dispatching, cancel the running
 * statements (dla_db_cancel: the transactions roll back) and record those
 * nodes `failed` with "interrupted by SIGTERM"; nodes not started are
 * `skipped`; the run is recorded failed, the lock released, and the
 * exit code is 130 / 143.  A second signal kills the process at once.  A
 * SIGINT ignored at start stays ignored; SIGPIPE is ignored during a run.
 *
 * Returns the process exit code (command.h).
 */
#ifndef DLA_RUNNER_H
#define DLA_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include "command.h"
#include "meta.h"
#include "project_open.h"

/*
 * What a chooser (dla retry) decides once the metadata can be read: which
 * nodes run, as of when, and what the run row records.  The runner gives
 * selected[0..dag.n) all false and as_of/retry_of empty.
 */
struct dla_run_choice {
	bool *selected;
	char as_of[32];            /* "" keeps the run's as-of (--as-of or now) */
	char retry_of[64];         /* run id retried, or "" */
	char *selector;            /* dla_run.selector text (dla_malloc'd; the
				      runner frees it), or NULL for o->selector */
	char *nothing;             /* when set (dla_malloc'd, freed by the
				      runner): nothing to run; printed on
				      stdout and the command exits 0 */
};

/* Fills choice from the metadata (read-only: meta->db is the main
 * connection, the run lock is held unless dry_run).  Returns DLA_EXIT_OK
 * to go on, any other exit code to stop with it (after printing why). */
typedef int (*dla_run_chooser)(void *ctx, const struct dla_open_project *op,
			       const struct dla_meta *meta, bool dry_run,
			       struct dla_run_choice *choice);

struct dla_run_opts {
	const char *prog;            /* "dla run", for messages */
	const char *command;         /* "run" | "retry" */
	const char *selector;        /* the --select/--exclude text, for dla_run */
	const char *as_of;           /* normalised; NULL = now */
	const char *retry_of;        /* run id retried, or NULL */
	int threads;                 /* 0 = the project's `threads` */
	bool fail_fast;
	bool dry_run;
	bool full_refresh;
	bool json_log;
	bool run_tests;              /* --test: each load's data tests right after
					it commits; a failing error-severity test
					fails the node */
	dla_run_chooser chooser;     /* NULL: run `selected` */
	void *chooser_ctx;
};

/* selected[0..dag.n): nodes to run (sources and exposures are ignored);
 * NULL when o->chooser decides. */
int dla_runner_run(struct dla_open_project *op, const struct dla_global_opts *g,
		   const struct dla_run_opts *o, const bool *selected);

#endif
