/*
 * project_open.c - load project + build DAG + print diagnostics, shared by
 * every command that reads a project (validate, plan, run, ...).
 */
#include "project_open.h"
#include "buf.h"
#include "diag_print.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *env_lookup(const char *name, void *ctx)
{
	(void)ctx;
	return getenv(name);
}

/* --target NAME must exist in dla.yml (the loader checks default_target). */
static void check_target(struct dla_open_project *op, const char *target)
{
	const struct dla_project *p = &op->project;
	const char *names[64];
	struct dla_buf known = DLA_BUF_INIT;
	size_t n = 0;
	const char *guess;

	if (!target || dla_project_target(p, target))
		return;
	for (size_t i = 0; i < p->n_targets && n < 64; i++)
		names[n++] = p->targets[i].name;
	guess = dla_closest_word(target, names, n);
	if (guess) {
		dla_error_at(&op->diags, "", 0, 0,
			     "unknown target '%s' (did you mean '%s'?)", target, guess);
		return;
	}
	for (size_t i = 0; i < n; i++)
		dla_buf_addf(&known, "%s'%s'", i ? ", " : "", names[i]);
	if (n == 0)
		dla_error_at(&op->diags, "", 0, 0,
			     "unknown target '%s' (dla.yml defines no targets)", target);
	else
		dla_error_at(&op->diags, "", 0, 0,
			     "unknown target '%s' (dla.yml defines %s)", target, known.buf);
	dla_buf_release(&known);
}

int dla_open_project(struct dla_open_project *op,
		     const struct dla_global_opts *opts)
{
	const char *dir = opts->project_dir ? opts->project_dir : ".";
	enum dla_code load_rc, dag_rc = DLA_OK;

	memset(op, 0, sizeof(*op));
	dla_diags_init(&op->diags);

	load_rc = dla_project_load(&op->project, dir, env_lookup, NULL, &op->diags);
	if (load_rc == DLA_OK || load_rc == DLA_ERR_INVALID) {
		check_target(op, opts->target);
		dag_rc = dla_dag_build(&op->dag, &op->project, &op->diags);
		op->dag_built = true;
	}

	dla_diags_print(stderr, &op->diags, dir);

	if (load_rc == DLA_ERR_NOMEM || dag_rc == DLA_ERR_NOMEM || op->diags.nomem) {
		if (!op->diags.nomem)    /* else the printer said so */
			fputs("dla: error: out of memory\n", stderr);
		return DLA_EXIT_FAILED;
	}
	if (dla_diags_has_errors(&op->diags))
		return DLA_EXIT_USAGE;
	if (load_rc != DLA_OK || dag_rc != DLA_OK) {
		/* a failure the library did not explain: never go on silently */
		fprintf(stderr, "dla: error: cannot open project '%s': %s\n", dir,
			dla_strerror(load_rc != DLA_OK ? load_rc : dag_rc));
		return DLA_EXIT_USAGE;
	}
	return DLA_EXIT_OK;
}

void dla_close_project(struct dla_open_project *op)
{
	if (op->dag_built)
		dla_dag_release(&op->dag);
	dla_project_release(&op->project);
	dla_diags_release(&op->diags);
	op->dag_built = false;
}
