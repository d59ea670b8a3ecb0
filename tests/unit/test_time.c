/* test_time.c - UTC timestamp parsing, arithmetic and run ids (timeutil.c). */
#include "test_util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "meta.h"

struct parse_case {
	const char *in;
	const char *out;   /* NULL: invalid */
};

static const struct parse_case parse_cases[] = {
	/* canonical forms */
	{ "2026-01-02 03:04:05", "2026-01-02 03:04:05" },
	{ "2026-01-02 03:04:05.123456", "2026-01-02 03:04:05.123456" },
	{ "2026-01-02 03:04:05.5", "2026-01-02 03:04:05.5" },
	{ "2026-01-02 03:04:05.000120", "2026-01-02 03:04:05.00012" },
	/* a zero fraction is dropped: one spelling per instant */
	{ "2026-01-02 03:04:05.000", "2026-01-02 03:04:05" },
	{ "2026-01-02", "2026-01-02 00:00:00" },
	{ "0001-01-01 00:00:00", "0001-01-01 00:00:00" },
	{ "9999-12-31 23:59:59.999999", "9999-12-31 23:59:59.999999" },
	{ "1900-01-01 00:00:00", "1900-01-01 00:00:00" },
	/* ISO 8601 (Airflow's {{ ts }}) */
	{ "2026-01-02T03:04:05", "2026-01-02 03:04:05" },
	{ "2026-01-02T03:04:05Z", "2026-01-02 03:04:05" },
	{ "2026-01-02T03:04:05.123Z", "2026-01-02 03:04:05.123" },
	{ "2026-01-02T03:04:05+00:00", "2026-01-02 03:04:05" },
	{ "2026-01-02T03:04:05.654321+00:00", "2026-01-02 03:04:05.654321" },
	{ "2026-01-02 03:04:05-00:00", "2026-01-02 03:04:05" },
	/* offsets converted to UTC */
	{ "2026-01-02T03:04:05+05:30", "2026-01-01 21:34:05" },
	{ "2026-01-02T03:04:05-08:00", "2026-01-02 11:04:05" },
	{ "2026-01-02T03:04:05+0530", "2026-01-01 21:34:05" },
	{ "2026-01-02T03:04:05+01", "2026-01-02 02:04:05" },
	{ "2026-12-31T23:30:00-01:00", "2027-01-01 00:30:00" },
	{ "2024-03-01T00:30:00+01:00", "2024-02-29 23:30:00" },
	{ "2023-03-01T00:30:00+01:00", "2023-02-28 23:30:00" },
	/* leap years */
	{ "2024-02-29", "2024-02-29 00:00:00" },
	{ "2000-02-29 12:00:00", "2000-02-29 12:00:00" },
	{ "2023-02-29", NULL },
	{ "1900-02-29", NULL },
	{ "2100-02-29", NULL },
	/* invalid */
	{ "", NULL },
	{ "2026", NULL },
	{ "2026-1-02", NULL },
	{ "2026-01-2", NULL },
	{ "2026/01/02", NULL },
	{ "0000-01-01", NULL },
	{ "2026-00-10", NULL },
	{ "2026-13-01", NULL },
	{ "2026-01-00", NULL },
	{ "2026-01-32", NULL },
	{ "2026-04-31", NULL },
	{ "2026-06-31", NULL },
	{ "2026-01-02 24:00:00", NULL },
	{ "2026-01-02 23:60:00", NULL },
	{ "2026-01-02 23:59:60", NULL },
	{ "2026-01-02 3:04:05", NULL },
	{ "2026-01-02 03:04", NULL },
	{ "2026-01-02 03:04:05.", NULL },
	{ "2026-01-02 03:04:05.1234567", NULL },
	{ "2026-01-02 03:04:05.12a", NULL },
	{ "2026-01-02 03:04:05 ", NULL },
	{ " 2026-01-02 03:04:05", NULL },
	{ "2026-01-02 03:04:05Zjunk", NULL },
	{ "2026-01-02 03:04:05+24:00", NULL },
	{ "2026-01-02 03:04:05+05:60", NULL },
	{ "2026-01-02 03:04:05+05:", NULL },
	{ "2026-01-02 03:04:05+5", NULL },
	{ "2026-01-02Z", NULL },
	{ "2026-01-02T", NULL },
	{ "2026-01-02x03:04:05", NULL },
	{ "2026-01-02t03:04:05", NULL },
	{ "yesterday", NULL },
	/* offsets that leave the range of years */
	{ "0001-01-01T00:30:00+01:00", NULL },
	{ "9999-12-31T23:30:00-01:00", NULL },
};

