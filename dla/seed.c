/*
 * seed.c - CSV seeds into source tables: per-column type inference and the
 * one-transaction replace of a table's contents (see seed.h).
 */
#include "seed.h"
#include "alloc.h"
#include "regex.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- value classification ------------------------------------------------ */

enum {
	K_BOOL = 1u << 0,
	K_INT = 1u << 1,       /* fits 64 bits */
	K_DEC = 1u << 2,       /* integer too wide for 64 bits, or a decimal */
	K_FLOAT = 1u << 3,
	K_DATE = 1u << 4,
	K_TS = 1u << 5,
	K_TEXT = 1u << 6,
};

struct num_shape {
	size_t int_digits;     /* digits before the point */
	size_t scale;          /* digits after the point */
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static size_t count_digits(const char *s)
{
	size_t n = 0;

	while (is_digit(s[n]))
		n++;
	return n;
}

/* True when the digit string s[0..n) (no sign) fits in int64, given sign. */
static bool fits_int64(const char *s, size_t n, bool negative)
{
	const char *max = negative ? "9223372036854775808" : "9223372036854775807";

	if (n < 19)
		return true;
	if (n > 19)
		return false;
	return strncmp(s, max, 19) <= 0;
}

/* Classifies a number: K_INT, K_DEC, K_FLOAT, or 0 when v is not one. */
static unsigned classify_number(const char *v, struct num_shape *shape)
{
	const char *p = v;
	bool negative = false;
	size_t int_digits, frac_digits = 0;
	bool has_point = false, has_exp = false;
	const char *int_start;

	if (*p == '+' || *p == '-') {
		negative = *p == '-';
		p++;
	}
	int_start = p;
	int_digits = count_digits(p);
	p += int_digits;
	/* a leading zero makes a code, not a number: "007", "01.5" */
	if (int_digits > 1 && int_start[0] == '0')
		return 0;
	if (*p == '.') {
		has_point = true;
		p++;
		frac_digits = count_digits(p);
		p += frac_digits;
		if (frac_digits == 0)
			return 0;               /* "1." */
	}
	if (int_digits == 0 && frac_digits == 0)
		return 0;
	if (*p == 'e' || *p == 'E') {
		has_exp = true;
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!is_digit(*p))
			return 0;
		p += count_digits(p);
	}
	if (*p != '\0')
		return 0;
	if (has_exp)
		return K_FLOAT;
	shape->int_digits = int_digits;
	shape->scale = frac_digits;
	if (!has_point && fits_int64(int_start, int_digits, negative))
		return K_INT;
	return K_DEC;
}

static bool leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Parses exactly n digits at s into *out. */
static bool fixed_digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int k = 0; k < n; k++) {
		if (!is_digit(s[k]))
			return false;
		v = v * 10 + (s[k] - '0');
	}
	*out = v;
	return true;
}

static bool valid_date(const char *s)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	if (!fixed_digits(s, 4, &y) || s[4] != '-' || !fixed_digits(s + 5, 2, &m) ||
	    s[7] != '-' || !fixed_digits(s + 8, 2, &d))
		return false;
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return false;
	return d <= days[m - 1] + (m == 2 && leap_year(y));
}

/* "HH:MM:SS[.fraction]" then the end of the string. */
static bool valid_time(const char *s)
{
	int h, mi, sec;

	if (!fixed_digits(s, 2, &h) || s[2] != ':' || !fixed_digits(s + 3, 2, &mi) ||
	    s[5] != ':' || !fixed_digits(s + 6, 2, &sec))
		return false;
	if (h > 23 || mi > 59 || sec > 59)
		return false;
	s += 8;
	if (*s == '.') {
		size_t n = count_digits(s + 1);
		if (n == 0 || n > 9)
			return false;
		s += 1 + n;
	}
	return *s == '\0';
}

/* One bit of K_* for a non-NULL value (K_INT values also count as K_DEC
 * and K_FLOAT when the column is mixed: see infer_column). */
