/*
 * warehouse.h - an open connection to a project's target, ready for work.
 *
 * dla_warehouse_open() resolves the target (project.h), finds its dialect
 * (dialect.h), connects (db.h), runs the dialect's session setup and makes
 * the project's schemas usable: views_schema, metadata_schema and the schema
 * of every source, dimension and fact (SQLite: ATTACH "<dir of the main
 * database>/<schema>.db" AS <schema>, SPEC 2; others: CREATE SCHEMA IF NOT
 * EXISTS).  A relative SQLite Database= path is resolved against the
 * project directory (SPEC 2) and its directory is created when missing.
 * Each worker thread opens its own warehouse connection.
 *
 * Schemas are made usable once per connection: the names done so far are
 * kept in `schemas` (compared case-insensitively), so ensure_schema is
 * cheap to call again and never ATTACHes a SQLite file twice (which SQLite
 * refuses).  SQLite caveats: ATTACH is refused inside a transaction (call
 * ensure_schema outside one), and a connection holds at most 10 attached
 * databases by default (SQLITE_MAX_ATTACHED), so a sqlite target supports
 * at most 10 distinct schemas besides main.
 *
 * Secrets: the target's connection string is never copied into errors.
 */
#ifndef DLA_WAREHOUSE_H
#define DLA_WAREHOUSE_H

#include "code.h"
#include "db.h"
#include "dialect.h"
#include "project.h"

struct dla_warehouse {
	struct dla_db *db;
	const struct dla_dialect *dialect;
	const struct dla_target *target;
	char *main_db_dir;     /* SQLite: directory of the main database file
				  (absolute); NULL for other engines */
	char **schemas;        /* schemas made usable on this connection */
	size_t n_schemas, cap_schemas;
};

/*
 * Opens a connection to target_name (NULL = the project's default target).
 * Errors are in err->message (never with the connection string):
 *   target 'x' is not defined in dla.yml (did you mean 'y'?)
 *   target 'x': unknown dialect 'y'
 *   target 'x': cannot create directory '/abs/dir': <strerror>
 *   cannot connect to target 'x': <driver messages, secrets scrubbed>
 *   target 'x': session setup failed (<label>): <driver messages>
 *   cannot create schema 'x': <driver messages>
 * On failure wh is left closed (nothing to release).
 * Errors: DLA_ERR_USAGE (no such target / unknown dialect: message in err),
 * DLA_ERR_IO (SQLite: the database directory cannot be created),
 * DLA_ERR_CONNECT, DLA_ERR_DB (session setup or schema creation failed),
 * DLA_ERR_NOMEM.  On success the caller closes with dla_warehouse_close.
 */
enum dla_code dla_warehouse_open(const struct dla_project *p, const char *target_name,
				 struct dla_warehouse *wh, struct dla_db_error *err);
void dla_warehouse_close(struct dla_warehouse *wh);

/* Makes schema usable on this connection (idempotent).  Not inside a
 * transaction (SQLite cannot ATTACH there). */
enum dla_code dla_warehouse_ensure_schema(struct dla_warehouse *wh, const char *schema,
					  struct dla_db_error *err);

/*
 * The SQLite path rule, exposed for tests.  Finds the Database= value of
 * conn (key case-insensitive, blanks around it ignored, value plain or
 * "{braced}" with "}}" for '}'); a relative path is joined to project_dir
 * (which must be absolute).  *conn_out is conn with the value replaced by
 * the absolute path (braced when it holds ';', '{', '}' or edge blanks) and
 * *db_path_out the absolute path; both new strings (caller frees with
 * dla_free).  ":memory:" and "file:" URIs are kept as written, with
 * *db_path_out NULL.  Returns DLA_OK, DLA_ERR_USAGE when conn has no
 * non-empty Database= value, or DLA_ERR_NOMEM.
 */
enum dla_code dla_warehouse_sqlite_path(const char *conn, const char *project_dir,
					char **conn_out, char **db_path_out);

#endif
