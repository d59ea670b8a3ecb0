/*
 * select.h - node selection (SPEC section 5).
 *
 * Selector syntax, each --select / --exclude argument being one of:
 *   name          the node (node name or relation spelling, see dag.h)
 *   +name         the node and everything upstream of it
 *   name+         the node and everything downstream of it
 *   +name+        both
 *   tag:T         nodes tagged T
 *   path:P        nodes declared in a file at or below project path P
 *                 ("path:models/sales", "path:views/v_customer.sql")
 * A --select / --exclude value may also hold several selectors separated by
 * spaces or commas (dbt style); all are unioned.  Selected = union of the
 * select list (everything when empty) minus the union of the exclude list.
 *
 * Details: names and tags compare case-insensitively, paths exactly;
 * "path:" ignores a leading "./" and trailing "/", matches whole path
 * components ("path:models/sales" is not models/salesforce.yml) and
 * "path:." is every node.  The graph operators also apply to tag: and
 * path: ("+tag:finance").  Arguments holding only separators select
 * nothing themselves (so `--select ""` alone means everything).
 * Cost: O(V + E) for the whole call plus O(V) per tag:/path: selector;
 * "did you mean" candidates are computed only for failing selectors.
 */
#ifndef DLA_SELECT_H
#define DLA_SELECT_H

#include <stdbool.h>
#include <stddef.h>

#include "code.h"
#include "dag.h"
#include "diag.h"

/*
 * Fills selected[0..dag->n) (caller-allocated).  A selector that matches no
 * node is an error diagnostic ("selector 'x' matches no node (did you mean
 * 'y'?)") with file "" and DLA_ERR_USAGE is returned; DLA_ERR_NOMEM on
 * allocation failure.
 */
enum dla_code dla_select(const struct dla_dag *dag,
			 const char *const *select, size_t n_select,
			 const char *const *exclude, size_t n_exclude,
			 bool *selected, struct dla_diags *diags);

#endif
