/*
 * cmd_retry.c - `dla retry [RUN_ID]`: re-run what failed, was skipped or
 * never started in an earlier run, as a new run recording retry_of.
 *
 * Which run: RUN_ID; else with --as-of TS the latest run or retry of this
 * project with that as-of (an Airflow task's attempts share {{ ts }});
 * else the latest run or retry of this project.
 * What runs: the nodes that run's selector selects in the project as it
 * is now (dla_run.selector holds its --select/--exclude text; none = every
 * node), minus the nodes that succeeded in it, narrowed by the --select /
 * --exclude given to retry; as of that run's as-of.  This covers failed
 * and skipped nodes and also nodes the run never reached (it was killed,
 * or failed before any node started).  The new run records the nodes it
 * retries as its selector ("--select a --select b") so a retry of a
 * retry works the same way.
 * Nothing recorded: when no run matches (RUN_ID aside), the earlier
 * attempt failed before it could write its run row (database down, lock
 * held, killed first): retry runs what `dla run` with the same
 * --as-of/--select/--exclude would, recorded as command 'retry' without
 * retry_of.  When the run found succeeded there is nothing to retry: it
 * says so and exits 0.  See docs/OPERATIONS.md.
 */
#include "alloc.h"
#include "buf.h"
#include "commands.h"
#include "diag_print.h"
#include "meta.h"
#include "project_open.h"
#include "runner.h"
#include "select.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_AS_OF, OPT_SELECT, OPT_EXCLUDE, OPT_THREADS, OPT_FULL_REFRESH, OPT_FAIL_FAST,
	OPT_DRY_RUN, OPT_LOG_FORMAT
};

static const struct dla_optspec retry_options[] = {
	{ "--as-of", 0, true, OPT_AS_OF },
	{ "--select", 's', true, OPT_SELECT },
	{ "--exclude", 'x', true, OPT_EXCLUDE },
	{ "--threads", 0, true, OPT_THREADS },
	{ "--full-refresh", 0, false, OPT_FULL_REFRESH },
	{ "--fail-fast", 0, false, OPT_FAIL_FAST },
	{ "--dry-run", 0, false, OPT_DRY_RUN },
	{ "--log-format", 0, true, OPT_LOG_FORMAT },
};

struct retry_ctx {
	const char *prog;
	const char *run_id;            /* RUN_ID argument or NULL */
	const char *as_of;             /* --as-of, normalised, or NULL */
	const char *selector_text;     /* --select/--exclude as text, or NULL:
					  narrows a retry, selects without a run */
};

/* Appends the words of a stored selector ("--select a --exclude b c") to
 * sel / exc.  A value runs until the next " --select " / " --exclude ",
 * so values may hold blanks.  The pointers point into text, which is
 * modified (NUL-terminated values). */
static void parse_selector(char *text, const char **sel, size_t *n_sel,
			   const char **exc, size_t *n_exc)
{
	char *p = text;

	while (p && *p) {
		bool is_select;
		char *value, *next = NULL, *end;

		while (*p == ' ')
			p++;
		if (strncmp(p, "--select ", 9) == 0)
			is_select = true;
		else if (strncmp(p, "--exclude ", 10) == 0)
			is_select = false;
		else
			break;              /* not ours: stop */
		value = p + (is_select ? 9 : 10);
		for (char *q = value; (q = strstr(q, " --")) != NULL; q++)
			if (strncmp(q, " --select ", 10) == 0 ||
			    strncmp(q, " --exclude ", 11) == 0) {
				next = q;
				break;
			}
		end = next ? next : value + strlen(value);
		while (end > value && end[-1] == ' ')
			end--;
		if (next)
			*next = '\0';
		*end = '\0';
		if (*value) {
			if (is_select)
				sel[(*n_sel)++] = value;
			else
				exc[(*n_exc)++] = value;
		}
		p = next ? next + 1 : NULL;
	}
}

