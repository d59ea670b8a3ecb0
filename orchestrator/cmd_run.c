/* cmd_run.c - `dla run`: load the selected nodes into the target. */
#include "alloc.h"
#include "buf.h"
#include "commands.h"
#include "diag_print.h"
#include "meta.h"
#include "project_open.h"
#include "runner.h"
#include "select.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_SELECT, OPT_EXCLUDE, OPT_THREADS, OPT_AS_OF, OPT_FULL_REFRESH,
	OPT_FAIL_FAST, OPT_DRY_RUN, OPT_LOG_FORMAT, OPT_TEST
};

static const struct dla_optspec run_options[] = {
	{ "--select", 's', true, OPT_SELECT },
	{ "--exclude", 'x', true, OPT_EXCLUDE },
	{ "--threads", 0, true, OPT_THREADS },
	{ "--as-of", 0, true, OPT_AS_OF },
	{ "--full-refresh", 0, false, OPT_FULL_REFRESH },
	{ "--fail-fast", 0, false, OPT_FAIL_FAST },
	{ "--test", 0, false, OPT_TEST },
	{ "--dry-run", 0, false, OPT_DRY_RUN },
	{ "--log-format", 0, true, OPT_LOG_FORMAT },
};

static int run_command(int argc, char **argv, const struct dla_global_opts *g)
{
	const char *prog = "dla run";
	const char **select = NULL, **exclude = NULL;
	size_t n_select = 0, n_exclude = 0;
	struct dla_run_opts o;
	struct dla_optparser p;
	struct dla_open_project op;
	struct dla_buf selector = DLA_BUF_INIT;
	char as_of[32];
	bool *selected = NULL;
	const char *value;
	int id, rc;

	memset(&o, 0, sizeof(o));
	o.prog = prog;
	o.command = "run";
	o.threads = 0;          /* the project's `threads` (default 4) */
	select = dla_calloc((size_t)argc + 1, sizeof(*select));
	exclude = dla_calloc((size_t)argc + 1, sizeof(*exclude));
	if (!select || !exclude) {
		rc = DLA_EXIT_FAILED;
		goto out_args;
	}
	dla_opt_init(&p, prog, argc, argv, 1, run_options,
		     sizeof(run_options) / sizeof(run_options[0]));
	while ((id = dla_opt_next(&p, &value)) != DLA_OPT_END) {
		switch (id) {
		case OPT_SELECT:
			select[n_select++] = value;
			dla_buf_addf(&selector, "%s--select %s", selector.len ? " " : "", value);
			break;
		case OPT_EXCLUDE:
			exclude[n_exclude++] = value;
			dla_buf_addf(&selector, "%s--exclude %s", selector.len ? " " : "", value);
			break;
		case OPT_THREADS: {
			char *end;
			long n = strtol(value, &end, 10);
			if (*end || n < 1 || n > 256) {
				rc = dla_usage_error(prog, "--threads takes a number from 1 to "
						     "256, not '%s'", value);
				goto out_args;
			}
			o.threads = (int)n;
			break;
		}
		case OPT_AS_OF:
			if (!dla_time_parse(value, as_of)) {
				rc = dla_usage_error(prog, "--as-of: '%s' is not a timestamp (use "
						     "'YYYY-MM-DD HH:MM:SS' or ISO 8601 such as "
						     "2026-01-02T03:04:05Z)", value);
				goto out_args;
			}
			o.as_of = as_of;
			break;
		case OPT_FULL_REFRESH: o.full_refresh = true; break;
		case OPT_FAIL_FAST: o.fail_fast = true; break;
		case OPT_TEST: o.run_tests = true; break;
		case OPT_DRY_RUN: o.dry_run = true; break;
		case OPT_LOG_FORMAT:
			if (!strcmp(value, "json"))
				o.json_log = true;
			else if (strcmp(value, "text") != 0) {
				rc = dla_usage_error(prog, "--log-format must be 'text' or "
						     "'json', not '%s'", value);
				goto out_args;
			}
			break;
		case DLA_OPT_ARG:
			rc = dla_usage_error(prog, "unexpected argument '%s'", value);
			goto out_args;
		default:
			rc = DLA_EXIT_USAGE;
			goto out_args;
		}
	}
	o.selector = selector.len ? selector.buf : NULL;

	rc = dla_open_project(&op, g);
	if (rc == DLA_EXIT_OK) {
		struct dla_diags diags = DLA_DIAGS_INIT;
		selected = dla_calloc(op.dag.n ? op.dag.n : 1, sizeof(*selected));
		if (!selected) {
			rc = DLA_EXIT_FAILED;
		} else if (dla_select(&op.dag, select, n_select, exclude, n_exclude, selected,
				      &diags) != DLA_OK) {
			dla_diags_print(stderr, &diags, op.project.dir);
			rc = DLA_EXIT_USAGE;
		} else {
			rc = dla_runner_run(&op, g, &o, selected);
		}
		dla_diags_release(&diags);
	}
	dla_close_project(&op);
	dla_free(selected);
out_args:
	dla_buf_release(&selector);
	dla_free(select);
	dla_free(exclude);
	return rc;
}

const struct dla_command cmd_run_entry = {
	.name = "run",
	.summary = "load the selected views, dimensions and facts into the target",
	.usage =
	"usage: dla [--project DIR] [--target NAME] run [options]\n"
	"\n"
	"Runs every selected node in dependency order, each as one transaction,\n"
	"in parallel (longest remaining path first), and records the run in the\n"
	"metadata schema.  A failed node skips what depends on it, nothing else.\n"
	"SIGINT/SIGTERM roll back the running nodes and exit 130/143.  A failed\n"
	"run is re-run with `dla retry`.  See docs/OPERATIONS.md.\n"
	"\n"
	"options:\n"
	"  -s, --select S      nodes to run (name, +name, name+, tag:T, path:P);\n"
	"                      repeatable, default all\n"
	"  -x, --exclude S     nodes not to run (same syntax); repeatable\n"
	"  --threads N         parallel workers, each with its own connection\n"
	"                      (default: `threads` in dla.yml, else 4)\n"
	"  --as-of TS          change time for rows without effective_from\n"
	"                      ('YYYY-MM-DD HH:MM:SS' or ISO 8601; default now, UTC)\n"
	"  --full-refresh      rebuild facts from their source (never dimensions)\n"
	"  --fail-fast         start no new node after the first failure (running\n"
	"                      nodes finish)\n"
	"  --test              run each dimension's and fact's data tests right after\n"
	"                      it loads; a failing error-severity test fails the\n"
	"                      node (its load stays committed; downstream is skipped)\n"
	"  --dry-run           print the plan and every statement; execute nothing\n"
	"  --log-format F      text (default) or json: one JSON object per line\n"
	"\n"
	"exit codes: 0 success, 1 a node failed, 2 usage or invalid project,\n"
	"            3 cannot connect or another run holds the lock,\n"
	"            130 / 143 interrupted by SIGINT / SIGTERM\n",
	.run = run_command,
};
