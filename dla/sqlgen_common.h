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
