/* SPDX-License-Identifier: MIT */
/* cowlink shell: the user's shell under the shim, the one safe way into an
 * interactive session (a shell that exports LD_PRELOAD itself is not under
 * it, and a bare library name the loader cannot find is dropped with one
 * line). The shell is exec'ed in place, so COWLINK_SHELL holds its pid: the
 * marker cowlink status looks for, and one a prompt can show. */
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static void help(void)
{
	printf("Usage: cowlink shell [--trees DIR:DIR] [--exclude PROG:PROG] [--debug] [-- ARG...]\n"
	       "Start your shell ($SHELL, else your login shell, else /bin/sh) with\n"
	       "libcowlink.so preloaded: the shell itself and everything it starts treat\n"
	       "cowlinks as the separate files they stand for. COWLINK_SHELL is set to the\n"
	       "shell's pid (for a prompt: PS1='${COWLINK_SHELL:+(cowlink) }'$PS1);\n"
	       "'cowlink status' with no PATH says whether a session is covered.\n\n"
	       "      --trees DIRS     set COWLINK_TREES (every DIR must be a directory)\n"
	       "      --exclude PROGS  set COWLINK_EXCLUDE: programs the shim stays out of\n"
	       "                       (their own hard links are cowlinks only under --trees)\n"
	       "      --debug          set COWLINK_DEBUG=1\n"
	       "  -h, --help           this text\n\n"
	       "ARGs go to the shell. Exit status: the shell's, 2 for a bad option or\n"
	       "tree, 127 when the shell cannot be run.\n");
}

int cmd_shell(int argc, char **argv)
{
	struct run_opts o;
	const char *sh = getenv("SHELL"), *from = "$SHELL";
	struct passwd *pw;
	char pid[24], what[PATH_MAX + 32], **args;
	int r = run_options(argc, argv, "shell", &o, help), i, n;

	if (r >= 0)
		return r;
	if (!sh || !*sh) {
		pw = getpwuid(getuid());
		sh = pw && pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh";
		from = pw && pw->pw_shell && *pw->pw_shell ? "your login shell" : "the default shell";
	}
	/* When it cannot be run, say where the shell came from: a bad
	 * $SHELL is the usual cause. */
	snprintf(what, sizeof what, "%s (%s)", from, sh);
	o.what = what;
	n = argc - optind;
	args = xmalloc(((size_t)n + 2) * sizeof *args);
	args[0] = (char *)sh;
	for (i = 0; i < n; i++)
		args[i + 1] = argv[optind + i];
	args[n + 1] = NULL;
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "cowlink: %s under libcowlink.so (COWLINK_SHELL=%s); "
			"'exit' leaves it\n", sh, pid);
	/* The shell itself is this process (exec'd, so that COWLINK_SHELL is
	 * its pid), with the shim alone: no supervisor. */
	o.preload_only = true;
	r = run_under_shim(args, &o, pid);
	free(args);
	return r;
}
