/*
 * runner.c - a run's life cycle (runner.h): the main connection, the run
 * lock and its renewal, the run / node / lineage records (group commit),
 * the worker threads that execute nodes in priority order (schedule.h),
 * signals, and the dry run.
 *
 * Locking: st->mu guards the scheduler, the done queue, the "N of M"
 * counter and every worker's `active` connection; st->out_mu serialises
 * progress output; st->write_mu is the SQLite writer lock.  The main thread
 * never holds mu while it talks to the database.
 */
#include "runner.h"
#include "alloc.h"
#include "datatest.h"
#include "buf.h"
#include "load.h"
#include "meta.h"
#include "progress.h"
#include "schedule.h"
#include "warehouse.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define HISTORY_RUNS      20      /* runs whose durations weigh priorities */
#define SUPERVISE_TICK_MS 50      /* main loop: signals, lease checks and
				     group commit (the longest a finished
				     node's records wait while others run) */

/* ---- clocks ------------------------------------------------------------ */

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A wall-clock time as a canonical UTC timestamp. */
static void wall_text(double t, char out[32])
{
	time_t s = (time_t)t;
	long us = (long)((t - (double)s) * 1e6 + 0.5);
	char raw[80];
	struct tm tm;

	if (us >= 1000000) {
		s++;
		us -= 1000000;
	}
	gmtime_r(&s, &tm);
	snprintf(raw, sizeof(raw), "%04d-%02d-%02d %02d:%02d:%02d.%06ld", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us);
	if (!dla_time_parse(raw, out))
		dla_time_now(out);
}

/* ---- signals ------------------------------------------------------------ */

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	if (got_signal) {
		/* a second signal: the operator does not want to wait */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	got_signal = sig;
}

struct saved_signals {
	struct sigaction old_int, old_term, old_pipe;
};

static void signals_catch(struct saved_signals *saved)
{
	struct sigaction sa;

	got_signal = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;        /* no SA_RESTART: a blocking call returns */
	/* a SIGINT ignored when dla started (a background job of a
	 * non-interactive shell, nohup-like wrappers) stays ignored */
	sigaction(SIGINT, NULL, &saved->old_int);
	if (saved->old_int.sa_handler != SIG_IGN)
		sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, &saved->old_term);
	/* a closed stdout (| head, a dead log shipper) must not kill a run
	 * between its transactions and leave the lock behind: writes fail */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &saved->old_pipe);
}

static void signals_restore(const struct saved_signals *saved)
{
	sigaction(SIGINT, &saved->old_int, NULL);
	sigaction(SIGTERM, &saved->old_term, NULL);
	sigaction(SIGPIPE, &saved->old_pipe, NULL);
}

static const char *signal_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}

static int signal_exit(int sig)
{
	return sig == SIGINT ? DLA_EXIT_SIGINT : DLA_EXIT_SIGTERM;
}

/* ---- test hook: DLA_TEST_STOP_AFTER_STMT ----------------------------------
 * For the crash-consistency tests only (tests/integration/test_crash.sh,
 * docs/RELIABILITY.md); off unless the environment variable is set.
 *   K       SIGKILL this process right after the K-th statement of a node
 *           transaction (load.h's statement hook: counted over the whole
 *           run in execution order; --threads 1 makes the order repeatable)
 *   meta:K  SIGKILL it right after the K-th metadata step of the main
 *           thread (lock taken, run recorded, each node recorded, run
 *           finished, lock released).  Nodes are recorded in batches
 *           (group commit): the steps of a batch's nodes follow its
 *           commit, one per node in the order they finished, so the
 *           numbering does not depend on how the nodes were batched; the
 *           run's end and the lock release are one commit, traced as the
 *           steps "run finished" and "lock released".
 *   0       kill nothing
 * Every step counted is traced on stderr ("dla: test: stmt 7: dim_a:
 * expire changed versions", "dla: test: meta 2: run recorded"), so a test
 * can count the boundaries of a run and name the one it killed.  The kill
 * is a real SIGKILL: no handler, no cleanup, no buffered output. */

static struct {
	bool on, meta;           /* meta: kill_at counts metadata steps */
	long kill_at;            /* 0: never */
	long stmts, metas;
	pthread_mutex_t mu;
} test_hook = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void test_hook_step(bool meta, const char *node, const char *label)
{
	bool kill_now;
	long n;

	pthread_mutex_lock(&test_hook.mu);
	n = meta ? ++test_hook.metas : ++test_hook.stmts;
	kill_now = test_hook.kill_at > 0 && meta == test_hook.meta && n == test_hook.kill_at;
	fprintf(stderr, "dla: test: %s %ld: %s%s%s%s\n", meta ? "meta" : "stmt", n,
		node ? node : "", node ? ": " : "", label, kill_now ? " (SIGKILL)" : "");
	if (kill_now)
		raise(SIGKILL);
	pthread_mutex_unlock(&test_hook.mu);
}

static void test_hook_stmt(void *ctx, const char *node, const char *label)
{
	(void)ctx;
	test_hook_step(false, node, label);
}

static void test_hook_meta(const char *what, const char *node)
{
	char label[256];

	if (!test_hook.on)
		return;
	snprintf(label, sizeof(label), "%s%s%s", what, node ? " " : "", node ? node : "");
	test_hook_step(true, NULL, label);
}

static void test_hook_install(void)
{
	const char *v = getenv("DLA_TEST_STOP_AFTER_STMT");
	char *end;

	if (!v || !*v)
		return;
	test_hook.meta = strncmp(v, "meta:", 5) == 0;
	test_hook.kill_at = strtol(test_hook.meta ? v + 5 : v, &end, 10);
	if (*end || test_hook.kill_at < 0)
		test_hook.kill_at = 0;
	test_hook.on = true;
	test_hook.stmts = test_hook.metas = 0;
	dla_load_set_stmt_hook(test_hook_stmt, NULL);
}

/* ---- nodes ---------------------------------------------------------------- */

static bool executes(const struct dla_node *n)
{
	return n->kind == DLA_NODE_VIEW || n->kind == DLA_NODE_DIMENSION ||
	       n->kind == DLA_NODE_FACT;
}

static bool writes_tables(const struct dla_node *n)
{
	return n->kind == DLA_NODE_DIMENSION || n->kind == DLA_NODE_FACT;
}

