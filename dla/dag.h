/*
 * dag.h - the dependency graph of a loaded project.
 *
 * Nodes: every source, view, dimension, fact and exposure of the project.
 * Edges (dependency -> dependent):
 *   view      <- each relation it reads (sources, views, dimensions, facts)
 *   dimension <- its source (view or source), its depends_on
 *   fact      <- its source, each looked-up dimension, its depends_on
 *   exposure  <- its depends_on
 * dla_dag_build() resolves every reference (reporting unknown ones as
 * diagnostics at the reference's location), rejects cycles with a diagnostic
 * naming the whole cycle in order ("cycle: v_a -> v_b -> v_a"), and computes
 * a deterministic topological order and levels.
 *
 * Write sets (the scheduler's, schedule.h): a dimension writes its table;
 * a fact writes its table and each dimension it infers members into (a
 * lookup with `on_missing: infer` inserts rows there, in the fact's
 * transaction); sources, views and exposures write no table.  A table is
 * named by the index of the node owning it.  Write sets are not edges: the
 * order, the levels and the lineage do not see them (a fact already
 * depends on every dimension it looks up).
 *
 * Node names: sources are named by their relation ("staging.customer"),
 * everything else by its name.  Names are unique (the loader reports
 * duplicates).  Relation resolution is case-insensitive and accepts:
 *   source    schema.name
 *   view      name, views_schema.name
 *   dimension name, schema.name      (likewise facts)
 *
 * Ownership: the dag owns its arrays (freed by dla_dag_release); names,
 * files and specs point into the project, which must outlive the dag.
 */
#ifndef DLA_DAG_H
#define DLA_DAG_H

#include <stdbool.h>
#include <stddef.h>

#include "code.h"
#include "diag.h"
#include "project.h"
#include "strmap.h"

enum dla_node_kind {
	DLA_NODE_SOURCE, DLA_NODE_VIEW, DLA_NODE_DIMENSION, DLA_NODE_FACT,
	DLA_NODE_EXPOSURE
};

/* "source", "view", "dimension", "fact", "exposure". */
const char *dla_node_kind_name(enum dla_node_kind kind);

struct dla_node {
	enum dla_node_kind kind;
	const char *name;        /* unique node name (see above) */
	const char *schema;      /* schema of the relation (views: views_schema;
				    exposures: NULL) */
	const char *relation;    /* "schema.name" of the relation it creates or
				    is; NULL for exposures */
	struct dla_loc loc;      /* where it is declared */
	const struct dla_names *tags;   /* may point at an empty list */
	union {                  /* the spec, by kind */
		const struct dla_source *source;
		const struct dla_view *view;
		const struct dla_dimension *dimension;
		const struct dla_fact *fact;
		const struct dla_exposure *exposure;
	} spec;
	size_t *deps;            /* indices of nodes this one depends on,
				    sorted by name, no duplicates */
	size_t n_deps;
	size_t *dependents;      /* indices of nodes depending on this one,
				    sorted by name */
	size_t n_dependents;
	int level;               /* 0 for nodes without deps, else
				    1 + max(level of deps) */
	size_t *writes;          /* the tables a run of this node writes, as
				    the indices of the nodes owning them,
				    ascending, no duplicates (see below) */
	size_t n_writes;
};

struct dla_dag {
	struct dla_node *nodes;  /* in project order: sources, views,
				    dimensions, facts, exposures */
	size_t n;
	size_t *order;           /* topological order: by level, then name */
	struct dla_strmap by_name;      /* node name -> index (nocase) */
	struct dla_strmap by_relation;  /* every accepted relation spelling ->
					   index (nocase) */
	void *storage;           /* internal: edge arrays and key strings */
};

/*
 * Builds the DAG.  Returns DLA_OK; DLA_ERR_INVALID when a reference does not
 * resolve (diagnostics added, the DAG is built without that edge);
 * DLA_ERR_CYCLE when there is a cycle (order is then not usable); or
 * DLA_ERR_NOMEM.  On any return the caller calls dla_dag_release().
 *
 * Cycles: one diagnostic per strongly connected component, at the
 * declaration of its first node by name, listing a shortest cycle through
 * that node in dependency -> dependent order ("cycle: v_a -> v_b -> v_a":
 * v_b reads v_a, v_a reads v_b).  After DLA_ERR_CYCLE, order still lists
 * every node once: the orderable ones first, then the nodes on or
 * downstream of a cycle (level -1) by name.
 * Other errors: an unknown view reference, source, lookup dimension or
 * depends_on entry; a lookup of a non-dimension; a lookup whose `on` does
 * not map each business-key column of the dimension exactly once; two
 * nodes claiming the same schema.name relation.
 */
enum dla_code dla_dag_build(struct dla_dag *dag, const struct dla_project *p,
			    struct dla_diags *diags);
void dla_dag_release(struct dla_dag *dag);

/* Index of the node named name (case-insensitive) or of a relation
 * spelling, or (size_t)-1. */
size_t dla_dag_find(const struct dla_dag *dag, const char *name);

/* The dimension a fact lookup reads, or NULL when it does not resolve to a
 * dimension (already reported by dla_dag_build). */
const struct dla_dimension *dla_dag_lookup_dimension(const struct dla_dag *dag,
						     const struct dla_lookup *lookup);

/* The fact column a lookup fills: lookup->key, else the surrogate key of its
 * dimension; NULL when the dimension does not resolve. */
const char *dla_dag_lookup_key(const struct dla_dag *dag,
			       const struct dla_lookup *lookup);

#endif
