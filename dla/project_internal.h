/*
 * project_internal.h - shared state of the project loader (project_*.c).
 * Not part of libdla's API: only project_load.c, project_spec.c and
 * project_value.c include it.
 *
 * One struct dla_loader lives for the duration of dla_project_load().  The
 * YAML tree of the file being read lives in a scratch arena released after
 * each file; every value kept in the project is copied into the project
 * arena by the ld_* getters below.
 */
#ifndef DLA_PROJECT_INTERNAL_H
#define DLA_PROJECT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "project.h"
#include "strmap.h"
#include "yaml_doc.h"

/* dla_ynode.flags bits used by the loader */
#define LD_FLAG_VISITED 1u   /* env expansion already done on this node */
#define LD_FLAG_BAD     2u   /* expansion failed: reported, skip silently */

struct dla_loader {
	struct dla_project *p;
	struct dla_arena *arena;         /* &p->arena */
	struct dla_diags *diags;
	dla_env_lookup_fn env;
	void *env_ctx;
	const char *file;                /* file being read (project arena) */
	bool nomem;

	/* specs collected so far (heap; copied into the arena at the end) */
	struct dla_source *sources;
	size_t n_sources, cap_sources;
	struct dla_dimension *dims;
	size_t n_dims, cap_dims;
	struct dla_fact *facts;
	size_t n_facts, cap_facts;
	struct dla_exposure *exposures;
	size_t n_exposures, cap_exposures;
	struct dla_view *views;
	size_t n_views, cap_views;

	/* node names and relations -> index into locs[] (first definition) */
	struct dla_strmap names;
	struct dla_strmap relations;
	struct dla_loc *locs;
	size_t n_locs, cap_locs;
};

/* ---- getters (project_value.c) -------------------------------------------
 * Each reads the value node of key `key` and returns 1 when it produced a
 * value, 0 when the value is null (= the key is absent), -1 after reporting
 * a problem (or silently for a node marked LD_FLAG_BAD).  Strings are copied
 * into the project arena.
 */
struct dla_loc ld_loc(struct dla_loader *L, const struct dla_ynode *n);
void ld_error(struct dla_loader *L, const struct dla_ynode *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ld_warn(struct dla_loader *L, const struct dla_ynode *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ld_error_loc(struct dla_loader *L, struct dla_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
char *ld_strdup(struct dla_loader *L, const char *s);

int ld_string(struct dla_loader *L, const char *key, const struct dla_ynode *n,
	      const char **out);
int ld_ident(struct dla_loader *L, const char *key, const struct dla_ynode *n,
	     const char **out);
/* a node name: identifier or schema.identifier */
int ld_nodename(struct dla_loader *L, const char *key, const struct dla_ynode *n,
		const char **out);
int ld_bool(struct dla_loader *L, const char *key, const struct dla_ynode *n,
	    bool *out);
int ld_long(struct dla_loader *L, const char *key, const struct dla_ynode *n,
	    long min, long max, long *out);
int ld_duration(struct dla_loader *L, const char *key, const struct dla_ynode *n,
		long *out);
/* noun names the setting in messages ("load", "exposure type") */
int ld_enum(struct dla_loader *L, const char *noun, const struct dla_ynode *n,
	    const char *const *values, size_t n_values, int *out);

enum ld_names_kind { LD_COLUMNS, LD_TAGS, LD_NODES };
/* A list of identifiers (LD_NODES: node names); duplicates are reported
 * ("column 'x' listed twice in 'grain'"). */
int ld_names(struct dla_loader *L, const char *key, const struct dla_ynode *n,
	     enum ld_names_kind kind, struct dla_names *out);

/* Checks an identifier, reporting "invalid identifier ..." at `at`. */
bool ld_check_ident(struct dla_loader *L, const struct dla_ynode *at, const char *name);

/*
 * Index of key node k in keys[0..n_keys), or -1 after reporting
 * "unknown key 'x' (did you mean 'y'?)" (suggestions drawn from keys and
 * extra).  Keys found in extra return n_keys + their index there.  Keys
 * starting with "x-" return -2 when allow_ext (extension fields, ignored).
 */
int ld_key(struct dla_loader *L, const struct dla_ynode *k,
	   const char *const *keys, size_t n_keys,
	   const char *const *extra, size_t n_extra, bool allow_ext);

/* true when n is a mapping; else reports "'key' must be a mapping"
 * (unless null: returns false silently, *absent set). */
bool ld_is_mapping(struct dla_loader *L, const char *key, const struct dla_ynode *n);

/* Expands ${VAR} in every scalar value below n (not in keys), reporting
 * failures at the scalar and marking it LD_FLAG_BAD. */
void ld_expand_tree(struct dla_loader *L, struct dla_ynode *n);

/*
 * dla_expand_env with a diagnostic text: on failure returns NULL and sets
 * *message to "undefined environment variable 'X'" or another problem with
 * the reference (never an expanded value); *message NULL = out of memory.
 */
char *ld_expand_env_msg(struct dla_arena *a, const char *text,
			dla_env_lookup_fn env_lookup, void *env_ctx,
			const char **message);

/* ---- node registry (project_load.c) -------------------------------------- */

/* Registers a node name (and relation "schema.name" when schema is set);
 * reports duplicates.  Returns false when the name was a duplicate. */
bool ld_register_node(struct dla_loader *L, const char *name, const char *schema,
		      struct dla_loc loc);

/* ---- models (project_spec.c) --------------------------------------------- */

/* Reads one document of a models file into the loader's spec lists. */
void ld_models_document(struct dla_loader *L, const struct dla_ynode *doc);

#endif