static bool pid_alive(long pid, void *ctx)
{
	(void)ctx;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

static const char *load_detail(const struct dla_node *n, char *buf, size_t size)
{
	const struct dla_dimension *d;
	bool mixed = false;

	switch (n->kind) {
	case DLA_NODE_DIMENSION:
		d = n->spec.dimension;
		for (size_t i = 0; i < d->n_columns; i++)
			if (d->columns[i].scd != d->scd)
				mixed = true;
		if (mixed)
			snprintf(buf, size, "scd mixed");
		else
			snprintf(buf, size, "scd%d", (int)d->scd);
		return buf;
	case DLA_NODE_FACT: {
		static const char *const loads[] = { "append", "merge", "incremental",
						     "delete_insert", "replace" };
		return loads[n->spec.fact->load];
	}
	default:
		return NULL;
	}
}

/* The run lock's key for PostgreSQL advisory locks: FNV-1a of the metadata
 * schema, so two projects sharing a database but not metadata don't
 * block each other. */
static long long advisory_key(const char *schema)
{
	unsigned long long h = 1469598103934665603ULL;

	for (const char *s = "dla:"; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	for (const char *s = schema; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (long long)(h & 0x7fffffffffffffffULL);
}

enum advisory { ADVISORY_TAKEN, ADVISORY_HELD, ADVISORY_ERROR };

/* Takes the engine's advisory lock of the target (none: ADVISORY_TAKEN);
 * why gets the error for ADVISORY_ERROR. */
static enum advisory take_advisory_lock(struct dla_warehouse *wh, const char *schema,
					struct dla_buf *why)
{
	struct dla_buf q = DLA_BUF_INIT;
	struct dla_db_result *res = NULL;
	struct dla_db_error err;
	enum advisory result = ADVISORY_TAKEN;

	wh->dialect->try_advisory_lock(&q, advisory_key(schema));
	if (q.len == 0)
		return ADVISORY_TAKEN;
	if (dla_db_query(wh->db, q.buf, NULL, 0, &res, &err) != DLA_OK) {
		dla_buf_addf(why, "cannot take the advisory lock: %s", err.message);
		result = ADVISORY_ERROR;
	} else {
		const char *v = dla_db_cell(res, 0, 0);
		if (!(v && (v[0] == '1' || v[0] == 't' || v[0] == 'T')))
			result = ADVISORY_HELD;
	}
	dla_db_result_free(res);
	dla_buf_release(&q);
	return result;
}

static void holder_message(struct dla_buf *why, const struct dla_lock_holder *h)
{
	dla_buf_addf(why, "locked by run %s since %s (host %s, pid %ld; lease until %s)",
		     h->run_id, h->acquired_at, h->host, h->pid, h->expires_at);
}

/* ---- run state ------------------------------------------------------------ */

/* What a worker found out about one node; read by the main thread once
 * the node is in the done queue. */
struct node_result {
	char started[32], finished[32], queued[32];
	struct dla_node_counts counts;
	double seconds, db_seconds, queued_seconds;
	enum dla_code rc;
	char sqlstate[6];
	char *message;         /* failed: the error; skipped: why (owned) */
	size_t index;          /* its "N of M" */
	int worker;            /* 1-based */
	bool cancelled;        /* its connection was cancelled meanwhile */
	struct dla_datatest_outcome *tests;  /* --test: owned, recorded by main */
	const char *status;    /* recorded as: success | failed | skipped */
};

struct run_state;

struct worker {
	struct run_state *st;
	pthread_t thread;
	int id;                /* 1-based */
	struct dla_warehouse wh;
	struct dla_db *active; /* under mu: wh.db while a node runs */
};

struct run_state {
	struct dla_open_project *op;
	const struct dla_global_opts *g;
	const struct dla_run_opts *o;
	struct dla_warehouse wh;       /* the main connection */
	struct dla_meta meta;
	struct dla_progress pr;
	char run_id[64];
	char as_of[32];
	char host[256];
	const char *retry_of;
	const char *selector;
	long lease_s;
	size_t total;                  /* nodes to execute */
	bool serialize_writers;        /* SQLite: one table writer at a time */
	bool *runs;                    /* [dag.n] */
	double *priority;              /* [dag.n] */
	struct node_result *res;       /* [dag.n] */
	bool record_warned;

	pthread_mutex_t mu, out_mu, write_mu;
	pthread_cond_t work_cv, main_cv;
	struct dla_sched sched;
	size_t *done_q, done_head, done_tail;
	size_t seq;                    /* last "N of M" handed out */
	size_t live_workers, connected_workers;
	bool dispatching;              /* the run is recorded: nodes may start */
	bool shutdown;
	const char *stop_reason;       /* why nodes were not started */
	const char *cancel_reason;     /* why running nodes were cancelled */
	char conn_error[1024];         /* the first worker connection error */
	struct worker *workers;
	size_t n_workers;
	/* the main connection died mid-run (main thread only) */
	double last_reconnect;         /* mono_now() of the last attempt */
	bool lock_gone;                /* reconnected, but the lock was taken */
	bool lock_released;            /* with the end of the run (record_end) */
	/* group commit (main thread only): nodes whose records wait for the
	 * next flush, in the order they finished */
	size_t *pending, n_pending;    /* [dag.n] */
	double flush_after;            /* no flush before (the connection is
					  down: main_recover's pace) */
};

/* Under mu: no node starts any more. */
static void stop_locked(struct run_state *st, const char *reason)
{
	if (st->sched.stopped)
		return;
	st->stop_reason = reason;
	dla_sched_stop(&st->sched);
	pthread_cond_signal(&st->main_cv);
}

/* Under mu: cancels the statements of every running node, saying why
 * ("interrupted by SIGTERM"; a static string). */
static void cancel_running_locked(struct run_state *st, const char *reason)
{
	if (!st->cancel_reason)
		st->cancel_reason = reason;
	for (size_t i = 0; i < st->n_workers; i++)
		if (st->workers[i].active)
			dla_db_cancel(st->workers[i].active);
}

/*
 * Under mu: whether the main thread must act before its next tick: nodes
 * were skipped (their end lines are its to print), the run is over, no
 * worker is left, or nodes finished while none runs any more (nothing
 * else would come into their batch: record them now).
 */
static bool main_wanted_locked(const struct run_state *st)
{
	if (!st->dispatching)
		return false;
	return st->sched.skipped_taken != st->sched.n_skipped || dla_sched_finished(&st->sched) ||
	       st->live_workers == 0 ||
	       (st->done_head != st->done_tail && st->sched.running == 0);
}

/* ---- the main connection lost mid-run -------------------------------------- */

/*
 * The main connection died (server restart, a proxy, pg_terminate_backend):
 * its session held the advisory lock, and it renews the lease and writes
 * every record.  Reconnects (at most once a second) and proves the run
 * still holds its lock: the advisory lock again, then the lease renewed,
 * which matches only while the lease row is still this run's.  Returns
 * true when the caller may retry its write; sets st->lock_gone when
 * another run holds the lock now.  Main thread only.
 */
static bool main_recover(struct run_state *st)
{
	struct dla_warehouse wh;
	struct dla_db_error err;
	struct dla_buf why = DLA_BUF_INIT;
	enum advisory a = ADVISORY_ERROR;
	char now[32];
	enum dla_code rc;

	if (st->lock_gone || !dla_db_is_dead(st->wh.db) || mono_now() - st->last_reconnect < 1)
		return false;
	st->last_reconnect = mono_now();
	if (dla_warehouse_open(&st->op->project, st->g->target, &wh, &err) != DLA_OK)
		return false;
	dla_warehouse_close(&st->wh);
	st->wh = wh;
	st->meta.db = wh.db;
	for (int i = 0; i < 10 && a != ADVISORY_TAKEN; i++) {
		struct timespec pause = { 0, 50 * 1000000L };
		if (i > 0)
			nanosleep(&pause, NULL);
		dla_buf_reset(&why);
		a = take_advisory_lock(&st->wh, st->meta.schema, &why);
	}
	dla_buf_release(&why);
	if (a != ADVISORY_TAKEN)
		return false;
	dla_time_now(now);
	rc = dla_meta_lock_renew(&st->meta, st->run_id, now, st->lease_s, &err);
	if (rc == DLA_ERR_LOCKED)
		st->lock_gone = true;
	if (rc != DLA_OK)
		return false;
	pthread_mutex_lock(&st->out_mu);
	dla_progress_warning(&st->pr, st->o->prog, "the main connection to the database was "
			     "lost; reconnected, the run lock is still held");
	pthread_mutex_unlock(&st->out_mu);
	return true;
}

/* ---- records (main thread, main connection) ------------------------------ */

static void record_failed_write(struct run_state *st, const char *what,
				const struct dla_db_error *err)
{
	if (st->record_warned)
		return;
	st->record_warned = true;
	pthread_mutex_lock(&st->out_mu);
	fprintf(stderr, "%s: cannot record %s in the metadata: %s\n", st->o->prog, what,
		err->message);
	pthread_mutex_unlock(&st->out_mu);
}

/* A growing list of lineage edges (one flush). */
struct edge_list {
	struct dla_lineage_row *items;
	size_t n, cap;
	bool failed;               /* out of memory */
};

static void edge_add(struct edge_list *l, const char *run_id, const char *node,
		     const char *input, const char *output)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct dla_lineage_row *items = dla_realloc(l->items, cap * sizeof(*items));

		if (!items) {
			l->failed = true;
			return;
		}
		l->items = items;
		l->cap = cap;
	}
	l->items[l->n].run_id = run_id;
	l->items[l->n].node = node;
	l->items[l->n].input_relation = input;
	l->items[l->n].output_relation = output;
	l->n++;
}

/* The edges a succeeded node read or wrote (SPEC 7: one row per edge it
 * actually read or wrote): its source and lookups, not an explicit
 * depends_on; a fact that inferred members also wrote those dimensions. */
static void collect_lineage(const struct run_state *st, const struct dla_node *n,
			    struct edge_list *out)
{
	const struct dla_dag *dag = &st->op->dag;

	for (size_t i = 0; i < n->n_deps; i++) {
		const struct dla_node *dep = &dag->nodes[n->deps[i]];
		bool read = true;

		if (!dep->relation)
			continue;
		/* an explicit depends_on is an ordering, not a read */
		if (n->kind == DLA_NODE_DIMENSION) {
			read = dla_dag_find(dag, n->spec.dimension->source) == n->deps[i];
		} else if (n->kind == DLA_NODE_FACT) {
			const struct dla_fact *f = n->spec.fact;
			read = dla_dag_find(dag, f->source) == n->deps[i];
			for (size_t l = 0; l < f->n_lookups && !read; l++)
				read = dla_dag_find(dag, f->lookups[l].dimension) == n->deps[i];
		}
		if (read)
			edge_add(out, st->run_id, n->name, dep->relation, n->relation);
	}
	/* a fact that inferred members also wrote those dimensions (from its
	 * source's business keys) */
	if (n->kind == DLA_NODE_FACT && st->res[n - dag->nodes].counts.inferred > 0) {
		const struct dla_fact *f = n->spec.fact;
		size_t src = dla_dag_find(dag, f->source);

		for (size_t l = 0; l < f->n_lookups; l++) {
			size_t dim = dla_dag_find(dag, f->lookups[l].dimension);
			bool seen = false;

			if (f->lookups[l].on_missing != DLA_MISSING_INFER ||
			    src == (size_t)-1 || dim == (size_t)-1)
				continue;
			for (size_t e = 0; e < l && !seen; e++)   /* role-playing */
				seen = f->lookups[e].on_missing == DLA_MISSING_INFER &&
				       dla_dag_find(dag, f->lookups[e].dimension) == dim;
			if (!seen)
				edge_add(out, st->run_id, n->name, dag->nodes[src].relation,
					 dag->nodes[dim].relation);
		}
	}
}

/* The dla_node_run row of node idx (strings borrowed from st). */
static struct dla_node_row node_row(const struct run_state *st, size_t idx)
{
	const struct dla_node *n = &st->op->dag.nodes[idx];
	const struct node_result *r = &st->res[idx];

	return (struct dla_node_row){
		.run_id = st->run_id, .node = n->name, .kind = dla_node_kind_name(n->kind),
		.status = r->status, .started_at = r->started, .finished_at = r->finished,
		.queued_at = r->queued[0] ? r->queued : NULL,
		.rows_inserted = r->counts.inserted, .rows_updated = r->counts.updated,
		.rows_expired = r->counts.expired, .rows_deleted = r->counts.deleted,
		.rows_inferred = r->counts.inferred, .db_seconds = r->db_seconds,
		.message = r->message,
	};
}

/* The end of a run, written with its last records (execute). */
struct run_end {
	const char *status, *finished, *message;
};

/*
 * Writes the records of the pending nodes in ONE transaction on the main
 * connection: their dla_node_run rows (one multi-row insert), the lineage
 * of those that succeeded, the results of their data tests (--test); with
 * end, then the end of the run and the lease released.  Rolls back on any
 * failure, a test result's included (PostgreSQL aborts the transaction at
 * a failed statement: its commit would silently roll everything back).
 */
static enum dla_code write_records(struct run_state *st, const struct run_end *end,
				   struct dla_db_error *err)
{
	struct dla_node_row *rows = st->n_pending ? dla_calloc(st->n_pending, sizeof(*rows))
						  : NULL;
	struct edge_list edges = { NULL, 0, 0, false };
	enum dla_code rc;

	for (size_t i = 0; rows && i < st->n_pending; i++) {
		size_t idx = st->pending[i];

		rows[i] = node_row(st, idx);
		if (st->res[idx].rc == DLA_OK && strcmp(st->res[idx].status, "success") == 0)
			collect_lineage(st, &st->op->dag.nodes[idx], &edges);
	}
	if ((st->n_pending && !rows) || edges.failed) {
		memset(err, 0, sizeof(*err));
		snprintf(err->message, sizeof(err->message), "out of memory");
		rc = DLA_ERR_NOMEM;
		goto out;
	}
	rc = dla_db_begin(st->meta.db, err);
	if (rc != DLA_OK)
		goto out;
	rc = dla_meta_node_record_many(&st->meta, rows, st->n_pending, err);
	if (rc == DLA_OK)
		rc = dla_meta_lineage_record_many(&st->meta, edges.items, edges.n, err);
	for (size_t i = 0; rc == DLA_OK && i < st->n_pending; i++)
		if (st->res[st->pending[i]].tests)
			rc = dla_datatest_outcome_record(&st->meta, st->run_id, "run",
							 st->res[st->pending[i]].tests, err);
	if (rc == DLA_OK && end)
		rc = dla_meta_run_finish(&st->meta, st->run_id, end->status, end->finished,
					 end->message, err);
	if (rc == DLA_OK && end)
		rc = dla_meta_lock_release(&st->meta, st->run_id, err);
	if (rc == DLA_OK)
		rc = dla_db_commit(st->meta.db, err);
	if (rc != DLA_OK)
		(void)dla_db_rollback(st->meta.db, NULL);
out:
	dla_free(edges.items);
	dla_free(rows);
	return rc;
}

/* The pending nodes are recorded (or given up): their test results
 * released, each traced as a metadata step of the test hook. */
static void pending_done(struct run_state *st)
{
	for (size_t i = 0; i < st->n_pending; i++) {
		struct node_result *r = &st->res[st->pending[i]];

		if (r->tests) {
			dla_datatest_outcome_release(r->tests);
			dla_free(r->tests);
			r->tests = NULL;
		}
		test_hook_meta("recorded", st->op->dag.nodes[st->pending[i]].name);
	}
	st->n_pending = 0;
}

/*
 * Group commit: records every pending node (finished or skipped since the
 * last write) in one transaction, then traces "recorded <node>" for each
 * (the test hook's metadata steps, in the order the nodes finished).
 * When the main connection died and could not be re-established yet
 * (main_recover tries at most once a second), the records stay pending
 * for the next flush unless this is the final one; any other failure is
 * reported once and the batch dropped, as a single record was before.
 */
static void flush_records(struct run_state *st, bool final)
{
	struct dla_db_error err;
	enum dla_code rc;

	if (st->n_pending == 0)
		return;
	rc = write_records(st, NULL, &err);
	if (rc != DLA_OK && main_recover(st)) {
		rc = write_records(st, NULL, &err);
		/* the first commit went through before the connection died */
		if (rc == DLA_ERR_DB && strncmp(err.sqlstate, "23", 2) == 0)
			rc = DLA_OK;
	}
	if (rc != DLA_OK && !final && !st->lock_gone && dla_db_is_dead(st->meta.db)) {
		st->flush_after = mono_now() + 1;
		return;
	}
	if (rc != DLA_OK)
		record_failed_write(st, st->n_pending > 1 ? "the nodes" : "a node", &err);
	pending_done(st);
}

/*
 * The end of the run: the last records (their own commit: a run killed
 * after them is still `running`, so its lease's next holder records it
 * failed), then the run row's end and the lease released in one
 * transaction (two commits instead of three: a SQLite commit costs
 * fsyncs).  When that fails (a lost connection), main_recover and once
 * more; else the lock is released by run_locked_phases.
 */
static void record_end(struct run_state *st, const struct run_end *end)
{
	struct dla_db_error err;

	flush_records(st, true);
	if (write_records(st, end, &err) == DLA_OK ||
	    (main_recover(st) && write_records(st, end, &err) == DLA_OK))
		st->lock_released = true;
	else
		record_failed_write(st, "the end of the run", &err);
	test_hook_meta("run finished", NULL);
}

/* Queues node idx's records for the next flush. */
static void record_later(struct run_state *st, size_t idx, const char *status)
{
	st->res[idx].status = status;
	st->pending[st->n_pending++] = idx;
}

static void progress_node(const struct run_state *st, size_t idx,
			  const struct node_result *r, struct dla_progress_node *pn,
			  char detail[32])
{
	const struct dla_node *n = &st->op->dag.nodes[idx];

	memset(pn, 0, sizeof(*pn));
	pn->index = r->index;
	pn->node = n->name;
	pn->kind = dla_node_kind_name(n->kind);
	pn->detail = load_detail(n, detail, 32);
	pn->worker = r->worker;
	pn->inserted = r->counts.inserted;
	pn->updated = r->counts.updated;
	pn->expired = r->counts.expired;
	pn->deleted = r->counts.deleted;
	pn->inferred = r->counts.inferred;
	pn->seconds = r->seconds;
	pn->db_seconds = r->db_seconds;
	pn->queued_seconds = r->queued_seconds;
	pn->error = r->message;
	pn->sqlstate = r->sqlstate[0] ? r->sqlstate : NULL;
}

/* ---- workers ---------------------------------------------------------------- */

/* --threads, else the project's `threads`, else 4; never more than the
 * nodes to run (st->total is set before the workers start). */
static size_t worker_count(const struct run_state *st)
{
	int threads = st->o->threads > 0 ? st->o->threads : st->op->project.threads;
	size_t want = threads > 0 ? (size_t)threads : 4;

	return want < st->total ? want : st->total;
}


/* first: the worker's first connection.  A run's only worker leaves out
 * the views the run executes (dla_views_attach); a reconnection creates
 * them all (the ones run so far were on the lost connection). */
static bool worker_connect(struct worker *w, bool first)
{
	struct run_state *st = w->st;
	struct dla_db_error err;

	memset(&w->wh, 0, sizeof(w->wh));
	if (dla_warehouse_open(&st->op->project, st->g->target, &w->wh, &err) != DLA_OK) {
		pthread_mutex_lock(&st->mu);
		if (!st->conn_error[0])
			snprintf(st->conn_error, sizeof(st->conn_error), "%s", err.message);
		pthread_mutex_unlock(&st->mu);
		memset(&w->wh, 0, sizeof(w->wh));
		return false;
	}
	(void)dla_views_attach(&w->wh, &st->op->project, &st->op->dag,
			       first && worker_count(st) == 1 ? st->runs : NULL);
	return true;
}

/* Runs node idx on w's connection (mu not held). */
/* --test: the node's data tests on the worker's connection, right after its
 * load committed (they only read).  A failing error-severity test fails the
 * node, so everything downstream is skipped. */
static void run_node_tests(struct worker *w, size_t idx, struct node_result *r)
{
	struct run_state *st = w->st;
	struct dla_buf msg = DLA_BUF_INIT;
	enum dla_code trc;

	r->tests = dla_calloc(1, sizeof(*r->tests));
	if (!r->tests) {
		r->rc = DLA_ERR_NOMEM;
		r->message = dla_strdup("data tests could not run: out of memory");
		return;
	}
	trc = dla_datatest_run_node(&w->wh, &st->op->project, &st->op->dag, idx, NULL,
				    NULL, r->tests);
	if (trc == DLA_OK && !r->tests->failed)
		return;
	if (trc != DLA_OK)
		dla_buf_addf(&msg, "loaded, but its data tests could not run: %s",
			     dla_strerror(trc));
	else
		dla_datatest_outcome_message(r->tests, &msg);
	r->rc = trc == DLA_ERR_CONN_DEAD ? DLA_ERR_CONN_DEAD : DLA_ERR_DATA;
	r->message = dla_buf_detach(&msg);
	if (!r->message)
		r->message = dla_strdup("data tests failed");
}

static void worker_run_node(struct worker *w, size_t idx, double ready_at)
{
	struct run_state *st = w->st;
	const struct dla_node *n = &st->op->dag.nodes[idx];
	struct node_result *r = &st->res[idx];
	struct dla_node_work work = { &st->op->project, &st->op->dag, idx, st->run_id,
				      st->as_of, .full_refresh = st->o->full_refresh };
	struct dla_progress_node pn;
	struct dla_buf err = DLA_BUF_INIT;
	struct dla_db_error dberr;
	char detail[32];
	bool serialized = st->serialize_writers && writes_tables(n);
	double t0, now;

	/* SQLite: waiting for the writer lock is waiting in the queue */
	if (serialized)
		pthread_mutex_lock(&st->write_mu);
	now = wall_now();
	memset(&dberr, 0, sizeof(dberr));
	wall_text(now, r->started);
	wall_text(ready_at, r->queued);
	r->queued_seconds = now > ready_at ? now - ready_at : 0;
	progress_node(st, idx, r, &pn, detail);
	pthread_mutex_lock(&st->out_mu);
	dla_progress_node_start(&st->pr, &pn);
	pthread_mutex_unlock(&st->out_mu);

	t0 = mono_now();
	r->rc = dla_node_run(&w->wh, &work, &r->counts, &r->db_seconds, &err, &dberr);
	r->seconds = mono_now() - t0;
	dla_time_now(r->finished);
	if (serialized)
		pthread_mutex_unlock(&st->write_mu);
	r->cancelled = dla_db_cancelled(w->wh.db);
	if (r->rc == DLA_OK && st->o->run_tests && writes_tables(n))
		run_node_tests(w, idx, r);
	if (r->rc != DLA_OK && r->message) {
		/* the tests failed it: message already set */
	} else if (r->rc != DLA_OK) {
		const char *text = err.len && !dla_buf_failed(&err) ? err.buf
								    : dla_strerror(r->rc);
		char why[160] = "";

		if (r->cancelled) {
			/* main cancels only after saying why, under mu */
			pthread_mutex_lock(&st->mu);
			snprintf(why, sizeof(why), "%s: statement cancelled, transaction rolled "
				 "back", st->cancel_reason ? st->cancel_reason : "cancelled");
			pthread_mutex_unlock(&st->mu);
			text = why;
		}
		r->message = dla_strdup(text);
		snprintf(r->sqlstate, sizeof(r->sqlstate), "%s", dberr.sqlstate);
	}
	dla_buf_release(&err);

	progress_node(st, idx, r, &pn, detail);
	pn.status = r->rc == DLA_OK ? "success" : "failed";
	pthread_mutex_lock(&st->out_mu);
	dla_progress_node_end(&st->pr, &pn);
	pthread_mutex_unlock(&st->out_mu);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct run_state *st = w->st;
	bool connected = worker_connect(w, true);

	pthread_mutex_lock(&st->mu);
	if (connected)
		st->connected_workers++;
	while (connected) {
		struct node_result *r;
		size_t idx;
		double ready_at;
		bool dead;

		while (!st->shutdown && !(st->dispatching && dla_sched_next(&st->sched, &idx))) {
			/* nothing for this worker: the main thread may be
			 * wanted now (the run is idle, over, nodes skipped) */
			if (main_wanted_locked(st))
				pthread_cond_signal(&st->main_cv);
			pthread_cond_wait(&st->work_cv, &st->mu);
		}
		if (st->shutdown)
			break;
		r = &st->res[idx];
		r->index = ++st->seq;
		r->worker = w->id;
		ready_at = st->sched.ready_at[idx];
		w->active = w->wh.db;
		pthread_mutex_unlock(&st->mu);

		worker_run_node(w, idx, ready_at);

		pthread_mutex_lock(&st->mu);
		w->active = NULL;
		dla_sched_finish(&st->sched, idx, r->rc == DLA_OK, wall_now());
		if (r->rc != DLA_OK && st->o->fail_fast)
			stop_locked(st, "--fail-fast after a failure");
		st->done_q[st->done_tail++] = idx;
		pthread_cond_broadcast(&st->work_cv);
		dead = r->rc == DLA_ERR_CONN_DEAD || dla_db_is_dead(w->wh.db);
		if (dead && !st->shutdown) {
			pthread_mutex_unlock(&st->mu);
			dla_warehouse_close(&w->wh);
			connected = worker_connect(w, false);
			pthread_mutex_lock(&st->mu);
		}
	}
	st->live_workers--;
	pthread_cond_signal(&st->main_cv);
	pthread_mutex_unlock(&st->mu);
	if (w->wh.db)
		dla_warehouse_close(&w->wh);
	return NULL;
}

/* Starts n workers with SIGINT/SIGTERM blocked in them (the main thread
 * handles signals).  Returns how many started. */
static size_t start_workers(struct run_state *st, size_t n)
{
	sigset_t block, old;
	size_t started = 0;

	st->workers = dla_calloc(n ? n : 1, sizeof(*st->workers));
	if (!st->workers)
		return 0;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (size_t i = 0; i < n; i++) {
		struct worker *w = &st->workers[started];

		w->st = st;
		w->id = (int)started + 1;
		pthread_mutex_lock(&st->mu);
		st->live_workers++;
		st->n_workers = started + 1;
		pthread_mutex_unlock(&st->mu);
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			pthread_mutex_lock(&st->mu);
			st->live_workers--;
			st->n_workers = started;
			pthread_mutex_unlock(&st->mu);
			break;
		}
		started++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return started;
}

/* Ends every worker (after its node, if it runs one) and waits for them. */
static void stop_workers(struct run_state *st)
{
	pthread_mutex_lock(&st->mu);
	st->shutdown = true;
	pthread_cond_broadcast(&st->work_cv);
	pthread_mutex_unlock(&st->mu);
	for (size_t i = 0; i < st->n_workers; i++)
		pthread_join(st->workers[i].thread, NULL);
	st->n_workers = 0;
}

/* ---- the main loop ------------------------------------------------------------ */

struct skipped_item {
	size_t node, cause, index;
};

struct tally {
	size_t ok, failed, skipped;
	struct dla_progress_node *problems;
	size_t n_problems;
	char (*details)[32];
};

/* A finished node (its end line is out already): its records queued, tally. */
static void report_done(struct run_state *st, size_t idx, struct tally *t)
{
	struct node_result *r = &st->res[idx];
	struct dla_progress_node pn;
	char detail[32];

	progress_node(st, idx, r, &pn, detail);
	pn.status = r->rc == DLA_OK ? "success" : "failed";
	record_later(st, idx, pn.status);
	if (r->rc == DLA_OK) {
		t->ok++;
		return;
	}
	t->failed++;
	t->problems[t->n_problems] = pn;
	memcpy(t->details[t->n_problems], detail, sizeof(detail));
	if (pn.detail)
		t->problems[t->n_problems].detail = t->details[t->n_problems];
	t->n_problems++;
}

static void report_skipped(struct run_state *st, const struct skipped_item *s,
			   struct tally *t)
{
	struct node_result *r = &st->res[s->node];
	struct dla_buf why = DLA_BUF_INIT;
	struct dla_progress_node pn;
	char detail[32];

	if (s->cause == DLA_SCHED_STOPPED)
		dla_buf_addf(&why, "not started: %s",
			     st->stop_reason ? st->stop_reason : "the run stopped");
	else
		dla_buf_addf(&why, "upstream '%s' failed", st->op->dag.nodes[s->cause].name);
	memset(r, 0, sizeof(*r));
	r->index = s->index;
	dla_time_now(r->started);
	memcpy(r->finished, r->started, sizeof(r->finished));
	r->message = dla_strdup(dla_buf_failed(&why) ? "skipped" : why.buf);
	dla_buf_release(&why);
	progress_node(st, s->node, r, &pn, detail);
	pn.status = "skipped";
	pn.worker = 0;
	pthread_mutex_lock(&st->out_mu);
	dla_progress_node_end(&st->pr, &pn);
	pthread_mutex_unlock(&st->out_mu);
	record_later(st, s->node, "skipped");
	t->skipped++;
	t->problems[t->n_problems] = pn;
	memcpy(t->details[t->n_problems], detail, sizeof(detail));
	if (pn.detail)
		t->problems[t->n_problems].detail = t->details[t->n_problems];
	t->n_problems++;
}

struct outcome {
	int interrupted;       /* the signal, or 0 */
	bool lock_lost;
	bool no_connection;    /* no worker could connect */
};

/*
 * Waits for the workers, reporting and recording every finished and
 * skipped node, handling signals and renewing the lease, until every node
 * is done.
 */
static void supervise(struct run_state *st, struct tally *t, struct outcome *out)
{
	size_t n = st->op->dag.n ? st->op->dag.n : 1;
	size_t *done = dla_calloc(n, sizeof(*done));
	struct skipped_item *skipped = dla_calloc(n, sizeof(*skipped));
	double renew_every = (double)st->lease_s / 3.0, last_renew = mono_now();
	double renewed_at = last_renew;    /* the last successful renewal */
	bool all_done = false;

	if (!done || !skipped) {
		/* cannot keep track: let nothing start, wait for nothing */
		pthread_mutex_lock(&st->mu);
		stop_locked(st, "out of memory");
		pthread_mutex_unlock(&st->mu);
	}
	if (renew_every < 1)
		renew_every = 1;
	while (!all_done) {
		size_t n_done = 0, n_skipped = 0, node, cause;

		/* the workers wake this thread only when it has to act at once
		 * (main_wanted_locked); finished nodes wait for the next tick */
		pthread_mutex_lock(&st->mu);
		if (!main_wanted_locked(st) && !(got_signal && !out->interrupted)) {
			struct timespec until;

			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += SUPERVISE_TICK_MS * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&st->main_cv, &st->mu, &until);
		}
		if (st->live_workers == 0 && !dla_sched_finished(&st->sched)) {
			if (st->connected_workers == 0)
				out->no_connection = true;
			stop_locked(st, st->connected_workers == 0
				    ? "no worker could connect to the database"
				    : "every worker lost its connection to the database");
		}
		while (done && st->done_head < st->done_tail)
			done[n_done++] = st->done_q[st->done_head++];
		while (skipped && dla_sched_take_skipped(&st->sched, &node, &cause)) {
			skipped[n_skipped].node = node;
			skipped[n_skipped].cause = cause;
			skipped[n_skipped].index = ++st->seq;
			n_skipped++;
		}
		all_done = dla_sched_finished(&st->sched) || !done || !skipped;
		pthread_mutex_unlock(&st->mu);

		for (size_t i = 0; i < n_done; i++)
			report_done(st, done[i], t);
		for (size_t i = 0; i < n_skipped; i++)
			report_skipped(st, &skipped[i], t);
		/* group commit: what finished since the last tick, in one
		 * transaction; the end of the run flushes in execute() */
		if (!all_done && mono_now() >= st->flush_after)
			flush_records(st, false);

		if (got_signal && !out->interrupted) {
			out->interrupted = got_signal;
			pthread_mutex_lock(&st->mu);
			stop_locked(st, got_signal == SIGINT ? "run interrupted by SIGINT"
					: "run interrupted by SIGTERM");
			cancel_running_locked(st, got_signal == SIGINT ? "interrupted by SIGINT"
					      : "interrupted by SIGTERM");
			pthread_mutex_unlock(&st->mu);
			all_done = false;      /* collect what the stop skipped */
			continue;
		}
		if (!all_done && !out->lock_lost && mono_now() - last_renew >= renew_every) {
			struct dla_db_error err;
			char now[32], why[1600] = "";
			enum dla_code rc;

			dla_time_now(now);
			last_renew = mono_now();
			rc = dla_meta_lock_renew(&st->meta, st->run_id, now, st->lease_s, &err);
			if (rc != DLA_OK && rc != DLA_ERR_LOCKED && main_recover(st))
				rc = DLA_OK;           /* main_recover renewed it */
			if (rc == DLA_OK) {
				renewed_at = last_renew;
			} else if (rc == DLA_ERR_LOCKED) {
				snprintf(why, sizeof(why), "%s", err.message);
			} else if (st->lock_gone) {
				snprintf(why, sizeof(why), "run lock lost: another run took it "
					 "while the main connection was down");
			} else if (last_renew - renewed_at >= 2 * renew_every) {
				/* others may take the lease over soon: stop first */
				snprintf(why, sizeof(why), "run lock lost: its lease could not be "
					 "renewed for %.0f s: %s", last_renew - renewed_at,
					 err.message);
			} else {
				/* try again in a second */
				last_renew -= renew_every - 1 > 0 ? renew_every - 1 : 0;
			}
			if (why[0]) {
				out->lock_lost = true;
				pthread_mutex_lock(&st->out_mu);
				dla_progress_error(&st->pr, st->o->prog, why);
				pthread_mutex_unlock(&st->out_mu);
				pthread_mutex_lock(&st->mu);
				stop_locked(st, "the run lock was lost");
				cancel_running_locked(st, "the run lock was lost");
				pthread_mutex_unlock(&st->mu);
			}
		}
	}
	/* a signal after the last node finished still counts */
	if (got_signal && !out->interrupted)
		out->interrupted = got_signal;
	dla_free(done);
	dla_free(skipped);
}

