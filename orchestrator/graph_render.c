/*
 * graph_render.c - DOT text -> SVG through Graphviz's libgvc (the only file
 * including gvc.h).  Graphviz messages are captured into a static buffer
 * instead of going to stderr.
 */
#include "graph_render.h"
#include "alloc.h"

#include <gvc.h>
#include <string.h>

static char last_error[512];
static size_t last_error_len;

/* agusererrf: receives message pieces ("Error", ": ", text). */
static int capture_graphviz_message(char *piece)
{
	size_t n = strlen(piece);

	if (n > sizeof(last_error) - 1 - last_error_len)
		n = sizeof(last_error) - 1 - last_error_len;
	memcpy(last_error + last_error_len, piece, n);
	last_error_len += n;
	last_error[last_error_len] = '\0';
	return 0;
}

static void set_error(const char *text)
{
	last_error_len = 0;
	last_error[0] = '\0';
	capture_graphviz_message((char *)text);
}

const char *dla_render_last_error(void)
{
	/* trim the trailing newline Graphviz messages carry */
	while (last_error_len > 0 && (last_error[last_error_len - 1] == '\n' ||
				      last_error[last_error_len - 1] == ' '))
		last_error[--last_error_len] = '\0';
	return last_error;
}

int dla_render_dot_to_svg(const char *dot, char **svg_out)
{
	GVC_t *gvc;
	Agraph_t *g;
	char *data = NULL;
	unsigned int len = 0;
	int rc = -1;

	*svg_out = NULL;
	last_error_len = 0;
	last_error[0] = '\0';
	agseterrf(capture_graphviz_message);
	agseterr(AGERR);     /* warnings are not failures: do not capture */

	gvc = gvContext();
	if (!gvc) {
		set_error("cannot create a graphviz context");
		return -1;
	}
	g = agmemread(dot);
	if (!g) {
		if (last_error_len == 0)
			set_error("invalid DOT text");
		gvFreeContext(gvc);
		return -1;
	}
	if (gvLayout(gvc, g, "dot") != 0) {
		if (last_error_len == 0)
			set_error("graphviz layout failed");
		goto out;
	}
	if (gvRenderData(gvc, g, "svg", &data, &len) != 0 || !data) {
		if (last_error_len == 0)
			set_error("graphviz cannot render svg");
		gvFreeLayout(gvc, g);
		goto out;
	}
	*svg_out = dla_strndup(data, len);
	if (!*svg_out)
		set_error("out of memory");
	else
		rc = 0;
	gvFreeRenderData(data);
	gvFreeLayout(gvc, g);
out:
	agclose(g);
	gvFreeContext(gvc);
	return rc;
}
