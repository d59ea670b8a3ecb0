/* test_alloc_faults.c - allocation failure everywhere (SQLite's malloc
 * fault tests): loading the demo project (the repository root) and
 * planning it (DAG, topological order, selection) is run once to count its
 * allocations, then once for every N from 1 to that count with the N-th
 * allocation failing, twice: persistently (dla_alloc_fail_after(N): it and
 * every later one fail) and transiently (dla_alloc_fail_once(N): only it).  Every run must end in a clean out-of-memory error (a step returns
 * DLA_ERR_NOMEM, or diags.nomem says a diagnostic was lost), never crash, and free everything: under `make asan` LeakSanitizer checks
 * for leaks after every N.  The same is done for a broken project (a golden
 * error case with many diagnostics), whose error paths allocate messages.
 * Run from the repository root.  libyaml allocates with its own malloc, so
 * its allocations are not injected (pcre2's are: regex.c routes them
 * through dla_malloc). */
#include "test_util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "dag.h"
#include "diag.h"
#include "project.h"
#include "select.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_LSAN 1
#endif
#endif
#ifdef HAVE_LSAN
#include <sanitizer/lsan_interface.h>
#endif

#define DEMO_DIR "."
#define BROKEN_DIR "tests/golden/errors/many_errors_in_one_file"

/* The plan of a project: what `dla plan` computes before printing. */
struct planned {
	enum dla_code load_rc, dag_rc, select_rc;
	size_t n_nodes, n_selected;
	bool nomem;          /* diags.nomem after the whole run */
	size_t n_errors;
};

/* No environment: every ${VAR} of the demo's dla.yml has a default. */
static const char *no_env(const char *name, void *ctx)
{
	(void)name;
	(void)ctx;
	return NULL;
}

/* Loads dir and plans it like `dla plan --select +fact_ticket_sales
 * --select tag:daily --exclude v_date` would; frees everything. */
static struct planned load_and_plan(const char *dir)
{
	static const char *const select[] = { "+fact_ticket_sales", "tag:daily" };
	static const char *const exclude[] = { "v_date" };
	struct planned r;
	struct dla_diags diags = DLA_DIAGS_INIT;
	struct dla_project p;
	struct dla_dag dag;
	bool *selected;

	memset(&r, 0, sizeof(r));
	r.dag_rc = r.select_rc = DLA_OK;
	r.load_rc = dla_project_load(&p, dir, no_env, NULL, &diags);
	if (r.load_rc == DLA_OK || r.load_rc == DLA_ERR_INVALID) {
		memset(&dag, 0, sizeof(dag));
		r.dag_rc = dla_dag_build(&dag, &p, &diags);
		r.n_nodes = dag.n;
		if (r.dag_rc == DLA_OK) {
			/* the caller's array: plain calloc, not injected */
			selected = calloc(dag.n ? dag.n : 1, sizeof(*selected));
			assert_non_null(selected);
			r.select_rc = dla_select(&dag, select, 2, exclude, 1, selected, &diags);
			for (size_t i = 0; i < dag.n; i++)
				r.n_selected += selected[dag.order[i]];
			free(selected);
		}
		dla_dag_release(&dag);
	}
	dla_project_release(&p);
	r.nomem = diags.nomem;
	r.n_errors = diags.n_errors;
	dla_diags_release(&diags);
	return r;
}

static bool any_nomem(const struct planned *r)
{
	return r->load_rc == DLA_ERR_NOMEM || r->dag_rc == DLA_ERR_NOMEM ||
	       r->select_rc == DLA_ERR_NOMEM;
}

/* Fails allocation N for every N of one run over dir (only that one when
 * once, else it and all later ones); returns the number of faults
 * injected.  expect is the result without faults. */
static unsigned long inject_every_fault(const char *dir, const struct planned *expect,
					unsigned long total, bool once)
{
	unsigned long n;

	for (n = 1; n <= total; n++) {
		struct planned r;

		if (once)
			dla_alloc_fail_once(n);
		else
			dla_alloc_fail_after(n);
		r = load_and_plan(dir);
		dla_alloc_fail_after(0);
		if (!any_nomem(&r) && !r.nomem) {
			print_error("%s: allocation %lu of %lu failed%s: load %d, dag %d, "
				    "select %d, diags.nomem %d (expected a clean out-of-memory "
				    "error)\n", dir, n, total, once ? " (only it)" : "",
				    r.load_rc, r.dag_rc, r.select_rc, r.nomem);
			fail();
		}
		/* every error is either a real one of the project or none */
		assert_true(r.n_errors <= expect->n_errors);
#ifdef HAVE_LSAN
		if (__lsan_do_recoverable_leak_check()) {
			print_error("%s: leak after failing allocation %lu of %lu\n", dir, n,
				    total);
			fail();
		}
#endif
	}
	return total;
}

static unsigned long count_allocations(const char *dir, struct planned *out)
{
	unsigned long total;

	/* warm up the process-wide caches (compiled patterns) first: their
	 * allocations happen once per process, not once per load */
	(void)load_and_plan(dir);
	dla_alloc_fail_after(0);
	*out = load_and_plan(dir);
	total = dla_alloc_count();
	dla_alloc_fail_after(0);
	return total;
}

static void demo_project_every_allocation_fails(void **state)
{
	struct planned clean;
	unsigned long total, injected;
	(void)state;

	total = count_allocations(DEMO_DIR, &clean);
	assert_int_equal(clean.load_rc, DLA_OK);
	assert_int_equal(clean.dag_rc, DLA_OK);
	assert_int_equal(clean.select_rc, DLA_OK);
	assert_false(clean.nomem);
	assert_true(clean.n_nodes > 10);
	assert_true(clean.n_selected > 0);
	assert_true(total > 100);
	injected = inject_every_fault(DEMO_DIR, &clean, total, false);
	injected += inject_every_fault(DEMO_DIR, &clean, total, true);
	printf("alloc_faults: demo project: %lu allocations, %lu faults injected\n",
	       total, injected);
}

static void broken_project_every_allocation_fails(void **state)
{
	struct planned clean;
	unsigned long total, injected;
	(void)state;

	total = count_allocations(BROKEN_DIR, &clean);
	assert_int_equal(clean.load_rc, DLA_ERR_INVALID);
	assert_true(clean.n_errors >= 5);
	assert_false(clean.nomem);
	injected = inject_every_fault(BROKEN_DIR, &clean, total, false);
	injected += inject_every_fault(BROKEN_DIR, &clean, total, true);
	printf("alloc_faults: broken project: %lu allocations, %lu faults injected\n",
	       total, injected);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(demo_project_every_allocation_fails),
		cmocka_unit_test(broken_project_every_allocation_fails),
	};
	return cmocka_run_group_tests_name("alloc_faults", tests, NULL, NULL);
}
