/* SPDX-License-Identifier: MIT */
/* trunc_nowrite: one truncating open of PATH that writes nothing, for
 * shim-trunc-times.sh (the api_* programs write a payload, and a write
 * sets the mtime whatever the open did).
 *   trunc_nowrite open PATH FLAGS     open(2), FLAGS as prog.h's flags_of
 *   trunc_nowrite creat PATH
 *   trunc_nowrite fopen PATH MODE
 *   trunc_nowrite freopen PATH MODE   a stream on /dev/null reopened on PATH
 *   trunc_nowrite spawn PATH FLAGS    posix_spawn of true, its stdout
 *                                     opened by a file action (the child
 *                                     runs without the shim)
 * Prints "ok" or the errno name. */
#include "prog.h"
#include <spawn.h>
#include <sys/wait.h>

static int closed(FILE *f)
{
	if (!f)
		return outcome(1);
	return outcome(fclose(f) != 0);
}

static int spawn(const char *path, int flags)
{
	char *args[] = { "true", NULL };
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int e, status;

	if (posix_spawn_file_actions_init(&fa) ||
	    posix_spawn_file_actions_addopen(&fa, 1, path, flags, 0644))
		return 2;
	e = posix_spawn(&pid, "/bin/true", &fa, NULL, args, env);
	posix_spawn_file_actions_destroy(&fa);
	if (e) {
		errno = e;
		return outcome(1);
	}
	if (waitpid(pid, &status, 0) < 0)
		return 2;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		puts("child-failed");
		return 1;
	}
	return outcome(0);
}

int main(int argc, char **argv)
{
	const char *op = argc > 2 ? argv[1] : "", *path = argv[2];
	int fd;

	if (!strcmp(op, "creat") || (argc > 3 && !strcmp(op, "open"))) {
		fd = !strcmp(op, "creat") ? creat(path, 0644)
					  : open(path, flags_of(argv[3]), 0644);
		if (fd < 0)
			return outcome(1);
		return outcome(close(fd) < 0);
	}
	if (argc > 3 && !strcmp(op, "fopen"))
		return closed(fopen(path, argv[3]));
	if (argc > 3 && !strcmp(op, "freopen")) {
		FILE *f = fopen("/dev/null", "r");

		return f ? closed(freopen(path, argv[3], f)) : 2;
	}
	if (argc > 3 && !strcmp(op, "spawn"))
		return spawn(path, flags_of(argv[3]));
	return usage("trunc_nowrite open|creat|fopen|freopen|spawn PATH [FLAGS|MODE]");
}
