/*
 * fuzz_project.c - libFuzzer target: the project loader (yaml_doc.c, the
 * spec parsing of project_*.c, the node registry) and the DAG and
 * selection built on what it loaded, on a project held in memory
 * (dla_project_load_files, project.h).
 *
 * Input: either the text of one models file (models/fuzz.yml), or several
 * files, each introduced by a line "%%% <path>" (the input then starts
 * with "%%% "):
 *     %%% dla.yml
 *     name: fuzz
 *     %%% models/dims.yml
 *     dimension: dim_customer
 *     ...
 * A fixed dla.yml and the views v_customer and v_sales are added unless the
 * input gives files with those paths.  ${VAR} references resolve against a
 * fixed environment (fuzz_env), never the real one.
 *
 * Oracles: AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer,
 * plus the loader's contract: the return code agrees with the diagnostics,
 * every diagnostic has a file and a message, positions are never negative,
 * and the topological order lists every node once.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "dag.h"
#include "diag.h"
#include "project.h"
#include "select.h"

#define MAX_FILES 16

static const char fixed_project[] =
	"name: fuzz\n"
	"default_schema: presentation\n"
	"targets:\n"
	"  local: {dialect: sqlite, connection: \"Driver=SQLite3;Database=${DB:-w.db}\"}\n";
static const char fixed_customer[] =
	"-- dla: tags: [daily]\n"
	"select c.customer_id, c.email, c.city from staging.customer c\n";
static const char fixed_sales[] =
	"select s.order_id, s.line_no, s.customer_id, s.sold_at\n"
	"from staging.sales s join v_customer c on c.customer_id = s.customer_id\n";

static const char *fuzz_env(const char *name, void *ctx)
{
	(void)ctx;
	if (strcmp(name, "HOME") == 0)
		return "/home/fuzz";
	if (strcmp(name, "EMPTY") == 0)
		return "";
	if (strcmp(name, "PGPASSWORD") == 0)
		return "s3cret";
	if (strcmp(name, "NESTED") == 0)
		return "${HOME}";
	return NULL;
}

/* Splits the input into files; returns how many.  Paths are copied into
 * paths[] (NUL-terminated, at most 255 bytes). */
static size_t split(const char *data, size_t size, struct dla_text_file *files,
		    char paths[][256])
{
	size_t n = 0, pos = 0;

	if (size < 4 || memcmp(data, "%%% ", 4) != 0) {
		strcpy(paths[0], "models/fuzz.yml");
		files[0].path = paths[0];
		files[0].text = data;
		files[0].len = size;
		return 1;
	}
	while (pos < size && n < MAX_FILES) {
		const char *nl, *body, *next;
		size_t plen, end;

		/* data[pos..] starts with "%%% " */
		nl = memchr(data + pos, '\n', size - pos);
		body = nl ? nl + 1 : data + size;
		plen = (size_t)((nl ? nl : data + size) - (data + pos + 4));
		if (plen > 255)
			plen = 255;
		memcpy(paths[n], data + pos + 4, plen);
		paths[n][plen] = '\0';
		if (memchr(paths[n], '\0', plen))
			paths[n][0] = '\0';   /* a path with a NUL: ignored */
		/* the next header starts a line */
		end = (size_t)(body - data);
		next = NULL;
		while (end < size) {
			const char *hit = memchr(data + end, '\n', size - end);
			if (!hit)
				break;
			if ((size_t)(hit - data) + 5 <= size && memcmp(hit + 1, "%%% ", 4) == 0) {
				next = hit + 1;
				break;
			}
			end = (size_t)(hit - data) + 1;
		}
		files[n].path = paths[n];
		files[n].text = body;
		files[n].len = (size_t)((next ? next : data + size) - body);
		n++;
		if (!next)
			break;
		pos = (size_t)(next - data);
	}
	return n;
}

static bool has_path(const struct dla_text_file *files, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(files[i].path, path) == 0)
			return true;
	return false;
}

static void check_diags(const struct dla_diags *d)
{
	size_t errors = 0;

	for (size_t i = 0; i < d->n; i++) {
		const struct dla_diag *g = &d->items[i];
		if (!g->file || !g->message || !g->message[0] || g->line < 0 || g->col < 0 ||
		    (g->line == 0 && g->col != 0))
			abort();
		if (g->severity == DLA_SEV_ERROR)
			errors++;
	}
	if (errors != d->n_errors)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char paths[MAX_FILES + 3][256];
	struct dla_text_file files[MAX_FILES + 3];
	struct dla_project p;
	struct dla_diags diags = DLA_DIAGS_INIT;
	struct dla_dag dag;
	enum dla_code rc;
	size_t n;

	n = split((const char *)data, size, files, paths);
	if (!has_path(files, n, "dla.yml"))
		files[n++] = (struct dla_text_file){ "dla.yml", fixed_project,
						     sizeof(fixed_project) - 1 };
	if (!has_path(files, n, "views/v_customer.sql"))
		files[n++] = (struct dla_text_file){ "views/v_customer.sql", fixed_customer,
						     sizeof(fixed_customer) - 1 };
	if (!has_path(files, n, "views/v_sales.sql"))
		files[n++] = (struct dla_text_file){ "views/v_sales.sql", fixed_sales,
						     sizeof(fixed_sales) - 1 };

	rc = dla_project_load_files(&p, "/nonexistent/fuzz", files, n, fuzz_env, NULL, &diags);
	check_diags(&diags);
	if (rc == DLA_OK && diags.n_errors)
		abort();
	if (rc == DLA_ERR_INVALID && !diags.n_errors)
		abort();
	if (rc == DLA_OK || rc == DLA_ERR_INVALID) {
		memset(&dag, 0, sizeof(dag));
		rc = dla_dag_build(&dag, &p, &diags);
		check_diags(&diags);
		if (rc == DLA_OK || rc == DLA_ERR_INVALID || rc == DLA_ERR_CYCLE) {
			bool *seen = calloc(dag.n ? dag.n : 1, 1);
			bool *selected = calloc(dag.n ? dag.n : 1, 1);
			if (!seen || !selected)
				abort();
			for (size_t i = 0; i < dag.n; i++) {
				if (dag.order[i] >= dag.n || seen[dag.order[i]])
					abort();
				seen[dag.order[i]] = true;
			}
			if (dag.n) {
				/* the graph operators on the last node in order */
				const char *name = dag.nodes[dag.order[dag.n - 1]].name;
				char sel[300];
				const char *selectors[2];
				size_t len = strlen(name);
				if (len < sizeof(sel) - 3) {
					sel[0] = '+';
					memcpy(sel + 1, name, len);
					sel[len + 1] = '+';
					sel[len + 2] = '\0';
					selectors[0] = sel;
					selectors[1] = "tag:daily";
					(void)dla_select(&dag, selectors, 2, NULL, 0, selected, &diags);
				}
			}
			free(seen);
			free(selected);
		}
		dla_dag_release(&dag);
	}
	dla_project_release(&p);
	dla_diags_release(&diags);
	return 0;
}
