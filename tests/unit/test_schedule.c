/* test_schedule.c - scheduling (schedule.h): medians, duration weights,
 * longest-path priorities, the ready queue order, failure containment,
 * stop (--fail-fast / interrupt), nodes that do not execute, one writer
 * per table, allocation failures.  DAGs are built by hand from edge lists
 * and write lists (only the fields the scheduler reads). */
#include "test_util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "dag.h"
#include "schedule.h"

#define MAXN 64

struct graph {
	struct dla_dag dag;
	struct dla_node nodes[MAXN];
	size_t order[MAXN];
	size_t deps[MAXN][MAXN], dependents[MAXN][MAXN], writes[MAXN][MAXN];
	char names[MAXN][16];
	bool runs[MAXN];
	double weight[MAXN], priority[MAXN], history[MAXN];
};

static size_t find(const struct graph *g, const char *name)
{
	for (size_t i = 0; i < g->dag.n; i++)
		if (strcmp(g->names[i], name) == 0)
			return i;
	fail_msg("no node %s", name);
	return 0;
}

/* nodes: "a b c"; edges: "a>b b>c" (a is a dependency of b).  Every node
 * executes unless listed in idle. */
static struct graph *graph_new(const char *nodes, const char *edges, const char *idle)
{
	struct graph *g = calloc(1, sizeof(*g));
	char buf[1024], *tok, *save;
	size_t level[MAXN] = { 0 }, k = 0;

	assert_non_null(g);
	snprintf(buf, sizeof(buf), "%s", nodes);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		size_t i = g->dag.n++;
		snprintf(g->names[i], sizeof(g->names[i]), "%s", tok);
		g->nodes[i].name = g->names[i];
		g->nodes[i].kind = DLA_NODE_VIEW;
		g->nodes[i].deps = g->deps[i];
		g->nodes[i].dependents = g->dependents[i];
		g->runs[i] = true;
		g->history[i] = -1;
	}
	g->dag.nodes = g->nodes;
	g->dag.order = g->order;
	snprintf(buf, sizeof(buf), "%s", edges);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *gt = strchr(tok, '>');
		size_t from, to;
		assert_non_null(gt);
		*gt = '\0';
		from = find(g, tok);
		to = find(g, gt + 1);
		g->nodes[to].deps[g->nodes[to].n_deps++] = from;
		g->nodes[from].dependents[g->nodes[from].n_dependents++] = to;
	}
	if (idle) {
		snprintf(buf, sizeof(buf), "%s", idle);
		for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
			g->runs[find(g, tok)] = false;
	}
	/* levels by relaxation (edge lists are tiny), then order by level */
	for (size_t pass = 0; pass < g->dag.n; pass++)
		for (size_t i = 0; i < g->dag.n; i++)
			for (size_t d = 0; d < g->nodes[i].n_deps; d++)
				if (level[g->nodes[i].deps[d]] + 1 > level[i])
					level[i] = level[g->nodes[i].deps[d]] + 1;
	for (size_t l = 0; l <= g->dag.n; l++)
		for (size_t i = 0; i < g->dag.n; i++)
			if (level[i] == l)
				g->order[k++] = i;
	assert_int_equal(k, g->dag.n);
	return g;
}

/* writes: "fa:fa,dim fb:fb,dim": node fa writes the tables of nodes fa and
 * dim (dag.h write sets; listed in any order, kept ascending). */
static void set_writes(struct graph *g, const char *writes)
{
	char buf[1024], *tok, *save;

	snprintf(buf, sizeof(buf), "%s", writes);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *colon = strchr(tok, ':'), *t, *save2;
		struct dla_node *n;

		assert_non_null(colon);
		*colon = '\0';
		n = &g->nodes[find(g, tok)];
		n->writes = g->writes[find(g, tok)];
		for (t = strtok_r(colon + 1, ",", &save2); t; t = strtok_r(NULL, ",", &save2)) {
			size_t k = n->n_writes++, table = find(g, t);

			while (k > 0 && n->writes[k - 1] > table) {
				n->writes[k] = n->writes[k - 1];
				k--;
			}
			n->writes[k] = table;
		}
	}
}

static void plan(struct graph *g)
{
	dla_schedule_weights(g->dag.n, g->runs, g->history, g->weight);
	dla_schedule_priorities(&g->dag, g->weight, g->priority);
}

static const char *name_of(const struct graph *g, size_t i)
{
	return g->names[i];
}

