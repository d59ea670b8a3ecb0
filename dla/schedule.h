/*
 * schedule.h - which node a parallel run starts next: node priorities from
 * the DAG and past durations, and the ready queue with failure
 * propagation.  Pure code: no I/O, no clock (times are the caller's
 * numbers), no threads (the runner holds its lock around every call).
 *
 * Priority (docs/OPERATIONS.md, "Scheduling"): a node's priority is the
 * length of the longest path from it to the end of the DAG, itself
 * included, where each node on the path counts its weight:
 *     priority(n) = weight(n) + max(priority(d) for d downstream of n)
 * weight(n) = the median duration of n's past successful runs; a node
 * without history weighs the median of the nodes that have one; with no
 * history at all every node weighs 1 (the longest path in nodes).  Nodes
 * that do not execute in this run (sources, exposures, unselected nodes)
 * weigh 0 but still pass the path through.  Among ready nodes the highest
 * priority starts first, ties by name (case-insensitively, then
 * byte-wise).  Starting the critical path first is the classic list
 * scheduling heuristic (HLFET): a long chain starts before short leaves.
 *
 * The queue: every DAG node is in it.  A node becomes ready when all its
 * dependencies finished successfully.  A ready node that executes
 * ("runs", e.g. a selected view/dimension/fact) waits in the ready queue
 * for dla_sched_next; a ready node that does not execute passes at once
 * (it counts as succeeded, without being reported).  When a node fails,
 * every node downstream of it (transitively, also through nodes that do
 * not execute) is skipped, naming the failed node as the cause; nothing
 * else is affected.  dla_sched_stop skips every node not started yet
 * (--fail-fast, interruption); running nodes finish normally.
 * Skipped executing nodes are queued for the caller to report, in the
 * order they were skipped (dla_sched_take_skipped).
 *
 * One writer per table: two nodes whose write sets (dag.h `writes`: a
 * load's own table, and the dimensions a fact infers members into)
 * overlap never run at once.  dla_sched_next hands out the best ready node
 * whose tables neither a running node nor a better ready node held back
 * for its tables writes; the others stay in the queue, in their order.  A
 * held node is thus never overtaken by a worse node wanting one of its
 * tables (no starvation), and the best ready node waits only for running
 * nodes, which finish: when nothing runs, it starts (no deadlock).  The
 * DAG's edges and order are untouched: a held node already had every
 * dependency done.
 *
 * Life cycle:
 *     struct dla_sched s;
 *     dla_sched_init(&s, dag, runs, priority, now);
 *     while (!dla_sched_finished(&s)) {
 *         while (dla_sched_next(&s, &node)) start node...
 *         ... dla_sched_finish(&s, node, ok, now);
 *         while (dla_sched_take_skipped(&s, &node, &cause)) report...
 *     }
 *     dla_sched_release(&s);
 * The dag, runs and priority arrays are borrowed and must outlive s.
 */
#ifndef DLA_SCHEDULE_H
#define DLA_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>

#include "code.h"
#include "dag.h"

/* The median of values[0..n) (reorders values); 0 when n is 0. */
double dla_median(double *values, size_t n);

/*
 * weight[i] for the n DAG nodes: history[i] is the median of node i's past
 * durations in seconds, or negative when it has none; runs[i] says
 * whether node i executes in this run.  See the top of this file.
 */
void dla_schedule_weights(size_t n, const bool *runs, const double *history,
			  double *weight);

/* priority[i] of every node of dag from weight[] (see the top). */
void dla_schedule_priorities(const struct dla_dag *dag, const double *weight,
			     double *priority);

/* The cause of a node skipped by dla_sched_stop (no failed upstream). */
#define DLA_SCHED_STOPPED ((size_t)-1)

enum dla_sched_state {
	DLA_SCHED_WAITING,     /* a dependency has not finished */
	DLA_SCHED_READY,       /* in the ready queue */
	DLA_SCHED_RUNNING,     /* handed out by dla_sched_next */
	DLA_SCHED_SUCCEEDED,
	DLA_SCHED_FAILED,
	DLA_SCHED_SKIPPED,
};

struct dla_sched {
	const struct dla_dag *dag;
	const bool *runs;            /* [dag->n] executes in this run */
	const double *priority;      /* [dag->n] */
	enum dla_sched_state *state; /* [dag->n] */
	size_t *waiting_on;          /* [dag->n] unfinished dependencies */
	size_t *cause;               /* [dag->n] SKIPPED: the failed node, or
					DLA_SCHED_STOPPED */
	double *ready_at;            /* [dag->n] the caller's time it became
					ready (READY and later) */
	size_t *heap, n_heap;        /* the ready queue, best first */
	size_t *skipped, n_skipped, skipped_taken;   /* executing nodes skipped */
	size_t *work;                /* internal stack */
	size_t *writers;             /* [dag->n] running nodes writing node i's
					table (0 or 1) */
	bool *claimed;               /* [dag->n] dla_sched_next: tables of the
					better ready nodes it held back */
	size_t *held;                /* dla_sched_next: ready nodes held back */
	size_t left;                 /* executing nodes not finished or skipped */
	size_t running;              /* executing nodes handed out, not finished */
	bool stopped;
};

/* Every node with no dependency is ready at time now.  DLA_OK or
 * DLA_ERR_NOMEM (then s holds nothing; dla_sched_release is still fine). */
enum dla_code dla_sched_init(struct dla_sched *s, const struct dla_dag *dag,
			     const bool *runs, const double *priority, double now);
void dla_sched_release(struct dla_sched *s);

/* Takes the best ready node that may start (marks it RUNNING; its tables
 * are written until dla_sched_finish).  false when none is ready (all
 * running or waiting, stopped, or finished) or every ready node wants a
 * table a running node writes. */
bool dla_sched_next(struct dla_sched *s, size_t *node);

/* The RUNNING node finished: ok releases its dependents (ready at now),
 * !ok skips everything downstream of it.  Other nodes are ignored. */
void dla_sched_finish(struct dla_sched *s, size_t node, bool ok, double now);

/* Skips every executing node not started yet (cause DLA_SCHED_STOPPED);
 * dla_sched_next returns false from now on. */
void dla_sched_stop(struct dla_sched *s);

/* The next skipped executing node not yet taken, and its cause. */
bool dla_sched_take_skipped(struct dla_sched *s, size_t *node, size_t *cause);

/* True when every executing node succeeded, failed or was skipped. */
bool dla_sched_finished(const struct dla_sched *s);

#endif
