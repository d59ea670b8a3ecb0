/*
 * json_out.h - building and writing JSON documents (plan --format json, JSON
 * log lines, lineage JSON).  json_out.c is the only file including
 * jansson.h; the rest of the orchestrator uses this API.
 *
 * Values are opaque handles.  Object keys keep insertion order in the
 * output (fixed key order is part of the output contract).
 *
 * Ownership: every constructor returns a new value owned by the caller.
 * dla_json_set() and dla_json_push() CONSUME the value they are given, also
 * when they fail, so values can be built inline:
 *     err |= dla_json_set(obj, "name", dla_json_str(node->name));
 * A NULL value (a failed constructor) makes set/push fail and return -1;
 * a NULL container makes them free the value and return -1.  So a whole
 * document can be built with `err |= ...` and checked once.
 * The root value is freed with dla_json_free() (NULL is fine).
 *
 * Strings: C strings, expected UTF-8; invalid UTF-8 bytes are replaced by
 * U+FFFD instead of failing.  dla_json_str(NULL) gives JSON null.
 */
#ifndef DLA_JSON_OUT_H
#define DLA_JSON_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct dla_json;

struct dla_json *dla_json_object(void);
struct dla_json *dla_json_array(void);
struct dla_json *dla_json_str(const char *s);        /* NULL -> null */
struct dla_json *dla_json_strn(const char *s, size_t len);
struct dla_json *dla_json_int(long long v);
struct dla_json *dla_json_real(double v);
struct dla_json *dla_json_bool(bool v);
struct dla_json *dla_json_null(void);

/* obj[key] = value (replacing an existing key in place).  Consumes value.
 * Returns 0 or -1. */
int dla_json_set(struct dla_json *obj, const char *key, struct dla_json *value);
/* Appends value to the array arr.  Consumes value.  Returns 0 or -1. */
int dla_json_push(struct dla_json *arr, struct dla_json *value);

void dla_json_free(struct dla_json *v);

enum dla_json_style {
	DLA_JSON_PRETTY,    /* 2-space indent, one key per line */
	DLA_JSON_LINE,      /* compact, one line: for JSON log lines */
};

/* The document as text (no trailing newline); caller frees with dla_free().
 * NULL on allocation failure. */
char *dla_json_dumps(const struct dla_json *v, enum dla_json_style style);

/* Writes the document followed by '\n' to out.  Returns 0, or -1 when it
 * could not be serialised or written. */
int dla_json_write(FILE *out, const struct dla_json *v, enum dla_json_style style);

#endif