/* Starts every ready node; their names space-separated in out. */
static void start_all(struct dla_sched *s, const struct graph *g, char *out, size_t cap)
{
	size_t node;

	out[0] = '\0';
	while (dla_sched_next(s, &node)) {
		size_t len = strlen(out);
		snprintf(out + len, cap - len, "%s%s", len ? " " : "", name_of(g, node));
	}
}

/* Takes every skipped node as "name<cause" (cause "-" when stopped). */
static void take_skipped(struct dla_sched *s, const struct graph *g, char *out, size_t cap)
{
	size_t node, cause;

	out[0] = '\0';
	while (dla_sched_take_skipped(s, &node, &cause)) {
		size_t len = strlen(out);
		snprintf(out + len, cap - len, "%s%s<%s", len ? " " : "", name_of(g, node),
			 cause == DLA_SCHED_STOPPED ? "-" : name_of(g, cause));
	}
}

/* ---- medians and weights ------------------------------------------- */

static void test_median(void **state)
{
	double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 }, one[] = { 7 };

	(void)state;
	assert_true(dla_median(odd, 3) == 3);
	assert_true(dla_median(even, 4) == 2.5);
	assert_true(dla_median(one, 1) == 7);
	assert_true(dla_median(NULL, 0) == 0);
}

static void test_weights_without_history(void **state)
{
	struct graph *g = graph_new("src a b", "src>a a>b", "src");

	(void)state;
	plan(g);
	assert_true(g->weight[find(g, "src")] == 0);
	assert_true(g->weight[find(g, "a")] == 1);
	assert_true(g->weight[find(g, "b")] == 1);
	assert_true(g->priority[find(g, "src")] == 2);
	assert_true(g->priority[find(g, "a")] == 2);
	free(g);
}

static void test_weights_unknown_get_median_of_known(void **state)
{
	struct graph *g = graph_new("a b c d", "", NULL);

	(void)state;
	g->history[find(g, "a")] = 2;
	g->history[find(g, "b")] = 10;
	g->history[find(g, "c")] = 4;
	plan(g);
	assert_true(g->weight[find(g, "a")] == 2);
	assert_true(g->weight[find(g, "b")] == 10);
	assert_true(g->weight[find(g, "d")] == 4);   /* median of 2, 4, 10 */
	free(g);
}

static void test_zero_history_is_known(void **state)
{
	struct graph *g = graph_new("a b", "", NULL);

	(void)state;
	g->history[find(g, "a")] = 0;
	plan(g);
	assert_true(g->weight[find(g, "a")] == 0);
	assert_true(g->weight[find(g, "b")] == 0);
	free(g);
}

/* ---- priorities and order ------------------------------------------- */

static void test_long_chain_starts_before_short_leaves(void **state)
{
	/* c1 > c2 > c3 > c4 is the critical path; a_leaf..d_leaf sort before
	 * it by name and would start first in name order */
	struct graph *g = graph_new("a_leaf b_leaf c1 c2 c3 c4 d_leaf",
				    "c1>c2 c2>c3 c3>c4", NULL);
	struct dla_sched s;
	size_t node;

	(void)state;
	plan(g);
	assert_true(g->priority[find(g, "c1")] == 4);
	assert_true(g->priority[find(g, "a_leaf")] == 1);
	assert_int_equal(dla_sched_init(&s, &g->dag, g->runs, g->priority, 0), DLA_OK);
	assert_true(dla_sched_next(&s, &node));
	assert_string_equal(name_of(g, node), "c1");
	assert_true(dla_sched_next(&s, &node));
	assert_string_equal(name_of(g, node), "a_leaf");   /* ties by name */
	assert_true(dla_sched_next(&s, &node));
	assert_string_equal(name_of(g, node), "b_leaf");
	dla_sched_release(&s);
	free(g);
}

static void test_durations_outweigh_node_count(void **state)
{
	/* the chain is three fast nodes; the leaf usually takes a minute */
	struct graph *g = graph_new("a b c slow", "a>b b>c", NULL);
	struct dla_sched s;
	char started[256];

	(void)state;
	g->history[find(g, "a")] = 1;
	g->history[find(g, "b")] = 1;
	g->history[find(g, "c")] = 1;
	g->history[find(g, "slow")] = 60;
	plan(g);
	assert_int_equal(dla_sched_init(&s, &g->dag, g->runs, g->priority, 0), DLA_OK);
	start_all(&s, g, started, sizeof(started));
	assert_string_equal(started, "slow a");
	dla_sched_release(&s);
	free(g);
}

