/*
 * project_load.c - dla_project_load(): finds and reads dla.yml, every
 * models/ YAML file (recursively, in path order) and views/ SQL files, keeps the
 * registry of node names and relations (duplicates are errors), and owns
 * the project life cycle (dla_project_release, dla_project_target).
 * dla_project_load_files() runs the same parsing on files held in memory
 * (the fuzz target tests/fuzz/fuzz_project.c).
 *
 * dla.yml keys beyond SPEC section 2:
 *   description      free text
 *   default_schema   schema of dimensions/facts that omit `schema:`
 *   open_end         valid_to of open versions: timestamp, or null for NULL
 *   columns          housekeeping column names: valid_from, valid_to,
 *                    is_current, is_deleted, is_inferred, run_id,
 *                    updated_at, loaded_at
 *   lock_lease       duration of the run lock lease (default 10 min)
 *   threads          default number of parallel nodes (1..256, default 4)
 *   targets.<t>.description
 *   x-...            ignored (a place for YAML anchors)
 * Every string value of dla.yml is ${VAR}-expanded first (keys are not), so
 * `threads: ${DLA_THREADS:-4}` works too.
 * Without `targets:` the project gets one target, `local`, on the embedded
 * SQLite database .dla/warehouse.db.  Without `default_target`, a single
 * target is the default; with several, `default_target` is required.
 */
#include "prefetch.h"
#include "project_internal.h"
#include "alloc.h"
#include "buf.h"
#include "regex.h"
#include "view_scan.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define PROJECT_FILE "dla.yml"
#define MAX_DIR_DEPTH 32

/* ---- node registry ------------------------------------------------------- */

bool ld_register_node(struct dla_loader *L, const char *name, const char *relation,
		      struct dla_loc loc)
{
	size_t idx = L->n_locs, existing;
	int rc;

	if (dla_grow((void **)&L->locs, &L->cap_locs, L->n_locs + 1, sizeof(*L->locs))) {
		L->nomem = true;
		return false;
	}
	L->locs[L->n_locs++] = loc;
	rc = dla_strmap_put_new(&L->names, name, idx, &existing);
	if (rc < 0) {
		L->nomem = true;
		return false;
	}
	if (rc == 0) {
		const struct dla_loc *first = &L->locs[existing];
		ld_error_loc(L, loc, "duplicate node name '%s' (first defined at %s:%d:%d)",
			     name, first->file, first->line, first->col);
		return false;
	}
	if (!relation)
		return true;
	rc = dla_strmap_put_new(&L->relations, relation, idx, &existing);
	if (rc < 0) {
		L->nomem = true;
		return false;
	}
	if (rc == 0) {
		const struct dla_loc *first = &L->locs[existing];
		ld_error_loc(L, loc, "duplicate relation '%s' (first defined at %s:%d:%d)",
			     relation, first->file, first->line, first->col);
		return false;
	}
	return true;
}

/* ---- dla.yml ------------------------------------------------------------- */

static const char *const project_keys[] = {
	"name", "description", "default_target", "default_schema", "views_schema",
	"metadata_schema", "open_end", "columns", "lock_lease", "threads", "targets"
};
enum {
	PK_NAME, PK_DESCRIPTION, PK_DEFAULT_TARGET, PK_DEFAULT_SCHEMA, PK_VIEWS_SCHEMA,
	PK_METADATA_SCHEMA, PK_OPEN_END, PK_COLUMNS, PK_LOCK_LEASE, PK_THREADS, PK_TARGETS
};

static const char *const hk_keys[] = {
	"valid_from", "valid_to", "is_current", "is_deleted", "is_inferred",
	"run_id", "updated_at", "loaded_at"
};

