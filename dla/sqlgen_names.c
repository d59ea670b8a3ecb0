/*
 * sqlgen_names.c - the column names a load reads and writes, checked before
 * any statement runs: every source column the load references, and every
 * name dla derives (type 3 previous and type 6 current columns,
 * housekeeping columns, surrogate and lookup keys).  dla writes names
 * unquoted (dialect.h identifier policy), so a name the engine would not
 * take unquoted, cut, or fold to another column is refused here with the
 * spec's file:line:col, the column and the way out -- never a syntax error
 * in the middle of a load, never a silently truncated name.
 */
#include "sqlgen_common.h"

#include <strings.h>

void dla_sqlgen_add_loc(struct dla_buf *b, const struct dla_loc *loc)
{
	if (loc && loc->file && loc->line > 0)
		dla_buf_addf(b, "%s:%d:%d: ", loc->file, loc->line, loc->col);
	else if (loc && loc->file)
		dla_buf_addf(b, "%s: ", loc->file);
}

/* True when name starts with dla's own prefix. */
static bool dla_prefixed(const char *name)
{
	return strncasecmp(name, "dla_", 4) == 0;
}

enum dla_code dla_sqlgen_check_source_column(const struct dla_load_input *in,
					     const char *name, const char *source,
					     const struct dla_loc *loc, struct dla_buf *err)
{
	const char *why = dla_dialect_ident_problem(in->dialect, name);

	if (why) {
		dla_sqlgen_add_loc(err, loc);
		dla_buf_addf(err, "source column '%s' of '%s' %s: rename it in the source "
			     "(dla writes column names unquoted)", name, source, why);
		return DLA_ERR_INVALID;
	}
	if (dla_prefixed(name)) {
		dla_sqlgen_add_loc(err, loc);
		dla_buf_addf(err, "source column '%s' of '%s' starts with 'dla_', which dla "
			     "keeps for its own work and housekeeping columns: rename it in "
			     "the source, or list it in 'drop:'", name, source);
		return DLA_ERR_INVALID;
	}
	return DLA_OK;
}

enum dla_code dla_sqlgen_check_derived(const struct dla_load_input *in, const char *name,
				       const char *what, const char *source,
				       const struct dla_names *unread, const char *unread_too,
				       const struct dla_loc *loc, struct dla_buf *err)
{
	struct dla_dialect unfolded = *in->dialect;
	const char *why;

	/* dla's own names are written unquoted and folded as written: only
	 * their length and reserved words matter */
	unfolded.ident_fold = DLA_FOLD_NONE;
	why = dla_dialect_ident_problem(&unfolded, name);
	if (why) {
		dla_sqlgen_add_loc(err, loc);
		dla_buf_addf(err, "column '%s' (%s) %s: give it another name in the spec",
			     name, what, why);
		return DLA_ERR_INVALID;
	}
	for (size_t i = 0; i < in->n_source_cols; i++) {
		const char *c = in->source_cols[i].name;

		if (dla_sqlgen_in_names(unread, c) || (unread_too && !strcasecmp(unread_too, c)))
			continue;
		if (strcasecmp(c, name) == 0) {
			dla_sqlgen_add_loc(err, loc);
			dla_buf_addf(err, "column '%s' that dla adds (%s) is also a column of "
				     "source '%s': rename the source column, or give dla's "
				     "column another name", name, what, source);
			return DLA_ERR_INVALID;
		}
	}
	return DLA_OK;
}
