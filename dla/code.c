/* code.c - text of the enum dla_code result codes. */
#include "code.h"

const char *dla_strerror(enum dla_code code)
{
	switch (code) {
	case DLA_OK: return "success";
	case DLA_ERR_NOMEM: return "out of memory";
	case DLA_ERR_IO: return "input/output error";
	case DLA_ERR_INVALID: return "invalid project";
	case DLA_ERR_CYCLE: return "dependency cycle";
	case DLA_ERR_USAGE: return "usage error";
	case DLA_ERR_CONNECT: return "cannot connect";
	case DLA_ERR_DB: return "database error";
	case DLA_ERR_LOCKED: return "locked by another run";
	case DLA_ERR_CONN_DEAD: return "connection lost";
	case DLA_ERR_DATA: return "source data error";
	case DLA_ERR_INTERRUPTED: return "interrupted";
	case DLA_ERR_INTERNAL: return "internal error";
	}
	return "unknown error";
}