static void test_ties_by_name_case_insensitive(void **state)
{
	struct graph *g = graph_new("b A c", "", NULL);
	struct dla_sched s;
	char started[256];

	(void)state;
	plan(g);
	assert_int_equal(dla_sched_init(&s, &g->dag, g->runs, g->priority, 0), DLA_OK);
	start_all(&s, g, started, sizeof(started));
	assert_string_equal(started, "A b c");
	dla_sched_release(&s);
	free(g);
}

static void test_dependents_wait_for_every_dependency(void **state)
{
	struct graph *g = graph_new("a b c", "a>c b>c", NULL);
	struct dla_sched s;
	char started[256];

	(void)state;
	plan(g);
	assert_int_equal(dla_sched_init(&s, &g->dag, g->runs, g->priority, 10), DLA_OK);
	start_all(&s, g, started, sizeof(started));
	assert_string_equal(started, "a b");
	dla_sched_finish(&s, find(g, "a"), true, 11);
	start_all(&s, g, started, sizeof(started));
	assert_string_equal(started, "");
	dla_sched_finish(&s, find(g, "b"), true, 12);
	assert_true(s.ready_at[find(g, "c")] == 12);
	assert_true(s.ready_at[find(g, "a")] == 10);
	start_all(&s, g, started, sizeof(started));
	assert_string_equal(started, "c");
	assert_false(dla_sched_finished(&s));
	dla_sched_finish(&s, find(g, "c"), true, 13);
	assert_true(dla_sched_finished(&s));
	dla_sched_release(&s);
	free(g);
}

/* ---- failures --------------------------------------------------------- */

static void test_failure_skips_downstream_only(void **state)
{
	/* v fails: d (reads v), f (reads d and e) and x (reads f) are skipped;
	 * e, its sibling, and e2 after it still run */
	struct graph *g = graph_new("v e d f x e2", "v>d d>f e>f f>x e>e2", NULL);
	struct dla_sched s;
	char started[256], skipped[256];

	(void)state;
	plan(g);
	assert_int_equal(dla_sched_init(&s, &g->dag, g->runs, g->priority, 0), DLA_OK);
	start_all(&s, g, started, sizeof(started));
	assert_string_equal(started, "v e");
	dla_sched_finish(&s, find(g, "v"), false, 1);
	take_skipped(&s, g, skipped, sizeof(skipped));
	assert_string_equal(skipped, "d<v f<v x<v");
	assert_int_equal(s.state[find(g, "v")], DLA_SCHED_FAILED);
	dla_sched_finish(&s, find(g, "e"), true, 2);
	start_all(&s, g, started, sizeof(started));
	assert_string_equal(started, "e2");
	take_skipped(&s, g, skipped, sizeof(skipped));
	assert_string_equal(skipped, "");
	assert_false(dla_sched_finished(&s));
	dla_sched_finish(&s, find(g, "e2"), true, 3);
	assert_true(dla_sched_finished(&s));
	dla_sched_release(&s);
	free(g);
}

static void test_two_failures_skip_a_node_once(void **state)
{
	struct graph *g = graph_new("a b c", "a>c b>c", NULL);
	struct dla_sched s;
	char started[256], skipped[256];

	(void)state;
	plan(g);
	assert_int_equal(dla_sched_init(&s, &g->dag, g->runs, g->priority, 0), DLA_OK);
	start_all(&s, g, started, sizeof(started));
	dla_sched_finish(&s, find(g, "b"), false, 1);
	dla_sched_finish(&s, find(g, "a"), false, 2);
	take_skipped(&s, g, skipped, sizeof(skipped));
	assert_string_equal(skipped, "c<b");
	assert_true(dla_sched_finished(&s));
	dla_sched_release(&s);
	free(g);
}

static void test_idle_nodes_pass_through(void **state)
{
	/* src and the unselected mid do not execute: v is ready at once, c
	 * waits for a through mid, and a's failure reaches c through mid */
	struct graph *g = graph_new("src v a mid c", "src>v a>mid mid>c", "src mid");
	struct dla_sched s;
	char started[256], skipped[256];

	(void)state;
	plan(g);
	assert_true(g->priority[find(g, "a")] == 2);
	assert_int_equal(dla_sched_init(&s, &g->dag, g->runs, g->priority, 0), DLA_OK);
	start_all(&s, g, started, sizeof(started));
	assert_string_equal(started, "a v");
	dla_sched_finish(&s, find(g, "a"), false, 1);
	take_skipped(&s, g, skipped, sizeof(skipped));
	assert_string_equal(skipped, "c<a");
	dla_sched_finish(&s, find(g, "v"), true, 1);
	assert_true(dla_sched_finished(&s));
	/* a node nobody handed out is ignored */
	dla_sched_finish(&s, find(g, "c"), true, 2);
	dla_sched_finish(&s, 999, true, 2);
	assert_true(dla_sched_finished(&s));
	dla_sched_release(&s);
	free(g);
}

