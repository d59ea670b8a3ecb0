/* test_project_memory.c - dla_project_load_files() (the entry the fuzz target
 * tests/fuzz/fuzz_project.c drives) loads a project held in memory exactly
 * like dla_project_load() loads it from disk: for the demo project, the
 * loader fixture, and every golden case (valid and broken), both give the
 * same return code, the same diagnostics (file, line, column, text, in
 * order) and the same numbers of specs.  So what the fuzzer proves about the
 * in-memory path holds for files on disk.  Run from the repository root. */
#include "test_util.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "diag.h"
#include "project.h"

struct files {
	struct dla_text_file *items;
	char **texts, **paths;
	size_t n, cap;
};

static void files_add(struct files *f, const char *dir, const char *rel)
{
	char full[1024];
	FILE *fp;
	long len;
	char *text;

	snprintf(full, sizeof(full), "%s/%s", dir, rel);
	fp = fopen(full, "rb");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	assert_true(len >= 0);
	rewind(fp);
	text = malloc((size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 16;
		f->items = realloc(f->items, f->cap * sizeof(*f->items));
		f->texts = realloc(f->texts, f->cap * sizeof(*f->texts));
		f->paths = realloc(f->paths, f->cap * sizeof(*f->paths));
		assert_true(f->items && f->texts && f->paths);
	}
	f->texts[f->n] = text;
	f->paths[f->n] = strdup(rel);
	assert_non_null(f->paths[f->n]);
	f->items[f->n].path = f->paths[f->n];
	f->items[f->n].text = text;
	f->items[f->n].len = (size_t)len;
	f->n++;
}

/* Every regular file below dir/rel (hidden entries skipped, as the loader
 * does), with project-relative paths. */
static void files_walk(struct files *f, const char *dir, const char *rel)
{
	char full[2048], child[1024];
	struct dirent *de;
	struct stat st;
	DIR *d;

	snprintf(full, sizeof(full), "%s/%s", dir, rel);
	d = opendir(full);
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(child, sizeof(child), "%s/%s", rel, de->d_name) >= (int)sizeof(child) ||
		    snprintf(full, sizeof(full), "%s/%s", dir, child) >= (int)sizeof(full) ||
		    stat(full, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			files_walk(f, dir, child);
		else if (S_ISREG(st.st_mode))
			files_add(f, dir, child);
	}
	closedir(d);
}

static void files_release(struct files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->texts[i]);
		free(f->paths[i]);
	}
	free(f->items);
	free(f->texts);
	free(f->paths);
	memset(f, 0, sizeof(*f));
}

static const char *no_env(const char *name, void *ctx)
{
	(void)name;
	(void)ctx;
	return NULL;
}

/* Loads dir both ways and compares; returns false for a directory without
 * dla.yml or whose case generates its files (skipped). */
static bool same_both_ways(const char *dir)
{
	struct files f = { 0 };
	struct dla_project pd, pm;
	struct dla_diags dd = DLA_DIAGS_INIT, dm = DLA_DIAGS_INIT;
	enum dla_code rd, rm;
	char path[1024];
	struct stat st;

	snprintf(path, sizeof(path), "%s/generate", dir);
	if (stat(path, &st) == 0)
		return false;
	snprintf(path, sizeof(path), "%s/dla.yml", dir);
	if (stat(path, &st) != 0)
		return false;
	files_add(&f, dir, "dla.yml");
	files_walk(&f, dir, "models");
	files_walk(&f, dir, "views");

	rd = dla_project_load(&pd, dir, no_env, NULL, &dd);
	rm = dla_project_load_files(&pm, dir, f.items, f.n, no_env, NULL, &dm);
	dla_diags_sort(&dd);
	dla_diags_sort(&dm);
	if (rd != rm || dd.n != dm.n)
		fail_msg("%s: disk: code %d, %zu diagnostics; memory: code %d, %zu diagnostics",
			 dir, rd, dd.n, rm, dm.n);
	for (size_t i = 0; i < dd.n; i++) {
		const struct dla_diag *a = &dd.items[i], *b = &dm.items[i];
		if (a->severity != b->severity || strcmp(a->file, b->file) != 0 ||
		    a->line != b->line || a->col != b->col || strcmp(a->message, b->message) != 0)
			fail_msg("%s: diagnostic %zu: disk %s:%d:%d: %s; memory %s:%d:%d: %s", dir, i,
				 a->file, a->line, a->col, a->message, b->file, b->line, b->col,
				 b->message);
	}
	assert_int_equal(pd.n_sources, pm.n_sources);
	assert_int_equal(pd.n_views, pm.n_views);
	assert_int_equal(pd.n_dimensions, pm.n_dimensions);
	assert_int_equal(pd.n_facts, pm.n_facts);
	assert_int_equal(pd.n_exposures, pm.n_exposures);
	assert_int_equal(pd.n_model_files, pm.n_model_files);
	assert_int_equal(pd.n_targets, pm.n_targets);
	for (size_t i = 0; i < pd.n_views; i++) {
		assert_string_equal(pd.views[i].name, pm.views[i].name);
		assert_int_equal(pd.views[i].n_refs, pm.views[i].n_refs);
	}
	dla_project_release(&pd);
	dla_project_release(&pm);
	dla_diags_release(&dd);
	dla_diags_release(&dm);
	files_release(&f);
	return true;
}

static size_t each_case(const char *parent)
{
	struct dirent *de;
	DIR *d = opendir(parent);
	size_t n = 0;
	char dir[1024];

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", parent, de->d_name);
		n += same_both_ways(dir);
	}
	closedir(d);
	return n;
}

static void demo_and_fixture(void **state)
{
	(void)state;
	assert_true(same_both_ways("."));
	assert_true(same_both_ways("tests/data/projects/full"));
}

static void golden_cases(void **state)
{
	size_t n;
	(void)state;

	n = each_case("tests/golden/errors");
	n += each_case("tests/golden/ok");
	assert_true(n >= 80);
}

static void no_project_file(void **state)
{
	struct dla_text_file file = { "models/a.yml", "sources: []\n", 12 };
	struct dla_project p;
	struct dla_diags d = DLA_DIAGS_INIT;
	(void)state;

	assert_int_equal(dla_project_load_files(&p, "x", &file, 1, no_env, NULL, &d),
			 DLA_ERR_IO);
	assert_int_equal(d.n_errors, 1);
	assert_string_equal(d.items[0].file, "dla.yml");
	dla_project_release(&p);
	dla_diags_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(demo_and_fixture),
		cmocka_unit_test(golden_cases),
		cmocka_unit_test(no_project_file),
	};
	return cmocka_run_group_tests_name("project_memory", tests, NULL, NULL);
}
