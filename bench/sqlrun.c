/*
 * sqlrun.c - the benchmarks' driver for hand-written SQL: runs a SQL file
 * on a dla project's target through the very connection dla would open
 * (dla_warehouse_open: same ODBC driver, connection defaults, session
 * setup and attached schemas), so that "dla / hand-written SQL" compares
 * the SQL and the orchestration, not two clients.
 *
 *   sqlrun [-v] PROJECT_DIR TARGET FILE
 *
 * FILE holds statements, each ending with ';' at the end of a line; lines
 * starting with "--" between statements are comments.  Statements before a
 * line "-- @timed" (if any) run in autocommit, untimed; the statements after
 * it run as ONE transaction (begin ... commit), and their wall time is
 * printed on stdout in seconds.  A comment "-- cleanup: ..." marks the
 * statements after it as run after the commit (the shape of `dla run
 * --dry-run` output, which can be fed in to time dla's own statements one
 * by one with -v); "-- <kind>: <label>" comments name the next statement;
 * "-- check on failure: ..." statements are skipped (dla runs them only
 * after a failed statement, to name the keys).
 * SELECT / WITH statements are queries: their rows are fetched (and
 * printed on stderr with -v).  -v: each statement's seconds and label on
 * stderr.  Exit 1 on any failure (rolled back).
 */
#include "alloc.h"
#include "buf.h"
#include "dag.h"
#include "db.h"
#include "diag.h"
#include "project.h"
#include "warehouse.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct stmt {
	char *sql;
	char label[80];
	int phase;          /* 0 untimed, 1 timed transaction, 2 after commit,
			       -1 never ("check on failure": dla runs it only
			       after a failed statement) */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct dla_buf b = DLA_BUF_INIT;
	char chunk[65536];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		dla_buf_add(&b, chunk, n);
	fclose(f);
	if (dla_buf_failed(&b) || !b.buf) {
		dla_buf_release(&b);
		return NULL;
	}
	return b.buf;   /* owned by the caller */
}

static bool is_query(const char *sql)
{
	while (isspace((unsigned char)*sql))
		sql++;
	return strncasecmp(sql, "select", 6) == 0 || strncasecmp(sql, "with", 4) == 0;
}

/* Splits text into statements; returns the count or -1. */
static long split(char *text, struct stmt **out)
{
	struct stmt *v = NULL;
	size_t n = 0, cap = 0;
	int phase = 0;
	bool any_timed_marker = strstr(text, "\n-- @timed") || strncmp(text, "-- @timed", 9) == 0;
	struct dla_buf cur = DLA_BUF_INIT;
	char label[80] = "";
	bool skip_next = false;

	if (!any_timed_marker)
		phase = 1;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		size_t len = strlen(line);

		while (len && isspace((unsigned char)line[len - 1]))
			line[--len] = '\0';
		if (cur.len == 0) {
			if (len == 0)
				continue;
			if (strncmp(line, "--", 2) == 0) {
				if (strncmp(line, "-- @timed", 9) == 0)
					phase = 1;
				else if (strncmp(line, "-- cleanup:", 11) == 0)
					phase = 2;
				if (strchr(line, ':'))
					snprintf(label, sizeof(label), "%s", line + 3);
				/* dla runs these only after a failed statement */
				skip_next = strncmp(line, "-- check on failure:", 20) == 0;
				continue;
			}
		}
		dla_buf_add(&cur, line, len);
		dla_buf_addch(&cur, '\n');
		if (len && line[len - 1] == ';') {
			if (n == cap) {
				cap = cap ? 2 * cap : 32;
				v = realloc(v, cap * sizeof(*v));
				if (!v)
					return -1;
			}
			cur.buf[cur.len - 2] = '\0';    /* drop ";\n" */
			v[n].sql = strdup(cur.buf);
			snprintf(v[n].label, sizeof(v[n].label), "%s", label[0] ? label : "statement");
			v[n].phase = skip_next ? -1 : phase;
			skip_next = false;
			label[0] = '\0';
			n++;
			dla_buf_reset(&cur);
		}
	}
	dla_buf_release(&cur);
	*out = v;
	return (long)n;
}