/* selected[] = the nodes the selector text selects (NULL text: all). */
static int select_by_text(const struct retry_ctx *c, const struct dla_open_project *op,
			  const char *text, const char *whose, bool *selected)
{
	struct dla_diags diags = DLA_DIAGS_INIT;
	char *copy = text ? dla_strdup(text) : NULL;
	size_t cap = text ? strlen(text) / 2 + 1 : 1, n_sel = 0, n_exc = 0;
	const char **sel = dla_calloc(cap, sizeof(*sel));
	const char **exc = dla_calloc(cap, sizeof(*exc));
	int rc = DLA_EXIT_OK;

	if ((text && !copy) || !sel || !exc) {
		rc = DLA_EXIT_FAILED;
		goto out;
	}
	if (copy)
		parse_selector(copy, sel, &n_sel, exc, &n_exc);
	if (dla_select(&op->dag, sel, n_sel, exc, n_exc, selected, &diags) != DLA_OK) {
		fprintf(stderr, "%s: cannot select the nodes of %s ('%s') in the project as "
			"it is now:\n", c->prog, whose, text ? text : "");
		dla_diags_print(stderr, &diags, op->project.dir);
		rc = DLA_EXIT_USAGE;
	}
out:
	dla_diags_release(&diags);
	dla_free(copy);
	dla_free(sel);
	dla_free(exc);
	return rc;
}

/* The text "--select a --select b" of the selected executable nodes. */
static char *selector_of(const struct dla_dag *dag, const bool *selected)
{
	struct dla_buf b = DLA_BUF_INIT;
	char *text;

	for (size_t k = 0; k < dag->n; k++) {
		size_t i = dag->order[k];
		enum dla_node_kind kind = dag->nodes[i].kind;

		if (!selected[i] || kind == DLA_NODE_SOURCE || kind == DLA_NODE_EXPOSURE)
			continue;
		dla_buf_addf(&b, "%s--select %s", b.len ? " " : "", dag->nodes[i].name);
	}
	if (dla_buf_failed(&b) || b.len == 0) {
		dla_buf_release(&b);
		return NULL;
	}
	text = dla_strdup(b.buf);
	dla_buf_release(&b);
	return text;
}

static char *message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A new formatted string (dla_free), NULL when out of memory. */
static char *message(const char *fmt, ...)
{
	struct dla_buf m = DLA_BUF_INIT;
	va_list ap;
	char *text;

	va_start(ap, fmt);
	dla_buf_vaddf(&m, fmt, ap);
	va_end(ap);
	text = dla_buf_failed(&m) ? NULL : dla_strdup(m.buf);
	dla_buf_release(&m);
	return text;
}

static int choose_retry(void *ctx, const struct dla_open_project *op,
			const struct dla_meta *meta, bool dry_run,
			struct dla_run_choice *choice)
{
	const struct retry_ctx *c = ctx;
	const struct dla_dag *dag = &op->dag;
	struct dla_run_info run;
	struct dla_db_result *nodes = NULL;
	struct dla_db_error err;
	bool found = false, *narrow = NULL, any = false;
	int rc;

