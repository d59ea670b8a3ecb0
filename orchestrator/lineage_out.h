/*
 * lineage_out.h - renders a lineage (lineage.h) for people and tools:
 *   md           Markdown: readable in a terminal and in a Git web view
 *   html         one self-contained page: the graph laid out by Graphviz
 *                (inline SVG), tables of nodes with their last load, row
 *                counts and age, source freshness, exposures, columns
 *   json         the same facts, structured (key order is fixed)
 *   dot          the graph for Graphviz
 *   openlineage  OpenLineage 2-0-2 RunEvents, one JSON object per line
 * Only nodes included by the focus (dla_lineage_focus) are shown.  md,
 * json and dot of a static lineage (no run, no warehouse data read) depend
 * on the project only: they are golden-tested on the demo project.
 */
#ifndef DLA_LINEAGE_OUT_H
#define DLA_LINEAGE_OUT_H

#include <stdio.h>

#include "lineage.h"

enum dla_lineage_format {
	DLA_LINEAGE_MD, DLA_LINEAGE_HTML, DLA_LINEAGE_JSON, DLA_LINEAGE_DOT,
	DLA_LINEAGE_OPENLINEAGE
};

struct dla_lineage_render {
	enum dla_lineage_format format;
	const char *target;          /* target name, for titles (or NULL) */
	const char *generated_at;    /* html: canonical UTC time of the report */
	bool warehouse;              /* last loads / freshness were read (html) */
	/* openlineage */
	const char *dataset_ns;      /* "postgres://host:port" ... */
	const char *dataset_prefix;  /* "dla." (database) or "" */
	const char *job_ns;          /* job namespace (default: project name) */
};

/* Writes the lineage to out.  Returns 0, or -1 with a reason in *why (a
 * static string) when it could not be rendered or written. */
int dla_lineage_write(FILE *out, const struct dla_lineage *l,
		      const struct dla_lineage_render *r, const char **why);

#endif
