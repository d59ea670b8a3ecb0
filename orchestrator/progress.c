/* progress.c - node start/end lines and the run summary, text or JSON. */
#include "progress.h"
#include "json_out.h"
#include "meta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void dla_progress_init(struct dla_progress *pr, bool json, const char *run_id,
		       size_t total)
{
	const char *no_color = getenv("NO_COLOR");

	pr->json = json;
	pr->run_id = run_id;
	pr->total = total;
	pr->color = !json && isatty(STDOUT_FILENO) && !(no_color && *no_color);
}

static void clock_text(char out[16])
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(out, 16, "%H:%M:%S", &tm);
}

static struct dla_json *event(const struct dla_progress *pr, const char *name)
{
	struct dla_json *o = dla_json_object();
	char ts[32];
	int err = 0;

	dla_time_now(ts);
	err |= dla_json_set(o, "ts", dla_json_str(ts));
	err |= dla_json_set(o, "run_id", dla_json_str(pr->run_id));
	err |= dla_json_set(o, "event", dla_json_str(name));
	if (err) {
		dla_json_free(o);
		return NULL;
	}
	return o;
}

static void emit(struct dla_json *o)
{
	if (o)
		dla_json_write(stdout, o, DLA_JSON_LINE);
	dla_json_free(o);
	fflush(stdout);
}

static void node_json(struct dla_json *o, const struct dla_progress *pr,
		      const struct dla_progress_node *n, bool end)
{
	int err = 0;

	err |= dla_json_set(o, "node", dla_json_str(n->node));
	err |= dla_json_set(o, "kind", dla_json_str(n->kind));
	err |= dla_json_set(o, "detail", dla_json_str(n->detail));
	err |= dla_json_set(o, "index", dla_json_int((long long)n->index));
	err |= dla_json_set(o, "total", dla_json_int((long long)pr->total));
	err |= dla_json_set(o, "worker", n->worker ? dla_json_int(n->worker) : dla_json_null());
	if (!end)
		err |= dla_json_set(o, "queued_seconds", dla_json_real(n->queued_seconds));
	if (end) {
		err |= dla_json_set(o, "status", dla_json_str(n->status));
		err |= dla_json_set(o, "rows_inserted", dla_json_int(n->inserted));
		err |= dla_json_set(o, "rows_updated", dla_json_int(n->updated));
		err |= dla_json_set(o, "rows_expired", dla_json_int(n->expired));
		err |= dla_json_set(o, "rows_deleted", dla_json_int(n->deleted));
		err |= dla_json_set(o, "rows_inferred", dla_json_int(n->inferred));
		err |= dla_json_set(o, "seconds", dla_json_real(n->seconds));
		err |= dla_json_set(o, "db_seconds", dla_json_real(n->db_seconds));
		err |= dla_json_set(o, "queued_seconds", dla_json_real(n->queued_seconds));
		if (n->error) {
			struct dla_json *e = dla_json_object();
			err |= dla_json_set(e, "sqlstate",
					    dla_json_str(n->sqlstate && *n->sqlstate
							 ? n->sqlstate : NULL));
			err |= dla_json_set(e, "message", dla_json_str(n->error));
			err |= dla_json_set(o, "error", e);
		} else {
			err |= dla_json_set(o, "error", dla_json_null());
		}
	}
	(void)err;
}

void dla_progress_run_start(const struct dla_progress *pr, const char *project,
			    const char *target, const char *as_of)
{
	if (pr->json) {
		struct dla_json *o = event(pr, "run_start");
		dla_json_set(o, "project", dla_json_str(project));
		dla_json_set(o, "target", dla_json_str(target));
		dla_json_set(o, "as_of", dla_json_str(as_of));
		dla_json_set(o, "total", dla_json_int((long long)pr->total));
		emit(o);
		return;
	}
	printf("run %s: %zu node%s on target '%s', as of %s\n", pr->run_id, pr->total,
	       pr->total == 1 ? "" : "s", target, as_of);
	fflush(stdout);
}

static void kind_text(const struct dla_progress_node *n, char *out, size_t size)
{
	if (n->detail)
		snprintf(out, size, "%s %s", n->kind, n->detail);
	else
		snprintf(out, size, "%s", n->kind);
}

void dla_progress_node_start(const struct dla_progress *pr,
			     const struct dla_progress_node *n)
{
	char clock[16], kind[64];

	if (pr->json) {
		struct dla_json *o = event(pr, "node_start");
		node_json(o, pr, n, false);
		emit(o);
		return;
	}
	clock_text(clock);
	kind_text(n, kind, sizeof(kind));
	printf("%s  %zu of %zu START %s (%s)\n", clock, n->index, pr->total, n->node, kind);
	fflush(stdout);
}