static unsigned classify(const char *v, struct num_shape *shape)
{
	unsigned k;
	size_t len = strlen(v);

	if (strcasecmp(v, "true") == 0 || strcasecmp(v, "false") == 0)
		return K_BOOL;
	k = classify_number(v, shape);
	if (k)
		return k;
	if (len == 10 && valid_date(v))
		return K_DATE;
	if (len >= 19 && (v[10] == ' ' || v[10] == 'T') && valid_date(v) &&
	    valid_time(v + 11))
		return K_TS;
	return K_TEXT;
}

static void infer_column(const struct dla_csv *csv, size_t col, struct dla_coltype *t)
{
	unsigned kinds = 0;
	size_t max_int = 0, max_scale = 0;

	for (size_t r = 0; r < csv->n_rows; r++) {
		const char *v = dla_csv_cell(csv, r, col);
		struct num_shape shape = { 0, 0 };

		if (!v)
			continue;
		kinds |= classify(v, &shape);
		if (shape.int_digits > max_int)
			max_int = shape.int_digits;
		if (shape.scale > max_scale)
			max_scale = shape.scale;
		if (kinds & K_TEXT)
			break;
	}

	t->type = DLA_TYPE_TEXT;
	t->precision = 0;
	t->scale = 0;
	if (kinds == 0 || (kinds & K_TEXT))
		return;
	if (kinds == K_BOOL) {
		t->type = DLA_TYPE_BOOLEAN;
	} else if (kinds == K_INT) {
		t->type = DLA_TYPE_INTEGER;
	} else if ((kinds & ~(K_INT | K_DEC)) == 0) {
		size_t digits = max_int + max_scale;

		if (digits > 38)
			return;                      /* no exact type: TEXT */
		t->type = DLA_TYPE_DECIMAL;
		t->precision = digits < 18 ? 18 : digits;
		t->scale = (int)max_scale;
	} else if ((kinds & ~(K_INT | K_DEC | K_FLOAT)) == 0) {
		t->type = DLA_TYPE_FLOAT;
	} else if (kinds == K_DATE) {
		t->type = DLA_TYPE_DATE;
	} else if ((kinds & ~(K_DATE | K_TS)) == 0) {
		t->type = DLA_TYPE_TIMESTAMP;
	}
}

void dla_seed_infer(const struct dla_csv *csv, struct dla_coltype *types)
{
	for (size_t c = 0; c < csv->n_cols; c++)
		infer_column(csv, c, &types[c]);
}

const char *dla_seed_action_name(enum dla_seed_action action)
{
	switch (action) {
	case DLA_SEED_CREATE: return "created";
	case DLA_SEED_REPLACE_ROWS: return "replaced rows";
	case DLA_SEED_RECREATE: return "re-created";
	}
	return "?";
}

/* ---- SQL ------------------------------------------------------------------ */

/* Column names passed dla_ident_valid in the CSV parser; quote anything
 * else anyway, through the dialect. */
static void add_ident(struct dla_buf *b, const struct dla_dialect *d, const char *name)
{
	if (dla_ident_valid(name))
		dla_buf_adds(b, name);
	else
		d->quote_ident(b, name);
}

static void create_table_sql(struct dla_buf *b, const struct dla_dialect *d,
			     const char *schema, const char *table,
			     const struct dla_csv *csv, const struct dla_coltype *types)
{
	dla_buf_adds(b, "CREATE TABLE ");
	d->relation(b, schema, table);
	dla_buf_adds(b, " (");
	for (size_t c = 0; c < csv->n_cols; c++) {
		dla_buf_adds(b, c ? ",\n  " : "\n  ");
		add_ident(b, d, csv->columns[c]);
		dla_buf_addch(b, ' ');
		d->type_name(b, &types[c]);
	}
	dla_buf_adds(b, "\n)");
}

void dla_seed_statements(const struct dla_dialect *d, const char *schema,
			 const char *table, const struct dla_csv *csv,
			 const struct dla_coltype *types,
			 enum dla_seed_action action, struct dla_stmts *out)
{
	struct dla_buf b = DLA_BUF_INIT;

