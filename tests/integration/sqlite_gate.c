/*
 * sqlite_gate.c - a gate an integration test holds closed while a dla run on
 * SQLite waits in one of its views (tests/integration/gate.sh builds it and
 * loads it through sqliteodbc's LoadExt=; never part of dla).
 *
 * The gate is a file: the test holds an exclusive flock(2) on it while the
 * gate is closed.  Two SQL functions:
 *
 *   dla_it_gate(PATH)         waits until the gate is open (a shared flock,
 *                             dropped at once), then returns 1.  A waiter
 *                             first appends its pid to PATH.at, so the test
 *                             knows who waits.  Blocks in the kernel: a
 *                             statement waiting here cannot be interrupted.
 *   dla_it_gate_closed(PATH)  1 while the gate is closed, else 0, without
 *                             waiting (for a recursive CTE that runs until
 *                             the gate opens: sqlite3_interrupt stops it);
 *                             the first time it finds the gate closed the
 *                             process appends its pid to PATH.at.
 *
 * A SQLite lock on an attached file cannot be that gate: dla attaches every
 * schema (reading its schema) when it connects, before it takes its run
 * lock, and gives up on a locked file after its busy timeout (10 s).
 *
 * No sqlite3ext.h (libsqlite3-dev is not a dla dependency): the few
 * functions are declared here and resolved from libsqlite3.so.0, the library
 * sqliteodbc itself links (one SQLite in the process).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

typedef struct sqlite3 sqlite3;
typedef struct sqlite3_context sqlite3_context;
typedef struct sqlite3_value sqlite3_value;
typedef void (*sql_fn)(sqlite3_context *, int, sqlite3_value **);

int sqlite3_create_function(sqlite3 *db, const char *name, int n_arg, int text_rep,
			    void *app, sql_fn fn, sql_fn step, void (*final)(sqlite3_context *));
const unsigned char *sqlite3_value_text(sqlite3_value *v);
void sqlite3_result_int(sqlite3_context *ctx, int v);
void sqlite3_result_error(sqlite3_context *ctx, const char *msg, int n);

#define GATE_SQLITE_UTF8 1
#define GATE_SQLITE_OK 0

int sqlite3_extension_init(sqlite3 *db, char **errmsg, const void *api);

/* Appends "pid\n" to PATH.at. */
static void announce(const char *path)
{
	char at[4096], line[32];
	int fd, n;

	if (snprintf(at, sizeof(at), "%s.at", path) >= (int)sizeof(at))
		return;
	fd = open(at, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	if (write(fd, line, (size_t)n) != n) {
		/* only a hint for the test: it then waits for it in vain */
	}
	close(fd);
}

/* Opens PATH; -1 with an error set on ctx. */
static int open_gate(sqlite3_context *ctx, sqlite3_value *arg)
{
	const char *path = (const char *)sqlite3_value_text(arg);
	int fd;

	if (!path) {
		sqlite3_result_error(ctx, "dla_it_gate: no path", -1);
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		sqlite3_result_error(ctx, "dla_it_gate: cannot open the gate file", -1);
	return fd;
}

/* 1 when a shared lock was had without waiting (the gate is open). */
static int try_shared(int fd)
{
	int rc;

	do
		rc = flock(fd, LOCK_SH | LOCK_NB);
	while (rc != 0 && errno == EINTR);
	if (rc == 0)
		flock(fd, LOCK_UN);
	return rc == 0;
}

static void gate_wait(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *path = (const char *)sqlite3_value_text(argv[0]);
	int fd = open_gate(ctx, argv[0]);
	int rc;

	if (fd < 0)
		return;
	if (!try_shared(fd)) {
		announce(path);
		do
			rc = flock(fd, LOCK_SH);
		while (rc != 0 && errno == EINTR);
		if (rc == 0)
			flock(fd, LOCK_UN);
	}
	close(fd);
	sqlite3_result_int(ctx, 1);
}

static void gate_closed(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	static int announced;
	const char *path = (const char *)sqlite3_value_text(argv[0]);
	int fd = open_gate(ctx, argv[0]);
	int open_now;

	if (fd < 0)
		return;
	open_now = try_shared(fd);
	close(fd);
	if (!open_now && !announced) {
		announced = 1;
		announce(path);
	}
	sqlite3_result_int(ctx, !open_now);
}

int sqlite3_extension_init(sqlite3 *db, char **errmsg, const void *api)
{
	if (sqlite3_create_function(db, "dla_it_gate", 1, GATE_SQLITE_UTF8, NULL, gate_wait,
				    NULL, NULL) != GATE_SQLITE_OK)
		return 1;
	return sqlite3_create_function(db, "dla_it_gate_closed", 1, GATE_SQLITE_UTF8, NULL,
				       gate_closed, NULL, NULL);
}
