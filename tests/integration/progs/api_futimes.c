/* SPDX-License-Identifier: MIT */
/* futimes(FD, {SECS.5, SECS.5}) on a READ-ONLY fd of PATH. */
#include "prog.h"
#include <sys/time.h>

int main(int argc, char **argv)
{
	struct timeval t[2];
	int fd;

	if (argc < 3)
		return usage("api_futimes PATH SECS");
	fd = open(argv[1], O_RDONLY);
	if (fd < 0)
		return 2;
	t[0].tv_sec = t[1].tv_sec = atol(argv[2]);
	t[0].tv_usec = t[1].tv_usec = 500000;
	return outcome(futimes(fd, t) < 0);
}
