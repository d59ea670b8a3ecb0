/*
 * test_csv.c - the seed CSV parser (csv.h), data-driven: every
 * tests/data/csv/NAME.csv is parsed and compared with NAME.expected, which
 * holds either a canonical dump
 *     columns: "id" "name"
 *     row 1: "1" NULL
 * (values in double quotes with C escapes \" \\ \n \r \t; NULL = SQL NULL)
 * or one line "error LINE:COL MESSAGE".  A new case is two new files.
 * DLA_UPDATE_EXPECTED=1 rewrites the .expected files (review the diff!).
 */
#include "test_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "csv.h"

#define DATA_DIR "tests/data/csv"

static void dump_value(struct dla_buf *b, const char *v)
{
	if (!v) {
		dla_buf_adds(b, "NULL");
		return;
	}
	dla_buf_addch(b, '"');
	for (; *v; v++) {
		switch (*v) {
		case '"': dla_buf_adds(b, "\\\""); break;
		case '\\': dla_buf_adds(b, "\\\\"); break;
		case '\n': dla_buf_adds(b, "\\n"); break;
		case '\r': dla_buf_adds(b, "\\r"); break;
		case '\t': dla_buf_adds(b, "\\t"); break;
		default: dla_buf_addch(b, *v);
		}
	}
	dla_buf_addch(b, '"');
}

/* The canonical dump of a parse result (see the top of this file). */
static void dump_result(struct dla_buf *b, enum dla_code rc,
			const struct dla_csv *csv, const struct dla_csv_error *err)
{
	if (rc != DLA_OK) {
		dla_buf_addf(b, "error %d:%d %s\n", err->line, err->col, err->message);
		return;
	}
	dla_buf_adds(b, "columns:");
	for (size_t c = 0; c < csv->n_cols; c++) {
		dla_buf_addch(b, ' ');
		dump_value(b, csv->columns[c]);
	}
	dla_buf_addch(b, '\n');
	for (size_t r = 0; r < csv->n_rows; r++) {
		dla_buf_addf(b, "row %zu:", r + 1);
		for (size_t c = 0; c < csv->n_cols; c++) {
			dla_buf_addch(b, ' ');
			dump_value(b, dla_csv_cell(csv, r, c));
		}
		dla_buf_addch(b, '\n');
	}
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		data = malloc((size_t)size + 1);
		if (data && fread(data, 1, (size_t)size, f) == (size_t)size) {
			data[size] = '\0';
			*len = (size_t)size;
		} else {
			free(data);
			data = NULL;
		}
	}
	fclose(f);
	return data;
}

/* state: the case name (malloc'd), e.g. "quoted". */
static void run_case(void **state)
{
	const char *name = *state;
	char csv_path[512], exp_path[512];
	struct dla_csv csv;
	struct dla_csv_error err;
	struct dla_buf got = DLA_BUF_INIT;
	enum dla_code rc;
	char *want;
	size_t want_len = 0;

	snprintf(csv_path, sizeof(csv_path), DATA_DIR "/%s.csv", name);
	snprintf(exp_path, sizeof(exp_path), DATA_DIR "/%s.expected", name);

	rc = dla_csv_read_file(csv_path, &csv, &err);
	assert_true(rc == DLA_OK || rc == DLA_ERR_DATA);
	dump_result(&got, rc, &csv, &err);
	assert_false(dla_buf_failed(&got));
	dla_csv_release(&csv);

	if (getenv("DLA_UPDATE_EXPECTED")) {
		FILE *f = fopen(exp_path, "wb");
		assert_non_null(f);
		fputs(got.buf, f);
		fclose(f);
	}
	want = read_all(exp_path, &want_len);
	if (!want)
		fail_msg("%s: missing %s (DLA_UPDATE_EXPECTED=1 creates it)", name, exp_path);
	if (strcmp(want, got.buf) != 0) {
		print_error("--- %s (expected)\n%s--- got\n%s", exp_path, want, got.buf);
		free(want);
		dla_buf_release(&got);
		fail_msg("%s: output differs", name);
	}
	free(want);
	dla_buf_release(&got);
}

/* ---- cases that are not files ------------------------------------------ */

static void test_parse_buffer_not_terminated(void **state)
{
	/* the parser must not read past len: "id\n1" followed by garbage */
	const char data[] = { 'i', 'd', '\n', '1', '"', 'x' };
	struct dla_csv csv;
	struct dla_csv_error err;

	(void)state;
	assert_int_equal(dla_csv_parse(data, 4, &csv, &err), DLA_OK);
	assert_int_equal(csv.n_rows, 1);
	assert_string_equal(dla_csv_cell(&csv, 0, 0), "1");
	dla_csv_release(&csv);
}