/* ---- history -> priorities ------------------------------------------------ */

struct timed {
	size_t node;
	double seconds;
};

static int compare_timed(const void *a, const void *b)
{
	const struct timed *x = a, *y = b;

	return (x->node > y->node) - (x->node < y->node);
}

/* st->priority from the last runs' durations (weight 1 each without). */
static void compute_priorities(struct run_state *st)
{
	const struct dla_dag *dag = &st->op->dag;
	size_t n = dag->n ? dag->n : 1, n_durations = 0, k = 0;
	struct dla_node_duration *durations = NULL;
	double *history = dla_calloc(n, sizeof(*history));
	double *weight = dla_calloc(n, sizeof(*weight));
	struct timed *timed = NULL;
	double *values = NULL;     /* one node's durations at a time */
	struct dla_db_error err;

	if (!history || !weight)
		goto out;
	for (size_t i = 0; i < dag->n; i++)
		history[i] = -1;
	if (dla_meta_node_durations(&st->meta, HISTORY_RUNS, &durations, &n_durations,
				    &err) == DLA_OK && n_durations > 0) {
		timed = dla_calloc(n_durations, sizeof(*timed));
		for (size_t i = 0; timed && i < n_durations; i++) {
			size_t idx = dla_dag_find(dag, durations[i].node);

			if (idx < dag->n && executes(&dag->nodes[idx])) {
				timed[k].node = idx;
				timed[k].seconds = durations[i].seconds;
				k++;
			}
		}
		if (timed)
			qsort(timed, k, sizeof(*timed), compare_timed);
		values = timed ? dla_calloc(k ? k : 1, sizeof(*values)) : NULL;
		for (size_t i = 0; values && i < k;) {
			size_t j = i;

			while (j < k && timed[j].node == timed[i].node) {
				values[j - i] = timed[j].seconds;
				j++;
			}
			history[timed[i].node] = dla_median(values, j - i);
			i = j;
		}
	}
	dla_schedule_weights(dag->n, st->runs, history, weight);
	dla_schedule_priorities(dag, weight, st->priority);
out:
	dla_meta_node_durations_free(durations, n_durations);
	dla_free(values);
	dla_free(timed);
	dla_free(history);
	dla_free(weight);
}

