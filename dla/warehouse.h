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
};

/*
 * Opens a connection to target_name (NULL = the project's default target).
 * Errors: DLA_ERR_USAGE (no such target / unknown dialect: message in err),
 * DLA_ERR_CONNECT, DLA_ERR_DB (session setup or schema creation failed),
 * DLA_ERR_NOMEM.  On success the caller closes with dla_warehouse_close.
 */
enum dla_code dla_warehouse_open(const struct dla_project *p, const char *target_name,
				 struct dla_warehouse *wh, struct dla_db_error *err);
void dla_warehouse_close(struct dla_warehouse *wh);

/* Makes schema usable on this connection (idempotent). */
enum dla_code dla_warehouse_ensure_schema(struct dla_warehouse *wh, const char *schema,
					  struct dla_db_error *err);

#endif
