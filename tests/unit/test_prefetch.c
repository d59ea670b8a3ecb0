/* test_prefetch.c - background read-ahead: starts, reads, stops cleanly,
 * and a project big enough to use it loads exactly like a small one. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "dag.h"
#include "prefetch.h"
#include "project.h"

static char tmpdir[256];

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int make_project(void **state)
{
	char path[512];
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/dla-prefetch-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	snprintf(path, sizeof(path), "%s/models", tmpdir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/views", tmpdir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/dla.yml", tmpdir);
	write_text(path, "name: pf\n");
	snprintf(path, sizeof(path), "%s/models/sources.yml", tmpdir);
	write_text(path, "sources:\n  - {name: t, schema: staging}\n");
	/* 100 views in a chain: v_0 reads the source, v_i reads v_(i-1) */
	for (int i = 0; i < 100; i++) {
		char sql[128];
		snprintf(path, sizeof(path), "%s/views/v_%d.sql", tmpdir, i);
		if (i == 0)
			snprintf(sql, sizeof(sql), "select a from staging.t\n");
		else
			snprintf(sql, sizeof(sql), "select a from v_%d\n", i - 1);
		write_text(path, sql);
	}
	return 0;
}

static int remove_project(void **state)
{
	char cmd[300];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void prefetch_reads_and_stops(void **state)
{
	const char *rel[3] = { "dla.yml", "models/sources.yml", "no/such/file" };
	struct dla_prefetch *pf;
	(void)state;
	pf = dla_prefetch_start(tmpdir, rel, 3, 4);
	assert_non_null(pf);
	dla_prefetch_stop(pf);
	assert_null(dla_prefetch_start(tmpdir, rel, 0, 4));
	dla_prefetch_stop(NULL);
}

static void big_project_loads_in_order(void **state)
{
	struct dla_project p;
	struct dla_diags d = DLA_DIAGS_INIT;
	struct dla_dag dag;
	(void)state;
	memset(&dag, 0, sizeof(dag));
	assert_int_equal(dla_project_load(&p, tmpdir, NULL, NULL, &d), DLA_OK);
	assert_int_equal(p.n_views, 100);
	assert_int_equal(dla_dag_build(&dag, &p, &d), DLA_OK);
	/* the chain has 101 levels: source, then v_0 .. v_99 */
	assert_int_equal(dag.nodes[dla_dag_find(&dag, "v_99")].level, 100);
	dla_dag_release(&dag);
	dla_project_release(&p);
	dla_diags_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(prefetch_reads_and_stops),
		cmocka_unit_test(big_project_loads_in_order),
	};
	return cmocka_run_group_tests_name("prefetch", tests, make_project, remove_project);
}
