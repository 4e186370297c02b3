/* Race harness: a write-open through the shim against a break of the same
 * name by another process. The set is two names, MASTER and NAME, so every
 * break of NAME leaves MASTER the last name of the old inode. One process
 * keeps linking NAME to MASTER again and breaking it (through the core, as
 * another shim process would); this one appends through NAME with
 * open(O_WRONLY | O_APPEND) + write + close in a loop. An open that looked
 * NAME up just before a break renamed the private copy over it holds the
 * old inode, which is MASTER's: the shim must notice and open NAME again.
 * MASTER must never change.
 *   race_open_break MASTER NAME SECONDS
 * Prints "<appends> appends, <breaks> breaks"; exits 1 on a failed call. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cowlink.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long appends = 0, breaks = 0;
	int pfd[2], status;
	double end;
	pid_t pid;

	if (argc != 4)
		return 2;
	end = now() + atof(argv[3]);
	if (pipe(pfd))
		return 2;
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		while (now() < end) {
			int e = cowlink_link(argv[1], argv[2], COWLINK_FORCE |
					     COWLINK_NO_PROTECT | COWLINK_REFLINK_NEVER,
					     NULL);
			if (e && e != -ETXTBSY) {
				fprintf(stderr, "cowlink_link: %s\n", strerror(-e));
				_exit(1);
			}
			e = cowlink_break(argv[2]);
			if (e == 0)
				breaks++;
			else if (e != -ETXTBSY) {
				fprintf(stderr, "cowlink_break: %s\n", strerror(-e));
				_exit(1);
			}
		}
		if (write(pfd[1], &breaks, sizeof breaks) != sizeof breaks)
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	while (now() < end) {
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
		appends++;
	}
	if (read(pfd[0], &breaks, sizeof breaks) != sizeof breaks ||
	    waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return 1;
	printf("%ld appends, %ld breaks\n", appends, breaks);
	return 0;
}