static void test_idle_chain_releases_at_once(void **state)
{
	struct graph *g = graph_new("a m1 m2 b", "a>m1 m1>m2 m2>b", "m1 m2");
	struct dla_sched s;
	char started[256];

	(void)state;
	plan(g);
	assert_int_equal(dla_sched_init(&s, &g->dag, g->runs, g->priority, 0), DLA_OK);
	start_all(&s, g, started, sizeof(started));
	assert_string_equal(started, "a");
	dla_sched_finish(&s, find(g, "a"), true, 5);
	start_all(&s, g, started, sizeof(started));
	assert_string_equal(started, "b");
	assert_true(s.ready_at[find(g, "b")] == 5);
	dla_sched_release(&s);
	free(g);
}

static void test_stop_skips_what_did_not_start(void **state)
{
	struct graph *g = graph_new("a b c d e", "a>c b>d", NULL);
	struct dla_sched s;
	size_t x, y;
	char skipped[256], started[256];

	(void)state;
	plan(g);
	assert_int_equal(dla_sched_init(&s, &g->dag, g->runs, g->priority, 0), DLA_OK);
	assert_true(dla_sched_next(&s, &x));      /* a */
	assert_true(dla_sched_next(&s, &y));      /* b */
	assert_string_equal(name_of(g, x), "a");
	assert_string_equal(name_of(g, y), "b");
	dla_sched_finish(&s, x, false, 1);        /* --fail-fast */
	dla_sched_stop(&s);
	dla_sched_stop(&s);                       /* twice is fine */
	take_skipped(&s, g, skipped, sizeof(skipped));
	assert_string_equal(skipped, "c<a e<- d<-");
	start_all(&s, g, started, sizeof(started));
	assert_string_equal(started, "");
	assert_false(dla_sched_finished(&s));     /* b still runs */
	dla_sched_finish(&s, y, true, 2);
	assert_int_equal(s.state[find(g, "d")], DLA_SCHED_SKIPPED);
	assert_true(dla_sched_finished(&s));
	dla_sched_release(&s);
	free(g);
}

static void test_empty_and_idle_only(void **state)
{
	struct graph *g = graph_new("s1 s2", "s1>s2", "s1 s2");
	struct dla_sched s;
	size_t node;

	(void)state;
	plan(g);
	assert_int_equal(dla_sched_init(&s, &g->dag, g->runs, g->priority, 0), DLA_OK);
	assert_true(dla_sched_finished(&s));
	assert_false(dla_sched_next(&s, &node));
	dla_sched_release(&s);
	dla_sched_release(&s);                    /* released twice is fine */
	free(g);
}

static void test_wide_dag_order(void **state)
{
	/* 40 leaves and a chain of 10: the chain head first, then leaves by
	 * name; the heap hands out every node exactly once */
	char nodes[1024] = "", edges[1024] = "", started[2048];
	struct graph *g;
	struct dla_sched s;
	size_t node, count = 0;

	(void)state;
	for (int i = 0; i < 40; i++) {
		size_t len = strlen(nodes);
		snprintf(nodes + len, sizeof(nodes) - len, "leaf%02d ", 39 - i);
	}
	for (int i = 0; i < 10; i++) {
		size_t len = strlen(nodes);
		snprintf(nodes + len, sizeof(nodes) - len, "z%d ", i);
		if (i) {
			len = strlen(edges);
			snprintf(edges + len, sizeof(edges) - len, "z%d>z%d ", i - 1, i);
		}
	}
	g = graph_new(nodes, edges, NULL);
	plan(g);
	assert_int_equal(dla_sched_init(&s, &g->dag, g->runs, g->priority, 0), DLA_OK);
	assert_true(dla_sched_next(&s, &node));
	assert_string_equal(name_of(g, node), "z0");
	start_all(&s, g, started, sizeof(started));
	assert_int_equal(strncmp(started, "leaf00 leaf01 leaf02", 20), 0);
	assert_non_null(strstr(started, "leaf38 leaf39"));
	for (size_t i = 0; i < g->dag.n; i++)
		if (s.state[i] == DLA_SCHED_RUNNING) {
			dla_sched_finish(&s, i, true, 1);
			count++;
		}
	assert_int_equal(count, 41);
	while (dla_sched_next(&s, &node)) {
		dla_sched_finish(&s, node, true, 2);
		count++;
	}
	assert_int_equal(count, 50);
	assert_true(dla_sched_finished(&s));
	dla_sched_release(&s);
	free(g);
}

