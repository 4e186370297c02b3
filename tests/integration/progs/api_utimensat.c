/* SPDX-License-Identifier: MIT */
/* utimensat(DIRFD, NAME, {UTIME_OMIT, SECS.000000123}, 0): mtime only. */
#include "prog.h"
#include <sys/stat.h>

int main(int argc, char **argv)
{
	struct timespec t[2];
	int dirfd;

	if (argc < 4)
		return usage("api_utimensat DIR NAME SECS");
	dirfd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (dirfd < 0)
		return 2;
	t[0].tv_sec = 0;
	t[0].tv_nsec = UTIME_OMIT;
	t[1].tv_sec = atol(argv[3]);
	t[1].tv_nsec = 123;
	return outcome(utimensat(dirfd, argv[2], t, 0) < 0);
}