void dla_progress_node_end(const struct dla_progress *pr,
			   const struct dla_progress_node *n)
{
	const char *word, *on = "", *off = "";
	char clock[16], kind[64];

	if (pr->json) {
		struct dla_json *o = event(pr, "node_end");
		node_json(o, pr, n, true);
		emit(o);
		return;
	}
	clock_text(clock);
	kind_text(n, kind, sizeof(kind));
	if (!strcmp(n->status, "success")) {
		word = "OK  ";
		on = "\033[32m";
	} else if (!strcmp(n->status, "skipped")) {
		word = "SKIP";
		on = "\033[33m";
	} else {
		word = "FAIL";
		on = "\033[31m";
	}
	if (pr->color)
		off = "\033[0m";
	else
		on = "";
	if (!strcmp(n->status, "skipped")) {
		printf("%s  %zu of %zu %s%s%s %s (%s): %s\n", clock, n->index, pr->total,
		       on, word, off, n->node, kind, n->error ? n->error : "skipped");
	} else if (!strcmp(n->status, "success") && !strcmp(n->kind, "view")) {
		printf("%s  %zu of %zu %s%s%s %s (%s) in %.2fs\n", clock, n->index,
		       pr->total, on, word, off, n->node, kind, n->seconds);
	} else if (!strcmp(n->status, "success")) {
		printf("%s  %zu of %zu %s%s%s %s (%s) +%ld ~%ld -%ld", clock, n->index,
		       pr->total, on, word, off, n->node, kind, n->inserted, n->updated,
		       n->expired);
		if (n->deleted)
			printf(" x%ld", n->deleted);
		if (n->inferred)
			printf(" ?%ld", n->inferred);
		printf(" in %.2fs\n", n->seconds);
	} else {
		printf("%s  %zu of %zu %s%s%s %s (%s) in %.2fs\n", clock, n->index,
		       pr->total, on, word, off, n->node, kind, n->seconds);
		fflush(stdout);
		fprintf(stderr, "dla: node '%s' failed: %s\n", n->node,
			n->error ? n->error : "unknown error");
	}
	fflush(stdout);
}

void dla_progress_run_end(const struct dla_progress *pr, const char *status,
			  size_t succeeded, size_t failed, size_t skipped,
			  double seconds, const struct dla_progress_node *problems,
			  size_t n_problems)
{
	if (pr->json) {
		struct dla_json *o = event(pr, "run_end");
		struct dla_json *arr = dla_json_array();
		dla_json_set(o, "status", dla_json_str(status));
		dla_json_set(o, "succeeded", dla_json_int((long long)succeeded));
		dla_json_set(o, "failed", dla_json_int((long long)failed));
		dla_json_set(o, "skipped", dla_json_int((long long)skipped));
		dla_json_set(o, "seconds", dla_json_real(seconds));
		for (size_t i = 0; i < n_problems; i++) {
			struct dla_json *p = dla_json_object();
			dla_json_set(p, "node", dla_json_str(problems[i].node));
			dla_json_set(p, "status", dla_json_str(problems[i].status));
			dla_json_set(p, "error", dla_json_str(problems[i].error));
			dla_json_push(arr, p);
		}
		dla_json_set(o, "problems", arr);
		emit(o);
		return;
	}
	printf("done: %s, %zu ok, %zu failed, %zu skipped in %.2fs (run %s)\n", status,
	       succeeded, failed, skipped, seconds, pr->run_id);
	for (size_t i = 0; i < n_problems; i++) {
		const char *e = problems[i].error ? problems[i].error : "";
		size_t line = strcspn(e, "\n");
		printf("  %-7s %s: %.*s\n", problems[i].status, problems[i].node, (int)line, e);
	}
	fflush(stdout);
}

static void problem(const struct dla_progress *pr, const char *name, const char *prog,
		    const char *message)
{
	if (pr->json) {
		struct dla_json *o = event(pr, name);
		dla_json_set(o, "message", dla_json_str(message));
		emit(o);
	}
	fprintf(stderr, "%s: %s\n", prog, message);
	fflush(stderr);
}

void dla_progress_error(const struct dla_progress *pr, const char *prog,
			const char *message)
{
	problem(pr, "error", prog, message);
}

void dla_progress_warning(const struct dla_progress *pr, const char *prog,
			  const char *message)
{
	problem(pr, "warning", prog, message);
}

void dla_progress_note(const struct dla_progress *pr, const char *message)
{
	if (pr->json) {
		struct dla_json *o = event(pr, "note");
		dla_json_set(o, "message", dla_json_str(message));
		emit(o);
		return;
	}
	printf("%s\n", message);
	fflush(stdout);
}
