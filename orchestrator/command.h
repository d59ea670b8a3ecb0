/*
 * command.h - the command table of the dla program (tmux's cmd_entry).
 *
 * main.c parses the global options (--project, --target, --help,
 * --version), finds the command by name in the table and calls its run
 * function with the remaining argv (argv[0] is the command name).  Each
 * command lives in its own orchestrator/cmd_<name>.c exporting one
 * `const struct dla_command cmd_<name>_entry`.
 *
 * A command returns the process exit code (SPEC section 5):
 *   DLA_EXIT_OK 0, DLA_EXIT_FAILED 1 (a node or test failed),
 *   DLA_EXIT_USAGE 2 (usage error or invalid project),
 *   DLA_EXIT_UNAVAILABLE 3 (cannot connect, or another run holds the lock),
 *   130 / 143 after SIGINT / SIGTERM.
 * Only main.c calls exit().
 */
#ifndef DLA_COMMAND_H
#define DLA_COMMAND_H

#include <stdbool.h>

enum dla_exit {
	DLA_EXIT_OK = 0,
	DLA_EXIT_FAILED = 1,
	DLA_EXIT_USAGE = 2,
	DLA_EXIT_UNAVAILABLE = 3,
	DLA_EXIT_SIGINT = 130,
	DLA_EXIT_SIGTERM = 143,
};

/* Global options, filled by main.c before a command runs. */
struct dla_global_opts {
	const char *project_dir;   /* --project, default "." */
	const char *target;        /* --target, NULL = project's default_target */
};

struct dla_command {
	const char *name;
	const char *summary;        /* one line for `dla --help` */
	const char *usage;          /* full text for `dla COMMAND --help` */
	int (*run)(int argc, char **argv, const struct dla_global_opts *opts);
};

#endif