/* ---- the run ------------------------------------------------------------------ */

static int dry_run(struct run_state *st)
{
	const struct dla_dag *dag = &st->op->dag;
	int rc = DLA_EXIT_OK;

	for (size_t i = 0; i < dag->n; i++) {
		size_t idx = dag->order[i];
		const struct dla_node *n = &dag->nodes[idx];
		struct dla_node_work w = { &st->op->project, dag, idx, st->run_id, st->as_of,
					   .full_refresh = st->o->full_refresh };
		struct dla_stmts stmts = DLA_STMTS_INIT;
		struct dla_buf err = DLA_BUF_INIT;
		struct dla_db_error dberr;

		if (!st->runs[idx])
			continue;
		printf("-- node %s (%s)\n", n->name, dla_node_kind_name(n->kind));
		if (dla_node_prepare(&st->wh, &w, &stmts, &err, &dberr) != DLA_OK) {
			printf("-- cannot prepare: %s\n\n", err.buf);
			rc = DLA_EXIT_FAILED;
		}
		for (size_t s = 0; s < stmts.n; s++)
			printf("-- %s: %s\n%s;\n\n", dla_stmt_kind_name(stmts.items[s].kind),
			       stmts.items[s].label, stmts.items[s].sql);
		dla_stmts_release(&stmts);
		dla_buf_release(&err);
	}
	return rc;
}

