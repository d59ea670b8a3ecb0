/*
 * sqlgen_common.h - building blocks shared by the dimension and fact
 * generators (sqlgen_dim.c, sqlgen_fact.c).  Internal to libdla: not part
 * of the sqlgen.h API.  Everything appends to a dla_buf (a failed append
 * makes the buffer failed, as dla_buf does) or returns a code; nothing
 * allocates what the caller must free.
 */
#ifndef DLA_SQLGEN_COMMON_H
#define DLA_SQLGEN_COMMON_H

#include "sqlgen.h"

/* Identifier equality as the engines fold unquoted names: case-insensitive. */
bool dla_sqlgen_name_eq(const char *a, const char *b);
bool dla_sqlgen_in_names(const struct dla_names *names, const char *name);
/* The column called name among cols[0..n), or NULL. */
const struct dla_column *dla_sqlgen_find_column(const struct dla_column *cols, size_t n,
						const char *name);

/* "a.x, a.y" (alias NULL: "x, y"). */
void dla_sqlgen_names(struct dla_buf *b, const struct dla_names *names, const char *alias);
/* "l.x = r.x AND l.y = r.y". */
void dla_sqlgen_names_join(struct dla_buf *b, const struct dla_names *names, const char *l,
			   const char *r);
/* The dialect's NULL-safe "la.lcol differs from ra.rcol". */
void dla_sqlgen_distinct(const struct dla_dialect *d, struct dla_buf *b, const char *la,
			 const char *lcol, const char *ra, const char *rcol);
/* The open end of a version (project open_end) as a literal, or NULL. */
void dla_sqlgen_open_end(const struct dla_load_input *in, struct dla_buf *b);

/* A column the target table must have. */
struct dla_sqlgen_col {
	const char *name;
	struct dla_coltype type;
};
extern const struct dla_coltype dla_sqlgen_integer_type, dla_sqlgen_text_type,
	dla_sqlgen_bool_type, dla_sqlgen_ts_type;

/* The type a value of source column c takes in a column of type have
 * (NULL: a column created from c): have, except that a date or time goes
 * into SQLite's TEXT column as a date or time (dialect times_as_text: such
 * columns read back as TEXT), so it is still normalised. */
struct dla_coltype dla_sqlgen_as_stored(const struct dla_load_input *in,
					const struct dla_column *c, const struct dla_coltype *have);
/* The type source column c is stored with: the target's column of that
 * name when the target has it (dla_sqlgen_as_stored), else c's own. */
struct dla_coltype dla_sqlgen_stored_type(const struct dla_load_input *in,
					  const struct dla_column *c);
/* True when a value of source column c must be converted to be stored and
 * compared like the stored column's (docs/SCD.md "Column types"): c has no
 * declared type, its type differs from the stored one, or it is a time on
 * an engine that keeps times as text (dialect times_as_text). */
bool dla_sqlgen_needs_convert(const struct dla_load_input *in, const struct dla_column *c);
/* Appends alias.<c> as it is stored: through the dialect's convert when
 * dla_sqlgen_needs_convert, else the plain reference. */
void dla_sqlgen_source_value(const struct dla_load_input *in, struct dla_buf *b,
			     const char *alias, const struct dla_column *c);
/* Appends alias.<name> as a time (compared with housekeeping times): the
 * plain reference when type is a declared timestamp on an engine whose
 * timestamps compare as times (an index or partition pruning stays
 * usable), else the dialect's convert to a timestamp (a date, text in any
 * spelling, SQLite's text times, a column without a declared type). */
void dla_sqlgen_time_value(const struct dla_load_input *in, struct dla_buf *b,
			   const char *alias, const char *name,
			   const struct dla_coltype *type, bool undeclared);
/* Adds the DDL making temporary table `table` hold the rows of sel (a
 * SELECT whose result columns are cols[0..n), in order): CREATE TEMPORARY
 * TABLE ... AS, or where the dialect wants a typed stage (SQLite: an
 * expression column of CREATE TABLE AS has no type, so its values would
 * not compare like the target's), CREATE TEMPORARY TABLE with the column
 * types, then INSERT ... SELECT. */
void dla_sqlgen_typed_stage(const struct dla_load_input *in, struct dla_stmts *out,
			    const char *label, const char *table,
			    const struct dla_sqlgen_col *cols, size_t n, struct dla_buf *sel);

/* Appends "file:line:col: " of loc (a spec key), nothing without a file. */
void dla_sqlgen_add_loc(struct dla_buf *b, const struct dla_loc *loc);
/* Names (sqlgen_names.c).  Both return DLA_ERR_INVALID with a message
 * starting "file:line:col: " (loc, the spec key to fix) in err.
 *
 * A source column the load references: refused when the engine would not
 * take it unquoted (dla_dialect_ident_problem: a reserved word, too long,
 * a quoted mixed-case name), or when it starts with 'dla_' (dla's work and
 * housekeeping columns; a column in 'drop:' is never referenced). */
enum dla_code dla_sqlgen_check_source_column(const struct dla_load_input *in,
					     const char *name, const char *source,
					     const struct dla_loc *loc, struct dla_buf *err);
/* A column dla adds to the target (what: "type 6 current column of
 * 'city'", "housekeeping column", ...): refused when it is a reserved word
 * or longer than the engine keeps, or when the source has a column of that
 * name that the load stores (it would be written twice, or read as the
 * other); source columns in unread (drop:) and unread_too (effective_from,
 * or NULL) are not stored. */
enum dla_code dla_sqlgen_check_derived(const struct dla_load_input *in, const char *name,
				       const char *what, const char *source,
				       const struct dla_names *unread, const char *unread_too,
				       const struct dla_loc *loc, struct dla_buf *err);

/* The first statements of a load: the dialect's analyze_table of the
 * target (in->target_stats_stale) and of the source table
 * (in->source_stats_stale), whose statistics are stale: the statements
 * that follow join them, and a table of millions taken for an empty one is
 * joined by nested loop.  Nothing where the dialect has no analyze_table. */
void dla_sqlgen_refresh_stats(const struct dla_load_input *in, const char *schema,
			      const char *table, struct dla_stmts *out);

/* An existing target table against the columns it must have (in->target_cols
 * against cols[0..n)): ADD COLUMN for each missing one (DDL statements
 * appended to out); a column whose type changed incompatibly is an error
 * naming table and source (DLA_ERR_INVALID, message in err). */
enum dla_code dla_sqlgen_evolve_target(const struct dla_load_input *in, const char *schema,
				       const char *table, const char *source,
				       const struct dla_sqlgen_col *cols, size_t n,
				       struct dla_stmts *out, struct dla_buf *err);

#endif