/* ---- one writer per table ------------------------------------------- */

static void test_writers_of_one_dimension_take_turns(void **state)
{
	/* fa and fb infer members into dim (the DAG orders them after it);
	 * x writes its own table: it runs beside either */
	struct graph *g = graph_new("dim fa fb x", "dim>fa dim>fb", NULL);
	struct dla_sched s;
	char started[256];

	(void)state;
	set_writes(g, "dim:dim fa:fa,dim fb:fb,dim x:x");
	plan(g);
	assert_int_equal(dla_sched_init(&s, &g->dag, g->runs, g->priority, 0), DLA_OK);
	start_all(&s, g, started, sizeof(started));
	assert_string_equal(started, "dim x");
	dla_sched_finish(&s, find(g, "dim"), true, 1);
	start_all(&s, g, started, sizeof(started));
	assert_string_equal(started, "fa");              /* fb waits for dim */
	assert_int_equal(s.state[find(g, "fb")], DLA_SCHED_READY);
	assert_true(s.ready_at[find(g, "fb")] == 1);
	dla_sched_finish(&s, find(g, "x"), true, 2);
	start_all(&s, g, started, sizeof(started));
	assert_string_equal(started, "");
	dla_sched_finish(&s, find(g, "fa"), true, 3);
	start_all(&s, g, started, sizeof(started));
	assert_string_equal(started, "fb");
	dla_sched_finish(&s, find(g, "fb"), true, 4);
	assert_true(dla_sched_finished(&s));
	/* the write sets added no dependency */
	assert_int_equal(g->nodes[find(g, "fb")].n_deps, 1);
	dla_sched_release(&s);
	free(g);
}

static void test_failed_writer_releases_its_tables(void **state)
{
	struct graph *g = graph_new("dim fa fb after_a", "dim>fa dim>fb fa>after_a", "dim");
	struct dla_sched s;
	char started[256], skipped[256];

	(void)state;
	set_writes(g, "fa:fa,dim fb:fb,dim");
	plan(g);
	assert_int_equal(dla_sched_init(&s, &g->dag, g->runs, g->priority, 0), DLA_OK);
	start_all(&s, g, started, sizeof(started));
	assert_string_equal(started, "fa");
	dla_sched_finish(&s, find(g, "fa"), false, 1);
	take_skipped(&s, g, skipped, sizeof(skipped));
	assert_string_equal(skipped, "after_a<fa");
	start_all(&s, g, started, sizeof(started));
	assert_string_equal(started, "fb");
	dla_sched_finish(&s, find(g, "fb"), true, 2);
	assert_true(dla_sched_finished(&s));
	dla_sched_release(&s);
	free(g);
}

static void test_held_writer_is_not_overtaken(void **state)
{
	/* b (priority 10) writes t1; a (5) writes t1 and t2; c (1) writes t2.
	 * While b runs, a waits for t1, and c, worse than a, waits behind it
	 * for t2 instead of delaying a again; y writes nothing shared */
	struct graph *g = graph_new("a b c y t1 t2", "", "t1 t2");
	struct dla_sched s;
	char started[256];

	(void)state;
	set_writes(g, "a:a,t1,t2 b:b,t1 c:c,t2 y:y");
	g->history[find(g, "b")] = 10;
	g->history[find(g, "a")] = 5;
	g->history[find(g, "y")] = 2;
	g->history[find(g, "c")] = 1;
	plan(g);
	assert_int_equal(dla_sched_init(&s, &g->dag, g->runs, g->priority, 0), DLA_OK);
	start_all(&s, g, started, sizeof(started));
	assert_string_equal(started, "b y");
	dla_sched_finish(&s, find(g, "y"), true, 1);
	start_all(&s, g, started, sizeof(started));
	assert_string_equal(started, "");
	dla_sched_finish(&s, find(g, "b"), true, 2);
	start_all(&s, g, started, sizeof(started));
	assert_string_equal(started, "a");
	dla_sched_finish(&s, find(g, "a"), true, 3);
	start_all(&s, g, started, sizeof(started));
	assert_string_equal(started, "c");
	dla_sched_finish(&s, find(g, "c"), true, 4);
	assert_true(dla_sched_finished(&s));
	dla_sched_release(&s);
	free(g);
}