	switch (action) {
	case DLA_SEED_RECREATE:
		dla_buf_adds(&b, "DROP TABLE IF EXISTS ");
		d->relation(&b, schema, table);
		if (dla_buf_failed(&b))
			out->failed = true;
		dla_stmts_add(out, DLA_STMT_DDL, DLA_COUNT_NONE, "drop table", &b, NULL);
		/* fall through */
	case DLA_SEED_CREATE:
		create_table_sql(&b, d, schema, table, csv, types);
		if (dla_buf_failed(&b))
			out->failed = true;
		dla_stmts_add(out, DLA_STMT_DDL, DLA_COUNT_NONE, "create table", &b, NULL);
		break;
	case DLA_SEED_REPLACE_ROWS:
		dla_buf_adds(&b, "DELETE FROM ");
		d->relation(&b, schema, table);
		if (dla_buf_failed(&b))
			out->failed = true;
		dla_stmts_add(out, DLA_STMT_DML, DLA_COUNT_DELETED, "delete rows from", &b, NULL);
		break;
	}
	dla_buf_release(&b);
}

void dla_seed_insert_prefix(const struct dla_dialect *d, const char *schema,
			    const char *table, const struct dla_csv *csv,
			    struct dla_buf *out)
{
	dla_buf_adds(out, "INSERT INTO ");
	d->relation(out, schema, table);
	dla_buf_adds(out, " (");
	for (size_t c = 0; c < csv->n_cols; c++) {
		if (c)
			dla_buf_adds(out, ", ");
		add_ident(out, d, csv->columns[c]);
	}
	dla_buf_adds(out, ") VALUES ");
}

/* ---- values --------------------------------------------------------------- */

void dla_seed_values_release(struct dla_seed_values *v)
{
	for (size_t k = 0; k < v->n_owned; k++)
		dla_free(v->owned[k]);
	dla_free(v->owned);
	dla_free(v->values);
	memset(v, 0, sizeof(*v));
}

/* A normalised copy of a timestamp value, or NULL when v is canonical
 * already (*nomem set when a copy was needed and failed). */
static char *normalise_timestamp(const char *v, bool *nomem)
{
	size_t len = strlen(v);
	char *copy;

	if (len == 10) {                      /* a date: midnight */
		copy = dla_malloc(len + 10);
		if (copy) {
			memcpy(copy, v, len);
			memcpy(copy + len, " 00:00:00", 10);
		}
	} else if (len > 10 && v[10] == 'T') {
		copy = dla_strdup(v);
		if (copy)
			copy[10] = ' ';
	} else {
		return NULL;
	}
	*nomem = copy == NULL;
	return copy;
}

enum dla_code dla_seed_values_build(const struct dla_csv *csv,
				    const struct dla_coltype *types,
				    struct dla_seed_values *out)
{
	size_t n = csv->n_rows * csv->n_cols;

	memset(out, 0, sizeof(*out));
	if (csv->n_cols && n / csv->n_cols != csv->n_rows)
		return DLA_ERR_NOMEM;
	out->values = dla_calloc(n ? n : 1, sizeof(*out->values));
	if (!out->values)
		return DLA_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *v = csv->cells[i];
		const struct dla_coltype *t = &types[i % csv->n_cols];
		bool nomem = false;
		char *copy;

		out->values[i] = v;
		if (!v)
			continue;
		if (t->type == DLA_TYPE_BOOLEAN) {
			if (strcasecmp(v, "true") == 0)
				out->values[i] = "1";
			else if (strcasecmp(v, "false") == 0)
				out->values[i] = "0";
			continue;
		}
		if (t->type != DLA_TYPE_TIMESTAMP)
			continue;
		copy = normalise_timestamp(v, &nomem);
		if (!copy && !nomem)
			continue;
		if (!copy || dla_grow((void **)&out->owned, &out->cap_owned,
				      out->n_owned + 1, sizeof(*out->owned))) {
			dla_free(copy);
			dla_seed_values_release(out);
			return DLA_ERR_NOMEM;
		}
		out->owned[out->n_owned++] = copy;
		out->values[i] = copy;
	}
	return DLA_OK;
}

/* ---- loading -------------------------------------------------------------- */

/* Rewrites err->message as "cannot <what> 'schema.table': <driver text>"
 * (truncated to fit; on allocation failure the driver text stays). */
