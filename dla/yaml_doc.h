/*
 * yaml_doc.h - YAML text -> a small generic tree (the only yaml.h includer
 * is yaml_doc.c).
 *
 * dla_yaml_parse() turns one file into its documents, each a tree of
 * mapping / sequence / scalar nodes carrying the 1-based line and column
 * (in characters) where the node starts.  The tree lives in the arena the
 * caller passes; nothing in it is freed individually.
 *
 * What the parser accepts (and refuses, with a diagnostic at file:line:col):
 *   - at most DLA_YAML_MAX_BYTES bytes ("file is larger than 1 MiB");
 *   - UTF-8 text only, no NUL byte (checked here before libyaml sees it);
 *   - at most DLA_YAML_MAX_DEPTH levels of nested collections: a raw-text
 *     pre-scan rejects deep flow/indentation nesting before libyaml runs
 *     (libyaml 0.2.5 has no limit and is quadratic on deep flow nesting),
 *     and the event loop stops at the first collection past the limit;
 *   - anchors and aliases: an alias shares the anchored node (the tree is a
 *     DAG, never cyclic); the total number of nodes reachable through
 *     aliases is bounded by DLA_YAML_MAX_ALIAS_NODES (alias bombs);
 *   - the merge key `<<` (a mapping or a list of mappings): merged keys come
 *     after the mapping's own keys; own keys win, earlier merges win;
 *   - duplicate keys in one mapping are an error;
 *   - several documents per file (`---`).
 * On any error the file yields no documents (a partial tree would only
 * produce confusing follow-up errors).
 */
#ifndef DLA_YAML_DOC_H
#define DLA_YAML_DOC_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "code.h"
#include "diag.h"

#define DLA_YAML_MAX_BYTES (1024u * 1024u)
#define DLA_YAML_MAX_DEPTH 64
#define DLA_YAML_MAX_ALIAS_NODES 100000u

enum dla_ynode_kind { DLA_YNODE_SCALAR, DLA_YNODE_MAPPING, DLA_YNODE_SEQUENCE };

/* How a scalar was written: plain scalars may be null (see dla_ynode_is_null),
 * quoted and block scalars are always strings. */
enum dla_yscalar_style {
	DLA_YSTYLE_PLAIN, DLA_YSTYLE_SINGLE_QUOTED, DLA_YSTYLE_DOUBLE_QUOTED,
	DLA_YSTYLE_LITERAL, DLA_YSTYLE_FOLDED
};

struct dla_ynode;

struct dla_ypair {
	struct dla_ynode *key;
	struct dla_ynode *value;
};

struct dla_ynode {
	enum dla_ynode_kind kind;
	int line, col;              /* 1-based start of the node */
	const char *tag;            /* explicit tag (resolved, e.g.
				       "tag:yaml.org,2002:str") or NULL */
	/* scalars */
	enum dla_yscalar_style style;
	char *value;                /* NUL-terminated; may hold no NUL inside */
	size_t len;
	/* mappings (after merge-key resolution) */
	struct dla_ypair *pairs;
	size_t n_pairs;
	/* sequences */
	struct dla_ynode **items;
	size_t n_items;
	/* free for the user of the tree (zero after parsing) */
	unsigned flags;
	/* internal: number of nodes in this subtree, aliases expanded */
	size_t size;
};

struct dla_ydocs {
	struct dla_ynode **docs;    /* root of each document, in file order */
	size_t n;
};

/*
 * Parses text[0..len) (need not be NUL-terminated) of file (a project-
 * relative path used in diagnostics).  Returns DLA_OK with *out filled,
 * DLA_ERR_INVALID after adding a diagnostic (out->n is then 0), or
 * DLA_ERR_NOMEM.  An empty file has 0 documents.
 */
enum dla_code dla_yaml_parse(struct dla_arena *arena, const char *file,
			     const char *text, size_t len,
			     struct dla_ydocs *out, struct dla_diags *diags);

/* True for a plain, untagged "", "~", "null", "Null" or "NULL", or a scalar
 * tagged !!null. */
bool dla_ynode_is_null(const struct dla_ynode *node);

/* The value of key in mapping map (exact, case-sensitive), or NULL. */
struct dla_ynode *dla_ynode_get(const struct dla_ynode *map, const char *key);

/*
 * Reads the text file dir/relpath for parsing: refuses files over max_bytes
 * ("file is larger than 1 MiB" for the default), NUL bytes and invalid
 * UTF-8 (diagnostics at the first bad byte's line:col).  dir may be NULL
 * (relpath is then used as is).  On DLA_OK *text is a NUL-terminated heap
 * buffer the caller frees with dla_free, *len its length.  On DLA_ERR_IO
 * *err is the errno of the failed open/read and no diagnostic is added
 * (the caller words it); DLA_ERR_INVALID after a diagnostic; DLA_ERR_NOMEM.
 */
enum dla_code dla_text_file_read(const char *dir, const char *relpath,
				 size_t max_bytes, char **text, size_t *len,
				 int *err, struct dla_diags *diags);

/*
 * The checks dla_text_file_read applies to what it read, for text that is
 * already in memory (text[0..len), need not be NUL-terminated): at most
 * max_bytes, no NUL byte, valid UTF-8.  Returns DLA_OK, or DLA_ERR_INVALID
 * after adding the same diagnostic dla_text_file_read would.
 */
enum dla_code dla_text_check(const char *relpath, const char *text, size_t len,
			     size_t max_bytes, struct dla_diags *diags);

/* Checks text for NUL bytes and invalid UTF-8 (overlong forms, surrogates
 * and code points above U+10FFFF are invalid).  Returns true when clean,
 * else false with *offset the first bad byte (text[*offset] == 0 for a NUL)
 * and *line / *col its 1-based position (columns count characters, like
 * libyaml's marks). */
bool dla_utf8_check(const char *text, size_t len, size_t *offset,
		    int *line, int *col);

#endif
