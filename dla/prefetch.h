/*
 * prefetch.h - warm the page cache for a list of files in the background.
 *
 * Loading a big project cold is dominated by waiting for the disk one file
 * at a time.  dla_prefetch_start() starts a few threads that read the files
 * (in list order, each file once) while the caller parses them in the same
 * order; by the time the caller opens a file it is usually in the page
 * cache.  Purely an optimisation: errors are ignored (the caller's own read
 * reports them), and a failure to start threads just means no prefetch.
 *
 * The paths (dir + "/" + rel) must stay valid until dla_prefetch_stop(),
 * which stops the threads (they finish the file they are reading), joins
 * them and frees everything.  NULL is fine.
 */
#ifndef DLA_PREFETCH_H
#define DLA_PREFETCH_H

#include <stddef.h>

struct dla_prefetch;

struct dla_prefetch *dla_prefetch_start(const char *dir, const char *const *rel,
					size_t n, int threads);
void dla_prefetch_stop(struct dla_prefetch *pf);

#endif
