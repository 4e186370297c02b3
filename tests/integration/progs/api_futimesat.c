/* SPDX-License-Identifier: MIT */
/* futimesat(DIRFD, NAME, {SECS.5, SECS.5}). */
#include "prog.h"
#include <sys/time.h>

int main(int argc, char **argv)
{
	struct timeval t[2];
	int dirfd;

	if (argc < 4)
		return usage("api_futimesat DIR NAME SECS");
	dirfd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (dirfd < 0)
		return 2;
	t[0].tv_sec = t[1].tv_sec = atol(argv[3]);
	t[0].tv_usec = t[1].tv_usec = 500000;
	return outcome(futimesat(dirfd, argv[2], t) < 0);
}
