/* SPDX-License-Identifier: MIT */
/* posix_spawn of echo with stdout opened by posix_spawn_file_actions_addopen
 * (PATH, O_WRONLY|O_APPEND; or FLAGS), after addchdir_np(DIR) when DIR is
 * given. The child gets an environment WITHOUT the shim, so only the
 * parent's wrapper can have broken PATH. */
#include "prog.h"
#include <spawn.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
	char *args[] = { "echo", "spawned", NULL };
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int e, status;

	if (argc < 2)
		return usage("api_posix_spawn PATH [FLAGS [DIR]]");
	if (posix_spawn_file_actions_init(&fa))
		return 2;
	if (argc > 3 && posix_spawn_file_actions_addchdir_np(&fa, argv[3]))
		return 2;
	if (posix_spawn_file_actions_addopen(&fa, 1, argv[1],
					     argc > 2 ? flags_of(argv[2]) : O_WRONLY | O_APPEND, 0644))
		return 2;
	e = posix_spawn(&pid, "/bin/echo", &fa, NULL, args, env);
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
