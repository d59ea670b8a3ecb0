/*
 * warehouse.c - opening a target: resolve target and dialect, fix up a
 * SQLite database path, connect, run the session setup and make every
 * project schema usable (see warehouse.h).
 */
#include "warehouse.h"
#include "alloc.h"
#include "buf.h"
#include "diag.h"
#include "stmts.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static void err_setf(struct dla_db_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void err_setf(struct dla_db_error *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	memset(err, 0, sizeof(*err));
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

/* Rewrites err->message as "<prefix>: <message>" (truncated to fit). */
static void err_prefix(struct dla_db_error *err, const char *prefix)
{
	struct dla_buf b = DLA_BUF_INIT;
	size_t n;

	if (!err)
		return;
	dla_buf_adds(&b, prefix);
	if (err->message[0])
		dla_buf_addf(&b, ": %s", err->message);
	if (dla_buf_failed(&b)) {
		dla_buf_release(&b);
		return;
	}
	n = b.len < sizeof(err->message) ? b.len : sizeof(err->message) - 1;
	memcpy(err->message, b.buf, n);
	err->message[n] = '\0';
	dla_buf_release(&b);
}

/* ---- the SQLite database path -------------------------------------------- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Where the Database= value sits in a connection string. */
struct conn_value {
	size_t start, end;      /* raw value (braces included) in conn */
	struct dla_buf text;    /* unbraced, unescaped, blanks trimmed */
};

/* Finds the first KEY= (case-insensitive).  Returns 1 found, 0 not found,
 * -1 NOMEM. */
static int find_conn_key(const char *conn, const char *key, struct conn_value *out)
{
	size_t key_len = strlen(key);
	size_t len = strlen(conn), i = 0;

	while (i < len) {
		size_t key_start, key_end, v, vend;

		while (i < len && (conn[i] == ';' || is_blank(conn[i])))
			i++;
		key_start = i;
		while (i < len && conn[i] != '=' && conn[i] != ';')
			i++;
		if (i >= len || conn[i] == ';')
			continue;                 /* a key without a value */
		key_end = i;
		while (key_end > key_start && is_blank(conn[key_end - 1]))
			key_end--;
		v = i + 1;
		while (v < len && is_blank(conn[v]))
			v++;
		if (v < len && conn[v] == '{') {
			vend = v + 1;
			while (vend < len) {
				if (conn[vend] == '}') {
					if (vend + 1 < len && conn[vend + 1] == '}') {
						vend += 2;
						continue;
					}
					vend++;
					break;
				}
				vend++;
			}
		} else {
			vend = v;
			while (vend < len && conn[vend] != ';')
				vend++;
		}
		if (key_end - key_start == key_len &&
		    strncasecmp(conn + key_start, key, key_len) == 0) {
			dla_buf_init(&out->text);
			out->start = v;
			out->end = vend;
			if (v < len && conn[v] == '{') {
				size_t stop = vend;

				if (stop > v + 1 && conn[stop - 1] == '}')
					stop--;
				for (size_t k = v + 1; k < stop; k++) {
					dla_buf_addch(&out->text, conn[k]);
					if (conn[k] == '}' && k + 1 < stop && conn[k + 1] == '}')
						k++;
				}
			} else {
				size_t stop = vend;

				while (stop > v && is_blank(conn[stop - 1]))
					stop--;
				dla_buf_add(&out->text, conn + v, stop - v);
			}
			if (dla_buf_failed(&out->text)) {
				dla_buf_release(&out->text);
				return -1;
			}
			return 1;
		}
		i = vend;
	}
	return 0;
}

/* Appends value to b as an ODBC connection-string value. */
static void add_conn_value(struct dla_buf *b, const char *value)
{
	size_t len = strlen(value);
	bool brace = strpbrk(value, ";{}") != NULL ||
		     (len && (is_blank(value[0]) || is_blank(value[len - 1])));

	if (!brace) {
		dla_buf_adds(b, value);
		return;
	}
	dla_buf_addch(b, '{');
	for (const char *p = value; *p; p++) {
		dla_buf_addch(b, *p);
		if (*p == '}')
			dla_buf_addch(b, '}');
	}
	dla_buf_addch(b, '}');
}

