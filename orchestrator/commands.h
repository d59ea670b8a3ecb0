/*
 * commands.h - the table of dla commands and what every command shares.
 *
 * The table: dla_commands[] lists every command of the program, NULL
 * terminated, in the order `dla --help` shows them.  Adding a command is one
 * new orchestrator/cmd_<name>.c exporting `const struct dla_command
 * cmd_<name>_entry` (command.h), one extern line below and one line in
 * commands.c.
 *
 * The option parser: commands (and main.c, for the global options) read
 * their argv with struct dla_optparser, so every command accepts options
 * the same way:
 *     --name value   --name=value   -x value (when a short name is set)
 *     --             ends the options; everything after is positional
 * Errors are printed to stderr prefixed with the program name the caller
 * gives ("dla plan: unknown option '--formt' (did you mean '--format'?)").
 * `--help` / `-h` after a command is handled by main.c before the command
 * runs, so commands need not list it.
 */
#ifndef DLA_COMMANDS_H
#define DLA_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#include "command.h"

extern const struct dla_command cmd_validate_entry;
extern const struct dla_command cmd_plan_entry;
extern const struct dla_command cmd_seed_entry;
extern const struct dla_command cmd_run_entry;
extern const struct dla_command cmd_retry_entry;
extern const struct dla_command cmd_test_entry;
extern const struct dla_command cmd_lineage_entry;

/* Every command, NULL-terminated. */
extern const struct dla_command *const dla_commands[];

/* The command named name (exact, case-sensitive) or NULL. */
const struct dla_command *dla_command_find(const char *name);

/* The registered command name closest to name ("did you mean"), or NULL. */
const char *dla_command_suggest(const char *name);

/* ---- option parsing ---------------------------------------------------- */

struct dla_optspec {
	const char *name;      /* long name with dashes: "--select" */
	char short_name;       /* 's' for -s, or 0 */
	bool takes_value;
	int id;                /* returned by dla_opt_next(); must be >= 0 */
};

enum {
	DLA_OPT_END = -1,      /* argv exhausted */
	DLA_OPT_ARG = -2,      /* a positional argument, in *value */
	DLA_OPT_ERROR = -3,    /* a bad option; already reported on stderr */
};

struct dla_optparser {
	const char *prog;      /* message prefix: "dla" or "dla plan" */
	int argc;
	char **argv;
	int next;              /* index of the next argv element to read */
	bool only_args;        /* after "--" */
	const struct dla_optspec *specs;
	size_t n_specs;
};

/* Starts reading argv[first..argc). */
void dla_opt_init(struct dla_optparser *p, const char *prog, int argc,
		  char **argv, int first, const struct dla_optspec *specs,
		  size_t n_specs);

/*
 * The next option's id (and *value for an option taking one, else NULL),
 * DLA_OPT_ARG with *value = a positional argument, DLA_OPT_END, or
 * DLA_OPT_ERROR after printing one of
 *     PROG: unknown option '--x' (did you mean '--y'?)
 *     PROG: option '--select' needs a value
 *     PROG: option '--sql' takes no value
 * *value points into argv (not copied).
 */
int dla_opt_next(struct dla_optparser *p, const char **value);

/* Prints "PROG: <message>\n" to stderr (the usage-error shape) and returns
 * DLA_EXIT_USAGE, so a command can `return dla_usage_error(...)`. */
int dla_usage_error(const char *prog, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
