/* test_env.c - ${VAR} expansion (dla_expand_env), durations
 * (dla_parse_duration) and dla_scd_type_valid, table-driven. */
#include "test_util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "arena.h"
#include "project.h"

static const char *env_table(const char *name, void *ctx)
{
	static const char *const vars[][2] = {
		{ "HOST", "db.example.com" }, { "PORT", "5432" }, { "EMPTY", "" },
		{ "DOLLAR", "a$b" }, { "REF", "${HOST}" }, { "_U9", "u" },
	};
	(void)ctx;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (strcmp(vars[i][0], name) == 0)
			return vars[i][1];
	return NULL;
}

struct expand_case {
	const char *text;
	const char *expected;   /* NULL: fails */
	const char *missing;    /* on failure: the name reported ("" = malformed) */
	size_t offset;          /* on failure */
};

static const struct expand_case expand_cases[] = {
	{ "plain text", "plain text", NULL, 0 },
	{ "", "", NULL, 0 },
	{ "${HOST}", "db.example.com", NULL, 0 },
	{ "Server=${HOST};Port=${PORT}", "Server=db.example.com;Port=5432", NULL, 0 },
	{ "${MISSING:-fallback}", "fallback", NULL, 0 },
	{ "${EMPTY:-fallback}", "fallback", NULL, 0 },        /* empty counts as unset */
	{ "${EMPTY}", "", NULL, 0 },                          /* set but empty: fine */
	{ "${MISSING:-}", "", NULL, 0 },
	{ "${HOST:-other}", "db.example.com", NULL, 0 },
	{ "${MISSING:-${HOST}:${PORT}}", "db.example.com:5432", NULL, 0 },
	{ "${MISSING:-a${NOPE:-b}c}", "abc", NULL, 0 },
	{ "${MISSING:-x-y z}", "x-y z", NULL, 0 },
	{ "$$", "$", NULL, 0 },
	{ "$${HOST}", "${HOST}", NULL, 0 },
	{ "cost: $5", "cost: $5", NULL, 0 },
	{ "trailing $", "trailing $", NULL, 0 },
	{ "${DOLLAR}", "a$b", NULL, 0 },
	{ "${REF}", "${HOST}", NULL, 0 },                     /* values are not re-expanded */
	{ "${_U9}", "u", NULL, 0 },
	{ "Uid=${PGUSER}", NULL, "PGUSER", 4 },
	{ "${HOST} ${A} ${B}", NULL, "A", 15 - 7 },
	{ "${MISSING:-${ALSO_MISSING}}", NULL, "ALSO_MISSING", 11 },
	{ "${HOST", NULL, "", 0 },
	{ "x${}", NULL, "", 1 },
	{ "${9LIVES}", NULL, "", 0 },
	{ "${A B}", NULL, "", 0 },
	{ "${A:x}", NULL, "", 0 },
	{ "${A-x}", NULL, "", 0 },
};

static void expand_env_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(expand_cases) / sizeof(expand_cases[0]); i++) {
		const struct expand_case *c = &expand_cases[i];
		struct dla_arena a = DLA_ARENA_INIT;
		const char *missing = "unset";
		size_t offset = 99;
		char *out = dla_expand_env(&a, c->text, env_table, NULL, &missing, &offset);

		if (c->expected) {
			if (!out || strcmp(out, c->expected) != 0)
				fail_msg("'%s': expected '%s', got '%s'", c->text, c->expected,
					 out ? out : "(null)");
			assert_null(missing);
		} else {
			if (out)
				fail_msg("'%s': expected failure, got '%s'", c->text, out);
			assert_non_null(missing);
			assert_string_equal(missing, c->missing);
			if (offset != c->offset)
				fail_msg("'%s': offset %zu, expected %zu", c->text, offset, c->offset);
		}
		dla_arena_release(&a);
	}
}

static void expand_env_uses_getenv_by_default(void **state)
{
	struct dla_arena a = DLA_ARENA_INIT;
	const char *missing;
	size_t offset;
	char *out;
	(void)state;

	setenv("DLA_TEST_ENV_VAR", "from-getenv", 1);
	out = dla_expand_env(&a, "<${DLA_TEST_ENV_VAR}>", NULL, NULL, &missing, &offset);
	assert_non_null(out);
	assert_string_equal(out, "<from-getenv>");
	unsetenv("DLA_TEST_ENV_VAR");
	out = dla_expand_env(&a, "${DLA_TEST_ENV_VAR}", NULL, NULL, &missing, &offset);
	assert_null(out);
	assert_string_equal(missing, "DLA_TEST_ENV_VAR");
	dla_arena_release(&a);
}

static void expand_env_allocation_failure(void **state)
{
	struct dla_arena a = DLA_ARENA_INIT;
	const char *missing = "x";
	size_t offset;
	(void)state;

	dla_alloc_fail_after(1);
	assert_null(dla_expand_env(&a, "${HOST}", env_table, NULL, &missing, &offset));
	dla_alloc_fail_after(0);
	assert_null(missing);
	dla_arena_release(&a);
}

struct duration_case {
	const char *text;
	bool ok;
	long seconds;
};

static const struct duration_case duration_cases[] = {
	{ "30s", true, 30 },
	{ "30 s", true, 30 },
	{ "1 second", true, 1 },
	{ "45 seconds", true, 45 },
	{ "90 min", true, 5400 },
	{ "90min", true, 5400 },
	{ "5 minutes", true, 300 },
	{ "1 minute", true, 60 },
	{ "2m", true, 120 },
	{ "6h", true, 21600 },
	{ "1 hour", true, 3600 },
	{ "2 hours", true, 7200 },
	{ "2 hrs", true, 7200 },
	{ "3 days", true, 259200 },
	{ "1 day", true, 86400 },
	{ "1d", true, 86400 },
	{ "1 week", true, 604800 },
	{ "2 weeks", true, 1209600 },
	{ "1w", true, 604800 },
	{ "1h30m", true, 5400 },
	{ "1 day 6 hours", true, 108000 },
	{ "1 day, 6 hours", true, 108000 },
	{ "  10 MIN  ", true, 600 },
	{ "0s", true, 0 },
	{ "", false, 0 },
	{ "   ", false, 0 },
	{ "10", false, 0 },
	{ "h", false, 0 },
	{ "3 fortnights", false, 0 },
	{ "-5 min", false, 0 },
	{ "1.5h", false, 0 },
	{ "5 minutes ago", false, 0 },
	{ "99999999999999999999s", false, 0 },
	{ "9223372036854775807 weeks", false, 0 },
};

static void parse_duration_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(duration_cases) / sizeof(duration_cases[0]); i++) {
		const struct duration_case *c = &duration_cases[i];
		long s = -1;
		bool ok = dla_parse_duration(c->text, &s);
		if (ok != c->ok)
			fail_msg("'%s': expected %s", c->text, c->ok ? "success" : "failure");
		if (ok && s != c->seconds)
			fail_msg("'%s': %ld seconds, expected %ld", c->text, s, c->seconds);
	}
	assert_false(dla_parse_duration(NULL, NULL));
}

static void scd_types(void **state)
{
	(void)state;
	for (long t = -2; t < 10; t++)
		assert_int_equal(dla_scd_type_valid(t),
				 t == 0 || t == 1 || t == 2 || t == 3 || t == 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(expand_env_table),
		cmocka_unit_test(expand_env_uses_getenv_by_default),
		cmocka_unit_test(expand_env_allocation_failure),
		cmocka_unit_test(parse_duration_table),
		cmocka_unit_test(scd_types),
	};
	return cmocka_run_group_tests_name("env", tests, NULL, NULL);
}
