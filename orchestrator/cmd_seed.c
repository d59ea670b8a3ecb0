/*
 * cmd_seed.c - `dla seed`: load the CSV seed of each selected source into
 * its table, replacing the contents (SPEC 5).  Every CSV is parsed and
 * checked before the database is touched; each source then loads in its
 * own transaction.
 */
#include "alloc.h"
#include "buf.h"
#include "commands.h"
#include "csv.h"
#include "diag_print.h"
#include "project_open.h"
#include "seed.h"
#include "select.h"
#include "warehouse.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define PROG "dla seed"

enum { OPT_SELECT, OPT_FROM };

static const struct dla_optspec seed_options[] = {
	{ "--select", 0, true, OPT_SELECT },
	{ "--from", 0, true, OPT_FROM },
};

/* One source to seed. */
struct seed_item {
	const struct dla_node *node;
	const struct dla_source *source;
	struct dla_csv csv;
};

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "dla seed: error: <message>" with the message sanitised. */
static void print_error(const char *message)
{
	fputs(PROG ": error: ", stderr);
	dla_fputs_sanitized(stderr, message, strlen(message), 0);
	fputc('\n', stderr);
}

/* Phase 1: read and parse every CSV; every error becomes a diagnostic
 * "seeds/x.csv:7:12: error: ..." (no database is touched). */
/* With --from DIR, each source's CSV is DIR/<file name of its seed>
 * (e.g. the next batch of a demo), DIR relative to the project. */
static void read_seeds(const char *project_dir, const char *from_dir,
		       struct seed_item *items, size_t n, struct dla_diags *diags)
{
	for (size_t i = 0; i < n; i++) {
		const char *seed = items[i].source->seed;
		struct dla_csv_error err;
		struct dla_buf shown = DLA_BUF_INIT, path = DLA_BUF_INIT;
		enum dla_code rc;

		if (from_dir) {
			const char *base = strrchr(seed, '/');
			dla_buf_addf(&shown, "%s/%s", from_dir, base ? base + 1 : seed);
		} else {
			dla_buf_adds(&shown, seed);
		}
		if (shown.buf[0] == '/')
			dla_buf_adds(&path, shown.buf);
		else
			dla_buf_addf(&path, "%s/%s", project_dir, shown.buf);
		if (dla_buf_failed(&shown) || dla_buf_failed(&path)) {
			diags->nomem = true;
			rc = DLA_ERR_NOMEM;
		} else {
			rc = dla_csv_read_file(path.buf, &items[i].csv, &err);
		}
		if (rc == DLA_ERR_NOMEM)
			diags->nomem = true;
		else if (rc != DLA_OK)
			dla_error_at(diags, shown.buf, err.line, err.col, "%s", err.message);
		dla_buf_release(&shown);
		dla_buf_release(&path);
	}
}

/* Exit code for a failure to open the warehouse. */
static int open_failure_exit(enum dla_code rc)
{
	switch (rc) {
	case DLA_ERR_USAGE: return DLA_EXIT_USAGE;
	case DLA_ERR_CONNECT:
	case DLA_ERR_CONN_DEAD:
	case DLA_ERR_IO:
	case DLA_ERR_DB: return DLA_EXIT_UNAVAILABLE;
	default: return DLA_EXIT_FAILED;
	}
}

/* Phase 2: load each source in its own transaction.  Returns the exit code. */
static int load_seeds(struct dla_warehouse *wh, struct seed_item *items, size_t n)
{
	double started = now_seconds();
	size_t loaded = 0, failed = 0, skipped = 0;
	long total_rows = 0;
	bool dead = false;

	for (size_t i = 0; i < n; i++) {
		const struct dla_source *src = items[i].source;
		struct dla_seed_result res;
		struct dla_db_error err;
		double t0;
		enum dla_code rc;

		if (dead) {
			printf("seed %s: skipped (connection lost)\n", items[i].node->name);
			skipped++;
			continue;
		}
		t0 = now_seconds();
		rc = dla_seed_load(wh->db, wh->dialect, src->schema, src->name,
				   &items[i].csv, NULL, &res, &err);
		if (rc == DLA_OK) {
			printf("seed %s: %ld row%s from %s in %.2fs\n", items[i].node->name,
			       res.rows, res.rows == 1 ? "" : "s", src->seed,
			       now_seconds() - t0);
			total_rows += res.rows;
			loaded++;
		} else {
			printf("seed %s: failed in %.2fs\n", items[i].node->name,
			       now_seconds() - t0);
			print_error(rc == DLA_ERR_NOMEM ? "out of memory" : err.message);
			failed++;
			dead = rc == DLA_ERR_CONN_DEAD || dla_db_is_dead(wh->db);
		}
		fflush(stdout);
	}
	if (failed || skipped)
		printf("seed: %zu of %zu sources loaded (%zu failed, %zu skipped), "
		       "%ld rows in %.2fs\n", loaded, n, failed, skipped, total_rows,
		       now_seconds() - started);
	else
		printf("seed: %zu source%s, %ld rows in %.2fs\n", loaded,
		       loaded == 1 ? "" : "s", total_rows, now_seconds() - started);
	return failed || skipped ? DLA_EXIT_FAILED : DLA_EXIT_OK;
}

