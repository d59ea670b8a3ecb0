/*
 * redact.h - keep secrets of ODBC connection strings out of every message.
 *
 * A connection string is "key=value;key=value;..." (ODBC syntax): keys are
 * case-insensitive and may be surrounded by blanks; a value may be braced,
 * "{...}", and then holds ';' and '=' freely with "}}" standing for '}'.
 *
 * Secret keys (case-insensitive): PWD, PASS, PASSCODE, TOKEN, any key ending
 * in "PWD" (PRIV_KEY_FILE_PWD), and any key containing "PASSWORD", "SECRET"
 * or "TOKEN".  Everything else (Uid, Server, Database, ...) is kept.
 *
 * Nothing here prints or keeps state; all functions are thread-safe.
 */
#ifndef DLA_REDACT_H
#define DLA_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#include "code.h"

/* The redaction mark that replaces secret text. */
#define DLA_REDACTED "***"

/* True when key[0..len) names a secret (see above). */
bool dla_redact_is_secret_key(const char *key, size_t len);

/*
 * Returns a copy of conn with the value of every secret key replaced by
 * "***" (a braced value is replaced as a whole: "Pwd={a;b}" -> "Pwd=***").
 * An empty value stays empty ("Pwd=;" is kept: there is nothing to hide and
 * it shows that a variable expanded to nothing).  Caller frees with
 * dla_free; NULL on allocation failure or when conn is NULL.
 */
char *dla_redact_connection(const char *conn);

/*
 * Replaces, in the NUL-terminated text, every occurrence of each secret of
 * length >= 3 with "***" (the text only shrinks, so this works in place).
 * Longer secrets are replaced first, so a secret that contains another is
 * not half-revealed.  Shorter secrets are skipped: they would mangle
 * ordinary words and say little.  NULL entries are skipped.
 */
void dla_redact_in_place(char *text, const char *const *secrets, size_t n);

/*
 * Collects the non-empty values of the secret keys of conn: each value
 * unbraced and unescaped ("{a}}b}" -> "a}b"), and also its raw form when it
 * differs ("a}}b"), since a driver may echo either.  *out is a new array of
 * *n strings (NULL when *n is 0); free it with dla_secrets_free.  Returns
 * DLA_OK or DLA_ERR_NOMEM (then *out is NULL and *n is 0).
 */
enum dla_code dla_connection_secrets(const char *conn, char ***out, size_t *n);
void dla_secrets_free(char **secrets, size_t n);

#endif
