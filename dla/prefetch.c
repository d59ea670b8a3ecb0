/* prefetch.c - background threads reading files ahead of the loader. */
#include "prefetch.h"
#include "alloc.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#define MAX_THREADS 16

struct dla_prefetch {
	const char *dir;
	const char *const *rel;
	size_t n;
	atomic_size_t next;
	atomic_int stop;
	pthread_t threads[MAX_THREADS];
	int n_threads;
};

static void *prefetch_worker(void *arg)
{
	struct dla_prefetch *pf = arg;
	char path[4096];
	char scratch[65536];

	while (!atomic_load(&pf->stop)) {
		size_t i = atomic_fetch_add(&pf->next, 1);
		int fd, len;

		if (i >= pf->n)
			break;
		len = snprintf(path, sizeof(path), "%s/%s", pf->dir, pf->rel[i]);
		if (len < 0 || (size_t)len >= sizeof(path))
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		while (read(fd, scratch, sizeof(scratch)) > 0)
			;
		close(fd);
	}
	return NULL;
}

struct dla_prefetch *dla_prefetch_start(const char *dir, const char *const *rel,
					size_t n, int threads)
{
	struct dla_prefetch *pf;

	if (n == 0 || threads < 1)
		return NULL;
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	pf = dla_calloc(1, sizeof(*pf));
	if (!pf)
		return NULL;
	pf->dir = dir;
	pf->rel = rel;
	pf->n = n;
	atomic_init(&pf->next, 0);
	atomic_init(&pf->stop, 0);
	for (int t = 0; t < threads; t++) {
		if (pthread_create(&pf->threads[t], NULL, prefetch_worker, pf) != 0)
			break;
		pf->n_threads++;
	}
	if (pf->n_threads == 0) {
		dla_free(pf);
		return NULL;
	}
	return pf;
}

void dla_prefetch_stop(struct dla_prefetch *pf)
{
	if (!pf)
		return;
	atomic_store(&pf->stop, 1);
	for (int t = 0; t < pf->n_threads; t++)
		pthread_join(pf->threads[t], NULL);
	dla_free(pf);
}
