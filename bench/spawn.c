/* SPDX-License-Identifier: MIT */
/* Start a program N times, one after the other, and print the total wall
 * time in nanoseconds: process start-up with and without a preload library
 * (the environment, LD_PRELOAD included, is passed on unchanged).
 *
 *   spawn N PROGRAM [ARG]...
 *
 * Built by bench/run.sh with cc -O2; not part of the CMake build. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long long t0;
	long n;

	if (argc < 3) {
		fprintf(stderr, "usage: spawn N PROGRAM [ARG]...\n");
		return 2;
	}
	n = atol(argv[1]);
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		pid_t pid;
		int err, status;

		err = posix_spawn(&pid, argv[2], NULL, NULL, argv + 2, environ);
		if (err) {
			fprintf(stderr, "spawn: %s: %s\n", argv[2], strerror(err));
			return 1;
		}
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			fprintf(stderr, "spawn: %s failed\n", argv[2]);
			return 1;
		}
	}
	printf("%lld\n", now_ns() - t0);
	return 0;
}