enum dla_code dla_warehouse_sqlite_path(const char *conn, const char *project_dir,
					char **conn_out, char **db_path_out)
{
	struct conn_value cv;
	struct dla_buf path = DLA_BUF_INIT, out = DLA_BUF_INIT;
	const char *rel;
	int found;

	*conn_out = NULL;
	*db_path_out = NULL;
	found = find_conn_key(conn, "Database", &cv);
	if (found < 0)
		return DLA_ERR_NOMEM;
	if (found == 0)
		return DLA_ERR_USAGE;
	if (cv.text.len == 0) {
		dla_buf_release(&cv.text);
		return DLA_ERR_USAGE;
	}
	if (strcmp(cv.text.buf, ":memory:") == 0 || strncmp(cv.text.buf, "file:", 5) == 0) {
		dla_buf_release(&cv.text);
		*conn_out = dla_strdup(conn);
		return *conn_out ? DLA_OK : DLA_ERR_NOMEM;
	}

	rel = cv.text.buf;
	if (rel[0] != '/') {
		size_t dlen = strlen(project_dir);

		while (rel[0] == '.' && rel[1] == '/') {
			rel += 2;
			while (*rel == '/')
				rel++;
		}
		dla_buf_add(&path, project_dir, dlen);
		if (dlen == 0 || project_dir[dlen - 1] != '/')
			dla_buf_addch(&path, '/');
	}
	dla_buf_adds(&path, rel);

	dla_buf_add(&out, conn, cv.start);
	add_conn_value(&out, path.buf);
	dla_buf_adds(&out, conn + cv.end);
	dla_buf_release(&cv.text);
	if (dla_buf_failed(&path) || dla_buf_failed(&out)) {
		dla_buf_release(&path);
		dla_buf_release(&out);
		return DLA_ERR_NOMEM;
	}
	*conn_out = dla_buf_detach(&out);
	*db_path_out = dla_buf_detach(&path);
	if (!*conn_out || !*db_path_out) {
		dla_free(*conn_out);
		dla_free(*db_path_out);
		*conn_out = *db_path_out = NULL;
		return DLA_ERR_NOMEM;
	}
	return DLA_OK;
}