	(void)dry_run;
	if (dla_meta_run_find(meta, op->project.name, c->run_id, c->as_of, &run, &found,
			      &err) != DLA_OK) {
		fprintf(stderr, "%s: cannot read the runs in '%s': %s\n", c->prog,
			meta->schema, err.message);
		return DLA_EXIT_UNAVAILABLE;
	}
	if (!found && c->run_id) {
		fprintf(stderr, "%s: no run '%s' in the metadata of this target\n", c->prog,
			c->run_id);
		return DLA_EXIT_USAGE;
	}
	if (!found) {
		/* the attempt we retry left no trace: do what it would have done */
		rc = select_by_text(c, op, c->selector_text, "the given selection",
				    choice->selected);
		if (rc == DLA_EXIT_OK && c->selector_text)
			choice->selector = dla_strdup(c->selector_text);
		return rc;
	}
	if (strcmp(run.status, "success") == 0) {
		choice->nothing = message("nothing to retry: run %s succeeded (as of %s)",
					  run.run_id, run.as_of[0] ? run.as_of : "?");
		dla_meta_run_info_release(&run);
		return choice->nothing ? DLA_EXIT_OK : DLA_EXIT_FAILED;
	}
	rc = select_by_text(c, op, run.selector, "that run", choice->selected);
	if (rc == DLA_EXIT_OK && c->selector_text) {
		narrow = dla_calloc(dag->n ? dag->n : 1, sizeof(*narrow));
		rc = narrow ? select_by_text(c, op, c->selector_text, "the given selection",
					     narrow)
			    : DLA_EXIT_FAILED;
		for (size_t i = 0; rc == DLA_EXIT_OK && i < dag->n; i++)
			choice->selected[i] = choice->selected[i] && narrow[i];
	}
	if (rc == DLA_EXIT_OK && dla_meta_run_nodes(meta, run.run_id, &nodes, &err) != DLA_OK) {
		fprintf(stderr, "%s: cannot read the nodes of run %s: %s\n", c->prog,
			run.run_id, err.message);
		rc = DLA_EXIT_UNAVAILABLE;
	}
	for (size_t r = 0; rc == DLA_EXIT_OK && r < nodes->n_rows; r++) {
		const char *name = dla_db_cell(nodes, r, 0), *status = dla_db_cell(nodes, r, 1);
		size_t idx = name ? dla_dag_find(dag, name) : (size_t)-1;

		if (idx < dag->n && status && strcmp(status, "success") == 0)
			choice->selected[idx] = false;
	}
	for (size_t i = 0; rc == DLA_EXIT_OK && i < dag->n; i++) {
		enum dla_node_kind kind = dag->nodes[i].kind;
		if (choice->selected[i] && kind != DLA_NODE_SOURCE && kind != DLA_NODE_EXPOSURE)
			any = true;
	}
	if (rc == DLA_EXIT_OK && !any) {
		choice->nothing = message("nothing to retry: every node of run %s%s succeeded",
					  run.run_id, c->selector_text ? " in that selection" : "");
		rc = choice->nothing ? DLA_EXIT_OK : DLA_EXIT_FAILED;
	} else if (rc == DLA_EXIT_OK) {
		snprintf(choice->retry_of, sizeof(choice->retry_of), "%s", run.run_id);
		if (run.as_of[0])
			snprintf(choice->as_of, sizeof(choice->as_of), "%s", run.as_of);
		choice->selector = selector_of(dag, choice->selected);
	}
	dla_db_result_free(nodes);
	dla_free(narrow);
	dla_meta_run_info_release(&run);
	return rc;
}

