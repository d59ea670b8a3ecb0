/*
 * commands.c - the command table (tmux's cmd_table[]) and the option parser
 * shared by main.c and every cmd_*.c.
 */
#include "commands.h"
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* In `dla --help` order.  One line per command; keep the NULL last. */
const struct dla_command *const dla_commands[] = {
	&cmd_validate_entry,
	&cmd_plan_entry,
	&cmd_seed_entry,
	&cmd_run_entry,
	&cmd_retry_entry,
	&cmd_test_entry,
	&cmd_lineage_entry,
	NULL,
};

const struct dla_command *dla_command_find(const char *name)
{
	for (size_t i = 0; dla_commands[i]; i++)
		if (strcmp(dla_commands[i]->name, name) == 0)
			return dla_commands[i];
	return NULL;
}

const char *dla_command_suggest(const char *name)
{
	const char *names[64];
	size_t n = 0;

	for (size_t i = 0; dla_commands[i] && n < sizeof(names) / sizeof(names[0]); i++)
		names[n++] = dla_commands[i]->name;
	return dla_closest_word(name, names, n);
}

int dla_usage_error(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return DLA_EXIT_USAGE;
}

void dla_opt_init(struct dla_optparser *p, const char *prog, int argc,
		  char **argv, int first, const struct dla_optspec *specs,
		  size_t n_specs)
{
	p->prog = prog;
	p->argc = argc;
	p->argv = argv;
	p->next = first;
	p->only_args = false;
	p->specs = specs;
	p->n_specs = n_specs;
}

static int unknown_option(const struct dla_optparser *p, const char *arg,
			  size_t len)
{
	const char *names[64];
	size_t n = 0;
	char word[128];
	const char *guess = NULL;

	if (len < sizeof(word)) {
		memcpy(word, arg, len);
		word[len] = '\0';
		for (size_t i = 0; i < p->n_specs && n < 64; i++)
			names[n++] = p->specs[i].name;
		guess = dla_closest_word(word, names, n);
	}
	if (guess)
		dla_usage_error(p->prog, "unknown option '%.*s' (did you mean '%s'?)",
				(int)len, arg, guess);
	else
		dla_usage_error(p->prog, "unknown option '%.*s'", (int)len, arg);
	return DLA_OPT_ERROR;
}

int dla_opt_next(struct dla_optparser *p, const char **value)
{
	const struct dla_optspec *spec = NULL;
	const char *arg, *eq = NULL;
	size_t name_len;

	*value = NULL;
	if (p->next >= p->argc)
		return DLA_OPT_END;
	arg = p->argv[p->next++];
	if (!p->only_args && strcmp(arg, "--") == 0) {
		p->only_args = true;
		if (p->next >= p->argc)
			return DLA_OPT_END;
		arg = p->argv[p->next++];
	}
	if (p->only_args || arg[0] != '-' || arg[1] == '\0') {
		*value = arg;        /* "-" alone is positional (stdin/stdout) */
		return DLA_OPT_ARG;
	}

	if (arg[1] == '-') {
		eq = strchr(arg, '=');
		name_len = eq ? (size_t)(eq - arg) : strlen(arg);
		for (size_t i = 0; i < p->n_specs; i++)
			if (strlen(p->specs[i].name) == name_len &&
			    strncmp(p->specs[i].name, arg, name_len) == 0)
				spec = &p->specs[i];
		if (!spec)
			return unknown_option(p, arg, name_len);
	} else {
		name_len = 2;
		for (size_t i = 0; i < p->n_specs; i++)
			if (p->specs[i].short_name && p->specs[i].short_name == arg[1])
				spec = &p->specs[i];
		if (!spec)
			return unknown_option(p, arg, strlen(arg));
		if (arg[2] != '\0') {
			if (!spec->takes_value)
				return unknown_option(p, arg, strlen(arg));
			*value = arg + 2;     /* -sVALUE */
			return spec->id;
		}
	}

	if (!spec->takes_value) {
		if (eq) {
			dla_usage_error(p->prog, "option '%s' takes no value", spec->name);
			return DLA_OPT_ERROR;
		}
		return spec->id;
	}
	if (eq) {
		*value = eq + 1;
		return spec->id;
	}
	if (p->next >= p->argc) {
		dla_usage_error(p->prog, "option '%s' needs a value", spec->name);
		return DLA_OPT_ERROR;
	}
	*value = p->argv[p->next++];
	return spec->id;
}
