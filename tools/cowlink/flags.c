/* SPDX-License-Identifier: MIT */
/* The options of a subcommand, parsed from its table (util.h). */
#include "util.h"

#include <getopt.h>
#include <stdlib.h>

/* Enough for any subcommand's flags; a longer table is a programming
 * error, caught by the first run of that subcommand. */
#define FLAGS_MAX 8

int parse_flags(int argc, char **argv, const struct cmd_flags *c)
{
	struct option longs[FLAGS_MAX + 1] = { { 0 } };
	/* "+": stop at the first operand; a letter and its ':' each. */
	char shorts[2 * FLAGS_MAX + 2] = "+";
	size_t n, k = 1, i;
	int usage_rc = c->usage_rc ? c->usage_rc : 2;
	int o;

	for (n = 0; c->flags[n].name; n++) {
		if (n == FLAGS_MAX)
			abort();
		longs[n].name = c->flags[n].name;
		longs[n].has_arg = c->flags[n].arg ? required_argument : no_argument;
		/* A long-only flag returns a value no letter has. */
		longs[n].val = c->flags[n].letter ? c->flags[n].letter : 256 + (int)n;
		if (c->flags[n].letter) {
			shorts[k++] = c->flags[n].letter;
			if (c->flags[n].arg)
				shorts[k++] = ':';
		}
	}
	while ((o = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		for (i = 0; i < n && longs[i].val != o; i++)
			;
		if (i == n) { /* getopt said what was wrong */
			usage_error(c->sub);
			return usage_rc;
		}
		if (c->flags[i].arg) {
			*c->flags[i].arg = optarg;
		} else if (c->flags[i].var) {
			*c->flags[i].var = c->flags[i].value;
		} else {
			c->help();
			return 0;
		}
	}
	if (c->operand && optind >= argc) {
		warnmsg("%s: no %s given", c->sub, c->operand);
		usage_error(c->sub);
		return usage_rc;
	}
	return -1;
}
