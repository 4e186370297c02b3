/* SPDX-License-Identifier: MIT */
/* cowlink: the admin tool. One table maps each subcommand to its function
 * (cmd_<name>.c) and its one-line summary for the usage text. */
#include <stdio.h>
#include <string.h>

#include "cowlink.h"
#include "cowlink-tools.h"
#include "util.h"

static const struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;
	const char *summary;
} subcommands[] = {
	{ "status", cmd_status, "[-r] [--json] [PATH...]", "show what each path shares, and who holds it open; with no PATH, whether this session is under the shim" },
	{ "break",  cmd_break,  "[-r] [-v] PATH...", "give each path its private copy now" },
	{ "shell",  cmd_shell,  "[--trees DIR:DIR] [--exclude PROG:PROG] [--debug]", "start your shell under libcowlink.so (the safe way in)" },
	{ "run",    cmd_run,    "[--trees DIR:DIR] [--exclude PROG:PROG] [--debug] [--preload-only] [--allow-io-uring] -- CMD [ARG]...",
	  "run a command with libcowlink.so preloaded, under the seccomp supervisor" },
	{ "enable", cmd_enable, "--system [--library PATH]",
	  "machine-wide mode: the shim in /etc/ld.so.preload, for every program (root)" },
	{ "disable", cmd_disable, "--system [--library PATH]",
	  "take the shim out of /etc/ld.so.preload (root)" },
	{ "audit",  cmd_audit,  "PROGRAM...", "tell whether the shim can cover a program" },
	{ "fsck",   cmd_fsck,   "[-n] [--orphans] [--adopt] DIR|PATH...", "find and repair what a crash or a restore can leave" },
	{ "du",     cmd_du,     "[-s] [-b] [-h] [-c] DIR...", "apparent size, space used and space saved" },
	{ "dedupe", cmd_dedupe, "[-n] [-v] [--no-protect] [--cowlink-only] DIR...",
	  "make identical files share extents, or cowlinks" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: cowlink COMMAND [OPTION]... [ARG]...\n\n");
	for (i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		fprintf(f, "  cowlink %s %s\n      %s\n", subcommands[i].name,
			subcommands[i].args, subcommands[i].summary);
	fprintf(f, "  cowlink --help | --version\n      this text; the version\n");
	fprintf(f, "\n'cowlink COMMAND --help' describes a command; see cowlink(1).\n");
}

int main(int argc, char **argv)
{
	size_t i;

	cl_config_load();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("cowlink %s\n", COWLINK_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].fn(argc - 1, argv + 1);
	warnmsg("'%s' is not a cowlink command", argv[1]);
	usage(stderr);
	return 2;
}