/* Runs the nodes of st->runs with the workers; records and reports. */
static int execute(struct run_state *st)
{
	const struct dla_dag *dag = &st->op->dag;
	struct tally t;
	struct outcome out;
	double started = mono_now();
	size_t n = dag->n ? dag->n : 1;
	const char *status;
	char finished[32];
	int exit_code;

	memset(&t, 0, sizeof(t));
	memset(&out, 0, sizeof(out));
	t.problems = dla_calloc(n, sizeof(*t.problems));
	t.details = dla_calloc(n, sizeof(*t.details));
	st->done_q = dla_calloc(n, sizeof(*st->done_q));
	st->pending = dla_calloc(n, sizeof(*st->pending));
	if (!t.problems || !t.details || !st->done_q || !st->pending ||
	    dla_sched_init(&st->sched, dag, st->runs, st->priority, wall_now()) != DLA_OK) {
		dla_progress_error(&st->pr, st->o->prog, "out of memory starting the run");
		dla_free(t.problems);
		dla_free(t.details);
		return DLA_EXIT_FAILED;
	}
	if (st->n_workers == 0 && st->total > 0)
		dla_progress_error(&st->pr, st->o->prog, "cannot start worker threads");
	pthread_mutex_lock(&st->mu);
	st->dispatching = true;
	pthread_cond_broadcast(&st->work_cv);
	pthread_mutex_unlock(&st->mu);

	supervise(st, &t, &out);
	stop_workers(st);

	if (out.no_connection && st->total > 0) {
		struct dla_buf why = DLA_BUF_INIT;
		dla_buf_addf(&why, "no worker could connect to target '%s': %s",
			     st->wh.target->name, st->conn_error);
		dla_progress_error(&st->pr, st->o->prog, why.buf);
		dla_buf_release(&why);
	}
	status = t.failed || t.skipped || out.interrupted || out.lock_lost ? "failed"
									   : "success";
	dla_time_now(finished);
	{
		struct dla_buf msg = DLA_BUF_INIT;
		struct run_end end = { status, finished, NULL };

		if (out.interrupted)
			dla_buf_addf(&msg, "interrupted by %s", signal_name(out.interrupted));
		else if (out.lock_lost)
			dla_buf_adds(&msg, "the run lock was lost");
		else if (t.failed)
			dla_buf_adds(&msg, "one or more nodes failed");
		else if (t.skipped)
			dla_buf_adds(&msg, "nodes were skipped");
		end.message = msg.len ? msg.buf : NULL;
		record_end(st, &end);
		dla_buf_release(&msg);
	}
	if (out.interrupted) {
		char line[128];
		snprintf(line, sizeof(line), "interrupted by %s: running nodes rolled back, "
			 "the rest not started", signal_name(out.interrupted));
		dla_progress_error(&st->pr, st->o->prog, line);
	}
	dla_progress_run_end(&st->pr, status, t.ok, t.failed, t.skipped,
			     mono_now() - started, t.problems, t.n_problems);

	if (out.interrupted)
		exit_code = signal_exit(out.interrupted);
	else if (out.lock_lost || (out.no_connection && st->total > 0))
		exit_code = DLA_EXIT_UNAVAILABLE;
	else if (t.failed || t.skipped)
		exit_code = DLA_EXIT_FAILED;
	else
		exit_code = DLA_EXIT_OK;
	dla_sched_release(&st->sched);
	dla_free(t.problems);
	dla_free(t.details);
	return exit_code;
}

