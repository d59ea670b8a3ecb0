/*
 * json_out.c - the orchestrator's JSON builder and writer over jansson (the
 * only file including jansson.h).  A struct dla_json is a json_t.
 */
#include "json_out.h"
#include "alloc.h"
#include "buf.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define J(v) ((json_t *)(v))
#define D(v) ((struct dla_json *)(v))

struct dla_json *dla_json_object(void) { return D(json_object()); }
struct dla_json *dla_json_array(void) { return D(json_array()); }
struct dla_json *dla_json_int(long long v) { return D(json_integer((json_int_t)v)); }
struct dla_json *dla_json_real(double v) { return D(json_real(v)); }
struct dla_json *dla_json_bool(bool v) { return D(json_boolean(v)); }
struct dla_json *dla_json_null(void) { return D(json_null()); }

/* Copies s[0..len) replacing invalid UTF-8 and NUL bytes with U+FFFD. */
static struct dla_json *str_repaired(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	struct dla_buf b = DLA_BUF_INIT;
	json_t *v;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		size_t n = 0;

		if (c >= 0x01 && c < 0x80)
			n = 1;
		else if (c >= 0xc2 && c <= 0xdf)
			n = 2;
		else if (c >= 0xe0 && c <= 0xef)
			n = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 4;
		if (n > len - i)
			n = 0;
		for (size_t k = 1; k < n; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				n = 0;
		if (n >= 3 && ((c == 0xe0 && p[i + 1] < 0xa0) ||
			       (c == 0xed && p[i + 1] > 0x9f) ||
			       (c == 0xf0 && p[i + 1] < 0x90) ||
			       (c == 0xf4 && p[i + 1] > 0x8f)))
			n = 0;
		if (n == 0) {
			dla_buf_adds(&b, "\xef\xbf\xbd");
			i++;
		} else {
			dla_buf_add(&b, p + i, n);
			i += n;
		}
	}
	if (dla_buf_failed(&b)) {
		dla_buf_release(&b);
		return NULL;
	}
	v = json_stringn(b.buf, b.len);
	dla_buf_release(&b);
	return D(v);
}

struct dla_json *dla_json_strn(const char *s, size_t len)
{
	json_t *v;

	if (!s)
		return D(json_null());
	v = json_stringn(s, len);
	if (v)
		return D(v);
	return str_repaired(s, len);    /* invalid UTF-8 (or out of memory) */
}

struct dla_json *dla_json_str(const char *s)
{
	return dla_json_strn(s, s ? strlen(s) : 0);
}

int dla_json_set(struct dla_json *obj, const char *key, struct dla_json *value)
{
	if (!value) {
		return -1;
	}
	if (!obj || !json_is_object(J(obj)) || !key) {
		json_decref(J(value));
		return -1;
	}
	return json_object_set_new(J(obj), key, J(value)) == 0 ? 0 : -1;
}

int dla_json_push(struct dla_json *arr, struct dla_json *value)
{
	if (!value)
		return -1;
	if (!arr || !json_is_array(J(arr))) {
		json_decref(J(value));
		return -1;
	}
	return json_array_append_new(J(arr), J(value)) == 0 ? 0 : -1;
}

void dla_json_free(struct dla_json *v)
{
	if (v)
		json_decref(J(v));
}

static size_t dump_flags(enum dla_json_style style)
{
	size_t flags = JSON_PRESERVE_ORDER | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17);

	if (style == DLA_JSON_PRETTY)
		return flags | JSON_INDENT(2);
	return flags | JSON_COMPACT;
}

char *dla_json_dumps(const struct dla_json *v, enum dla_json_style style)
{
	char *text, *copy;

	if (!v)
		return NULL;
	text = json_dumps(J(v), dump_flags(style));
	if (!text)
		return NULL;
	copy = dla_strdup(text);    /* callers free with dla_free() */
	free(text);
	return copy;
}

int dla_json_write(FILE *out, const struct dla_json *v, enum dla_json_style style)
{
	char *text;
	size_t len;
	int rc = 0;

	if (!v)
		return -1;
	text = json_dumps(J(v), dump_flags(style));
	if (!text)
		return -1;
	len = strlen(text);
	if (fwrite(text, 1, len, out) != len || fputc('\n', out) == EOF)
		rc = -1;
	free(text);
	return rc;
}
