/* test_core.c - buffer, arena, diagnostics, string map and allocator faults. */
#include "test_util.h"

#include <string.h>

#include "alloc.h"
#include "arena.h"
#include "buf.h"
#include "diag.h"
#include "strmap.h"

static void buf_appends_and_formats(void **state)
{
	struct dla_buf b = DLA_BUF_INIT;
	(void)state;
	assert_string_equal(b.buf, "");
	dla_buf_adds(&b, "select ");
	dla_buf_addf(&b, "%d, '%s'", 42, "x");
	dla_buf_addch(&b, ';');
	assert_string_equal(b.buf, "select 42, 'x';");
	assert_int_equal(b.len, strlen("select 42, 'x';"));
	dla_buf_truncate(&b, 6);
	assert_string_equal(b.buf, "select");
	char *s = dla_buf_detach(&b);
	assert_string_equal(s, "select");
	assert_string_equal(b.buf, "");
	dla_free(s);
}

static void buf_failure_is_sticky(void **state)
{
	struct dla_buf b = DLA_BUF_INIT;
	(void)state;
	dla_alloc_fail_after(1);
	dla_buf_adds(&b, "abc");
	dla_alloc_fail_after(0);
	dla_buf_adds(&b, "def");
	assert_true(dla_buf_failed(&b));
	assert_null(dla_buf_detach(&b));
}

static void arena_strings_survive_many_blocks(void **state)
{
	struct dla_arena a = DLA_ARENA_INIT;
	char *first;
	(void)state;
	first = dla_arena_strdup(&a, "first");
	for (int i = 0; i < 10000; i++)
		assert_non_null(dla_arena_printf(&a, "name_%d", i));
	assert_non_null(dla_arena_alloc(&a, 100000));
	assert_string_equal(first, "first");
	dla_arena_release(&a);
}

static void diags_sort_and_count(void **state)
{
	struct dla_diags d = DLA_DIAGS_INIT;
	(void)state;
	dla_error_at(&d, "models/b.yml", 3, 1, "second %s", "file");
	dla_warn_at(&d, "models/a.yml", 9, 2, "late");
	dla_error_at(&d, "models/a.yml", 2, 5, "early");
	dla_diags_sort(&d);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.n_errors, 2);
	assert_int_equal(d.n_warnings, 1);
	assert_string_equal(d.items[0].message, "early");
	assert_string_equal(d.items[1].message, "late");
	assert_string_equal(d.items[2].message, "second file");
	dla_diags_release(&d);
}

static void closest_word_suggests_typos_only(void **state)
{
	const char *keys[] = { "columns", "business_key", "surrogate_key", "scd" };
	(void)state;
	assert_string_equal(dla_closest_word("colums", keys, 4), "columns");
	assert_string_equal(dla_closest_word("busines_key", keys, 4), "business_key");
	assert_null(dla_closest_word("zzz", keys, 4));
	assert_null(dla_closest_word("sc", keys, 4));
}

static void strmap_nocase_and_growth(void **state)
{
	struct dla_strmap m;
	struct dla_arena a = DLA_ARENA_INIT;
	size_t v;
	(void)state;
	dla_strmap_init(&m, true);
	for (size_t i = 0; i < 5000; i++)
		assert_int_equal(dla_strmap_put(&m, dla_arena_printf(&a, "Key_%zu", i), i), 0);
	assert_true(dla_strmap_get(&m, "KEY_4321", &v));
	assert_int_equal(v, 4321);
	assert_true(dla_strmap_getn(&m, "key_12xyz", 6, &v));
	assert_int_equal(v, 12);
	assert_false(dla_strmap_get(&m, "key_5000", &v));
	assert_int_equal(dla_strmap_put_new(&m, "key_1", 99, &v), 0);
	assert_int_equal(v, 1);
	dla_strmap_release(&m);
	dla_arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf_appends_and_formats),
		cmocka_unit_test(buf_failure_is_sticky),
		cmocka_unit_test(arena_strings_survive_many_blocks),
		cmocka_unit_test(diags_sort_and_count),
		cmocka_unit_test(closest_word_suggests_typos_only),
		cmocka_unit_test(strmap_nocase_and_growth),
	};
	return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
