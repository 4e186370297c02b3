/* SPDX-License-Identifier: MIT */
/* futimens(FD, {SECS.000000456, SECS.000000456}) on a READ-ONLY fd of PATH. */
#include "prog.h"
#include <sys/stat.h>

int main(int argc, char **argv)
{
	struct timespec t[2];
	int fd;

	if (argc < 3)
		return usage("api_futimens PATH SECS");
	fd = open(argv[1], O_RDONLY);
	if (fd < 0)
		return 2;
	t[0].tv_sec = t[1].tv_sec = atol(argv[2]);
	t[0].tv_nsec = t[1].tv_nsec = 456;
	return outcome(futimens(fd, t) < 0);
}
