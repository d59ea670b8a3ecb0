/*
 * code.h - result codes of the dla library.
 *
 * Every library function that can fail returns an enum dla_code (or a
 * pointer that is NULL on failure with the code in an out-parameter).
 * Like curl's CURLcode the enum is only ever appended to: values are part
 * of the ABI of libdla and appear in JSON logs.
 */
#ifndef DLA_CODE_H
#define DLA_CODE_H

enum dla_code {
	DLA_OK = 0,
	DLA_ERR_NOMEM = 1,     /* an allocation failed */
	DLA_ERR_IO = 2,        /* a file could not be read or written */
	DLA_ERR_INVALID = 3,   /* invalid project: see the collected diagnostics */
	DLA_ERR_CYCLE = 4,     /* the DAG has a cycle (a diagnostic names it) */
	DLA_ERR_USAGE = 5,     /* a caller passed a bad argument (selector, option) */
	DLA_ERR_CONNECT = 6,   /* cannot connect to the target */
	DLA_ERR_DB = 7,        /* a statement failed */
	DLA_ERR_LOCKED = 8,    /* another run holds the lease lock */
	DLA_ERR_CONN_DEAD = 9, /* the connection died mid-work */
	DLA_ERR_DATA = 10,     /* source data violates the spec (duplicate keys...) */
	DLA_ERR_INTERRUPTED = 11, /* stopped by a signal */
	DLA_ERR_INTERNAL = 12, /* a bug in dla */
};

/* A short lowercase description of code; never NULL, never freed. */
const char *dla_strerror(enum dla_code code);

#endif
