/*
 * schedule.c - node priorities (longest weighted path to the end of the
 * DAG) and the ready queue of a parallel run, with failure propagation and
 * one writer per table (schedule.h).
 */
#include "schedule.h"
#include "alloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double dla_median(double *values, size_t n)
{
	if (n == 0)
		return 0;
	qsort(values, n, sizeof(*values), compare_double);
	if (n % 2)
		return values[n / 2];
	return (values[n / 2 - 1] + values[n / 2]) / 2;
}

void dla_schedule_weights(size_t n, const bool *runs, const double *history,
			  double *weight)
{
	double *known = n ? dla_calloc(n, sizeof(*known)) : NULL;
	double fallback = 1;
	size_t n_known = 0;

	for (size_t i = 0; i < n; i++)
		if (history[i] >= 0 && known)
			known[n_known++] = history[i];
	if (n_known)
		fallback = dla_median(known, n_known);
	dla_free(known);
	for (size_t i = 0; i < n; i++) {
		if (!runs[i])
			weight[i] = 0;
		else if (n_known && history[i] >= 0)
			weight[i] = history[i];
		else
			weight[i] = fallback;
	}
}

void dla_schedule_priorities(const struct dla_dag *dag, const double *weight,
			     double *priority)
{
	/* reverse topological order: every dependent is done before its deps */
	for (size_t k = dag->n; k-- > 0;) {
		size_t i = dag->order[k];
		const struct dla_node *node = &dag->nodes[i];
		double longest = 0;

		for (size_t j = 0; j < node->n_dependents; j++)
			if (priority[node->dependents[j]] > longest)
				longest = priority[node->dependents[j]];
		priority[i] = weight[i] + longest;
	}
}

/* ---- the ready queue: a binary heap, best node on top ---------------- */

/* True when node a should start before node b. */
static bool better(const struct dla_sched *s, size_t a, size_t b)
{
	int c;

	if (s->priority[a] != s->priority[b])
		return s->priority[a] > s->priority[b];
	c = strcasecmp(s->dag->nodes[a].name, s->dag->nodes[b].name);
	if (c == 0)
		c = strcmp(s->dag->nodes[a].name, s->dag->nodes[b].name);
	return c != 0 ? c < 0 : a < b;
}

static void heap_push(struct dla_sched *s, size_t node)
{
	size_t i = s->n_heap++;

	s->heap[i] = node;
	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!better(s, s->heap[i], s->heap[parent]))
			break;
		s->heap[i] = s->heap[parent];
		s->heap[parent] = node;
		i = parent;
	}
}

static size_t heap_pop(struct dla_sched *s)
{
	size_t top = s->heap[0], i = 0;

	s->heap[0] = s->heap[--s->n_heap];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, best = i, tmp;

		if (l < s->n_heap && better(s, s->heap[l], s->heap[best]))
			best = l;
		if (r < s->n_heap && better(s, s->heap[r], s->heap[best]))
			best = r;
		if (best == i)
			break;
		tmp = s->heap[i];
		s->heap[i] = s->heap[best];
		s->heap[best] = tmp;
		i = best;
	}
	return top;
}

/* ---- state changes ---------------------------------------------------- */

static void skip(struct dla_sched *s, size_t node, size_t cause)
{
	s->state[node] = DLA_SCHED_SKIPPED;
	s->cause[node] = cause;
	if (s->runs[node]) {
		s->skipped[s->n_skipped++] = node;
		s->left--;
	}
}

/* node's dependencies all succeeded: queue it, or pass it (and whatever
 * it releases in turn) when it does not execute. */
static void make_ready(struct dla_sched *s, size_t node, double now)
{
	size_t top = 0;

	s->work[top++] = node;
	while (top > 0) {
		size_t i = s->work[--top];
		const struct dla_node *n = &s->dag->nodes[i];

		s->ready_at[i] = now;
		if (s->runs[i]) {
			s->state[i] = DLA_SCHED_READY;
			heap_push(s, i);
			continue;
		}
		s->state[i] = DLA_SCHED_SUCCEEDED;
		for (size_t j = 0; j < n->n_dependents; j++) {
			size_t d = n->dependents[j];

			if (s->state[d] == DLA_SCHED_WAITING && --s->waiting_on[d] == 0)
				s->work[top++] = d;
		}
	}
}

/* Skips everything downstream of failed (not failed itself). */
static void skip_downstream(struct dla_sched *s, size_t failed)
{
	size_t top = 0;

	s->work[top++] = failed;
	while (top > 0) {
		const struct dla_node *n = &s->dag->nodes[s->work[--top]];

		for (size_t j = 0; j < n->n_dependents; j++) {
			size_t d = n->dependents[j];

			if (s->state[d] != DLA_SCHED_WAITING)
				continue;     /* already skipped by another path */
			skip(s, d, failed);
			s->work[top++] = d;
		}
	}
}

