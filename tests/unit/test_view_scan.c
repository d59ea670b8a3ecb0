/* test_view_scan.c - the view-reference scanner: one test per case in
 * tests/data/view_scan (NAME.sql scanned, compared with NAME.expected), plus
 * API tests (empty results, arena ownership, allocation failures, depth). */
#include "test_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "arena.h"
#include "buf.h"
#include "view_scan.h"

#define CASE_DIR "tests/data/view_scan"

/* ---- helpers ---------------------------------------------------------- */

/* Reads a whole file (may contain NUL bytes); caller frees. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = (n + 4096 + 1) * 2;
			data = realloc(data, cap);
			assert_non_null(data);
		}
		got = fread(data + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	data[n] = '\0';
	*len = n;
	return data;
}

/* The scanner's answer in the .expected format. */
static void scan_to_text(const char *sql, size_t len, struct dla_buf *out)
{
	struct dla_arena arena = DLA_ARENA_INIT;
	struct dla_view_ref *refs = (void *)1;
	struct dla_scan_error err;
	size_t n = 99;
	enum dla_code code;

	code = dla_view_scan(&arena, sql, len, &refs, &n, &err);
	if (code == DLA_ERR_INVALID) {
		assert_null(refs);
		assert_int_equal(n, 0);
		dla_buf_addf(out, "error %d:%d %s\n", err.line, err.col, err.message);
	} else {
		assert_int_equal(code, DLA_OK);
		if (n == 0)
			assert_null(refs);
		for (size_t i = 0; i < n; i++) {
			dla_buf_addf(out, "%d:%d ", refs[i].line, refs[i].col);
			if (refs[i].schema)
				dla_buf_addf(out, "%s.", refs[i].schema);
			dla_buf_addf(out, "%s\n", refs[i].name);
		}
	}
	assert_false(dla_buf_failed(out));
	dla_arena_release(&arena);
}

/* ---- data-driven cases ------------------------------------------------ */

static void run_case(void **state)
{
	const char *base = *state;
	char path[512];
	char *sql, *expected;
	size_t sql_len, expected_len;
	struct dla_buf got = DLA_BUF_INIT;

	snprintf(path, sizeof(path), "%s/%s.sql", CASE_DIR, base);
	sql = read_file(path, &sql_len);
	assert_non_null(sql);
	snprintf(path, sizeof(path), "%s/%s.expected", CASE_DIR, base);
	expected = read_file(path, &expected_len);
	if (!expected)
		fail_msg("missing %s", path);

	scan_to_text(sql, sql_len, &got);
	if (strcmp(got.buf, expected) != 0) {
		print_error("case %s\n--- expected\n%s--- got\n%s", base, expected, got.buf);
		fail();
	}
	dla_buf_release(&got);
	free(sql);
	free(expected);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Case names (file names without .sql), sorted; NULL-terminated. */
static char **list_cases(size_t *count)
{
	DIR *d = opendir(CASE_DIR);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (!d)
		return NULL;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len <= 4 || strcmp(e->d_name + len - 4, ".sql") != 0)
			continue;
		if (n + 1 >= cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (!names)
				abort();
		}
		names[n] = strndup(e->d_name, len - 4);
		if (!names[n])
			abort();
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	*count = n;
	return names;
}

/* ---- API tests -------------------------------------------------------- */

static void no_references_gives_null(void **state)
{
	struct dla_arena arena = DLA_ARENA_INIT;
	struct dla_view_ref *refs = (void *)1;
	struct dla_scan_error err;
	size_t n = 7;
	(void)state;

	assert_int_equal(dla_view_scan(&arena, "select 1", 8, &refs, &n, &err), DLA_OK);
	assert_null(refs);
	assert_int_equal(n, 0);
	refs = (void *)1;
	n = 7;
	assert_int_equal(dla_view_scan(&arena, NULL, 0, &refs, &n, NULL), DLA_OK);
	assert_null(refs);
	assert_int_equal(n, 0);
	/* CTE-only references are filtered out entirely */
	refs = (void *)1;
	const char *cte = "with a as (select 1) select * from a";
	assert_int_equal(dla_view_scan(&arena, cte, strlen(cte), &refs, &n, NULL), DLA_OK);
	assert_null(refs);
	assert_int_equal(n, 0);
	dla_arena_release(&arena);
}

static void results_live_in_the_arena(void **state)
{
	struct dla_arena arena = DLA_ARENA_INIT;
	struct dla_view_ref *refs;
	size_t n, before;
	char *sql = strdup("select * from \"S\"\"x\".tbl join other on true");
	(void)state;

	assert_non_null(sql);
	before = arena.total;
	assert_int_equal(dla_view_scan(&arena, sql, strlen(sql), &refs, &n, NULL), DLA_OK);
	assert_true(arena.total > before);
	/* the text may go away: names are copies */
	memset(sql, 'x', strlen(sql));
	free(sql);
	assert_int_equal(n, 2);
	assert_string_equal(refs[0].schema, "S\"x");
	assert_string_equal(refs[0].name, "tbl");
	assert_null(refs[1].schema);
	assert_string_equal(refs[1].name, "other");
	/* only the arena owns memory: releasing it frees everything (ASan) */
	dla_arena_release(&arena);
}

