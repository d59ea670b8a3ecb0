/* test_regex.c - the pcre2 wrapper: identifier rule, compile/search, match
 * limits, allocation failures, threads. */
#include "test_util.h"

#include <pthread.h>
#include <string.h>

#include "alloc.h"
#include "regex.h"

static void identifiers(void **state)
{
	char longest[129], too_long[130];
	(void)state;

	memset(longest, 'a', 128);
	longest[128] = '\0';
	memset(too_long, 'a', 129);
	too_long[129] = '\0';

	assert_true(dla_ident_valid("dim_customer"));
	assert_true(dla_ident_valid("_x1"));
	assert_true(dla_ident_valid("A"));
	assert_true(dla_ident_valid("Fact_2024"));
	assert_true(dla_ident_valid(longest));
	assert_false(dla_ident_valid(too_long));
	assert_false(dla_ident_valid(NULL));
	assert_false(dla_ident_valid(""));
	assert_false(dla_ident_valid("1abc"));
	assert_false(dla_ident_valid("a-b"));
	assert_false(dla_ident_valid("a b"));
	assert_false(dla_ident_valid("a.b"));
	assert_false(dla_ident_valid("a$b"));
	assert_false(dla_ident_valid("\"a\""));
	assert_false(dla_ident_valid("abc\n"));   /* $ must not match before \n */
	assert_false(dla_ident_valid("\nabc"));
	assert_false(dla_ident_valid("café"));
	assert_false(dla_ident_valid("ab\xff"));  /* invalid UTF-8 */
	assert_false(dla_ident_valid("a;drop"));
}

static void ident_check_needs_no_allocation(void **state)
{
	(void)state;
	assert_true(dla_ident_valid("warm_up"));   /* per-thread state exists */
	dla_alloc_fail_after(1);
	assert_true(dla_ident_valid("still_valid"));
	assert_false(dla_ident_valid("not valid"));
	dla_alloc_fail_after(0);
}

static void *ident_worker(void *arg)
{
	long ok = 1;
	(void)arg;
	for (int i = 0; i < 20000; i++) {
		if (!dla_ident_valid("node_name_42") || dla_ident_valid("bad-name"))
			ok = 0;
	}
	return (void *)ok;
}

static void ident_check_is_thread_safe(void **state)
{
	pthread_t threads[4];
	void *ok;
	(void)state;

	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, ident_worker, NULL), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(threads[i], &ok), 0);
		assert_true(ok == (void *)1);
	}
}

static void groups_and_offsets(void **state)
{
	struct dla_regex_match m;
	struct dla_regex *re;
	const char *s = "from staging.orders o";
	char err[128] = "";
	(void)state;

	re = dla_regex_compile("(\\w+)\\.(\\w+)(x)?", 0, err, sizeof(err));
	assert_non_null(re);
	assert_int_equal(dla_regex_search(re, s, strlen(s), 0, &m), 1);
	assert_int_equal(m.start[0], 5);
	assert_int_equal(m.end[0], 19);
	assert_int_equal(m.start[1], 5);
	assert_int_equal(m.end[1], 12);
	assert_int_equal(m.start[2], 13);
	assert_int_equal(m.end[2], 19);
	assert_int_equal(m.start[3], (size_t)-1);   /* unset group */
	assert_int_equal(m.end[3], (size_t)-1);
	assert_int_equal(m.start[9], (size_t)-1);
	assert_true(m.n_groups >= 3);
	/* searching from an offset; no match; len bounds the subject */
	assert_int_equal(dla_regex_search(re, s, strlen(s), 6, &m), 1);
	assert_int_equal(m.start[0], 6);
	assert_int_equal(dla_regex_search(re, s, 12, 0, &m), 0);
	assert_int_equal(dla_regex_search(re, s, strlen(s), strlen(s), &m), 0);
	assert_int_equal(dla_regex_search(re, s, strlen(s), strlen(s) + 1, &m), -1);
	/* m may be NULL when only the answer matters */
	assert_int_equal(dla_regex_search(re, s, strlen(s), 0, NULL), 1);
	dla_regex_free(re);
	dla_regex_free(NULL);
}

static void anchored_at_offset(void **state)
{
	struct dla_regex_match m;
	struct dla_regex *re = dla_regex_compile("\\G[a-z]+", 0, NULL, 0);
	(void)state;

	assert_non_null(re);
	assert_int_equal(dla_regex_search(re, "ab cd", 5, 3, &m), 1);
	assert_int_equal(m.start[0], 3);
	assert_int_equal(m.end[0], 5);
	assert_int_equal(dla_regex_search(re, "ab cd", 5, 2, &m), 0);
	dla_regex_free(re);
}

