/* SPDX-License-Identifier: MIT */
/* fchown(FD, UID, GID) on a READ-ONLY fd of PATH. */
#include "prog.h"

int main(int argc, char **argv)
{
	int fd;

	if (argc < 4)
		return usage("api_fchown PATH UID GID");
	fd = open(argv[1], O_RDONLY);
	if (fd < 0)
		return 2;
	return outcome(fchown(fd, (uid_t)atol(argv[2]), (gid_t)atol(argv[3])) < 0);
}