/* Takes the advisory lock of the target (PostgreSQL), before the metadata
 * tables are created: two first runs on a new warehouse must not race to
 * create them.  When another run holds it, names that run from its lease
 * row, which the holder writes right after taking the advisory lock (or,
 * on a new warehouse, right after creating the tables): read for up to
 * 0.8 s, so the refusal still comes within a second.  Returns an exit
 * code. */
static int take_advisory(struct run_state *st)
{
	struct dla_buf why = DLA_BUF_INIT;
	struct dla_lock_holder holder;
	enum advisory a = take_advisory_lock(&st->wh, st->meta.schema, &why);
	bool found = false;

	if (a == ADVISORY_TAKEN)
		return DLA_EXIT_OK;
	for (int i = 0; a == ADVISORY_HELD && i < 16 && !found; i++) {
		struct dla_db_error err;
		if (i > 0) {
			struct timespec pause = { 0, 50 * 1000000L };
			nanosleep(&pause, NULL);
		}
		if (dla_meta_lock_holder(&st->meta, &holder, &found, &err) != DLA_OK)
			found = false;
	}
	if (a == ADVISORY_HELD && found)
		holder_message(&why, &holder);
	else if (a == ADVISORY_HELD)
		dla_buf_adds(&why, "locked by another dla run (it holds the advisory lock of "
			     "this target and has not recorded its lease yet)");
	dla_progress_error(&st->pr, st->o->prog, why.buf);
	dla_buf_release(&why);
	return DLA_EXIT_UNAVAILABLE;
}

