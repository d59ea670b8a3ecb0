/*
 * regex.c - the one wrapper around pcre2 (8-bit, UTF mode): the shared
 * identifier check and compiled patterns for the view scanner.
 * This is the only file of the project that includes pcre2.h.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "regex.h"
#include "alloc.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/*
 * Limits that turn catastrophic backtracking into an error (-1) instead of
 * a hang: match_limit counts calls of the internal match function (also
 * honoured by JIT code), heap_limit (KiB) bounds the backtracking frames of
 * the interpreter.
 */
#define MATCH_LIMIT 1000000u
#define DEPTH_LIMIT 100000u
#define HEAP_LIMIT_KIB (64u * 1024u)

/* UTF mode, but arbitrary bytes in a subject never cause an error: invalid
 * UTF-8 sequences simply do not match (view files are user input). */
#define BASE_OPTIONS (PCRE2_UTF | PCRE2_MATCH_INVALID_UTF)

struct dla_regex {
	pcre2_code *code;
	pcre2_general_context *gctx;   /* routes pcre2's memory to dla_malloc */
	pcre2_match_context *mctx;     /* limits; read-only after compile */
};

static void *pcre_malloc(PCRE2_SIZE size, void *data)
{
	(void)data;
	return dla_malloc(size);
}

static void pcre_free(void *ptr, void *data)
{
	(void)data;
	dla_free(ptr);
}

static void put_error(char *errbuf, size_t errbuf_len, const char *msg)
{
	if (errbuf && errbuf_len)
		snprintf(errbuf, errbuf_len, "%s", msg);
}

struct dla_regex *dla_regex_compile(const char *pattern, unsigned flags,
				    char *errbuf, size_t errbuf_len)
{
	struct dla_regex *re;
	pcre2_compile_context *cctx;
	uint32_t options = BASE_OPTIONS;
	int errcode;
	PCRE2_SIZE erroffset;

	if (!pattern) {
		put_error(errbuf, errbuf_len, "no pattern");
		return NULL;
	}
	if (flags & ~(DLA_RE_CASELESS | DLA_RE_MULTILINE | DLA_RE_DOTALL)) {
		put_error(errbuf, errbuf_len, "unknown regex flag");
		return NULL;
	}
	if (flags & DLA_RE_CASELESS)
		options |= PCRE2_CASELESS;
	if (flags & DLA_RE_MULTILINE)
		options |= PCRE2_MULTILINE;
	if (flags & DLA_RE_DOTALL)
		options |= PCRE2_DOTALL;

	re = dla_malloc(sizeof(*re));
	if (!re)
		goto nomem;
	memset(re, 0, sizeof(*re));
	re->gctx = pcre2_general_context_create(pcre_malloc, pcre_free, NULL);
	if (!re->gctx)
		goto nomem;
	re->mctx = pcre2_match_context_create(re->gctx);
	if (!re->mctx)
		goto nomem;
	pcre2_set_match_limit(re->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(re->mctx, DEPTH_LIMIT);
	pcre2_set_heap_limit(re->mctx, HEAP_LIMIT_KIB);

	cctx = pcre2_compile_context_create(re->gctx);
	if (!cctx)
		goto nomem;
	re->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
				 options, &errcode, &erroffset, cctx);
	pcre2_compile_context_free(cctx);
	if (!re->code) {
		if (errbuf && errbuf_len) {
			PCRE2_UCHAR msg[160];
			if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0)
				snprintf((char *)msg, sizeof(msg), "error %d", errcode);
			snprintf(errbuf, errbuf_len, "%s at offset %zu",
				 (const char *)msg, (size_t)erroffset);
		}
		dla_regex_free(re);
		return NULL;
	}
	/* JIT is an optimisation only: on failure the interpreter is used. */
	(void)pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
	return re;

nomem:
	put_error(errbuf, errbuf_len, "out of memory");
	dla_regex_free(re);
	return NULL;
}

void dla_regex_free(struct dla_regex *re)
{
	if (!re)
		return;
	pcre2_code_free(re->code);
	pcre2_match_context_free(re->mctx);
	pcre2_general_context_free(re->gctx);
	dla_free(re);
}

int dla_regex_search(const struct dla_regex *re, const char *subject,
		     size_t len, size_t offset, struct dla_regex_match *m)
{
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	int rc, i;

	if (!re || (!subject && len) || offset > len)
		return -1;
	if (!subject)
		subject = "";
	md = pcre2_match_data_create(DLA_REGEX_MAX_GROUPS, re->gctx);
	if (!md)
		return -1;
	rc = pcre2_match(re->code, (PCRE2_SPTR)subject, len, offset, 0, md,
			 re->mctx);
	if (rc == PCRE2_ERROR_NOMATCH) {
		pcre2_match_data_free(md);
		return 0;
	}
	if (rc < 0) {
		pcre2_match_data_free(md);
		return -1;
	}
	if (rc == 0)   /* more groups than fit: the first ones are set */
		rc = DLA_REGEX_MAX_GROUPS;
	if (m) {
		ov = pcre2_get_ovector_pointer(md);
		for (i = 0; i < DLA_REGEX_MAX_GROUPS; i++) {
			if (i < rc && ov[2 * i] != PCRE2_UNSET) {
				m->start[i] = ov[2 * i];
				m->end[i] = ov[2 * i + 1];
			} else {
				m->start[i] = (size_t)-1;
				m->end[i] = (size_t)-1;
			}
		}
		m->n_groups = rc;
	}
	pcre2_match_data_free(md);
	return 1;
}

/*
 * The identifier check: one pattern compiled once per process with pcre2's
 * default allocator (so fault injection in tests cannot leave it broken for
 * the rest of the process), and one match data per thread, kept in
 * thread-specific storage and freed when the thread exits.  No allocation
 * per call: this runs for every name of a 10,000-spec project.
 */
static pthread_once_t ident_once = PTHREAD_ONCE_INIT;
static pcre2_code *ident_code;
static pthread_key_t ident_md_key;
static int ident_key_ok;

static void ident_md_destroy(void *md)
{
	pcre2_match_data_free(md);
}

static void ident_init(void)
{
	int errcode;
	PCRE2_SIZE erroffset;

	ident_code = pcre2_compile((PCRE2_SPTR)DLA_IDENT_PATTERN,
				   PCRE2_ZERO_TERMINATED,
				   PCRE2_UTF | PCRE2_DOLLAR_ENDONLY,
				   &errcode, &erroffset, NULL);
	if (ident_code)
		(void)pcre2_jit_compile(ident_code, PCRE2_JIT_COMPLETE);
	ident_key_ok = pthread_key_create(&ident_md_key, ident_md_destroy) == 0;
}

bool dla_ident_valid(const char *name)
{
	pcre2_match_data *md;
	size_t len;

	if (!name)
		return false;
	pthread_once(&ident_once, ident_init);
	if (!ident_code || !ident_key_ok)
		return false;   /* could not compile: nothing is valid */
	len = strlen(name);
	if (len == 0 || len > 128)
		return false;   /* cheap and exact: the pattern allows 1..128 */
	md = pthread_getspecific(ident_md_key);
	if (!md) {
		md = pcre2_match_data_create(1, NULL);
		if (!md)
			return false;
		if (pthread_setspecific(ident_md_key, md) != 0) {
			pcre2_match_data_free(md);
			return false;
		}
	}
	/* Invalid UTF-8 makes pcre2_match fail (< 0): not an identifier. */
	return pcre2_match(ident_code, (PCRE2_SPTR)name, len, 0, 0, md, NULL) >= 0;
}