static void test_too_large(void **state)
{
	struct dla_csv csv;
	struct dla_csv_error err;

	(void)state;
	/* the size is checked before a byte is read */
	assert_int_equal(dla_csv_parse("x", DLA_CSV_MAX_BYTES + 1, &csv, &err),
			 DLA_ERR_DATA);
	assert_non_null(strstr(err.message, "file is too large"));
	assert_null(csv.cells);
}

static void test_missing_file(void **state)
{
	struct dla_csv csv;
	struct dla_csv_error err;

	(void)state;
	assert_int_equal(dla_csv_read_file(DATA_DIR "/no_such_file.csv", &csv, &err),
			 DLA_ERR_IO);
	assert_string_equal(err.message, "cannot read file: No such file or directory");
	assert_int_equal(err.line, 0);
	dla_csv_release(&csv);
	assert_int_equal(dla_csv_read_file(DATA_DIR, &csv, &err), DLA_ERR_IO);
	dla_csv_release(&csv);
}

static void test_null_err_ok(void **state)
{
	struct dla_csv csv;

	(void)state;
	assert_int_equal(dla_csv_parse("a\n\"x", 4, &csv, NULL), DLA_ERR_DATA);
	dla_csv_release(&csv);
	dla_csv_release(NULL);
}

static void test_many_rows(void **state)
{
	struct dla_buf b = DLA_BUF_INIT;
	struct dla_csv csv;
	struct dla_csv_error err;

	(void)state;
	dla_buf_adds(&b, "n,sq,note\n");
	for (int i = 0; i < 20000; i++)
		dla_buf_addf(&b, "%d,%d,\"row, %d\"\n", i, i * i % 1000, i);
	assert_int_equal(dla_csv_parse(b.buf, b.len, &csv, &err), DLA_OK);
	assert_int_equal(csv.n_rows, 20000);
	assert_string_equal(dla_csv_cell(&csv, 19999, 0), "19999");
	assert_string_equal(dla_csv_cell(&csv, 12345, 2), "row, 12345");
	dla_csv_release(&csv);
	dla_buf_release(&b);
}

/* Every allocation failure is reported as NOMEM and leaks nothing. */
static void test_alloc_failures(void **state)
{
	const char *data = "id,name\n1,\"a\"\"b\"\n2,\n3,x\n";
	struct dla_csv csv;
	struct dla_csv_error err;
	unsigned long n;

	(void)state;
	for (n = 1; n < 100; n++) {
		enum dla_code rc;

		dla_alloc_fail_after(n);
		rc = dla_csv_parse(data, strlen(data), &csv, &err);
		dla_alloc_fail_after(0);
		if (rc == DLA_OK) {
			assert_int_equal(csv.n_rows, 3);
			dla_csv_release(&csv);
			break;
		}
		assert_int_equal(rc, DLA_ERR_NOMEM);
		assert_null(csv.cells);
	}
	assert_true(n > 1 && n < 100);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_parse_buffer_not_terminated),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_null_err_ok),
		cmocka_unit_test(test_many_rows),
		cmocka_unit_test(test_alloc_failures),
	};
	size_t n_fixed = sizeof(fixed) / sizeof(fixed[0]);
	struct CMUnitTest *tests;
	char **names = NULL;
	size_t n = 0, cap = 0;
	DIR *dir;
	struct dirent *de;
	int rc;

	dir = opendir(DATA_DIR);
	if (!dir) {
		fprintf(stderr, "test_csv: cannot open " DATA_DIR " (run from the repository root)\n");
		return 1;
	}
	while ((de = readdir(dir)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len <= 4 || strcmp(de->d_name + len - 4, ".csv") != 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			names = realloc(names, cap * sizeof(*names));
			if (!names)
				return 1;
		}
		names[n] = malloc(len - 3);
		if (!names[n])
			return 1;
		memcpy(names[n], de->d_name, len - 4);
		names[n][len - 4] = '\0';
		n++;
	}
	closedir(dir);
	if (n < 15) {
		fprintf(stderr, "test_csv: only %zu cases in " DATA_DIR "\n", n);
		return 1;
	}
	qsort(names, n, sizeof(*names), cmp_names);

	tests = calloc(n + n_fixed, sizeof(*tests));
	if (!tests)
		return 1;
	for (size_t k = 0; k < n; k++) {
		tests[k].name = names[k];
		tests[k].test_func = run_case;
		tests[k].initial_state = names[k];
	}
	memcpy(tests + n, fixed, sizeof(fixed));
	rc = _cmocka_run_group_tests("csv", tests, n + n_fixed, NULL, NULL);
	for (size_t k = 0; k < n; k++)
		free(names[k]);
	free(names);
	free(tests);
	return rc;
}