/* Takes the lease row; *locked says whether it is ours.  Returns an exit
 * code. */
static int take_run_lock(struct run_state *st, bool *locked)
{
	struct dla_lock_holder holder;
	struct dla_db_error err;
	struct dla_buf why = DLA_BUF_INIT;
	char now[32], took_over[64] = "";
	enum dla_code rc;
	int exit_code = DLA_EXIT_OK;

	*locked = false;
	dla_time_now(now);
	memset(&holder, 0, sizeof(holder));
	rc = dla_meta_lock_acquire(&st->meta, st->run_id, st->host, (long)getpid(), now,
				   st->lease_s, pid_alive, NULL, &holder, took_over, &err);
	if (rc == DLA_ERR_LOCKED) {
		holder_message(&why, &holder);
		exit_code = DLA_EXIT_UNAVAILABLE;
	} else if (rc != DLA_OK) {
		dla_buf_addf(&why, "cannot take the run lock: %s", err.message);
		exit_code = DLA_EXIT_UNAVAILABLE;
	} else {
		*locked = true;
		if (took_over[0])
			dla_buf_addf(&why, "took over the lock of run %s (its lease expired or "
				     "its process is gone); that run is recorded failed",
				     took_over);
	}
	if (why.len && exit_code != DLA_EXIT_OK)
		dla_progress_error(&st->pr, st->o->prog, why.buf);
	else if (why.len)
		dla_progress_warning(&st->pr, st->o->prog, why.buf);
	dla_buf_release(&why);
	return exit_code;
}

/* Lets the chooser decide (dla retry).  Returns an exit code; *nothing is
 * set when there is nothing to run. */
static int choose(struct run_state *st, bool *selected, struct dla_run_choice *choice,
		  bool *nothing)
{
	int rc;

	*nothing = false;
	choice->selected = selected;
	rc = st->o->chooser(st->o->chooser_ctx, st->op, &st->meta, st->o->dry_run, choice);
	if (rc != DLA_EXIT_OK)
		return rc;
	if (choice->nothing) {
		*nothing = true;
		dla_progress_note(&st->pr, choice->nothing);
		return DLA_EXIT_OK;
	}
	if (choice->as_of[0])
		snprintf(st->as_of, sizeof(st->as_of), "%s", choice->as_of);
	if (choice->retry_of[0])
		st->retry_of = choice->retry_of;
	if (choice->selector)
		st->selector = choice->selector;
	return DLA_EXIT_OK;
}