static void flags(void **state)
{
	struct dla_regex *re;
	const char *s = "select 1\nFROM t";
	(void)state;

	re = dla_regex_compile("^from", 0, NULL, 0);
	assert_int_equal(dla_regex_search(re, s, strlen(s), 0, NULL), 0);
	dla_regex_free(re);
	re = dla_regex_compile("^from", DLA_RE_CASELESS, NULL, 0);
	assert_int_equal(dla_regex_search(re, s, strlen(s), 0, NULL), 0);
	dla_regex_free(re);
	re = dla_regex_compile("^from", DLA_RE_CASELESS | DLA_RE_MULTILINE, NULL, 0);
	assert_int_equal(dla_regex_search(re, s, strlen(s), 0, NULL), 1);
	dla_regex_free(re);
	re = dla_regex_compile("1.FROM", 0, NULL, 0);
	assert_int_equal(dla_regex_search(re, s, strlen(s), 0, NULL), 0);
	dla_regex_free(re);
	re = dla_regex_compile("1.FROM", DLA_RE_DOTALL, NULL, 0);
	assert_int_equal(dla_regex_search(re, s, strlen(s), 0, NULL), 1);
	dla_regex_free(re);
	assert_null(dla_regex_compile("x", 64, NULL, 0));
}

static void utf8_subjects(void **state)
{
	struct dla_regex_match m;
	struct dla_regex *re = dla_regex_compile("\\p{L}+", 0, NULL, 0);
	const char *s = "12 données\xff" "été";
	(void)state;

	assert_non_null(re);
	assert_int_equal(dla_regex_search(re, s, strlen(s), 0, &m), 1);
	assert_int_equal(m.start[0], 3);
	assert_int_equal(m.end[0], 3 + strlen("données"));
	/* an invalid byte is no error: it just does not match */
	assert_int_equal(dla_regex_search(re, s, strlen(s), m.end[0], &m), 1);
	assert_int_equal(m.start[0], strlen("12 données\xff"));
	dla_regex_free(re);
	/* caseless is Unicode-aware in UTF mode */
	re = dla_regex_compile("ÉTÉ", DLA_RE_CASELESS, NULL, 0);
	assert_int_equal(dla_regex_search(re, s, strlen(s), 0, NULL), 1);
	dla_regex_free(re);
}

static void bad_pattern_message(void **state)
{
	char err[128] = "";
	(void)state;

	assert_null(dla_regex_compile("(unclosed", 0, err, sizeof(err)));
	assert_non_null(strstr(err, "missing closing parenthesis"));
	assert_non_null(strstr(err, "at offset 9"));
	assert_null(dla_regex_compile("[", 0, NULL, 0));   /* errbuf optional */
	assert_null(dla_regex_compile("a{2,1}", 0, err, 4));   /* truncated */
	assert_int_equal(strlen(err), 3);
}

static void catastrophic_backtracking_fails(void **state)
{
	char subject[64];
	struct dla_regex *re = dla_regex_compile("^(a+)+$", 0, NULL, 0);
	(void)state;

	assert_non_null(re);
	memset(subject, 'a', 40);
	subject[40] = 'b';
	subject[41] = '\0';
	assert_int_equal(dla_regex_search(re, subject, strlen(subject), 0, NULL), -1);
	subject[40] = '\0';
	assert_int_equal(dla_regex_search(re, subject, strlen(subject), 0, NULL), 1);
	dla_regex_free(re);
}

static void allocation_failures(void **state)
{
	(void)state;
	for (unsigned long k = 1; ; k++) {
		struct dla_regex *re;
		int rc;

		dla_alloc_fail_after(k);
		re = dla_regex_compile("(\\w+)\\s+from\\s+(\\w+)", DLA_RE_CASELESS, NULL, 0);
		rc = re ? dla_regex_search(re, "select x FROM t", 15, 0, NULL) : -1;
		dla_alloc_fail_after(0);
		dla_regex_free(re);
		if (rc == 1) {
			assert_true(k > 3);   /* wrapper, contexts, code, match data */
			break;
		}
		assert_int_equal(rc, -1);
		assert_true(k < 100);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(identifiers),
		cmocka_unit_test(ident_check_needs_no_allocation),
		cmocka_unit_test(ident_check_is_thread_safe),
		cmocka_unit_test(groups_and_offsets),
		cmocka_unit_test(anchored_at_offset),
		cmocka_unit_test(flags),
		cmocka_unit_test(utf8_subjects),
		cmocka_unit_test(bad_pattern_message),
		cmocka_unit_test(catastrophic_backtracking_fails),
		cmocka_unit_test(allocation_failures),
	};
	return cmocka_run_group_tests_name("regex", tests, NULL, NULL);
}