static void parse_accepts_and_rejects(void **state)
{
	int failures = 0;
	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		char out[32] = "untouched";
		bool ok = dla_time_parse(c->in, out);

		if (ok != (c->out != NULL) || (ok && strcmp(out, c->out) != 0)) {
			failures++;
			print_error("parse '%s': want %s, got %s%s%s\n", c->in,
				    c->out ? c->out : "invalid", ok ? "'" : "invalid",
				    ok ? out : "", ok ? "'" : "");
		}
	}
	assert_false(dla_time_parse(NULL, (char[32]){ 0 }));
	assert_int_equal(failures, 0);
}

static void canonical_text_sorts_in_time_order(void **state)
{
	static const char *const in_order[] = {
		"1900-01-01", "2026-01-02 03:04:05", "2026-01-02T03:04:05.000001Z",
		"2026-01-02 03:04:05.5", "2026-01-02 03:04:05.999999",
		"2026-01-02T03:04:06+00:00", "2026-01-02T09:00:00+05:00",
		"2026-01-02 04:00:01", "9999-12-31",
	};
	char prev[32], cur[32];
	(void)state;
	assert_true(dla_time_parse(in_order[0], prev));
	for (size_t i = 1; i < sizeof(in_order) / sizeof(in_order[0]); i++) {
		assert_true(dla_time_parse(in_order[i], cur));
		if (strcmp(prev, cur) >= 0)
			fail_msg("'%s' does not sort before '%s'", prev, cur);
		memcpy(prev, cur, sizeof(prev));
	}
}

static void add_crosses_days_months_years(void **state)
{
	char out[32];
	(void)state;
	assert_true(dla_time_add("2026-01-02 03:04:05", 3600, out));
	assert_string_equal(out, "2026-01-02 04:04:05");
	assert_true(dla_time_add("2026-12-31 23:59:59.250000", 1, out));
	assert_string_equal(out, "2027-01-01 00:00:00.25");
	assert_true(dla_time_add("2024-02-28 12:00:00", 86400, out));
	assert_string_equal(out, "2024-02-29 12:00:00");
	assert_true(dla_time_add("2024-03-01 00:00:00", -1, out));
	assert_string_equal(out, "2024-02-29 23:59:59");
	assert_true(dla_time_add("2026-01-02T03:04:05Z", 0, out));
	assert_string_equal(out, "2026-01-02 03:04:05");
	assert_true(dla_time_add("1970-01-01 00:00:00", -86400, out));
	assert_string_equal(out, "1969-12-31 00:00:00");
	assert_true(dla_time_add("2026-01-01", 3L * 86400 * 365, out));
	assert_string_equal(out, "2028-12-31 00:00:00");
	assert_false(dla_time_add("9999-12-31 23:59:59", 1, out));
	assert_false(dla_time_add("0001-01-01 00:00:00", -1, out));
	assert_false(dla_time_add("not a time", 1, out));
	assert_false(dla_time_add("2026-01-01", 999999999999L, out));
}

static void now_is_canonical_utc(void **state)
{
	char now[32], again[32];
	time_t t = time(NULL);
	struct tm tm;
	char expect_day[11];
	(void)state;
	dla_time_now(now);
	gmtime_r(&t, &tm);
	strftime(expect_day, sizeof(expect_day), "%Y-%m-%d", &tm);
	/* seconds, or a fraction of 1 to 6 digits without trailing zeros */
	assert_true(strlen(now) == 19 || (strlen(now) >= 21 && strlen(now) <= 26 &&
					  now[19] == '.' && now[strlen(now) - 1] != '0'));
	assert_true(dla_time_parse(now, again));
	assert_string_equal(now, again);
	/* same UTC day (unless the test straddles midnight) */
	if (tm.tm_hour != 23 || tm.tm_min != 59)
		assert_memory_equal(now, expect_day, 10);
}

static void run_ids_sort_in_start_order(void **state)
{
	char prev[64], cur[64], suffix[32];
	(void)state;
	dla_run_id_new(prev);
	snprintf(suffix, sizeof(suffix), "Z-%ld", (long)getpid());
	/* "20261125T190644123456Z-1234" */
	assert_int_equal(strlen(prev), 21 + strlen(suffix));
	assert_int_equal(prev[8], 'T');
	assert_string_equal(prev + 21, suffix);
	for (int i = 0; i < 10000; i++) {
		dla_run_id_new(cur);
		if (strcmp(prev, cur) >= 0)
			fail_msg("run id '%s' does not sort after '%s'", cur, prev);
		memcpy(prev, cur, sizeof(prev));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_accepts_and_rejects),
		cmocka_unit_test(canonical_text_sorts_in_time_order),
		cmocka_unit_test(add_crosses_days_months_years),
		cmocka_unit_test(now_is_canonical_utc),
		cmocka_unit_test(run_ids_sort_in_start_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