static int record_run_start(struct run_state *st)
{
	struct dla_run_row row;
	struct dla_db_error err;
	char started[32];

	dla_time_now(started);
	memset(&row, 0, sizeof(row));
	row.run_id = st->run_id;
	row.project = st->op->project.name;
	row.target = st->wh.target->name;
	row.command = st->o->command;
	row.selector = st->selector;
	row.as_of = st->as_of;
	row.started_at = started;
	row.dla_version = DLA_VERSION;
	row.retry_of = st->retry_of;
	if (dla_meta_run_start(&st->meta, &row, &err) != DLA_OK) {
		struct dla_buf why = DLA_BUF_INIT;
		dla_buf_addf(&why, "cannot record the run: %s", err.message);
		dla_progress_error(&st->pr, st->o->prog, why.buf);
		dla_buf_release(&why);
		return DLA_EXIT_UNAVAILABLE;
	}
	return DLA_EXIT_OK;
}

static int run_locked_phases(struct run_state *st, const bool *given, bool *chosen)
{
	struct dla_run_choice choice;
	struct dla_db_error err;
	const struct dla_dag *dag = &st->op->dag;
	const bool *selected = given;
	bool locked = false, nothing = false;
	int exit_code;

	memset(&choice, 0, sizeof(choice));
	if (!st->o->dry_run) {
		exit_code = take_advisory(st);
		if (exit_code != DLA_EXIT_OK)
			goto out;
		if (dla_meta_ensure(&st->meta, &err) != DLA_OK) {
			struct dla_buf why = DLA_BUF_INIT;
			dla_buf_addf(&why, "cannot create the metadata tables in '%s': %s",
				     st->meta.schema, err.message);
			dla_progress_error(&st->pr, st->o->prog, why.buf);
			dla_buf_release(&why);
			return DLA_EXIT_UNAVAILABLE;
		}
		exit_code = take_run_lock(st, &locked);
		if (exit_code != DLA_EXIT_OK)
			goto out;
		test_hook_meta("lock taken", NULL);
	}
	if (st->o->chooser) {
		exit_code = choose(st, chosen, &choice, &nothing);
		if (exit_code != DLA_EXIT_OK || nothing)
			goto out;
		selected = chosen;
	}
	st->total = 0;
	for (size_t i = 0; i < dag->n; i++) {
		st->runs[i] = selected && selected[i] && executes(&dag->nodes[i]);
		if (st->runs[i])
			st->total++;
	}
	if (got_signal) {
		exit_code = signal_exit(got_signal);
		goto out;
	}
	if (st->o->dry_run) {
		(void)dla_views_attach(&st->wh, &st->op->project, dag, NULL);
		exit_code = dry_run(st);
		goto out;
	}
	/* the workers connect (SQLite: and create the project's TEMP views)
	 * while this thread reads the history and records the run; they
	 * start nodes once execute() lets them */
	start_workers(st, worker_count(st));
	compute_priorities(st);
	exit_code = record_run_start(st);
	if (exit_code != DLA_EXIT_OK)
		goto out;
	test_hook_meta("run recorded", NULL);
	st->pr.total = st->total;
	dla_progress_run_start(&st->pr, st->op->project.name, st->wh.target->name,
			       st->as_of);
	exit_code = execute(st);
out:
	if (locked) {
		if (!st->lock_released &&
		    dla_meta_lock_release(&st->meta, st->run_id, NULL) != DLA_OK &&
		    main_recover(st))
			(void)dla_meta_lock_release(&st->meta, st->run_id, NULL);
		test_hook_meta("lock released", NULL);
	}
	stop_workers(st);
	dla_free(choice.selector);
	dla_free(choice.nothing);
	return exit_code;
}

int dla_runner_run(struct dla_open_project *op, const struct dla_global_opts *g,
		   const struct dla_run_opts *o, const bool *selected)
{
	struct run_state st;
	struct saved_signals saved;
	struct dla_db_error err;
	const struct dla_dag *dag = &op->dag;
	size_t n = dag->n ? dag->n : 1;
	bool *chosen = NULL;
	int exit_code;

	memset(&st, 0, sizeof(st));
	st.op = op;
	st.g = g;
	st.o = o;
	st.retry_of = o->retry_of;
	st.selector = o->selector;
	st.meta.schema = op->project.metadata_schema;
	st.lease_s = op->project.lock_lease_s > 0 ? op->project.lock_lease_s : 600;
	dla_run_id_new(st.run_id);
	test_hook_install();
	if (o->as_of)
		snprintf(st.as_of, sizeof(st.as_of), "%s", o->as_of);
	else
		dla_time_now(st.as_of);
	if (gethostname(st.host, sizeof(st.host) - 1) != 0)
		strcpy(st.host, "localhost");
	dla_progress_init(&st.pr, o->json_log, st.run_id, 0);
	pthread_mutex_init(&st.mu, NULL);
	pthread_mutex_init(&st.out_mu, NULL);
	pthread_mutex_init(&st.write_mu, NULL);
	pthread_cond_init(&st.work_cv, NULL);
	pthread_cond_init(&st.main_cv, NULL);
	st.runs = dla_calloc(n, sizeof(*st.runs));
	st.priority = dla_calloc(n, sizeof(*st.priority));
	st.res = dla_calloc(n, sizeof(*st.res));
	chosen = dla_calloc(n, sizeof(*chosen));
	if (!st.runs || !st.priority || !st.res || !chosen) {
		exit_code = DLA_EXIT_FAILED;
		goto out;
	}
	signals_catch(&saved);
	if (dla_warehouse_open(&op->project, g->target, &st.wh, &err) != DLA_OK) {
		struct dla_buf why = DLA_BUF_INIT;
		dla_buf_addf(&why, "cannot connect to target '%s': %s",
			     g->target ? g->target : op->project.default_target, err.message);
		dla_progress_error(&st.pr, o->prog, why.buf);
		dla_buf_release(&why);
		exit_code = got_signal ? signal_exit(got_signal) : DLA_EXIT_UNAVAILABLE;
		memset(&st.wh, 0, sizeof(st.wh));
	} else {
		st.meta.db = st.wh.db;
		st.meta.dialect = st.wh.dialect;
		st.serialize_writers = st.wh.dialect->single_writer;
		exit_code = run_locked_phases(&st, selected, chosen);
		dla_warehouse_close(&st.wh);
	}
	signals_restore(&saved);
out:
	if (st.res)
		for (size_t i = 0; i < dag->n; i++) {
			dla_free(st.res[i].message);
			if (st.res[i].tests) {
				dla_datatest_outcome_release(st.res[i].tests);
				dla_free(st.res[i].tests);
			}
		}
	dla_free(st.workers);
	dla_free(st.done_q);
	dla_free(st.pending);
	dla_free(st.res);
	dla_free(st.priority);
	dla_free(st.runs);
	dla_free(chosen);
	pthread_cond_destroy(&st.work_cv);
	pthread_cond_destroy(&st.main_cv);
	pthread_mutex_destroy(&st.write_mu);
	pthread_mutex_destroy(&st.out_mu);
	pthread_mutex_destroy(&st.mu);
	return exit_code;
}
