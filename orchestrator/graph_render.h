/*
 * graph_render.h - lays out a Graphviz DOT graph and renders it to SVG
 * (for `dla plan --format svg` and the HTML lineage report).
 * graph_render.c is the only file including Graphviz's gvc.h.
 *
 * Not thread-safe (Graphviz keeps global state): call from the main thread.
 * Under LeakSanitizer, Graphviz 2.42 reports leaks of its own (gvconfig's
 * plugin config text, fontconfig caches): suppress leak:libgvc and
 * leak:libfontconfig, they are not ours.
 */
#ifndef DLA_GRAPH_RENDER_H
#define DLA_GRAPH_RENDER_H

/*
 * Lays out dot (a DOT document, NUL-terminated) with the "dot" engine and
 * renders it as SVG.  Returns 0 and sets *svg_out to the NUL-terminated SVG
 * text (caller frees with dla_free), or -1 with *svg_out NULL when the DOT
 * text does not parse, layout or rendering fails, or memory runs out; the
 * reason is then available from dla_render_last_error().  Graphviz's own
 * messages are captured, never printed.
 */
int dla_render_dot_to_svg(const char *dot, char **svg_out);

/* The reason of the last failure of dla_render_dot_to_svg() (a static
 * string, "" if none).  Valid until the next call. */
const char *dla_render_last_error(void);

#endif