static void length_bounds_the_text(void **state)
{
	struct dla_arena arena = DLA_ARENA_INIT;
	struct dla_view_ref *refs;
	struct dla_scan_error err;
	size_t n;
	const char *sql = "select * from abc /* unterminated";
	(void)state;

	/* only "select * from a" is scanned: no comment, name cut short */
	assert_int_equal(dla_view_scan(&arena, sql, 15, &refs, &n, &err), DLA_OK);
	assert_int_equal(n, 1);
	assert_string_equal(refs[0].name, "a");
	assert_int_equal(dla_view_scan(&arena, sql, strlen(sql), &refs, &n, &err),
			 DLA_ERR_INVALID);
	assert_int_equal(err.line, 1);
	assert_int_equal(err.col, 19);
	assert_string_equal(err.message, "unterminated comment");
	/* a NULL err is allowed */
	assert_int_equal(dla_view_scan(&arena, sql, strlen(sql), &refs, &n, NULL),
			 DLA_ERR_INVALID);
	dla_arena_release(&arena);
}

/* Every allocation failure is reported as DLA_ERR_NOMEM, never a crash or a
 * leak; once allocations succeed the answer is right. */
static void allocation_failures(void **state)
{
	const char *sql =
		"with c as (select * from s.a) select $t$x$t$, é.x from c "
		"join \"Q\".b on true, données d, (select 1 from s.z) q";
	(void)state;

	for (unsigned long k = 1; ; k++) {
		struct dla_arena arena = DLA_ARENA_INIT;
		struct dla_view_ref *refs;
		size_t n;
		enum dla_code code;

		dla_alloc_fail_after(k);
		code = dla_view_scan(&arena, sql, strlen(sql), &refs, &n, NULL);
		dla_alloc_fail_after(0);
		dla_arena_release(&arena);
		if (code == DLA_OK) {
			assert_int_equal(n, 4);
			assert_true(k > 1);
			break;
		}
		assert_int_equal(code, DLA_ERR_NOMEM);
		assert_true(k < 1000);
	}
}

/* Deep nesting and long input: no recursion limits, linear work. */
static void deep_nesting_and_long_text(void **state)
{
	struct dla_arena arena = DLA_ARENA_INIT;
	struct dla_buf sql = DLA_BUF_INIT;
	struct dla_view_ref *refs;
	size_t n;
	const int depth = 20000;
	(void)state;

	dla_buf_adds(&sql, "select * from ");
	for (int i = 0; i < depth; i++)
		dla_buf_adds(&sql, "(select * from ");
	dla_buf_adds(&sql, "inner_t");
	for (int i = 0; i < depth; i++)
		dla_buf_adds(&sql, ") x");
	for (int i = 0; i < 20000; i++)
		dla_buf_addf(&sql, "\njoin s.t%d on true", i);
	assert_false(dla_buf_failed(&sql));
	assert_int_equal(dla_view_scan(&arena, sql.buf, sql.len, &refs, &n, NULL), DLA_OK);
	assert_int_equal(n, 20001);
	assert_string_equal(refs[0].name, "inner_t");
	assert_int_equal(refs[0].line, 1);
	assert_string_equal(refs[20000].schema, "s");
	assert_string_equal(refs[20000].name, "t19999");
	assert_int_equal(refs[20000].line, 20001);
	assert_int_equal(refs[20000].col, 6);
	dla_buf_release(&sql);
	dla_arena_release(&arena);
}

/* Unbalanced parentheses and odd bytes never crash the scanner. */
static void garbage_is_harmless(void **state)
{
	struct dla_arena arena = DLA_ARENA_INIT;
	struct dla_view_ref *refs;
	size_t n;
	const char *texts[] = {
		")))) select * from a", "select * from (((", "from", "from .", "join (",
		"with", "with x", "with x as", "with x as (", "select \xff\xfe from \xc3",
		"select * from a.", "from a as", "$", "$a", "$$", "E", "e'x'", "1e", ".5",
		"from values", "from lateral", "from a,", "from a join",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		enum dla_code code = dla_view_scan(&arena, texts[i], strlen(texts[i]),
						   &refs, &n, NULL);
		assert_true(code == DLA_OK || code == DLA_ERR_INVALID);
	}
	dla_arena_release(&arena);
}

int main(void)
{
	static const struct CMUnitTest api_tests[] = {
		cmocka_unit_test(no_references_gives_null),
		cmocka_unit_test(results_live_in_the_arena),
		cmocka_unit_test(length_bounds_the_text),
		cmocka_unit_test(allocation_failures),
		cmocka_unit_test(deep_nesting_and_long_text),
		cmocka_unit_test(garbage_is_harmless),
	};
	struct CMUnitTest *cases;
	char **names;
	size_t n_cases = 0;
	int failed;

	names = list_cases(&n_cases);
	if (!names || n_cases < 30) {
		fprintf(stderr, "test_view_scan: expected at least 30 cases in %s "
			"(run from the repository root)\n", CASE_DIR);
		return 1;
	}
	cases = calloc(n_cases, sizeof(*cases));
	if (!cases)
		abort();
	for (size_t i = 0; i < n_cases; i++) {
		cases[i].name = names[i];
		cases[i].test_func = run_case;
		cases[i].initial_state = names[i];
	}
	failed = _cmocka_run_group_tests("view_scan cases", cases, n_cases, NULL, NULL);
	failed += cmocka_run_group_tests_name("view_scan api", api_tests, NULL, NULL);
	for (size_t i = 0; i < n_cases; i++)
		free(names[i]);
	free(names);
	free(cases);
	return failed;
}
