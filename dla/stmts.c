/* stmts.c - ordered list of generated SQL statements for one node. */
#include "stmts.h"
#include "alloc.h"

#include <string.h>

void dla_stmts_init(struct dla_stmts *s)
{
	memset(s, 0, sizeof(*s));
}

void dla_stmts_release(struct dla_stmts *s)
{
	for (size_t i = 0; i < s->n; i++) {
		dla_free(s->items[i].label);
		dla_free(s->items[i].sql);
		dla_free(s->items[i].message);
	}
	dla_free(s->items);
	dla_stmts_init(s);
}

void dla_stmts_add_str(struct dla_stmts *s, enum dla_stmt_kind kind,
		       enum dla_counter counts, const char *label,
		       const char *sql, const char *message)
{
	struct dla_stmt *st;
	char *sql_copy, *label_copy, *msg_copy = NULL;

	if (s->failed || !sql || !*sql)
		return;
	sql_copy = dla_strdup(sql);
	label_copy = dla_strdup(label ? label : "");
	if (message)
		msg_copy = dla_strdup(message);
	if (!sql_copy || !label_copy || (message && !msg_copy) ||
	    dla_grow((void **)&s->items, &s->cap, s->n + 1, sizeof(*s->items))) {
		dla_free(sql_copy);
		dla_free(label_copy);
		dla_free(msg_copy);
		s->failed = true;
		return;
	}
	st = &s->items[s->n++];
	st->kind = kind;
	st->counts = counts;
	st->label = label_copy;
	st->sql = sql_copy;
	st->message = msg_copy;
	st->when = DLA_WHEN_ALWAYS;
}

void dla_stmts_add(struct dla_stmts *s, enum dla_stmt_kind kind,
		   enum dla_counter counts, const char *label,
		   struct dla_buf *sql, const char *message)
{
	if (dla_buf_failed(sql))
		s->failed = true;
	else
		dla_stmts_add_str(s, kind, counts, label, sql->buf, message);
	dla_buf_release(sql);
}

void dla_stmts_set_when(struct dla_stmts *s, size_t from, enum dla_stmt_when when)
{
	const char *suffix = when == DLA_WHEN_TARGET_EMPTY ? " (empty target)"
			   : when == DLA_WHEN_TARGET_HAS_ROWS ? " (target has rows)" : "";

	for (size_t i = from; i < s->n; i++) {
		struct dla_buf label = DLA_BUF_INIT;

		s->items[i].when = when;
		if (!*suffix)
			continue;
		dla_buf_addf(&label, "%s%s", s->items[i].label, suffix);
		if (dla_buf_failed(&label)) {
			s->failed = true;
			continue;
		}
		dla_free(s->items[i].label);
		s->items[i].label = dla_buf_detach(&label);
	}
}

bool dla_stmts_conditional(const struct dla_stmts *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->items[i].when != DLA_WHEN_ALWAYS)
			return true;
	return false;
}

void dla_stmts_choose(struct dla_stmts *s, bool target_has_rows)
{
	enum dla_stmt_when drop = target_has_rows ? DLA_WHEN_TARGET_EMPTY
						  : DLA_WHEN_TARGET_HAS_ROWS;
	size_t kept = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct dla_stmt *st = &s->items[i];
		if (st->when == drop) {
			dla_free(st->label);
			dla_free(st->sql);
			dla_free(st->message);
			continue;
		}
		s->items[kept++] = *st;
	}
	s->n = kept;
}

const char *dla_stmt_kind_name(enum dla_stmt_kind kind)
{
	switch (kind) {
	case DLA_STMT_DDL: return "ddl";
	case DLA_STMT_DML: return "dml";
	case DLA_STMT_CHECK: return "check";
	case DLA_STMT_SESSION: return "session";
	case DLA_STMT_CLEANUP: return "cleanup";
	case DLA_STMT_CHECK_ON_FAILURE: return "check on failure";
	}
	return "?";
}
