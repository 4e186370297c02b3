/* SPDX-License-Identifier: MIT */
/* Tight loops of the calls the shim wraps on its hot paths, for bench/run.sh.
 *
 *   loops MODE N PATH
 *
 * Each mode runs N iterations inside one noinline function named loop_MODE,
 * so that callgrind --toggle-collect=loop_MODE counts exactly the loop, and
 * prints the loop's wall time in nanoseconds on stdout.
 *
 *   ropen   open(PATH, O_RDONLY), closed by a raw syscall (the open wrapper only)
 *   wopen   open(PATH, O_WRONLY), closed by a raw syscall (the open wrapper only)
 *   close   raw open(PATH, O_RDONLY), closed by close() (the close wrapper only)
 *   write   write(fd, buf, 1) on one fd opened on PATH (one warm-up write first)
 *   rwall   open(O_RDONLY) + close(), both through libc (wall time)
 *   wwall   open(O_WRONLY) + close(), both through libc (wall time)
 *   trunc   N must be 1: one open(PATH, O_WRONLY|O_TRUNC), timed around the call
 *   wfiles  open(O_WRONLY) + close() of PATH/0 ... PATH/N-1, each once (N breaks)
 *
 * Built by bench/run.sh with cc -O2; not part of the CMake build. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what, const char *path)
{
	fprintf(stderr, "loops: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

/* The close the shim cannot see: keeps its close wrapper out of the count. */
static void raw_close(int fd)
{
	syscall(SYS_close, fd);
}

static int raw_open(const char *path, int flags)
{
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags);
}

__attribute__((noinline)) static void loop_ropen(long n, const char *path)
{
	for (long i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY);

		if (fd < 0)
			die("open", path);
		raw_close(fd);
	}
}

__attribute__((noinline)) static void loop_wopen(long n, const char *path)
{
	for (long i = 0; i < n; i++) {
		int fd = open(path, O_WRONLY);

		if (fd < 0)
			die("open for writing", path);
		raw_close(fd);
	}
}

__attribute__((noinline)) static void loop_close(long n, const char *path)
{
	for (long i = 0; i < n; i++) {
		int fd = raw_open(path, O_RDONLY);

		if (fd < 0)
			die("raw open", path);
		close(fd);
	}
}

__attribute__((noinline)) static void loop_write(long n, int fd)
{
	static const char c = 'x';

	for (long i = 0; i < n; i++)
		if (write(fd, &c, 1) != 1)
			die("write", "fd");
}

__attribute__((noinline)) static void loop_rwall(long n, const char *path)
{
	for (long i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY);

		if (fd < 0)
			die("open", path);
		close(fd);
	}
}

__attribute__((noinline)) static void loop_wwall(long n, const char *path)
{
	for (long i = 0; i < n; i++) {
		int fd = open(path, O_WRONLY);

		if (fd < 0)
			die("open for writing", path);
		close(fd);
	}
}

__attribute__((noinline)) static void loop_wfiles(long n, const char *dir)
{
	char path[4096];

	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%ld", dir, i);
		loop_wwall(1, path);
	}
}

int main(int argc, char **argv)
{
	long long t0, t1;
	const char *mode, *path;
	long n;

	if (argc != 4) {
		fprintf(stderr, "usage: loops ropen|wopen|close|write|rwall|wwall|trunc|wfiles N PATH\n");
		return 2;
	}
	mode = argv[1];
	n = atol(argv[2]);
	path = argv[3];

	if (strcmp(mode, "write") == 0) {
		int fd = open(path, O_WRONLY);

		if (fd < 0)
			die("open for writing", path);
		if (write(fd, "w", 1) != 1) /* the shim's one check of this fd */
			die("write", path);
		t0 = now_ns();
		loop_write(n, fd);
		t1 = now_ns();
	} else if (strcmp(mode, "trunc") == 0) {
		int fd;

		t0 = now_ns();
		fd = open(path, O_WRONLY | O_TRUNC);
		t1 = now_ns();
		if (fd < 0)
			die("open O_TRUNC", path);
		close(fd);
	} else {
		static const struct {
			const char *name;
			void (*fn)(long, const char *);
		} modes[] = {
			{ "ropen", loop_ropen }, { "wopen", loop_wopen },
			{ "close", loop_close }, { "rwall", loop_rwall },
			{ "wwall", loop_wwall }, { "wfiles", loop_wfiles },
		};
		size_t i;

		for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
			if (strcmp(mode, modes[i].name) == 0)
				break;
		if (i == sizeof(modes) / sizeof(modes[0])) {
			fprintf(stderr, "loops: unknown mode %s\n", mode);
			return 2;
		}
		t0 = now_ns();
		modes[i].fn(n, path);
		t1 = now_ns();
	}
	printf("%lld\n", t1 - t0);
	return 0;
}