static void test_many_writers_of_one_table(void **state)
{
	/* 30 facts inferring into one dimension, 10 other loads: at most one
	 * of the 30 runs at a time, every node runs once, in priority order
	 * among the writers, and the run never stalls with nodes ready but
	 * none running */
	char nodes[1024] = "dim ", writes[2048] = "", edges[1024] = "";
	struct graph *g;
	struct dla_sched s;
	size_t running[MAXN], n_running = 0, done = 0, node, last_f = 0;
	bool seen_f = false;

	(void)state;
	for (int i = 0; i < 30; i++) {
		size_t len = strlen(nodes);
		snprintf(nodes + len, sizeof(nodes) - len, "f%02d ", i);
		len = strlen(writes);
		snprintf(writes + len, sizeof(writes) - len, "f%02d:f%02d,dim ", i, i);
		len = strlen(edges);
		snprintf(edges + len, sizeof(edges) - len, "dim>f%02d ", i);
	}
	for (int i = 0; i < 10; i++) {
		size_t len = strlen(nodes);
		snprintf(nodes + len, sizeof(nodes) - len, "o%d ", i);
	}
	g = graph_new(nodes, edges, "dim");
	set_writes(g, writes);
	plan(g);
	assert_int_equal(dla_sched_init(&s, &g->dag, g->runs, g->priority, 0), DLA_OK);
	while (!dla_sched_finished(&s)) {
		size_t writers = 0;

		/* four workers */
		while (n_running < 4 && dla_sched_next(&s, &node))
			running[n_running++] = node;
		assert_true(n_running > 0);
		for (size_t i = 0; i < n_running; i++)
			if (g->names[running[i]][0] == 'f')
				writers++;
		assert_true(writers <= 1);
		/* the oldest finishes */
		node = running[0];
		memmove(running, running + 1, --n_running * sizeof(*running));
		if (g->names[node][0] == 'f') {
			if (seen_f)
				assert_true(node > last_f);   /* f00, f01, ... by name */
			seen_f = true;
			last_f = node;
		}
		dla_sched_finish(&s, node, true, (double)++done);
	}
	assert_int_equal(done, 40);
	dla_sched_release(&s);
	free(g);
}

static void test_allocation_failures(void **state)
{
	struct graph *g = graph_new("a b c", "a>b", NULL);

	(void)state;
	plan(g);
	for (unsigned long n = 1; n < 20; n++) {
		struct dla_sched s;
		enum dla_code rc;

		dla_alloc_fail_after(n);
		rc = dla_sched_init(&s, &g->dag, g->runs, g->priority, 0);
		dla_alloc_fail_after(0);
		if (rc == DLA_OK) {
			dla_sched_release(&s);
			break;
		}
		assert_int_equal(rc, DLA_ERR_NOMEM);
		dla_sched_release(&s);
	}
	/* weights survive a failed scratch allocation: every node weighs 1 */
	g->history[0] = 5;
	dla_alloc_fail_after(1);
	dla_schedule_weights(g->dag.n, g->runs, g->history, g->weight);
	dla_alloc_fail_after(0);
	assert_true(g->weight[1] == 1);
	free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_median),
		cmocka_unit_test(test_weights_without_history),
		cmocka_unit_test(test_weights_unknown_get_median_of_known),
		cmocka_unit_test(test_zero_history_is_known),
		cmocka_unit_test(test_long_chain_starts_before_short_leaves),
		cmocka_unit_test(test_durations_outweigh_node_count),
		cmocka_unit_test(test_ties_by_name_case_insensitive),
		cmocka_unit_test(test_dependents_wait_for_every_dependency),
		cmocka_unit_test(test_failure_skips_downstream_only),
		cmocka_unit_test(test_two_failures_skip_a_node_once),
		cmocka_unit_test(test_idle_nodes_pass_through),
		cmocka_unit_test(test_idle_chain_releases_at_once),
		cmocka_unit_test(test_stop_skips_what_did_not_start),
		cmocka_unit_test(test_empty_and_idle_only),
		cmocka_unit_test(test_wide_dag_order),
		cmocka_unit_test(test_writers_of_one_dimension_take_turns),
		cmocka_unit_test(test_failed_writer_releases_its_tables),
		cmocka_unit_test(test_held_writer_is_not_overtaken),
		cmocka_unit_test(test_many_writers_of_one_table),
		cmocka_unit_test(test_allocation_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