static void err_prefix(struct dla_db_error *err, const char *what, const char *schema,
		       const char *table)
{
	struct dla_buf b = DLA_BUF_INIT;

	if (!err)
		return;
	dla_buf_addf(&b, "cannot %s '%s.%s'", what, schema, table);
	if (err->message[0])
		dla_buf_addf(&b, ": %s", err->message);
	if (!dla_buf_failed(&b)) {
		size_t n = b.len < sizeof(err->message) ? b.len : sizeof(err->message) - 1;

		memcpy(err->message, b.buf, n);
		err->message[n] = '\0';
	}
	dla_buf_release(&b);
}

static void err_set(struct dla_db_error *err, const char *msg)
{
	if (!err)
		return;
	memset(err, 0, sizeof(*err));
	snprintf(err->message, sizeof(err->message), "%s", msg);
}

/* Longest value of column col in characters (UTF-8 code points); 0 when
 * every value is NULL.  *any_value tells whether a non-NULL value exists. */
static size_t max_chars(const struct dla_csv *csv, size_t col, bool *any_value)
{
	size_t max = 0;

	*any_value = false;
	for (size_t r = 0; r < csv->n_rows; r++) {
		const unsigned char *v = (const unsigned char *)dla_csv_cell(csv, r, col);
		size_t n = 0;

		if (!v)
			continue;
		*any_value = true;
		for (; *v; v++)
			n += (*v & 0xc0) != 0x80;
		if (n > max)
			max = n;
	}
	return max;
}

/* True when an existing column of type have can take the values of CSV
 * column col, inferred as want (already round-tripped through the
 * dialect): a text column takes anything that fits its length, NULLs go
 * anywhere, else the dialect decides. */
static bool column_holds(const struct dla_dialect *d, const struct dla_coltype *have,
			 const struct dla_coltype *want, const struct dla_csv *csv,
			 size_t col)
{
	bool any_value;
	size_t longest = max_chars(csv, col, &any_value);

	if (!any_value)
		return true;
	if (have->type == DLA_TYPE_TEXT)
		return have->precision == 0 || longest <= have->precision;
	return d->type_compatible(have, want);
}

/*
 * Decides CREATE / REPLACE_ROWS / RECREATE from the existing columns.
 * bind_types (n_cols, filled with types by the caller) receives, for
 * REPLACE_ROWS, the type each value is prepared for: the inferred type
 * where the existing column has the same engine type, else the existing
 * column's type (a TEXT column keeps "true" as written, not "1").
 */
static enum dla_code choose_action(struct dla_db *db, const struct dla_dialect *d,
				   const char *schema, const char *table,
				   const struct dla_csv *csv,
				   const struct dla_coltype *types,
				   struct dla_coltype *bind_types,
				   enum dla_seed_action *action,
				   struct dla_db_error *err)
{
	struct dla_buf sql = DLA_BUF_INIT, spelling = DLA_BUF_INIT;
	struct dla_db_result *res = NULL;
	enum dla_code rc;

	d->columns_query(&sql, schema, table);
	if (dla_buf_failed(&sql)) {
		dla_buf_release(&sql);
		err_set(err, "out of memory");
		return DLA_ERR_NOMEM;
	}
	rc = dla_db_query(db, sql.buf, NULL, 0, &res, err);
	dla_buf_release(&sql);
	if (rc != DLA_OK) {
		err_prefix(err, "read the columns of", schema, table);
		return rc;
	}
	if (res->n_rows == 0) {
		*action = DLA_SEED_CREATE;
	} else if (res->n_rows != csv->n_cols || res->n_cols < 2) {
		*action = DLA_SEED_RECREATE;
	} else {
		*action = DLA_SEED_REPLACE_ROWS;
		for (size_t c = 0; c < csv->n_cols; c++) {
			const char *name = dla_db_cell(res, c, 0);
			const char *type = dla_db_cell(res, c, 1);
			struct dla_coltype have, want;

			dla_buf_reset(&spelling);
			d->type_name(&spelling, &types[c]);
			if (dla_buf_failed(&spelling)) {
				rc = DLA_ERR_NOMEM;
				err_set(err, "out of memory");
				break;
			}
			d->parse_type(spelling.buf, &want);
			d->parse_type(type ? type : "", &have);
			if (!name || strcasecmp(name, csv->columns[c]) != 0 ||
			    !column_holds(d, &have, &want, csv, c)) {
				*action = DLA_SEED_RECREATE;
				break;
			}
			if (have.type != want.type)
				bind_types[c] = have;
		}
		if (*action != DLA_SEED_REPLACE_ROWS)
			memcpy(bind_types, types, csv->n_cols * sizeof(*types));
	}
	dla_buf_release(&spelling);
	dla_db_result_free(res);
	return rc;
}