static int run_one(struct dla_warehouse *wh, const struct stmt *s, bool verbose)
{
	struct dla_db_error err;
	double t0 = now_s();
	enum dla_code rc;
	long rows = -1;

	if (is_query(s->sql)) {
		struct dla_db_result *res = NULL;
		rc = dla_db_query(wh->db, s->sql, NULL, 0, &res, &err);
		if (rc == DLA_OK && verbose)
			for (size_t r = 0; r < res->n_rows && r < 5; r++)
				for (size_t c = 0; c < res->n_cols; c++) {
					const char *cell = dla_db_cell(res, r, c);
					fprintf(stderr, "    %s = %s\n", res->col_names[c],
						cell ? cell : "NULL");
				}
		if (res)
			rows = (long)res->n_rows;
		dla_db_result_free(res);
	} else {
		rc = dla_db_exec(wh->db, s->sql, NULL, 0, &rows, &err);
	}
	if (verbose)
		fprintf(stderr, "%9.3f s  %8ld rows  %s\n", now_s() - t0, rows, s->label);
	if (rc != DLA_OK) {
		fprintf(stderr, "sqlrun: %s failed: %s\n", s->label, err.message);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct dla_project p;
	struct dla_diags diags;
	struct dla_warehouse wh;
	struct dla_db_error err;
	struct stmt *stmts = NULL;
	bool verbose = false;
	char *text;
	long n;
	int status = 1;
	double t0, t1;

	if (argc > 1 && strcmp(argv[1], "-v") == 0) {
		verbose = true;
		argv++;
		argc--;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: sqlrun [-v] PROJECT_DIR TARGET FILE\n");
		return 2;
	}
	text = read_file(argv[3]);
	if (!text) {
		fprintf(stderr, "sqlrun: cannot read '%s'\n", argv[3]);
		return 2;
	}
	n = split(text, &stmts);
	if (n < 0) {
		fprintf(stderr, "sqlrun: out of memory\n");
		return 2;
	}
	dla_diags_init(&diags);
	memset(&p, 0, sizeof(p));
	if (dla_project_load(&p, argv[1], NULL, NULL, &diags) != DLA_OK) {
		fprintf(stderr, "sqlrun: cannot load project '%s'\n", argv[1]);
		goto out;
	}
	if (dla_warehouse_open(&p, argv[2], &wh, &err) != DLA_OK) {
		fprintf(stderr, "sqlrun: %s\n", err.message);
		goto out;
	}
	for (long i = 0; i < n; i++)
		if (stmts[i].phase == 0 && run_one(&wh, &stmts[i], verbose))
			goto close;
	t0 = now_s();
	if (dla_db_begin(wh.db, &err) != DLA_OK) {
		fprintf(stderr, "sqlrun: begin: %s\n", err.message);
		goto close;
	}
	for (long i = 0; i < n; i++)
		if (stmts[i].phase == 1 && run_one(&wh, &stmts[i], verbose)) {
			dla_db_rollback(wh.db, NULL);
			goto close;
		}
	if (dla_db_commit(wh.db, &err) != DLA_OK) {
		fprintf(stderr, "sqlrun: commit: %s\n", err.message);
		dla_db_rollback(wh.db, NULL);
		goto close;
	}
	t1 = now_s();
	if (verbose)
		fprintf(stderr, "%9.3f s  (transaction, commit included)\n", t1 - t0);
	for (long i = 0; i < n; i++)
		if (stmts[i].phase == 2 && run_one(&wh, &stmts[i], verbose))
			goto close;
	printf("%.6f\n", t1 - t0);
	status = 0;
close:
	dla_warehouse_close(&wh);
out:
	dla_project_release(&p);
	dla_diags_release(&diags);
	for (long i = 0; i < n; i++)
		free(stmts[i].sql);
	free(stmts);
	free(text);
	return status;
}
