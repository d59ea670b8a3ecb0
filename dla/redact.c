/* redact.c - parses ODBC connection strings to hide their secret values and
 * scrubs those values out of driver messages. */
#include "redact.h"
#include "alloc.h"
#include "buf.h"

#include <ctype.h>
#include <string.h>

/* One "key=value" attribute of a connection string. */
struct conn_attr {
	const char *key;        /* key, blanks trimmed */
	size_t key_len;
	const char *value;      /* raw value text right after '=' (braces included) */
	size_t value_len;
	const char *inner;      /* value without braces (== value when unbraced) */
	size_t inner_len;
	bool braced;
	bool has_eq;            /* false for a stray "word;" without '=' */
	const char *next;       /* where the next attribute starts */
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Parses the attribute starting at p (not at the end of the string). */
static void parse_attr(const char *p, struct conn_attr *a)
{
	const char *k = p, *ke, *v;

	memset(a, 0, sizeof(*a));
	while (*p && *p != '=' && *p != ';')
		p++;
	ke = p;
	while (k < ke && is_blank(*k))
		k++;
	while (ke > k && is_blank(ke[-1]))
		ke--;
	a->key = k;
	a->key_len = (size_t)(ke - k);
	if (*p != '=') {
		a->value = a->inner = p;
		a->next = *p ? p + 1 : p;
		return;
	}
	a->has_eq = true;
	v = ++p;
	while (is_blank(*p))
		p++;
	if (*p == '{') {
		a->braced = true;
		a->inner = ++p;
		for (;;) {
			if (*p == '\0') {            /* unterminated: to the end */
				a->inner_len = (size_t)(p - a->inner);
				break;
			}
			if (*p == '}') {
				if (p[1] == '}') {
					p += 2;
					continue;
				}
				a->inner_len = (size_t)(p - a->inner);
				p++;
				break;
			}
			p++;
		}
		/* Anything between '}' and ';' belongs to the value too. */
		while (*p && *p != ';')
			p++;
		a->value = v;
		a->value_len = (size_t)(p - v);
	} else {
		while (*p && *p != ';')
			p++;
		a->value = v;
		a->value_len = (size_t)(p - v);
		a->inner = v;
		a->inner_len = a->value_len;
		while (a->inner_len && is_blank(a->inner[0])) {
			a->inner++;
			a->inner_len--;
		}
	}
	a->next = *p ? p + 1 : p;
}

static bool key_contains(const char *key, size_t len, const char *word)
{
	size_t wl = strlen(word), i, j;

	for (i = 0; i + wl <= len; i++) {
		for (j = 0; j < wl; j++)
			if (toupper((unsigned char)key[i + j]) != word[j])
				break;
		if (j == wl)
			return true;
	}
	return false;
}

static bool key_is(const char *key, size_t len, const char *word)
{
	return strlen(word) == len && key_contains(key, len, word);
}

bool dla_redact_is_secret_key(const char *key, size_t len)
{
	if (!key || len == 0)
		return false;
	if (key_is(key, len, "PWD") || key_is(key, len, "PASS") ||
	    key_is(key, len, "PASSCODE") || key_is(key, len, "TOKEN"))
		return true;
	if (len > 3 && key_is(key + len - 3, 3, "PWD"))
		return true;
	return key_contains(key, len, "PASSWORD") ||
	       key_contains(key, len, "SECRET") ||
	       key_contains(key, len, "TOKEN");
}

char *dla_redact_connection(const char *conn)
{
	struct dla_buf out = DLA_BUF_INIT;
	const char *p;

	if (!conn)
		return NULL;
	for (p = conn; *p;) {
		struct conn_attr a;

		parse_attr(p, &a);
		if (a.has_eq && dla_redact_is_secret_key(a.key, a.key_len) &&
		    (a.braced || a.inner_len > 0)) {
			dla_buf_add(&out, p, (size_t)(a.value - p));
			dla_buf_adds(&out, DLA_REDACTED);
			dla_buf_add(&out, a.value + a.value_len,
				    (size_t)(a.next - (a.value + a.value_len)));
		} else {
			dla_buf_add(&out, p, (size_t)(a.next - p));
		}
		p = a.next;
	}
	if (out.len == 0 && !out.failed) {
		/* "" -> a real allocation the caller can free */
		return dla_strdup("");
	}
	return dla_buf_detach(&out);
}

void dla_redact_in_place(char *text, const char *const *secrets, size_t n)
{
	size_t done_len = (size_t)-1;   /* lengths > done_len already handled */

	if (!text || !secrets)
		return;
	/* Longest first: walk the distinct lengths in decreasing order. */
	for (;;) {
		size_t best = 0, i;

		for (i = 0; i < n; i++) {
			size_t l = secrets[i] ? strlen(secrets[i]) : 0;

			if (l >= 3 && l < done_len && l > best)
				best = l;
		}
		if (best == 0)
			return;
		for (i = 0; i < n; i++) {
			const char *s = secrets[i];
			char *hit;

			if (!s || strlen(s) != best)
				continue;
			while ((hit = strstr(text, s)) != NULL) {
				memcpy(hit, DLA_REDACTED, 3);
				memmove(hit + 3, hit + best, strlen(hit + best) + 1);
			}
		}
		done_len = best;
	}
}

void dla_secrets_free(char **secrets, size_t n)
{
	size_t i;

	if (!secrets)
		return;
	for (i = 0; i < n; i++)
		dla_free(secrets[i]);
	dla_free(secrets);
}

static int add_secret(char ***list, size_t *n, size_t *cap, char *s)
{
	if (!s)
		return -1;
	if (dla_grow((void **)list, cap, *n + 1, sizeof(**list)) != 0) {
		dla_free(s);
		return -1;
	}
	(*list)[(*n)++] = s;
	return 0;
}

/* "a}}b" -> "a}b" (new string) */
static char *unescape_braced(const char *s, size_t len)
{
	char *out = dla_malloc(len + 1), *o;
	size_t i;

	if (!out)
		return NULL;
	o = out;
	for (i = 0; i < len; i++) {
		*o++ = s[i];
		if (s[i] == '}' && i + 1 < len && s[i + 1] == '}')
			i++;
	}
	*o = '\0';
	return out;
}

enum dla_code dla_connection_secrets(const char *conn, char ***out, size_t *n)
{
	char **list = NULL;
	size_t count = 0, cap = 0;
	const char *p;

	*out = NULL;
	*n = 0;
	if (!conn)
		return DLA_OK;
	for (p = conn; *p;) {
		struct conn_attr a;

		parse_attr(p, &a);
		p = a.next;
		if (!a.has_eq || !dla_redact_is_secret_key(a.key, a.key_len) ||
		    a.inner_len == 0)
			continue;
		if (add_secret(&list, &count, &cap,
			       a.braced ? unescape_braced(a.inner, a.inner_len)
					: dla_strndup(a.inner, a.inner_len)) != 0)
			goto nomem;
		if (a.braced && memchr(a.inner, '}', a.inner_len) &&
		    add_secret(&list, &count, &cap,
			       dla_strndup(a.inner, a.inner_len)) != 0)
			goto nomem;
	}
	*out = list;
	*n = count;
	return DLA_OK;
nomem:
	dla_secrets_free(list, count);
	return DLA_ERR_NOMEM;
}