static enum dla_code load_in_transaction(struct dla_db *db, const struct dla_dialect *d,
					 const char *schema, const char *table,
					 const struct dla_csv *csv,
					 const struct dla_coltype *types,
					 struct dla_seed_result *res,
					 struct dla_db_error *err)
{
	struct dla_stmts stmts = DLA_STMTS_INIT;
	struct dla_buf prefix = DLA_BUF_INIT;
	struct dla_seed_values values = DLA_SEED_VALUES_INIT;
	struct dla_coltype *bind_types;
	enum dla_code rc;
	long inserted = 0;

	bind_types = dla_calloc(csv->n_cols, sizeof(*bind_types));
	if (!bind_types) {
		err_set(err, "out of memory");
		return DLA_ERR_NOMEM;
	}
	memcpy(bind_types, types, csv->n_cols * sizeof(*types));
	rc = choose_action(db, d, schema, table, csv, types, bind_types, &res->action, err);
	if (rc != DLA_OK) {
		dla_free(bind_types);
		return rc;
	}

	dla_seed_statements(d, schema, table, csv, types, res->action, &stmts);
	dla_seed_insert_prefix(d, schema, table, csv, &prefix);
	if (dla_stmts_failed(&stmts) || dla_buf_failed(&prefix) ||
	    dla_seed_values_build(csv, bind_types, &values) != DLA_OK) {
		rc = DLA_ERR_NOMEM;
		err_set(err, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < stmts.n; k++) {
		const struct dla_stmt *st = &stmts.items[k];

		rc = dla_db_exec(db, st->sql, NULL, 0, NULL, err);
		if (rc != DLA_OK) {
			err_prefix(err, st->label, schema, table);
			goto out;
		}
	}
	if (csv->n_rows > 0) {
		rc = dla_db_insert_rows(db, prefix.buf, csv->n_cols, values.values,
					csv->n_rows, &inserted, err);
		if (rc != DLA_OK) {
			err_prefix(err, "insert into", schema, table);
			goto out;
		}
	}
	res->rows = inserted;
out:
	dla_free(bind_types);
	dla_seed_values_release(&values);
	dla_buf_release(&prefix);
	dla_stmts_release(&stmts);
	return rc;
}

enum dla_code dla_seed_load(struct dla_db *db, const struct dla_dialect *d,
			    const char *schema, const char *table,
			    const struct dla_csv *csv,
			    const struct dla_coltype *types,
			    struct dla_seed_result *res, struct dla_db_error *err)
{
	struct dla_coltype *inferred = NULL;
	enum dla_code rc;

	memset(res, 0, sizeof(*res));
	res->n_cols = csv->n_cols;
	if (!db || !d || !schema || !table || csv->n_cols == 0) {
		err_set(err, "dla_seed_load: bad argument");
		return DLA_ERR_USAGE;
	}
	if (dla_db_in_transaction(db)) {
		err_set(err, "dla_seed_load: a transaction is already open");
		return DLA_ERR_USAGE;
	}
	if (!types) {
		inferred = dla_calloc(csv->n_cols, sizeof(*inferred));
		if (!inferred) {
			err_set(err, "out of memory");
			return DLA_ERR_NOMEM;
		}
		dla_seed_infer(csv, inferred);
		types = inferred;
	}

	rc = dla_db_begin(db, err);
	if (rc == DLA_OK) {
		rc = load_in_transaction(db, d, schema, table, csv, types, res, err);
		if (rc == DLA_OK) {
			rc = dla_db_commit(db, err);
			if (rc != DLA_OK)
				err_prefix(err, "commit the load of", schema, table);
		}
		if (rc != DLA_OK) {
			dla_db_rollback(db, NULL);
			res->rows = 0;
		}
	}
	dla_free(inferred);
	return rc;
}