/* mkdir -p dir.  Returns 0, or -1 with errno set. */
static int make_dirs(char *dir)
{
	struct stat st;

	for (char *p = dir + 1; ; p++) {
		char saved = *p;

		if (saved != '/' && saved != '\0')
			continue;
		*p = '\0';
		if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
			*p = saved;
			return -1;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	if (stat(dir, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/* The absolute, canonical project directory (dla_free), or NULL. */
static char *absolute_dir(const char *dir)
{
	char *real = realpath(dir && *dir ? dir : ".", NULL);
	char *copy;

	if (!real)
		return NULL;
	copy = dla_strdup(real);
	free(real);
	return copy;
}

/*
 * SQLite: rewrites the connection string with an absolute database path,
 * creates its directory and sets wh->main_db_dir.
 */
static enum dla_code prepare_sqlite(const struct dla_project *p,
				    struct dla_warehouse *wh, char **conn,
				    struct dla_db_error *err)
{
	const char *tname = wh->target->name;
	char *project_dir, *db_path = NULL, *slash;
	enum dla_code rc;

	project_dir = absolute_dir(p->dir);
	if (!project_dir) {
		err_setf(err, "target '%s': cannot resolve the project directory '%s': %s",
			 tname, p->dir ? p->dir : ".", strerror(errno));
		return DLA_ERR_IO;
	}
	rc = dla_warehouse_sqlite_path(wh->target->connection, project_dir, conn, &db_path);
	if (rc == DLA_ERR_USAGE) {
		err_setf(err, "target '%s': the sqlite connection string has no "
			 "Database= path", tname);
		dla_free(project_dir);
		return rc;
	}
	if (rc != DLA_OK) {
		err_setf(err, "out of memory");
		dla_free(project_dir);
		return rc;
	}
	if (!db_path) {                    /* :memory:, file: URI */
		wh->main_db_dir = project_dir;
		return DLA_OK;
	}
	dla_free(project_dir);

	slash = strrchr(db_path, '/');
	if (slash == db_path)
		slash[1] = '\0';               /* "/x.db": the root */
	else
		*slash = '\0';
	if (make_dirs(db_path) != 0) {
		err_setf(err, "target '%s': cannot create directory '%s': %s",
			 tname, db_path, strerror(errno));
		dla_free(db_path);
		dla_free(*conn);
		*conn = NULL;
		return DLA_ERR_IO;
	}
	wh->main_db_dir = absolute_dir(db_path);
	if (!wh->main_db_dir) {
		err_setf(err, "target '%s': cannot resolve directory '%s': %s",
			 tname, db_path, strerror(errno));
		dla_free(db_path);
		dla_free(*conn);
		*conn = NULL;
		return DLA_ERR_IO;
	}
	dla_free(db_path);
	return DLA_OK;
}

/* ---- open / close ---------------------------------------------------------- */

/* Appends the dialect's connection_defaults ("Key=value;...") whose keys the
 * target's connection string does not set.  *conn may be NULL on entry (then
 * the target's string is the base); on return it is NULL or a new string. */
static enum dla_code add_connection_defaults(struct dla_warehouse *wh, char **conn)
{
	const char *defaults = wh->dialect->connection_defaults;
	const char *base = *conn ? *conn : wh->target->connection;
	struct dla_buf out = DLA_BUF_INIT;

	if (!defaults || !*defaults)
		return DLA_OK;
	dla_buf_adds(&out, base);
	while (*defaults) {
		size_t len = strcspn(defaults, ";");
		size_t key_len = strcspn(defaults, "=;");
		char key[64];
		struct conn_value found;
		int has;

		if (key_len < sizeof(key) && key_len < len) {
			memcpy(key, defaults, key_len);
			key[key_len] = '\0';
			has = find_conn_key(base, key, &found);
			if (has < 0) {
				dla_buf_release(&out);
				return DLA_ERR_NOMEM;
			}
			if (has)
				dla_buf_release(&found.text);
			else {
				if (out.len && out.buf[out.len - 1] != ';')
					dla_buf_addch(&out, ';');
				dla_buf_add(&out, defaults, len);
			}
		}
		defaults += len;
		if (*defaults == ';')
			defaults++;
	}
	if (dla_buf_failed(&out))
		return DLA_ERR_NOMEM;
	dla_free(*conn);
	*conn = dla_buf_detach(&out);
	return *conn ? DLA_OK : DLA_ERR_NOMEM;
}

static enum dla_code unknown_target(const struct dla_project *p, const char *name,
				    struct dla_db_error *err)
{
	const char *names[64];
	size_t n = 0;
	const char *guess;

	if (!name) {
		err_setf(err, "no target given and dla.yml sets no default_target");
		return DLA_ERR_USAGE;
	}
	for (size_t i = 0; i < p->n_targets && n < 64; i++)
		names[n++] = p->targets[i].name;
	guess = dla_closest_word(name, names, n);
	if (guess)
		err_setf(err, "target '%s' is not defined in dla.yml (did you mean '%s'?)",
			 name, guess);
	else
		err_setf(err, "target '%s' is not defined in dla.yml", name);
	return DLA_ERR_USAGE;
}

static enum dla_code session_setup(struct dla_warehouse *wh, struct dla_db_error *err)
{
	struct dla_stmts stmts = DLA_STMTS_INIT;
	enum dla_code rc = DLA_OK;

	wh->dialect->session_setup(&stmts);
	if (dla_stmts_failed(&stmts)) {
		dla_stmts_release(&stmts);
		err_setf(err, "out of memory");
		return DLA_ERR_NOMEM;
	}
	for (size_t i = 0; i < stmts.n && rc == DLA_OK; i++) {
		rc = dla_db_exec(wh->db, stmts.items[i].sql, NULL, 0, NULL, err);
		if (rc != DLA_OK) {
			char prefix[256];

			snprintf(prefix, sizeof(prefix), "target '%.100s': session setup failed (%.100s)",
				 wh->target->name, stmts.items[i].label);
			err_prefix(err, prefix);
		}
	}
	dla_stmts_release(&stmts);
	return rc;
}

static enum dla_code ensure_project_schemas(struct dla_warehouse *wh,
					    const struct dla_project *p,
					    struct dla_db_error *err)
{
	enum dla_code rc = DLA_OK;

	if (p->views_schema)
		rc = dla_warehouse_ensure_schema(wh, p->views_schema, err);
	if (rc == DLA_OK && p->metadata_schema)
		rc = dla_warehouse_ensure_schema(wh, p->metadata_schema, err);
	for (size_t i = 0; rc == DLA_OK && i < p->n_sources; i++)
		if (p->sources[i].schema)
			rc = dla_warehouse_ensure_schema(wh, p->sources[i].schema, err);
	for (size_t i = 0; rc == DLA_OK && i < p->n_dimensions; i++)
		if (p->dimensions[i].schema)
			rc = dla_warehouse_ensure_schema(wh, p->dimensions[i].schema, err);
	for (size_t i = 0; rc == DLA_OK && i < p->n_facts; i++)
		if (p->facts[i].schema)
			rc = dla_warehouse_ensure_schema(wh, p->facts[i].schema, err);
	return rc;
}

enum dla_code dla_warehouse_open(const struct dla_project *p, const char *target_name,
				 struct dla_warehouse *wh, struct dla_db_error *err)
{
	char *conn = NULL;
	enum dla_code rc;

	memset(wh, 0, sizeof(*wh));
	if (err)
		memset(err, 0, sizeof(*err));
	wh->target = dla_project_target(p, target_name);
	if (!wh->target)
		return unknown_target(p, target_name ? target_name : p->default_target, err);
	wh->dialect = dla_dialect_find(wh->target->dialect);
	if (!wh->dialect) {
		err_setf(err, "target '%s': unknown dialect '%s'", wh->target->name,
			 wh->target->dialect ? wh->target->dialect : "");
		return DLA_ERR_USAGE;
	}
	if (!wh->target->connection || !*wh->target->connection) {
		err_setf(err, "target '%s' has no connection string", wh->target->name);
		return DLA_ERR_USAGE;
	}

	/* The one engine whose database is a file path relative to the project
	 * (SPEC 2); its schemas are files beside it (main_db_dir). */
	if (wh->dialect->file_database) {
		rc = prepare_sqlite(p, wh, &conn, err);
		if (rc != DLA_OK)
			goto fail;
	}
	rc = add_connection_defaults(wh, &conn);
	if (rc != DLA_OK)
		goto fail;

	rc = dla_db_connect(conn ? conn : wh->target->connection, &wh->db, err);
	dla_free(conn);
	if (rc != DLA_OK) {
		char prefix[160];

		snprintf(prefix, sizeof(prefix), "cannot connect to target '%.100s'",
			 wh->target->name);
		err_prefix(err, prefix);
		goto fail;
	}
	rc = session_setup(wh, err);
	if (rc == DLA_OK)
		rc = ensure_project_schemas(wh, p, err);
	if (rc != DLA_OK)
		goto fail;
	return DLA_OK;

fail:
	dla_warehouse_close(wh);
	return rc;
}

void dla_warehouse_close(struct dla_warehouse *wh)
{
	if (!wh)
		return;
	dla_db_close(wh->db);
	dla_free(wh->main_db_dir);
	for (size_t i = 0; i < wh->n_schemas; i++)
		dla_free(wh->schemas[i]);
	dla_free(wh->schemas);
	memset(wh, 0, sizeof(*wh));
}

enum dla_code dla_warehouse_ensure_schema(struct dla_warehouse *wh, const char *schema,
					  struct dla_db_error *err)
{
	struct dla_buf sql = DLA_BUF_INIT;
	enum dla_code rc;
	char *copy;

	if (!wh || !wh->db || !schema || !*schema) {
		err_setf(err, "dla_warehouse_ensure_schema: bad argument");
		return DLA_ERR_USAGE;
	}
	for (size_t i = 0; i < wh->n_schemas; i++)
		if (strcasecmp(wh->schemas[i], schema) == 0)
			return DLA_OK;

	copy = dla_strdup(schema);
	if (!copy || dla_grow((void **)&wh->schemas, &wh->cap_schemas, wh->n_schemas + 1,
			      sizeof(*wh->schemas))) {
		dla_free(copy);
		err_setf(err, "out of memory");
		return DLA_ERR_NOMEM;
	}
	wh->dialect->create_schema(&sql, schema, wh->main_db_dir);
	if (dla_buf_failed(&sql)) {
		dla_free(copy);
		err_setf(err, "out of memory");
		return DLA_ERR_NOMEM;
	}
	rc = dla_db_exec(wh->db, sql.buf, NULL, 0, NULL, err);
	dla_buf_release(&sql);
	if (rc != DLA_OK) {
		char prefix[160];

		dla_free(copy);
		snprintf(prefix, sizeof(prefix), "cannot create schema '%.100s'", schema);
		err_prefix(err, prefix);
		return rc;
	}
	wh->schemas[wh->n_schemas++] = copy;
	return DLA_OK;
}
