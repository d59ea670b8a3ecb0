/*
 * main.c - the dla program: global options, command dispatch, exit status.
 * The only file calling exit() (through returning from main).
 */
#include "commands.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#ifndef DLA_VERSION
#define DLA_VERSION "unknown"
#endif

enum { OPT_PROJECT, OPT_TARGET, OPT_HELP, OPT_VERSION };

static const struct dla_optspec global_options[] = {
	{ "--project", 0, true, OPT_PROJECT },
	{ "--target", 0, true, OPT_TARGET },
	{ "--help", 'h', false, OPT_HELP },
	{ "--version", 0, false, OPT_VERSION },
};

static void print_help(FILE *out)
{
	fputs("usage: dla [--project DIR] [--target NAME] COMMAND [options]\n"
	      "\n"
	      "Orchestrates dimension and fact loads of a data warehouse.\n"
	      "\n"
	      "commands:\n", out);
	for (size_t i = 0; dla_commands[i]; i++)
		fprintf(out, "  %-10s %s\n", dla_commands[i]->name,
			dla_commands[i]->summary);
	fputs("\n"
	      "global options (before the command):\n"
	      "  --project DIR   project directory holding dla.yml (default: .)\n"
	      "  --target NAME   target of dla.yml (default: its default_target)\n"
	      "  -h, --help      show this help; 'dla COMMAND --help' for a command\n"
	      "  --version       print the version\n"
	      "\n"
	      "exit status: 0 success, 1 a node or test failed, 2 usage error or\n"
	      "invalid project, 3 cannot connect or another run holds the lock\n", out);
}

/* True when the command's own arguments ask for help (before any "--"). */
static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	}
	return false;
}

/* Flushes stdout; a failed write (disk full, closed pipe) is an error. */
static int finish_output(int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "dla: error: cannot write output: %s\n", strerror(errno));
		if (rc == DLA_EXIT_OK)
			rc = DLA_EXIT_FAILED;
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct dla_global_opts opts = { .project_dir = ".", .target = NULL };
	struct dla_optparser parser;
	const struct dla_command *cmd;
	const char *value, *name = NULL, *guess;
	int opt, cmd_index, rc;

	dla_opt_init(&parser, "dla", argc, argv, 1, global_options,
		     sizeof(global_options) / sizeof(global_options[0]));
	while (!name && (opt = dla_opt_next(&parser, &value)) != DLA_OPT_END) {
		switch (opt) {
		case OPT_PROJECT:
			if (value[0] == '\0')
				return dla_usage_error("dla", "option '--project' needs a "
						       "non-empty directory");
			opts.project_dir = value;
			break;
		case OPT_TARGET:
			if (value[0] == '\0')
				return dla_usage_error("dla", "option '--target' needs a "
						       "non-empty name");
			opts.target = value;
			break;
		case OPT_HELP:
			print_help(stdout);
			return finish_output(DLA_EXIT_OK);
		case OPT_VERSION:
			printf("dla %s\n", DLA_VERSION);
			return finish_output(DLA_EXIT_OK);
		case DLA_OPT_ARG:
			name = value;
			break;
		default:
			return DLA_EXIT_USAGE;    /* reported by the parser */
		}
	}
	if (!name) {
		print_help(stderr);
		return DLA_EXIT_USAGE;
	}

	cmd = dla_command_find(name);
	if (!cmd) {
		guess = dla_command_suggest(name);
		if (guess)
			return dla_usage_error("dla", "unknown command '%s' "
					       "(did you mean '%s'?)", name, guess);
		return dla_usage_error("dla", "unknown command '%s' "
				       "(see 'dla --help')", name);
	}

	/* the command sees argv[0] = its name */
	cmd_index = parser.next - 1;
	if (wants_help(argc - cmd_index, argv + cmd_index)) {
		fputs(cmd->usage, stdout);
		return finish_output(DLA_EXIT_OK);
	}
	rc = cmd->run(argc - cmd_index, argv + cmd_index, &opts);
	return finish_output(rc);
}
