/* SPDX-License-Identifier: MIT */
/* Race harness: a write-open through the shim against a break of the same
 * name by another process. The set is two names, MASTER and NAME, so every
 * break of NAME leaves MASTER the last name of the old inode. One process
 * keeps linking NAME to MASTER again and breaking it (through the core, as
 * another shim process would); this one appends through NAME with
 * open(O_WRONLY | O_APPEND) + write + close in a loop. An open that looked
 * NAME up just before a break renamed the private copy over it holds the
 * old inode, which is MASTER's: the shim must notice and open NAME again.
 * MASTER must never change.
 *   race_open_break MASTER NAME SECONDS [ROUNDS [CAP]]
 * Runs for SECONDS and until both sides have made ROUNDS (race.h).
 * Prints "<appends> appends, <breaks> breaks"; exits 1 on a failed call. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cowlink.h"
#include "race.h"

int main(int argc, char **argv)
{
	struct race_clock race;
	long *n; /* appends, breaks, the child failed: shared with it */
	int status;
	pid_t pid;

	if (argc < 4 || argc > 6)
		return 2;
	race_start(&race, argv + 3, argc - 3);
	n = mmap(NULL, 3 * sizeof *n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (n == MAP_FAILED)
		return 2;
	pid = fork();
	if (pid == 0) {
		while (race_more(&race, &n[0], &n[1])) {
			int e = cowlink_link(argv[1], argv[2], COWLINK_FORCE |
					     COWLINK_NO_PROTECT | COWLINK_REFLINK_NEVER,
					     NULL);
			if (e && e != -ETXTBSY) {
				fprintf(stderr, "cowlink_link: %s\n", strerror(-e));
				race_add(&n[2]);
				_exit(1);
			}
			e = cowlink_break(argv[2]);
			if (e == 0)
				race_add(&n[1]);
			else if (e != -ETXTBSY) {
				fprintf(stderr, "cowlink_break: %s\n", strerror(-e));
				race_add(&n[2]);
				_exit(1);
			}
		}
		_exit(0);
	}
	while (!race_load(&n[2]) && race_more(&race, &n[0], &n[1])) {
		int fd = open(argv[2], O_WRONLY | O_APPEND);

		if (fd < 0) {
			if (errno == ENOENT || errno == ETXTBSY)
				continue;
			perror("open");
			kill(pid, SIGKILL);
			return 1;
		}
		if (write(fd, "x", 1) != 1) {
			perror("write");
			kill(pid, SIGKILL);
			return 1;
		}
		close(fd);
		race_add(&n[0]);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return 1;
	printf("%ld appends, %ld breaks\n", race_load(&n[0]), race_load(&n[1]));
	return 0;
}