enum dla_code dla_sched_init(struct dla_sched *s, const struct dla_dag *dag,
			     const bool *runs, const double *priority, double now)
{
	size_t n = dag->n ? dag->n : 1;

	memset(s, 0, sizeof(*s));
	s->dag = dag;
	s->runs = runs;
	s->priority = priority;
	s->state = dla_calloc(n, sizeof(*s->state));
	s->waiting_on = dla_calloc(n, sizeof(*s->waiting_on));
	s->cause = dla_calloc(n, sizeof(*s->cause));
	s->ready_at = dla_calloc(n, sizeof(*s->ready_at));
	s->heap = dla_calloc(n, sizeof(*s->heap));
	s->skipped = dla_calloc(n, sizeof(*s->skipped));
	s->work = dla_calloc(n, sizeof(*s->work));
	s->writers = dla_calloc(n, sizeof(*s->writers));
	s->claimed = dla_calloc(n, sizeof(*s->claimed));
	s->held = dla_calloc(n, sizeof(*s->held));
	if (!s->state || !s->waiting_on || !s->cause || !s->ready_at || !s->heap ||
	    !s->skipped || !s->work || !s->writers || !s->claimed || !s->held) {
		dla_sched_release(s);
		return DLA_ERR_NOMEM;
	}
	for (size_t i = 0; i < dag->n; i++) {
		s->state[i] = DLA_SCHED_WAITING;
		s->waiting_on[i] = dag->nodes[i].n_deps;
		if (runs[i])
			s->left++;
	}
	for (size_t k = 0; k < dag->n; k++) {
		size_t i = dag->order[k];

		if (s->state[i] == DLA_SCHED_WAITING && s->waiting_on[i] == 0)
			make_ready(s, i, now);
	}
	return DLA_OK;
}

void dla_sched_release(struct dla_sched *s)
{
	dla_free(s->state);
	dla_free(s->waiting_on);
	dla_free(s->cause);
	dla_free(s->ready_at);
	dla_free(s->heap);
	dla_free(s->skipped);
	dla_free(s->work);
	dla_free(s->writers);
	dla_free(s->claimed);
	dla_free(s->held);
	memset(s, 0, sizeof(*s));
}

/* ---- one writer per table ---------------------------------------------- */

/* True when a table of node is written by a running node or claimed by a
 * better ready node held back. */
static bool must_wait(const struct dla_sched *s, size_t node)
{
	const struct dla_node *n = &s->dag->nodes[node];

	for (size_t k = 0; k < n->n_writes; k++)
		if (s->writers[n->writes[k]] || s->claimed[n->writes[k]])
			return true;
	return false;
}

static void claim(struct dla_sched *s, size_t node, bool on)
{
	const struct dla_node *n = &s->dag->nodes[node];

	for (size_t k = 0; k < n->n_writes; k++)
		s->claimed[n->writes[k]] = on;
}

static void write_tables(struct dla_sched *s, size_t node, bool start)
{
	const struct dla_node *n = &s->dag->nodes[node];

	for (size_t k = 0; k < n->n_writes; k++) {
		if (start)
			s->writers[n->writes[k]]++;
		else
			s->writers[n->writes[k]]--;
	}
}

/* Ready nodes in priority order until one may start; the ones held back
 * claim their tables on the way (a worse node wanting them waits too) and
 * go back into the queue. */
bool dla_sched_next(struct dla_sched *s, size_t *node)
{
	size_t n_held = 0;
	bool found = false;

	if (s->stopped)
		return false;
	while (s->n_heap > 0) {
		size_t c = heap_pop(s);

		if (!must_wait(s, c)) {
			*node = c;
			found = true;
			break;
		}
		claim(s, c, true);
		s->held[n_held++] = c;
	}
	for (size_t i = 0; i < n_held; i++) {
		claim(s, s->held[i], false);
		heap_push(s, s->held[i]);
	}
	if (!found)
		return false;
	s->state[*node] = DLA_SCHED_RUNNING;
	s->running++;
	write_tables(s, *node, true);
	return true;
}

void dla_sched_finish(struct dla_sched *s, size_t node, bool ok, double now)
{
	const struct dla_node *n;

	if (node >= s->dag->n || s->state[node] != DLA_SCHED_RUNNING)
		return;
	n = &s->dag->nodes[node];
	s->running--;
	s->left--;
	write_tables(s, node, false);
	if (!ok) {
		s->state[node] = DLA_SCHED_FAILED;
		skip_downstream(s, node);
		return;
	}
	s->state[node] = DLA_SCHED_SUCCEEDED;
	for (size_t j = 0; j < n->n_dependents; j++) {
		size_t d = n->dependents[j];

		if (s->state[d] == DLA_SCHED_WAITING && --s->waiting_on[d] == 0) {
			if (s->stopped)
				skip(s, d, DLA_SCHED_STOPPED);
			else
				make_ready(s, d, now);
		}
	}
}

void dla_sched_stop(struct dla_sched *s)
{
	if (s->stopped)
		return;
	s->stopped = true;
	s->n_heap = 0;
	for (size_t k = 0; k < s->dag->n; k++) {
		size_t i = s->dag->order[k];

		if (s->state[i] == DLA_SCHED_WAITING || s->state[i] == DLA_SCHED_READY)
			skip(s, i, DLA_SCHED_STOPPED);
	}
}

bool dla_sched_take_skipped(struct dla_sched *s, size_t *node, size_t *cause)
{
	if (s->skipped_taken >= s->n_skipped)
		return false;
	*node = s->skipped[s->skipped_taken++];
	*cause = s->cause[*node];
	return true;
}

bool dla_sched_finished(const struct dla_sched *s)
{
	return s->left == 0;
}