static int retry_command(int argc, char **argv, const struct dla_global_opts *g)
{
	const char *prog = "dla retry";
	struct retry_ctx ctx;
	struct dla_run_opts o;
	struct dla_optparser p;
	struct dla_open_project op;
	struct dla_buf selector = DLA_BUF_INIT;
	char as_of[32];
	const char *value;
	int id, rc;

	memset(&o, 0, sizeof(o));
	memset(&ctx, 0, sizeof(ctx));
	o.prog = prog;
	o.command = "retry";
	ctx.prog = prog;
	dla_opt_init(&p, prog, argc, argv, 1, retry_options,
		     sizeof(retry_options) / sizeof(retry_options[0]));
	while ((id = dla_opt_next(&p, &value)) != DLA_OPT_END) {
		switch (id) {
		case OPT_AS_OF:
			if (!dla_time_parse(value, as_of)) {
				rc = dla_usage_error(prog, "--as-of: '%s' is not a timestamp (use "
						     "'YYYY-MM-DD HH:MM:SS' or ISO 8601 such as "
						     "2026-01-02T03:04:05Z)", value);
				goto out;
			}
			ctx.as_of = as_of;
			o.as_of = as_of;
			break;
		case OPT_SELECT:
			dla_buf_addf(&selector, "%s--select %s", selector.len ? " " : "", value);
			break;
		case OPT_EXCLUDE:
			dla_buf_addf(&selector, "%s--exclude %s", selector.len ? " " : "", value);
			break;
		case OPT_THREADS: {
			char *end;
			long n = strtol(value, &end, 10);
			if (*end || n < 1 || n > 256) {
				rc = dla_usage_error(prog, "--threads takes a number from 1 to "
						     "256, not '%s'", value);
				goto out;
			}
			o.threads = (int)n;
			break;
		}
		case OPT_FULL_REFRESH: o.full_refresh = true; break;
		case OPT_FAIL_FAST: o.fail_fast = true; break;
		case OPT_DRY_RUN: o.dry_run = true; break;
		case OPT_LOG_FORMAT:
			if (!strcmp(value, "json"))
				o.json_log = true;
			else if (strcmp(value, "text") != 0) {
				rc = dla_usage_error(prog, "--log-format must be 'text' or "
						     "'json', not '%s'", value);
				goto out;
			}
			break;
		case DLA_OPT_ARG:
			if (ctx.run_id) {
				rc = dla_usage_error(prog, "unexpected argument '%s' (one RUN_ID "
						     "at most)", value);
				goto out;
			}
			ctx.run_id = value;
			break;
		default:
			rc = DLA_EXIT_USAGE;
			goto out;
		}
	}
	if (ctx.run_id && ctx.as_of) {
		rc = dla_usage_error(prog, "give a RUN_ID or --as-of, not both (a run's "
				     "retry keeps its as-of)");
		goto out;
	}
	if (dla_buf_failed(&selector)) {
		rc = DLA_EXIT_FAILED;
		goto out;
	}
	ctx.selector_text = selector.len ? selector.buf : NULL;
	o.selector = ctx.selector_text;
	o.chooser = choose_retry;
	o.chooser_ctx = &ctx;

	rc = dla_open_project(&op, g);
	if (rc == DLA_EXIT_OK)
		rc = dla_runner_run(&op, g, &o, NULL);
	dla_close_project(&op);
out:
	dla_buf_release(&selector);
	return rc;
}

const struct dla_command cmd_retry_entry = {
	.name = "retry",
	.summary = "re-run what failed or was skipped in a run (default: the last)",
	.usage =
	"usage: dla [--project DIR] [--target NAME] retry [RUN_ID] [options]\n"
	"\n"
	"Re-runs, as a new run recording retry_of, the nodes of an earlier run\n"
	"that did not succeed: failed, skipped, or never started.  The nodes are\n"
	"those the run's --select/--exclude select in the project now, minus the\n"
	"ones that succeeded in it; they run as of that run's as-of.\n"
	"\n"
	"Which run: RUN_ID; else with --as-of the latest run with that as-of;\n"
	"else the latest run of the project.  When none is recorded (the earlier\n"
	"attempt failed before it could record anything, e.g. the database was\n"
	"down), retry runs what `dla run` with the same --as-of, --select and\n"
	"--exclude would.  When that run succeeded, there is nothing to retry:\n"
	"it says so and exits 0.\n"
	"\n"
	"options:\n"
	"  --as-of TS          find the latest run as of TS (what an Airflow task's\n"
	"                      attempts share: {{ ts }}); without a run, run as of TS\n"
	"  -s, --select S      only retry these nodes (and select them when no run\n"
	"                      is recorded); repeatable\n"
	"  -x, --exclude S     do not retry these nodes; repeatable\n"
	"  --threads N         parallel workers (default: `threads` in dla.yml, else 4)\n"
	"  --full-refresh      rebuild facts from their source (never dimensions)\n"
	"  --fail-fast         start no new node after the first failure\n"
	"  --dry-run           print the plan and every statement; execute nothing\n"
	"  --log-format F      text (default) or json: one JSON object per line\n"
	"\n"
	"exit codes: 0 success or nothing to retry, 1 a node failed, 2 usage,\n"
	"            invalid project or unknown RUN_ID, 3 cannot connect or another\n"
	"            run holds the lock, 130 / 143 interrupted by SIGINT / SIGTERM\n",
	.run = retry_command,
};