static int seed_run(int argc, char **argv, const struct dla_global_opts *opts)
{
	struct dla_optparser parser;
	struct dla_open_project op;
	struct dla_diags diags = DLA_DIAGS_INIT;
	struct dla_warehouse wh;
	struct dla_db_error dberr;
	const char **select = NULL;
	struct seed_item *items = NULL;
	bool *selected = NULL;
	size_t n_select = 0, n_items = 0;
	const char *value, *dir = opts->project_dir ? opts->project_dir : ".";
	const char *from_dir = NULL;
	int opt, rc;
	enum dla_code code;

	select = dla_calloc((size_t)(argc > 0 ? argc : 1), sizeof(*select));
	if (!select) {
		print_error("out of memory");
		return DLA_EXIT_FAILED;
	}
	dla_opt_init(&parser, PROG, argc, argv, 1, seed_options,
		     sizeof(seed_options) / sizeof(seed_options[0]));
	while ((opt = dla_opt_next(&parser, &value)) != DLA_OPT_END) {
		if (opt == DLA_OPT_ERROR) {
			dla_free(select);
			return DLA_EXIT_USAGE;
		}
		if (opt == DLA_OPT_ARG) {
			dla_free(select);
			return dla_usage_error(PROG, "unexpected argument '%s'", value);
		}
		if (opt == OPT_FROM)
			from_dir = value;
		else
			select[n_select++] = value;
	}

	rc = dla_open_project(&op, opts);
	if (rc != DLA_EXIT_OK)
		goto out;

	selected = dla_calloc(op.dag.n ? op.dag.n : 1, sizeof(*selected));
	items = dla_calloc(op.dag.n ? op.dag.n : 1, sizeof(*items));
	if (!selected || !items) {
		print_error("out of memory");
		rc = DLA_EXIT_FAILED;
		goto out;
	}
	code = dla_select(&op.dag, select, n_select, NULL, 0, selected, &diags);
	if (code != DLA_OK) {
		dla_diags_print(stderr, &diags, dir);
		if (code == DLA_ERR_NOMEM && !diags.nomem)
			print_error("out of memory");
		rc = code == DLA_ERR_NOMEM ? DLA_EXIT_FAILED : DLA_EXIT_USAGE;
		goto out;
	}
	for (size_t k = 0; k < op.dag.n; k++) {
		const struct dla_node *node = &op.dag.nodes[op.dag.order[k]];

		if (!selected[op.dag.order[k]] || node->kind != DLA_NODE_SOURCE ||
		    !node->spec.source->seed)
			continue;
		items[n_items].node = node;
		items[n_items].source = node->spec.source;
		n_items++;
	}
	if (n_items == 0) {
		printf("seed: nothing to load: no selected source has a seed\n");
		rc = DLA_EXIT_OK;
		goto out;
	}

	read_seeds(dir, from_dir, items, n_items, &diags);
	if (dla_diags_has_errors(&diags)) {
		dla_diags_print(stderr, &diags, dir);
		fputs(PROG ": nothing loaded\n", stderr);
		rc = diags.n_errors ? DLA_EXIT_USAGE : DLA_EXIT_FAILED;
		goto out;
	}

	code = dla_warehouse_open(&op.project, opts->target, &wh, &dberr);
	if (code != DLA_OK) {
		print_error(code == DLA_ERR_NOMEM ? "out of memory" : dberr.message);
		rc = open_failure_exit(code);
		goto out;
	}
	rc = load_seeds(&wh, items, n_items);
	dla_warehouse_close(&wh);

out:
	for (size_t i = 0; i < n_items; i++)
		dla_csv_release(&items[i].csv);
	dla_free(items);
	dla_free(selected);
	dla_free(select);
	dla_diags_release(&diags);
	dla_close_project(&op);
	return rc;
}

const struct dla_command cmd_seed_entry = {
	.name = "seed",
	.summary = "load seeds/*.csv into their sources (replace)",
	.usage =
	"usage: dla [--project DIR] [--target NAME] seed [--select S]... [--from DIR]\n"
	"\n"
	"Loads the CSV file named by `seed:` of each selected source into the\n"
	"source's table, replacing its contents.  Without --select every source\n"
	"with a seed is loaded.  Selectors as for `dla run` (name, +name, name+,\n"
	"tag:T, path:P); only the selected sources that have a seed are loaded.\n"
	"With --from DIR each CSV is read from DIR (relative to the project)\n"
	"under its seed's file name instead, e.g. --from seeds/batch2.\n"
	"\n"
	"Every CSV file is read and checked first; any error (ragged row,\n"
	"unterminated quote, bad header ...) is reported as file:line:col and\n"
	"nothing is loaded.  Then each source loads in one transaction: the\n"
	"table keeps its previous contents when its load fails.\n"
	"\n"
	"CSV: the header row names the columns (valid identifiers); an empty\n"
	"unquoted field is NULL, a quoted empty field \"\" is the empty string.\n"
	"Column types are inferred: BOOLEAN (true/false), INTEGER, DECIMAL,\n"
	"FLOAT, DATE (YYYY-MM-DD), TIMESTAMP (YYYY-MM-DD HH:MM:SS[.f]), else TEXT;\n"
	"numbers with a leading zero (007) stay TEXT.  The table is created when\n"
	"missing, emptied and refilled when its columns match, and dropped and\n"
	"re-created when they do not.\n"
	"\n"
	"Output: one line per source, then a summary:\n"
	"  seed staging.customer: 24 rows from seeds/customer.csv in 0.01s\n"
	"  seed: 1 source, 24 rows in 0.02s\n"
	"\n"
	"exit status: 0 success, 1 a source failed to load, 2 usage error,\n"
	"invalid project or invalid CSV (nothing loaded), 3 cannot connect\n",
	.run = seed_run,
};
