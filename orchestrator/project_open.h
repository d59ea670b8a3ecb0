/*
 * project_open.h - what every project command does first: load the project,
 * build its DAG, print every diagnostic, decide whether to go on.
 *
 * Life cycle:
 *     struct dla_open_project op;
 *     int rc = dla_open_project(&op, opts);
 *     if (rc == DLA_EXIT_OK) { ... use op.project / op.dag ... }
 *     dla_close_project(&op);        // always, whatever rc was
 *
 * dla_open_project() loads the project from opts->project_dir (${VAR} from
 * the environment), then builds the DAG unless loading failed outright
 * (I/O error on dla.yml, out of memory), so loader and DAG errors are all
 * reported in one run.  When opts->target is set it must name a target of
 * dla.yml.  Every diagnostic is printed to stderr (diag_print.h); warnings
 * alone do not fail.
 *
 * Returns DLA_EXIT_OK; DLA_EXIT_USAGE when any error diagnostic was
 * reported (invalid project); DLA_EXIT_FAILED when memory ran out.
 * op->dag_built tells whether op->dag is usable (only guaranteed with
 * DLA_EXIT_OK).
 */
#ifndef DLA_PROJECT_OPEN_H
#define DLA_PROJECT_OPEN_H

#include <stdbool.h>

#include "command.h"
#include "dag.h"
#include "diag.h"
#include "project.h"

struct dla_open_project {
	struct dla_project project;
	struct dla_dag dag;
	struct dla_diags diags;    /* already printed; kept for callers */
	bool dag_built;
};

int dla_open_project(struct dla_open_project *op,
		     const struct dla_global_opts *opts);
void dla_close_project(struct dla_open_project *op);

#endif
