/*
 * seed.h - loading a parsed CSV seed (csv.h) into its source table
 * (SPEC 5 `dla seed`: "load seeds/NAME.csv into their sources (replace)").
 *
 * Type inference (dla_seed_infer), like dbt seeds.  NULL cells (empty
 * unquoted fields) are ignored; a column whose cells are all NULL, or a CSV
 * without rows, is TEXT.  Otherwise the first rule that every non-NULL
 * value of the column satisfies wins:
 *   BOOLEAN    true / false (any case)                 bound as "1" / "0"
 *   INTEGER    [+-]digits fitting a 64-bit integer
 *   DECIMAL    integers and decimals ([+-]digits.digits, [+-].digits):
 *              DECIMAL(max(18, int digits + scale), max scale seen); wider
 *              than 38 digits -> TEXT (no engine type holds it exactly)
 *   FLOAT      numbers where at least one has an exponent (1.5e3)
 *   DATE       YYYY-MM-DD (a real calendar date)
 *   TIMESTAMP  YYYY-MM-DD HH:MM:SS[.fraction] ('T' accepted for the space),
 *              or a mix of those and dates; bound as "YYYY-MM-DD HH:MM:SS[.f]"
 *              (dates get " 00:00:00") so SQLite's text timestamps compare
 *              correctly with dla's housekeeping timestamps
 *   TEXT       anything else
 * A number with a leading zero ("007", "-01.5") is not a number: codes such
 * as zip codes stay TEXT and keep their zeros.  Nothing is trimmed (" 5" is
 * TEXT).  A quoted empty string "" is a value, and not a number, so it
 * makes its column TEXT.
 * Planned, not implemented: a `column_types: {col: type}` key in the source
 * spec overriding inference per column; dla_seed_load already takes the
 * types from its caller (NULL = infer), so that is a loader change only.
 *
 * Replacing the table (dla_seed_load), in ONE transaction
 *   1. read the existing columns (dialect->columns_query + parse_type);
 *   2. table absent                         -> CREATE TABLE          (CREATE)
 *      same column names in the same order, and each existing column
 *      can take the new values: a column whose values are all NULL fits
 *      any type; a TEXT column takes any value that fits its length;
 *      otherwise dialect->type_compatible(existing type, inferred type
 *      after a round trip through the dialect's spelling) decides
 *      (NUMERIC(18,2) takes scale 1, BIGINT does not take text)
 *                                           -> DELETE FROM           (REPLACE_ROWS)
 *      anything else                        -> DROP TABLE + CREATE   (RECREATE)
 *   3. all DDL first, then DML: DELETE, then the rows with
 *      dla_db_insert_rows (values bound as parameters, never spliced);
 *   4. commit; any failure rolls back, so the previous contents stay.
 * So a table's column types are settled by its first load and only change
 * when the data no longer fits them (like dbt, which keeps an existing seed
 * table): a column seeded as TEXT stays TEXT when it later holds only
 * numbers, so the dimensions reading it do not see a type change (SPEC 6).
 * Keeping the table when its shape is unchanged matters on PostgreSQL,
 * where a view reading the table blocks DROP TABLE; when the shape changed
 * and a view depends on it, the DROP fails with the engine's message and
 * nothing changes (dla never drops dependent views: no CASCADE).
 * Snowflake commits DDL implicitly (dialect->ddl_commits): the CREATE and
 * RECREATE paths are then not atomic, a failed insert leaves the new,
 * empty table; REPLACE_ROWS (every re-seed of an unchanged file shape) is
 * atomic there too.
 *
 * Ownership: nothing here keeps pointers to its arguments after returning.
 */
#ifndef DLA_SEED_H
#define DLA_SEED_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "code.h"
#include "csv.h"
#include "db.h"
#include "dialect.h"
#include "stmts.h"

/* Fills types[0..csv->n_cols) with the inferred type of each column (see
 * above).  Cannot fail. */
void dla_seed_infer(const struct dla_csv *csv, struct dla_coltype *types);

/* What dla_seed_load did to the table. */
enum dla_seed_action {
	DLA_SEED_CREATE,        /* the table did not exist */
	DLA_SEED_REPLACE_ROWS,  /* same shape: DELETE + INSERT */
	DLA_SEED_RECREATE,      /* shape changed: DROP + CREATE + INSERT */
};

/* "created", "replaced rows", "re-created". */
const char *dla_seed_action_name(enum dla_seed_action action);

/*
 * Appends to out the statements that prepare schema.table for action
 * (DDL first, then DML; the rows themselves are inserted separately):
 *   CREATE        CREATE TABLE
 *   REPLACE_ROWS  DELETE FROM
 *   RECREATE      DROP TABLE IF EXISTS, CREATE TABLE
 * Column names come from the CSV header; types[] has one entry per column.
 * Check dla_stmts_failed(out) for allocation failure.
 */
void dla_seed_statements(const struct dla_dialect *d, const char *schema,
			 const char *table, const struct dla_csv *csv,
			 const struct dla_coltype *types,
			 enum dla_seed_action action, struct dla_stmts *out);

/* Appends "INSERT INTO <relation> (c1, c2) VALUES " (the prefix
 * dla_db_insert_rows expects). */
void dla_seed_insert_prefix(const struct dla_dialect *d, const char *schema,
			    const char *table, const struct dla_csv *csv,
			    struct dla_buf *out);

/* The values to bind for a CSV: row-major like csv->cells, with booleans
 * as "1" / "0" and timestamps normalised (see above).  Strings point into
 * the csv (which must outlive this) or into `owned`. */
struct dla_seed_values {
	const char **values;     /* n_rows * n_cols; NULL = SQL NULL */
	char **owned;            /* normalised copies, freed on release */
	size_t n_owned, cap_owned;
};

#define DLA_SEED_VALUES_INIT { NULL, NULL, 0, 0 }

/* Builds out for csv under types.  Returns DLA_OK or DLA_ERR_NOMEM (out is
 * then empty).  Release with dla_seed_values_release either way. */
enum dla_code dla_seed_values_build(const struct dla_csv *csv,
				    const struct dla_coltype *types,
				    struct dla_seed_values *out);
void dla_seed_values_release(struct dla_seed_values *v);

struct dla_seed_result {
	long rows;                       /* rows inserted */
	enum dla_seed_action action;
	size_t n_cols;
};

/*
 * Replaces the contents of schema.table with the rows of csv, in one
 * transaction on db (which must not be in a transaction already).  types:
 * one per column, or NULL to infer them.  The schema must already be usable
 * on db (warehouse.h).  On failure everything is rolled back and err says
 * what failed ("cannot create table 'staging.customer': [42P07] ...").
 * Returns DLA_OK, DLA_ERR_DB, DLA_ERR_CONN_DEAD, DLA_ERR_NOMEM or
 * DLA_ERR_USAGE (db already in a transaction).
 */
enum dla_code dla_seed_load(struct dla_db *db, const struct dla_dialect *d,
			    const char *schema, const char *table,
			    const struct dla_csv *csv,
			    const struct dla_coltype *types,
			    struct dla_seed_result *res, struct dla_db_error *err);

#endif