static const char *const target_keys[] = { "dialect", "connection", "description" };
static const char *const dialects[] = { "sqlite", "postgres", "snowflake" };

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void set_defaults(struct dla_project *p)
{
	p->views_schema = "dla_views";
	p->metadata_schema = "dla_meta";
	p->open_end = "9999-12-31 00:00:00";
	p->hk.valid_from = "valid_from";
	p->hk.valid_to = "valid_to";
	p->hk.is_current = "is_current";
	p->hk.is_deleted = "is_deleted";
	p->hk.is_inferred = "is_inferred";
	p->hk.run_id = "dla_run_id";
	p->hk.updated_at = "dla_updated_at";
	p->hk.loaded_at = "dla_loaded_at";
	p->lock_lease_s = 600;
	p->threads = 4;
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS[.ffffff]" (a 'T' is accepted too). */
static bool timestamp_valid(const char *s)
{
	size_t len = strlen(s);

	if (len < 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
	    !digits(s + 8, 2))
		return false;
	if (len == 10)
		return true;
	if (len < 19 || (s[10] != ' ' && s[10] != 'T') || !digits(s + 11, 2) || s[13] != ':' ||
	    !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
		return false;
	if (len == 19)
		return true;
	return s[19] == '.' && len <= 26 && len > 20 && digits(s + 20, len - 20);
}

static void parse_open_end(struct dla_loader *L, const struct dla_ynode *v)
{
	struct dla_project *p = L->p;
	const char *s;

	if (!v || dla_ynode_is_null(v)) {
		p->open_end = NULL;
		return;
	}
	if (v->flags & LD_FLAG_BAD)
		return;
	if (v->kind != DLA_YNODE_SCALAR || !timestamp_valid(v->value)) {
		ld_error(L, v, "'open_end' must be a timestamp 'YYYY-MM-DD HH:MM:SS' or null");
		return;
	}
	if (strlen(v->value) == 10)
		s = dla_arena_printf(L->arena, "%s 00:00:00", v->value);
	else
		s = ld_strdup(L, v->value);
	if (s) {
		char *t = (char *)s;
		if (t[10] == 'T')
			t[10] = ' ';
		p->open_end = s;
	} else {
		L->nomem = true;
	}
}

static void parse_housekeeping(struct dla_loader *L, const struct dla_ynode *n)
{
	const char **slots[] = {
		&L->p->hk.valid_from, &L->p->hk.valid_to, &L->p->hk.is_current,
		&L->p->hk.is_deleted, &L->p->hk.is_inferred, &L->p->hk.run_id,
		&L->p->hk.updated_at, &L->p->hk.loaded_at
	};

	const struct dla_ynode *set_at[ARRAY_LEN(hk_keys)] = { NULL };

	if (!ld_is_mapping(L, "columns", n))
		return;
	for (size_t i = 0; i < n->n_pairs; i++) {
		int idx = ld_key(L, n->pairs[i].key, hk_keys, ARRAY_LEN(hk_keys), NULL, 0, false);
		if (idx >= 0 && ld_ident(L, hk_keys[idx], n->pairs[i].value, slots[idx]) > 0)
			set_at[idx] = n->pairs[i].value;
	}
	/* two housekeeping columns with one name would collide in every table */
	for (size_t i = 0; i < ARRAY_LEN(hk_keys); i++) {
		for (size_t j = 0; j < ARRAY_LEN(hk_keys) && set_at[i]; j++) {
			if (j == i || strcasecmp(*slots[i], *slots[j]) != 0)
				continue;
			if (!set_at[j] || set_at[j]->line < set_at[i]->line ||
			    (set_at[j]->line == set_at[i]->line && set_at[j]->col < set_at[i]->col)) {
				ld_error(L, set_at[i], "column name '%s' is used for both '%s' and '%s'",
					 *slots[i], hk_keys[j], hk_keys[i]);
				break;
			}
		}
	}
}

static void parse_targets(struct dla_loader *L, const struct dla_ynode *n)
{
	struct dla_project *p = L->p;

	if (!n || dla_ynode_is_null(n) || (n->flags & LD_FLAG_BAD))
		return;
	if (n->kind != DLA_YNODE_MAPPING) {
		ld_error(L, n, "'targets' must be a mapping of target names to settings");
		return;
	}
	p->targets = dla_arena_calloc(L->arena, n->n_pairs ? n->n_pairs : 1, sizeof(*p->targets));
	if (!p->targets) {
		L->nomem = true;
		return;
	}
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct dla_ynode *k = n->pairs[i].key, *v = n->pairs[i].value;
		struct dla_target t;
		int dialect = -1;

		memset(&t, 0, sizeof(t));
		if (k->kind != DLA_YNODE_SCALAR) {
			ld_error(L, k, "invalid key (keys must be plain names)");
			continue;
		}
		if (!ld_check_ident(L, k, k->value))
			continue;
		t.name = ld_strdup(L, k->value);
		t.loc = ld_loc(L, k);
		if (!v || v->kind != DLA_YNODE_MAPPING) {
			ld_error(L, v && !dla_ynode_is_null(v) ? v : k,
				 "target '%s' must be a mapping with 'dialect' and 'connection'",
				 k->value);
			continue;
		}
		for (size_t j = 0; j < v->n_pairs; j++) {
			const struct dla_ynode *vv = v->pairs[j].value;
			const char *ignored;
			switch (ld_key(L, v->pairs[j].key, target_keys, ARRAY_LEN(target_keys),
				       NULL, 0, false)) {
			case 0: ld_enum(L, "dialect", vv, dialects, ARRAY_LEN(dialects), &dialect); break;
			/* the value may hold secrets: ld_string never quotes it */
			case 1: ld_string(L, "connection", vv, &t.connection); break;
			case 2: ld_string(L, "description", vv, &ignored); break;
			default: break;
			}
		}
		if (!dla_ynode_get(v, "dialect") || dla_ynode_is_null(dla_ynode_get(v, "dialect")))
			ld_error(L, k, "target '%s' is missing required key 'dialect'", t.name);
		if (!dla_ynode_get(v, "connection") ||
		    dla_ynode_is_null(dla_ynode_get(v, "connection")))
			ld_error(L, k, "target '%s' is missing required key 'connection'", t.name);
		if (dialect < 0 || !t.connection || !t.name)
			continue;
		t.dialect = dialects[dialect];
		p->targets[p->n_targets++] = t;
	}
}

static void parse_project_doc(struct dla_loader *L, struct dla_ynode *doc)
{
	struct dla_project *p = L->p;
	const struct dla_ynode *default_target = NULL, *targets = NULL;
	bool targets_given = false;

	if (doc->kind != DLA_YNODE_MAPPING) {
		ld_error(L, doc, "project file must be a mapping (name:, targets:, ...)");
		return;
	}
	ld_expand_tree(L, doc);
	for (size_t i = 0; i < doc->n_pairs; i++) {
		const struct dla_ynode *k = doc->pairs[i].key, *v = doc->pairs[i].value;
		const char *ignored;
		long n;
		switch (ld_key(L, k, project_keys, ARRAY_LEN(project_keys), NULL, 0, true)) {
		case PK_NAME: ld_ident(L, "name", v, &p->name); break;
		case PK_DESCRIPTION: ld_string(L, "description", v, &ignored); break;
		case PK_DEFAULT_TARGET:
			if (ld_ident(L, "default_target", v, &p->default_target) > 0)
				default_target = v;
			break;
		case PK_DEFAULT_SCHEMA: ld_ident(L, "default_schema", v, &p->default_schema); break;
		case PK_VIEWS_SCHEMA: ld_ident(L, "views_schema", v, &p->views_schema); break;
		case PK_METADATA_SCHEMA: ld_ident(L, "metadata_schema", v, &p->metadata_schema); break;
		case PK_OPEN_END: parse_open_end(L, v); break;
		case PK_COLUMNS: parse_housekeeping(L, v); break;
		case PK_LOCK_LEASE:
			if (ld_duration(L, "lock_lease", v, &n) > 0) {
				if (n < 1)
					ld_error(L, v, "'lock_lease' must be at least 1 second");
				else
					p->lock_lease_s = n;
			}
			break;
		case PK_THREADS:
			if (ld_long(L, "threads", v, 1, 256, &n) > 0)
				p->threads = (int)n;
			break;
		case PK_TARGETS:
			targets = v;
			targets_given = true;
			break;
		default: break;
		}
	}
	if (!dla_ynode_get(doc, "name") || dla_ynode_is_null(dla_ynode_get(doc, "name")))
		ld_error(L, doc, "project file is missing required key 'name'");
	if (targets_given)
		parse_targets(L, targets);
	if (!targets_given || dla_ynode_is_null(targets)) {
		/* the embedded default (SPEC 1) */
		p->targets = dla_arena_calloc(L->arena, 1, sizeof(*p->targets));
		if (!p->targets) {
			L->nomem = true;
			return;
		}
		p->targets[0].name = "local";
		p->targets[0].dialect = "sqlite";
		p->targets[0].connection = "Driver=SQLite3;Database=.dla/warehouse.db";
		p->targets[0].loc.file = L->file;
		p->n_targets = 1;
	}
	if (default_target) {
		const char *names[64];
		size_t n_names = 0;
		if (dla_project_target(p, p->default_target))
			return;
		if (targets && targets->kind == DLA_YNODE_MAPPING &&
		    dla_ynode_get(targets, p->default_target))
			return;   /* defined, but broken: already reported */
		for (size_t i = 0; i < p->n_targets && n_names < 64; i++)
			names[n_names++] = p->targets[i].name;
		{
			const char *near = dla_closest_word(p->default_target, names, n_names);
			if (near)
				ld_error(L, default_target, "unknown target '%s' (did you mean '%s'?)",
					 p->default_target, near);
			else
				ld_error(L, default_target, "unknown target '%s' (not defined in "
					 "'targets')", p->default_target);
		}
		p->default_target = NULL;
	} else if (!dla_ynode_get(doc, "default_target") ||
		   dla_ynode_is_null(dla_ynode_get(doc, "default_target"))) {
		if (p->n_targets == 1)
			p->default_target = p->targets[0].name;
		else if (p->n_targets > 1)
			ld_error(L, doc, "project file is missing required key 'default_target' "
				 "(several targets are defined)");
	}
}

/* Parses the text of dla.yml (already checked by dla_text_check).  Returns
 * DLA_OK or DLA_ERR_NOMEM. */
static enum dla_code parse_project_text(struct dla_loader *L, const char *text, size_t len)
{
	struct dla_arena scratch = DLA_ARENA_INIT;
	struct dla_ydocs docs;
	enum dla_code rc;

	L->file = PROJECT_FILE;
	rc = dla_yaml_parse(&scratch, PROJECT_FILE, text, len, &docs, L->diags);
	if (rc == DLA_OK) {
		if (docs.n == 0 || (docs.n == 1 && dla_ynode_is_null(docs.docs[0])))
			dla_error_at(L->diags, PROJECT_FILE, 0, 0, "project file is empty");
		else if (docs.n > 1)
			ld_error(L, docs.docs[1], "project file must hold a single document");
		else
			parse_project_doc(L, docs.docs[0]);
	}
	dla_arena_release(&scratch);
	return rc == DLA_ERR_NOMEM ? rc : DLA_OK;
}

static void report_no_project_file(struct dla_loader *L, int err)
{
	dla_error_at(L->diags, PROJECT_FILE, 0, 0, "cannot read project file: %s",
		     strerror(err));
}

/* Reads dla.yml.  Returns DLA_ERR_IO when it cannot be read at all. */
static enum dla_code load_project_file(struct dla_loader *L)
{
	char *text;
	size_t len;
	int err;
	enum dla_code rc;

	L->file = PROJECT_FILE;
	rc = dla_text_file_read(L->p->dir, PROJECT_FILE, DLA_YAML_MAX_BYTES, &text, &len,
				&err, L->diags);
	if (rc == DLA_ERR_IO) {
		report_no_project_file(L, err);
		return DLA_ERR_IO;
	}
	if (rc != DLA_OK)
		return rc == DLA_ERR_NOMEM ? rc : DLA_OK;
	rc = parse_project_text(L, text, len);
	dla_free(text);
	return rc;
}

/* ---- finding files ------------------------------------------------------- */

struct pathlist {
	char **items;
	size_t n, cap;
};

static void pathlist_release(struct pathlist *pl)
{
	for (size_t i = 0; i < pl->n; i++)
		dla_free(pl->items[i]);
	dla_free(pl->items);
	memset(pl, 0, sizeof(*pl));
}

static int pathlist_add(struct pathlist *pl, const char *rel, const char *name)
{
	size_t rl = strlen(rel), nl = strlen(name);
	char *path = dla_malloc(rl + nl + 2);

	if (!path)
		return -1;
	memcpy(path, rel, rl);
	path[rl] = '/';
	memcpy(path + rl + 1, name, nl + 1);
	if (dla_grow((void **)&pl->items, &pl->cap, pl->n + 1, sizeof(*pl->items))) {
		dla_free(path);
		return -1;
	}
	pl->items[pl->n++] = path;
	return 0;
}

static int cmp_paths(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_suffix(const char *name, const char *suffix)
{
	size_t nl = strlen(name), sl = strlen(suffix);

	return nl > sl && strcmp(name + nl - sl, suffix) == 0;
}

enum entry_type { ENTRY_OTHER, ENTRY_FILE, ENTRY_DIR };

static enum entry_type entry_type(const char *dir, const char *rel, const struct dirent *de)
{
	struct stat st;
	char *path;
	size_t dl, rl;
	int rc;

#ifdef _DIRENT_HAVE_D_TYPE
	if (de->d_type == DT_REG)
		return ENTRY_FILE;
	if (de->d_type == DT_DIR)
		return ENTRY_DIR;
	if (de->d_type != DT_LNK && de->d_type != DT_UNKNOWN)
		return ENTRY_OTHER;
#endif
	(void)de;
	dl = strlen(dir);
	rl = strlen(rel);
	path = dla_malloc(dl + rl + 2);
	if (!path)
		return ENTRY_OTHER;
	memcpy(path, dir, dl);
	path[dl] = '/';
	memcpy(path + dl + 1, rel, rl + 1);
	rc = stat(path, &st);
	dla_free(path);
	if (rc != 0)
		return ENTRY_OTHER;
	return S_ISREG(st.st_mode) ? ENTRY_FILE : S_ISDIR(st.st_mode) ? ENTRY_DIR : ENTRY_OTHER;
}

/* Collects files under dir/rel whose names end in one of suffixes
 * (recursively when recurse), as project-relative paths.  Hidden entries
 * are skipped.  Returns 0, or -1 on allocation failure. */
static int find_files(struct dla_loader *L, const char *rel, bool recurse, int depth,
		      const char *const *suffixes, size_t n_suffixes, struct pathlist *out)
{
	struct dla_buf full = DLA_BUF_INIT;
	struct pathlist subdirs = { 0 };
	struct dirent *de;
	DIR *d;
	int rc = 0;

	dla_buf_addf(&full, "%s/%s", L->p->dir, rel);
	if (dla_buf_failed(&full))
		return -1;
	d = opendir(full.buf);
	dla_buf_release(&full);
	if (!d) {
		if (errno != ENOENT && errno != ENOTDIR)
			dla_error_at(L->diags, rel, 0, 0, "cannot read directory: %s",
				     strerror(errno));
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		char *child;
		enum entry_type type;
		bool match = false;

		if (de->d_name[0] == '.')
			continue;
		child = dla_malloc(strlen(rel) + strlen(de->d_name) + 2);
		if (!child) {
			rc = -1;
			break;
		}
		snprintf(child, strlen(rel) + strlen(de->d_name) + 2, "%s/%s", rel, de->d_name);
		type = entry_type(L->p->dir, child, de);
		dla_free(child);
		for (size_t i = 0; i < n_suffixes && !match; i++)
			match = has_suffix(de->d_name, suffixes[i]);
		if (type == ENTRY_FILE && match)
			rc = pathlist_add(out, rel, de->d_name);
		else if (type == ENTRY_DIR && recurse)
			rc = pathlist_add(&subdirs, rel, de->d_name);
		if (rc)
			break;
	}
	closedir(d);
	for (size_t i = 0; rc == 0 && i < subdirs.n; i++) {
		if (depth >= MAX_DIR_DEPTH) {
			dla_error_at(L->diags, subdirs.items[i], 0, 0,
				     "directory nested deeper than %d levels", MAX_DIR_DEPTH);
			continue;
		}
		rc = find_files(L, subdirs.items[i], recurse, depth + 1, suffixes, n_suffixes, out);
	}
	pathlist_release(&subdirs);
	return rc;
}

/* ---- models -------------------------------------------------------------- */

/* Parses one models file's checked text; L->file is its path. */
static void parse_model_text(struct dla_loader *L, const char *text, size_t len)
{
	struct dla_arena scratch = DLA_ARENA_INIT;
	struct dla_ydocs docs;
	enum dla_code rc;

	L->p->n_model_files++;
	rc = dla_yaml_parse(&scratch, L->file, text, len, &docs, L->diags);
	if (rc == DLA_ERR_NOMEM)
		L->nomem = true;
	for (size_t i = 0; rc == DLA_OK && i < docs.n && !L->nomem; i++)
		ld_models_document(L, docs.docs[i]);
	dla_arena_release(&scratch);
}

static void load_model_file(struct dla_loader *L, const char *relpath)
{
	char *text;
	size_t len;
	int err;
	enum dla_code rc;

	L->file = ld_strdup(L, relpath);
	if (!L->file)
		return;
	rc = dla_text_file_read(L->p->dir, relpath, DLA_YAML_MAX_BYTES, &text, &len, &err,
				L->diags);
	if (rc == DLA_ERR_IO)
		dla_error_at(L->diags, relpath, 0, 0, "cannot read file: %s", strerror(err));
	if (rc != DLA_OK) {
		if (rc == DLA_ERR_NOMEM)
			L->nomem = true;
		return;
	}
	parse_model_text(L, text, len);
	dla_free(text);
}

/* ---- views --------------------------------------------------------------- */

static void shift_tree(struct dla_ynode *n, int line, int col0)
{
	if (!n || (n->flags & LD_FLAG_VISITED))
		return;
	n->flags |= LD_FLAG_VISITED;
	n->line = line;
	n->col += col0;
	for (size_t i = 0; i < n->n_pairs; i++) {
		shift_tree(n->pairs[i].key, line, col0);
		shift_tree(n->pairs[i].value, line, col0);
	}
	for (size_t i = 0; i < n->n_items; i++)
		shift_tree(n->items[i], line, col0);
}

static const char *const view_comment_keys[] = { "tags" };

/* "-- dla: tags: [a, b]": text[0..len) is what follows "dla:", starting at
 * 1-based column col of line `line`. */
static void parse_view_comment(struct dla_loader *L, struct dla_view *v, const char *text,
			       size_t len, int line, int col)
{
	struct dla_arena scratch = DLA_ARENA_INIT;
	struct dla_diags tmp = DLA_DIAGS_INIT;
	struct dla_ydocs docs;
	enum dla_code rc = dla_yaml_parse(&scratch, L->file, text, len, &docs, &tmp);

	for (size_t i = 0; i < tmp.n; i++)
		dla_diag_add(L->diags, tmp.items[i].severity, L->file,
			     tmp.items[i].line ? line : 0,
			     tmp.items[i].line ? tmp.items[i].col + col - 1 : 0,
			     "%s", tmp.items[i].message);
	if (tmp.nomem || rc == DLA_ERR_NOMEM)
		L->nomem = true;
	dla_diags_release(&tmp);
	if (rc == DLA_OK && docs.n == 1) {
		struct dla_ynode *doc = docs.docs[0];
		shift_tree(doc, line, col - 1);
		if (doc->kind != DLA_YNODE_MAPPING) {
			ld_error(L, doc, "'-- dla:' comment must hold settings like 'tags: [a, b]'");
		} else {
			for (size_t i = 0; i < doc->n_pairs; i++)
				if (ld_key(L, doc->pairs[i].key, view_comment_keys, 1, NULL, 0,
					   false) == 0)
					ld_names(L, "tags", doc->pairs[i].value, LD_TAGS, &v->tags);
		}
	}
	dla_arena_release(&scratch);
}

/* Leading comment lines of a view: looks for "-- dla: ..." settings. */
static void scan_view_comments(struct dla_loader *L, struct dla_view *v)
{
	const char *s = v->sql, *end = v->sql + v->sql_len;
	int line = 1;

	while (s < end) {
		const char *eol, *p;

		while (s < end && (*s == ' ' || *s == '\t' || *s == '\r'))
			s++;
		if (s < end && *s == '\n') {
			s++;
			line++;
			continue;
		}
		if (end - s < 2 || s[0] != '-' || s[1] != '-')
			break;
		eol = memchr(s, '\n', (size_t)(end - s));
		if (!eol)
			eol = end;
		p = s + 2;
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		if (eol - p >= 4 && memcmp(p, "dla:", 4) == 0) {
			const char *line_start = s, *q;
			int col = 1;
			while (line_start > v->sql && line_start[-1] != '\n')
				line_start--;
			p += 4;
			for (q = line_start; q < p; q++)
				if (((unsigned char)*q & 0xC0) != 0x80)
					col++;
			parse_view_comment(L, v, p, (size_t)(eol - p), line, col);
		}
		s = eol;
	}
}

static bool blank_text(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	return true;
}

/* Starts the view of views/<name>.sql: sets L->file.  False when out of
 * memory. */
static bool view_begin(struct dla_loader *L, const char *relpath, struct dla_view *v)
{
	const char *base = strrchr(relpath, '/') + 1;

	memset(v, 0, sizeof(*v));
	L->file = ld_strdup(L, relpath);
	v->name = dla_arena_strndup(L->arena, base, strlen(base) - 4);
	if (!L->file || !v->name) {
		L->nomem = true;
		return false;
	}
	v->path = L->file;
	v->loc.file = L->file;
	v->loc.line = 1;
	v->loc.col = 1;
	return true;
}

static void add_view(struct dla_loader *L, struct dla_view v);

static void load_view_file(struct dla_loader *L, const char *relpath)
{
	struct dla_view v;
	char *text;
	size_t len;
	int err;
	enum dla_code rc;

	if (!view_begin(L, relpath, &v))
		return;
	rc = dla_text_file_read(L->p->dir, relpath, DLA_YAML_MAX_BYTES, &text, &len, &err,
				L->diags);
	if (rc == DLA_ERR_IO)
		dla_error_at(L->diags, relpath, 0, 0, "cannot read file: %s", strerror(err));
	if (rc != DLA_OK) {
		if (rc == DLA_ERR_NOMEM)
			L->nomem = true;
		return;
	}
	v.sql = dla_arena_strndup(L->arena, text, len);
	v.sql_len = len;
	dla_free(text);
	if (!v.sql) {
		L->nomem = true;
		return;
	}
	add_view(L, v);
}

/* Checks, scans and registers a view whose text v.sql has been read. */
static void add_view(struct dla_loader *L, struct dla_view v)
{
	struct dla_scan_error serr;
	enum dla_code rc;

	if (v.sql_len >= 3 && memcmp(v.sql, "\xef\xbb\xbf", 3) == 0) {
		/* a UTF-8 byte order mark is no SQL (the YAML files skip it too) */
		v.sql += 3;
		v.sql_len -= 3;
	}
	if (!dla_ident_valid(v.name)) {
		dla_error_at(L->diags, L->file, 0, 0, "invalid view name '%s' (use letters, "
			     "digits and _; start with a letter or _)", v.name);
		return;
	}
	if (blank_text(v.sql, v.sql_len)) {
		dla_error_at(L->diags, L->file, 0, 0, "view file is empty");
		return;
	}
	if (dla_view_text_is_blank(v.sql, v.sql_len)) {
		dla_error_at(L->diags, L->file, 0, 0, "view file holds only comments");
		return;
	}
	memset(&serr, 0, sizeof(serr));
	rc = dla_view_scan(L->arena, v.sql, v.sql_len, &v.refs, &v.n_refs, &serr);
	if (rc == DLA_ERR_NOMEM) {
		L->nomem = true;
		return;
	}
	if (rc != DLA_OK) {
		dla_error_at(L->diags, L->file, serr.line, serr.col, "%s", serr.message);
		v.refs = NULL;
		v.n_refs = 0;
	}
	scan_view_comments(L, &v);
	{
		const char *rel = dla_arena_printf(L->arena, "%s.%s", L->p->views_schema, v.name);
		if (!rel) {
			L->nomem = true;
			return;
		}
		if (!ld_register_node(L, v.name, rel, v.loc))
			return;
	}
	if (dla_grow((void **)&L->views, &L->cap_views, L->n_views + 1, sizeof(*L->views)))
		L->nomem = true;
	else
		L->views[L->n_views++] = v;
}

/* ---- the loader ---------------------------------------------------------- */

static void *arena_copy(struct dla_loader *L, const void *items, size_t n, size_t size)
{
	void *copy;

	if (!n)
		return NULL;
	copy = dla_arena_calloc(L->arena, n, size);
	if (!copy) {
		L->nomem = true;
		return NULL;
	}
	memcpy(copy, items, n * size);
	return copy;
}

static void loader_release(struct dla_loader *L)
{
	dla_free(L->sources);
	dla_free(L->dims);
	dla_free(L->facts);
	dla_free(L->exposures);
	dla_free(L->views);
	dla_free(L->locs);
	dla_strmap_release(&L->names);
	dla_strmap_release(&L->relations);
}

/* Prefetch files when a project has at least this many (see prefetch.h). */
#define PREFETCH_MIN_FILES 64
#define PREFETCH_THREADS 8

/* Starts a load: p empty with its defaults, L ready.  Returns DLA_OK or
 * DLA_ERR_NOMEM (then diags->nomem is set; loader_release(L) is still due). */
static enum dla_code loader_init(struct dla_loader *L, struct dla_project *p, const char *dir,
				 dla_env_lookup_fn env_lookup, void *env_ctx,
				 struct dla_diags *diags)
{
	memset(p, 0, sizeof(*p));
	dla_arena_init(&p->arena);
	set_defaults(p);
	memset(L, 0, sizeof(*L));
	L->p = p;
	L->arena = &p->arena;
	L->diags = diags;
	L->env = env_lookup;
	L->env_ctx = env_ctx;
	dla_strmap_init(&L->names, true);
	dla_strmap_init(&L->relations, true);

	p->dir = dla_arena_strdup(&p->arena, dir);
	if (!p->dir) {
		diags->nomem = true;
		return DLA_ERR_NOMEM;
	}
	return DLA_OK;
}

/* Moves the collected specs into the project and ends the load. */
static enum dla_code loader_finish(struct dla_loader *L, size_t errors_before)
{
	struct dla_project *p = L->p;

	if (!L->nomem) {
		p->sources = arena_copy(L, L->sources, L->n_sources, sizeof(*L->sources));
		p->n_sources = p->sources ? L->n_sources : 0;
		p->dimensions = arena_copy(L, L->dims, L->n_dims, sizeof(*L->dims));
		p->n_dimensions = p->dimensions ? L->n_dims : 0;
		p->facts = arena_copy(L, L->facts, L->n_facts, sizeof(*L->facts));
		p->n_facts = p->facts ? L->n_facts : 0;
		p->exposures = arena_copy(L, L->exposures, L->n_exposures, sizeof(*L->exposures));
		p->n_exposures = p->exposures ? L->n_exposures : 0;
		p->views = arena_copy(L, L->views, L->n_views, sizeof(*L->views));
		p->n_views = p->views ? L->n_views : 0;
	}
	loader_release(L);
	if (L->nomem || L->diags->nomem) {
		L->diags->nomem = true;
		return DLA_ERR_NOMEM;
	}
	return L->diags->n_errors > errors_before ? DLA_ERR_INVALID : DLA_OK;
}

enum dla_code dla_project_load(struct dla_project *p, const char *dir,
			       dla_env_lookup_fn env_lookup, void *env_ctx,
			       struct dla_diags *diags)
{
	static const char *const yaml_suffixes[] = { ".yml", ".yaml" };
	static const char *const sql_suffixes[] = { ".sql" };
	struct dla_loader L;
	struct pathlist models = { 0 }, views = { 0 };
	struct dla_prefetch *prefetch = NULL;
	const char **in_order = NULL;
	size_t errors_before = diags->n_errors;
	enum dla_code rc;

	rc = loader_init(&L, p, dir, env_lookup, env_ctx, diags);
	if (rc == DLA_OK)
		rc = load_project_file(&L);
	if (rc != DLA_OK) {
		loader_release(&L);
		if (rc == DLA_ERR_NOMEM)
			diags->nomem = true;
		return rc;
	}
	if (L.nomem)
		goto out;

	if (find_files(&L, "models", true, 0, yaml_suffixes, 2, &models))
		L.nomem = true;
	if (models.n)
		qsort(models.items, models.n, sizeof(*models.items), cmp_paths);
	if (!L.nomem && find_files(&L, "views", false, 0, sql_suffixes, 1, &views))
		L.nomem = true;
	if (views.n)
		qsort(views.items, views.n, sizeof(*views.items), cmp_paths);

	/* big projects: read ahead of the parser so a cold page cache does not
	 * make us wait for the disk one file at a time */
	if (!L.nomem && models.n + views.n >= PREFETCH_MIN_FILES) {
		in_order = dla_calloc(models.n + views.n, sizeof(*in_order));
		if (in_order) {
			for (size_t i = 0; i < models.n; i++)
				in_order[i] = models.items[i];
			for (size_t i = 0; i < views.n; i++)
				in_order[models.n + i] = views.items[i];
			prefetch = dla_prefetch_start(p->dir, in_order, models.n + views.n,
						      PREFETCH_THREADS);
		}
	}
	for (size_t i = 0; i < models.n && !L.nomem; i++)
		load_model_file(&L, models.items[i]);
	for (size_t i = 0; i < views.n && !L.nomem; i++)
		load_view_file(&L, views.items[i]);
	dla_prefetch_stop(prefetch);
	dla_free(in_order);
out:
	pathlist_release(&models);
	pathlist_release(&views);
	return loader_finish(&L, errors_before);
}

/* ---- a project in memory ------------------------------------------------- */

/* Where a file of dla_project_load_files belongs. */
enum mem_kind { MEM_OTHER, MEM_PROJECT, MEM_MODEL, MEM_VIEW };

static enum mem_kind mem_kind(const char *path)
{
	if (strcmp(path, PROJECT_FILE) == 0)
		return MEM_PROJECT;
	if (strstr(path, "/."))
		return MEM_OTHER;   /* hidden entries are skipped on disk too */
	if (strncmp(path, "models/", 7) == 0 && path[7] &&
	    (has_suffix(path, ".yml") || has_suffix(path, ".yaml")))
		return MEM_MODEL;
	if (strncmp(path, "views/", 6) == 0 && !strchr(path + 6, '/') &&
	    has_suffix(path + 6, ".sql"))
		return MEM_VIEW;
	return MEM_OTHER;
}

static int cmp_file_paths(const void *a, const void *b)
{
	return strcmp((*(const struct dla_text_file *const *)a)->path,
		      (*(const struct dla_text_file *const *)b)->path);
}

enum dla_code dla_project_load_files(struct dla_project *p, const char *dir,
				     const struct dla_text_file *files, size_t n_files,
				     dla_env_lookup_fn env_lookup, void *env_ctx,
				     struct dla_diags *diags)
{
	struct dla_loader L;
	const struct dla_text_file *project = NULL, **sorted = NULL;
	size_t errors_before = diags->n_errors;
	enum dla_code rc;

	rc = loader_init(&L, p, dir, env_lookup, env_ctx, diags);
	if (rc != DLA_OK) {
		loader_release(&L);
		return rc;
	}
	for (size_t i = 0; i < n_files; i++)
		if (mem_kind(files[i].path) == MEM_PROJECT)
			project = &files[i];
	if (!project) {
		report_no_project_file(&L, ENOENT);
		loader_release(&L);
		return DLA_ERR_IO;
	}
	L.file = PROJECT_FILE;
	rc = dla_text_check(PROJECT_FILE, project->text, project->len, DLA_YAML_MAX_BYTES,
			    diags);
	if (rc == DLA_OK)
		rc = parse_project_text(&L, project->text, project->len);
	if (rc == DLA_ERR_NOMEM)
		L.nomem = true;
	if (L.nomem)
		return loader_finish(&L, errors_before);

	/* the same order as on disk: models, then views, each by path */
	sorted = dla_calloc(n_files ? n_files : 1, sizeof(*sorted));
	if (!sorted) {
		L.nomem = true;
		return loader_finish(&L, errors_before);
	}
	for (size_t i = 0; i < n_files; i++)
		sorted[i] = &files[i];
	qsort(sorted, n_files, sizeof(*sorted), cmp_file_paths);
	for (int pass = MEM_MODEL; pass <= MEM_VIEW; pass++) {
		for (size_t i = 0; i < n_files && !L.nomem; i++) {
			const struct dla_text_file *f = sorted[i];
			struct dla_view v;

			if ((int)mem_kind(f->path) != pass)
				continue;
			if (pass == MEM_MODEL) {
				L.file = ld_strdup(&L, f->path);
				if (L.file && dla_text_check(f->path, f->text, f->len,
							     DLA_YAML_MAX_BYTES, diags) == DLA_OK)
					parse_model_text(&L, f->text, f->len);
				continue;
			}
			if (!view_begin(&L, f->path, &v) ||
			    dla_text_check(f->path, f->text, f->len, DLA_YAML_MAX_BYTES,
					   diags) != DLA_OK)
				continue;
			v.sql = dla_arena_strndup(L.arena, f->text, f->len);
			v.sql_len = f->len;
			if (!v.sql)
				L.nomem = true;
			else
				add_view(&L, v);
		}
	}
	dla_free(sorted);
	return loader_finish(&L, errors_before);
}

void dla_project_release(struct dla_project *p)
{
	dla_arena_release(&p->arena);
	memset(p, 0, sizeof(*p));
}

const struct dla_target *dla_project_target(const struct dla_project *p, const char *name)
{
	if (!name)
		name = p->default_target;
	if (!name)
		return NULL;
	for (size_t i = 0; i < p->n_targets; i++)
		if (strcmp(p->targets[i].name, name) == 0)
			return &p->targets[i];
	return NULL;
}
