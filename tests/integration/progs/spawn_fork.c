/* SPDX-License-Identifier: MIT */
/* fork while another thread is inside the shim's posix_spawn file-actions
 * table: the child must get a usable table, not a lock held forever.
 * A thread keeps adding write-opens (the ones the shim remembers) to the
 * oldest of many file-actions objects (the shim walks its whole list under
 * the lock each time); the main thread forks ROUNDS times and each child
 * builds file actions of its own. A child that hangs is killed by its
 * alarm: exit 1 with a message. */
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

enum { OBJECTS = 4000, ROUNDS = 40 };

static posix_spawn_file_actions_t fa[OBJECTS];
static atomic_bool stop;

static void *adder(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		posix_spawn_file_actions_addopen(&fa[0], 3, "/dev/null", O_WRONLY, 0);
	}
	return NULL;
}

int main(void)
{
	pthread_t t;
	bool hung = false;

	for (int i = 0; i < OBJECTS; i++) {
		posix_spawn_file_actions_init(&fa[i]);
		posix_spawn_file_actions_addopen(&fa[i], 3, "/dev/null", O_WRONLY, 0);
	}
	if (pthread_create(&t, NULL, adder, NULL) != 0) {
		perror("pthread_create");
		return 2;
	}
	for (int r = 0; r < ROUNDS && !hung; r++) {
		int st;
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 2;
		}
		if (pid == 0) {
			posix_spawn_file_actions_t mine;

			alarm(5);
			posix_spawn_file_actions_init(&mine);
			posix_spawn_file_actions_addopen(&mine, 3, "/dev/null", O_WRONLY, 0);
			posix_spawn_file_actions_destroy(&mine);
			_exit(0);
		}
		if (waitpid(pid, &st, 0) != pid) {
			perror("waitpid");
			return 2;
		}
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
			hung = true;
		else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			return 2;
	}
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	if (hung) {
		fprintf(stderr, "spawn_fork: a forked child hung in posix_spawn_file_actions_init\n");
		return 1;
	}
	return 0;
}
