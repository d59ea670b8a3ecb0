/* test_redact.c - connection-string redaction and message scrubbing. */
#include "test_util.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "redact.h"

static void check_redact(const char *in, const char *want)
{
	char *got = dla_redact_connection(in);

	assert_non_null(got);
	assert_string_equal(got, want);
	dla_free(got);
}

static void test_redact_forms(void **state)
{
	(void)state;
	check_redact("Driver=PostgreSQL Unicode;Server=h;Uid=dla;Pwd=hunter2",
		     "Driver=PostgreSQL Unicode;Server=h;Uid=dla;Pwd=***");
	check_redact("PWD=hunter2;Uid=x", "PWD=***;Uid=x");
	check_redact("pwd=hunter2;", "pwd=***;");
	check_redact("Password=abc;password=def;PASSWORD=ghi",
		     "Password=***;password=***;PASSWORD=***");
	check_redact("DSN=sf;PASS=x1;TOKEN=t0k;priv_key_file_pwd=kp",
		     "DSN=sf;PASS=***;TOKEN=***;priv_key_file_pwd=***");
	check_redact("client_secret=s;OAuthToken=t;DbPassword=p;Passcode=123456",
		     "client_secret=***;OAuthToken=***;DbPassword=***;Passcode=***");
	check_redact("  Pwd = spaced ;Uid=u", "  Pwd =***;Uid=u");
}

static void test_redact_braces(void **state)
{
	(void)state;
	check_redact("Uid=u;Pwd={a;b=c};Server=s", "Uid=u;Pwd=***;Server=s");
	check_redact("Pwd={x}}y;z}}};Server=s", "Pwd=***;Server=s");
	check_redact("Pwd={unterminated;Server=s", "Pwd=***");
	check_redact("Database={C:\\a;b.db};Pwd=p",
		     "Database={C:\\a;b.db};Pwd=***");
	check_redact("Pwd={};Uid=u", "Pwd=***;Uid=u");
}

static void test_redact_nothing_secret(void **state)
{
	(void)state;
	check_redact("Driver=SQLite3;Database=/tmp/x.db",
		     "Driver=SQLite3;Database=/tmp/x.db");
	check_redact("", "");
	check_redact("Pwd=;Uid=u", "Pwd=;Uid=u");
	check_redact("Pwd", "Pwd");
	check_redact("Passage=open;Pwdx=1", "Passage=open;Pwdx=1");
	check_redact(";;Uid=u;", ";;Uid=u;");
	assert_null(dla_redact_connection(NULL));
}

static void test_secret_key_names(void **state)
{
	(void)state;
	assert_true(dla_redact_is_secret_key("pwd", 3));
	assert_true(dla_redact_is_secret_key("PRIV_KEY_FILE_PWD", 17));
	assert_true(dla_redact_is_secret_key("my_secret_value", 15));
	assert_false(dla_redact_is_secret_key("Uid", 3));
	assert_false(dla_redact_is_secret_key("Database", 8));
	assert_false(dla_redact_is_secret_key("", 0));
}

static void test_secrets_list(void **state)
{
	char **s;
	size_t n;

	(void)state;
	assert_int_equal(dla_connection_secrets(
		"Driver=x;Uid=u;Pwd={a}}b;c};Token=tt;Password=;Server=s",
		&s, &n), DLA_OK);
	assert_int_equal(n, 3);
	assert_string_equal(s[0], "a}b;c");
	assert_string_equal(s[1], "a}}b;c");
	assert_string_equal(s[2], "tt");
	dla_secrets_free(s, n);

	assert_int_equal(dla_connection_secrets("Driver=SQLite3;Database=x.db",
						&s, &n), DLA_OK);
	assert_int_equal(n, 0);
	assert_null(s);
	dla_secrets_free(s, n);
}

static void test_secrets_nomem(void **state)
{
	char **s;
	size_t n;
	unsigned long i;

	(void)state;
	for (i = 1; i < 6; i++) {
		enum dla_code rc;

		dla_alloc_fail_after(i);
		rc = dla_connection_secrets("Pwd=one;Token={t}}wo}", &s, &n);
		dla_alloc_fail_after(0);
		if (rc == DLA_OK) {
			assert_int_equal(n, 3);
			dla_secrets_free(s, n);
			break;
		}
		assert_int_equal(rc, DLA_ERR_NOMEM);
		assert_null(s);
		assert_int_equal(n, 0);
	}
	dla_alloc_fail_after(1);
	assert_null(dla_redact_connection("Pwd=x;Uid=y"));
	dla_alloc_fail_after(0);
}

static void test_in_place(void **state)
{
	char msg[128];
	const char *secrets[] = { "hunter2", NULL, "ab", "hunter2xyz" };

	(void)state;
	snprintf(msg, sizeof(msg), "%s", "login failed: hunter2xyz / hunter2 / ab / hunter2");
	dla_redact_in_place(msg, secrets, 4);
	assert_string_equal(msg, "login failed: *** / *** / ab / ***");

	snprintf(msg, sizeof(msg), "%s", "nothing here");
	dla_redact_in_place(msg, secrets, 4);
	assert_string_equal(msg, "nothing here");

	snprintf(msg, sizeof(msg), "%s", "hunter2hunter2");
	dla_redact_in_place(msg, secrets, 2);
	assert_string_equal(msg, "******");

	dla_redact_in_place(msg, NULL, 0);
	dla_redact_in_place(NULL, secrets, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact_forms),
		cmocka_unit_test(test_redact_braces),
		cmocka_unit_test(test_redact_nothing_secret),
		cmocka_unit_test(test_secret_key_names),
		cmocka_unit_test(test_secrets_list),
		cmocka_unit_test(test_secrets_nomem),
		cmocka_unit_test(test_in_place),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
