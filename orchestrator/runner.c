/*
 * runner.c - runs the selected nodes in DAG order against one target and
 * records run, node and lineage rows; owns the run lock's life cycle.
 */
#include "runner.h"
#include "alloc.h"
#include "buf.h"
#include "load.h"
#include "meta.h"
#include "progress.h"
#include "warehouse.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool runs(const struct dla_node *n)
{
	return n->kind == DLA_NODE_VIEW || n->kind == DLA_NODE_DIMENSION ||
	       n->kind == DLA_NODE_FACT;
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

static bool take_advisory_lock(struct dla_warehouse *wh, const char *schema,
			       struct dla_buf *why)
{
	struct dla_buf q = DLA_BUF_INIT;
	struct dla_db_result *res = NULL;
	struct dla_db_error err;
	bool ok = true;

	wh->dialect->try_advisory_lock(&q, advisory_key(schema));
	if (q.len == 0)
		return true;
	if (dla_db_query(wh->db, q.buf, NULL, 0, &res, &err) != DLA_OK) {
		dla_buf_addf(why, "cannot take the advisory lock: %s", err.message);
		ok = false;
	} else {
		const char *v = dla_db_cell(res, 0, 0);
		ok = v && (v[0] == '1' || v[0] == 't' || v[0] == 'T');
		if (!ok)
			dla_buf_adds(why, "another dla run holds the advisory lock of this "
				     "target");
	}
	dla_db_result_free(res);
	dla_buf_release(&q);
	return ok;
}

struct run_state {
	struct dla_open_project *op;
	const struct dla_run_opts *o;
	struct dla_warehouse wh;
	struct dla_meta meta;
	struct dla_progress pr;
	char run_id[64];
	char as_of[32];
	char host[256];
	enum { NODE_PENDING, NODE_OK, NODE_FAILED, NODE_SKIPPED } *status;
	char **messages;               /* per node, for the summary */
	long lease_s;
};

static void record_lineage(struct run_state *st, const struct dla_node *n)
{
	const struct dla_dag *dag = &st->op->dag;

	for (size_t i = 0; i < n->n_deps; i++) {
		const struct dla_node *dep = &dag->nodes[n->deps[i]];
		const struct dla_names *extra = NULL;
		bool declared_only = false;

		if (!dep->relation)
			continue;
		if (n->kind == DLA_NODE_DIMENSION)
			extra = &n->spec.dimension->depends_on;
		else if (n->kind == DLA_NODE_FACT)
			extra = &n->spec.fact->depends_on;
		/* an explicit depends_on is an ordering, not a read */
		if (extra) {
			bool read = false;
			if (n->kind == DLA_NODE_DIMENSION)
				read = dla_dag_find(dag, n->spec.dimension->source) == n->deps[i];
			else {
				const struct dla_fact *f = n->spec.fact;
				read = dla_dag_find(dag, f->source) == n->deps[i];
				for (size_t l = 0; l < f->n_lookups && !read; l++)
					read = dla_dag_find(dag, f->lookups[l].dimension) ==
					       n->deps[i];
			}
			declared_only = !read;
		}
		if (declared_only)
			continue;
		(void)dla_meta_lineage_record(&st->meta, st->run_id, n->name,
					      dep->relation, n->relation, NULL);
	}
}

static void record_node(struct run_state *st, const struct dla_node *n,
			const char *status, const char *started, const char *finished,
			const struct dla_node_counts *c, double db_seconds,
			const char *message)
{
	struct dla_node_row row;

	memset(&row, 0, sizeof(row));
	row.run_id = st->run_id;
	row.node = n->name;
	row.kind = dla_node_kind_name(n->kind);
	row.status = status;
	row.started_at = started;
	row.finished_at = finished;
	row.queued_at = started;
	row.rows_inserted = c->inserted;
	row.rows_updated = c->updated;
	row.rows_expired = c->expired;
	row.rows_deleted = c->deleted;
	row.rows_inferred = c->inferred;
	row.db_seconds = db_seconds;
	row.message = message;
	(void)dla_meta_node_record(&st->meta, &row, NULL);
}

/* The first upstream node (by topological position) that did not succeed. */
static const char *failed_upstream(struct run_state *st, size_t idx)
{
	const struct dla_node *n = &st->op->dag.nodes[idx];

	for (size_t i = 0; i < n->n_deps; i++) {
		int s = st->status[n->deps[i]];
		if (s == NODE_FAILED || s == NODE_SKIPPED)
			return st->op->dag.nodes[n->deps[i]].name;
	}
	return NULL;
}

static int dry_run(struct run_state *st, const bool *selected)
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

		if (!selected[idx] || !runs(n))
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

static int execute_nodes(struct run_state *st, const bool *selected, size_t total)
{
	const struct dla_dag *dag = &st->op->dag;
	struct dla_progress_node *problems;
	size_t n_problems = 0, done = 0, ok = 0, failed = 0, skipped = 0;
	double run_started = now_seconds();
	bool stop = false;

	problems = dla_calloc(total ? total : 1, sizeof(*problems));
	if (!problems)
		return DLA_EXIT_FAILED;
	for (size_t i = 0; i < dag->n; i++) {
		size_t idx = dag->order[i];
		const struct dla_node *n = &dag->nodes[idx];
		struct dla_progress_node pn;
		struct dla_node_counts counts = { 0 };
		struct dla_buf err = DLA_BUF_INIT;
		struct dla_db_error dberr;
		char started[32], finished[32], detail[32];
		const char *upstream;
		double t0, db_seconds = 0;
		enum dla_code rc;

		if (!selected[idx] || !runs(n))
			continue;
		memset(&pn, 0, sizeof(pn));
		memset(&dberr, 0, sizeof(dberr));
		pn.index = ++done;
		pn.node = n->name;
		pn.kind = dla_node_kind_name(n->kind);
		pn.detail = load_detail(n, detail, sizeof(detail));
		dla_time_now(started);

		upstream = failed_upstream(st, idx);
		if (upstream || stop) {
			st->status[idx] = NODE_SKIPPED;
			if (upstream)
				dla_buf_addf(&err, "upstream '%s' failed", upstream);
			else
				dla_buf_adds(&err, "not started: --fail-fast after a failure");
			pn.status = "skipped";
			pn.error = err.buf;
			dla_progress_node_end(&st->pr, &pn);
			record_node(st, n, "skipped", started, started, &counts, 0, err.buf);
			skipped++;
			st->messages[idx] = dla_strdup(err.buf);
			problems[n_problems] = pn;
			problems[n_problems].error = st->messages[idx];
			n_problems++;
			dla_buf_release(&err);
			continue;
		}

		dla_progress_node_start(&st->pr, &pn);
		t0 = now_seconds();
		{
			struct dla_node_work w = { &st->op->project, dag, idx, st->run_id,
						   st->as_of, .full_refresh = st->o->full_refresh };
			rc = dla_node_run(&st->wh, &w, &counts, &db_seconds, &err, &dberr);
		}
		pn.seconds = now_seconds() - t0;
		pn.db_seconds = db_seconds;
		dla_time_now(finished);
		pn.inserted = counts.inserted;
		pn.updated = counts.updated;
		pn.expired = counts.expired;
		pn.deleted = counts.deleted;
		pn.inferred = counts.inferred;
		if (rc == DLA_OK) {
			st->status[idx] = NODE_OK;
			pn.status = "success";
			ok++;
			dla_progress_node_end(&st->pr, &pn);
			record_node(st, n, "success", started, finished, &counts, db_seconds,
				    NULL);
			record_lineage(st, n);
		} else {
			if (dla_buf_failed(&err) || err.len == 0) {
				dla_buf_reset(&err);
				dla_buf_adds(&err, dla_strerror(rc));
			}
			st->status[idx] = NODE_FAILED;
			pn.status = "failed";
			pn.error = err.buf;
			pn.sqlstate = dberr.sqlstate;
			failed++;
			dla_progress_node_end(&st->pr, &pn);
			if (rc == DLA_ERR_CONN_DEAD) {
				/* the metadata connection is the same one: it is gone */
				stop = true;
			} else {
				record_node(st, n, "failed", started, finished, &counts,
					    db_seconds, err.buf);
			}
			st->messages[idx] = dla_strdup(err.buf);
			problems[n_problems] = pn;
			problems[n_problems].error = st->messages[idx];
			n_problems++;
			if (st->o->fail_fast)
				stop = true;
		}
		dla_buf_release(&err);
		{
			char now[32];
			dla_time_now(now);
			(void)dla_meta_lock_renew(&st->meta, st->run_id, now, st->lease_s, NULL);
		}
	}
	{
		const char *status = failed || skipped ? "failed" : "success";
		char finished[32];
		dla_time_now(finished);
		(void)dla_meta_run_finish(&st->meta, st->run_id, status, finished,
					  failed ? "one or more nodes failed" : NULL, NULL);
		dla_progress_run_end(&st->pr, status, ok, failed, skipped,
				     now_seconds() - run_started, problems, n_problems);
	}
	dla_free(problems);
	return failed || skipped ? DLA_EXIT_FAILED : DLA_EXIT_OK;
}

int dla_runner_run(struct dla_open_project *op, const struct dla_global_opts *g,
		   const struct dla_run_opts *o, const bool *selected)
{
	struct run_state st;
	struct dla_db_error err;
	struct dla_buf why = DLA_BUF_INIT;
	const struct dla_dag *dag = &op->dag;
	size_t total = 0;
	int exit_code = DLA_EXIT_OK;
	bool locked = false;
	enum dla_code rc;

	memset(&st, 0, sizeof(st));
	st.op = op;
	st.o = o;
	st.meta.schema = op->project.metadata_schema;
	st.lease_s = op->project.lock_lease_s > 0 ? op->project.lock_lease_s : 600;
	dla_run_id_new(st.run_id);
	if (o->as_of)
		snprintf(st.as_of, sizeof(st.as_of), "%s", o->as_of);
	else
		dla_time_now(st.as_of);
	if (gethostname(st.host, sizeof(st.host) - 1) != 0)
		strcpy(st.host, "localhost");
	for (size_t i = 0; i < dag->n; i++)
		if (selected[i] && runs(&dag->nodes[i]))
			total++;
	dla_progress_init(&st.pr, o->json_log, st.run_id, total);
	st.status = dla_calloc(dag->n ? dag->n : 1, sizeof(*st.status));
	st.messages = dla_calloc(dag->n ? dag->n : 1, sizeof(*st.messages));
	if (!st.status || !st.messages) {
		exit_code = DLA_EXIT_FAILED;
		goto out;
	}

	rc = dla_warehouse_open(&op->project, g->target, &st.wh, &err);
	if (rc != DLA_OK) {
		dla_buf_addf(&why, "cannot connect to target '%s': %s",
			     g->target ? g->target : op->project.default_target, err.message);
		dla_progress_error(&st.pr, o->prog, why.buf);
		exit_code = rc == DLA_ERR_USAGE ? DLA_EXIT_USAGE : DLA_EXIT_UNAVAILABLE;
		goto out;
	}
	st.meta.db = st.wh.db;
	st.meta.dialect = st.wh.dialect;
	if (o->dry_run) {
		(void)dla_views_attach(&st.wh, &op->project, dag);
		exit_code = dry_run(&st, selected);
		goto out;
	}
	rc = dla_meta_ensure(&st.meta, &err);
	if (rc != DLA_OK) {
		dla_buf_addf(&why, "cannot create the metadata tables in '%s': %s",
			     st.meta.schema, err.message);
		dla_progress_error(&st.pr, o->prog, why.buf);
		exit_code = DLA_EXIT_UNAVAILABLE;
		goto out;
	}
	if (!take_advisory_lock(&st.wh, st.meta.schema, &why)) {
		dla_progress_error(&st.pr, o->prog, why.buf);
		exit_code = DLA_EXIT_UNAVAILABLE;
		goto out;
	}
	{
		struct dla_lock_holder holder;
		char now[32], took_over[64] = "";
		dla_time_now(now);
		memset(&holder, 0, sizeof(holder));
		rc = dla_meta_lock_acquire(&st.meta, st.run_id, st.host, (long)getpid(), now,
					   st.lease_s, pid_alive, NULL, &holder, took_over, &err);
		if (rc == DLA_ERR_LOCKED) {
			dla_buf_addf(&why, "locked by run %s since %s (host %s, pid %ld; lease "
				     "until %s)", holder.run_id, holder.acquired_at, holder.host,
				     holder.pid, holder.expires_at);
			dla_progress_error(&st.pr, o->prog, why.buf);
			exit_code = DLA_EXIT_UNAVAILABLE;
			goto out;
		}
		if (rc != DLA_OK) {
			dla_buf_addf(&why, "cannot take the run lock: %s", err.message);
			dla_progress_error(&st.pr, o->prog, why.buf);
			exit_code = DLA_EXIT_UNAVAILABLE;
			goto out;
		}
		locked = true;
		if (took_over[0] && !o->json_log)
			fprintf(stderr, "%s: took over the lock of run %s (its lease expired "
				"or its process is gone); that run is recorded failed\n",
				o->prog, took_over);
	}
	{
		struct dla_run_row row;
		char started[32];
		dla_time_now(started);
		memset(&row, 0, sizeof(row));
		row.run_id = st.run_id;
		row.project = op->project.name;
		row.target = st.wh.target->name;
		row.command = o->command;
		row.selector = o->selector;
		row.as_of = st.as_of;
		row.started_at = started;
		row.dla_version = DLA_VERSION;
		row.retry_of = o->retry_of;
		rc = dla_meta_run_start(&st.meta, &row, &err);
		if (rc != DLA_OK) {
			dla_buf_addf(&why, "cannot record the run: %s", err.message);
			dla_progress_error(&st.pr, o->prog, why.buf);
			exit_code = DLA_EXIT_UNAVAILABLE;
			goto out;
		}
	}
	dla_progress_run_start(&st.pr, op->project.name, st.wh.target->name, st.as_of);
	(void)dla_views_attach(&st.wh, &op->project, dag);
	exit_code = execute_nodes(&st, selected, total);
out:
	if (locked)
		(void)dla_meta_lock_release(&st.meta, st.run_id, NULL);
	if (st.wh.db)
		dla_warehouse_close(&st.wh);
	if (st.messages)
		for (size_t i = 0; i < dag->n; i++)
			dla_free(st.messages[i]);
	dla_free(st.messages);
	dla_free(st.status);
	dla_buf_release(&why);
	return exit_code;
}
