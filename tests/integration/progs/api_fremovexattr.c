/* SPDX-License-Identifier: MIT */
/* fremovexattr(FD, NAME) on a READ-ONLY fd of PATH. */
#include "prog.h"
#include <sys/xattr.h>

int main(int argc, char **argv)
{
	int fd;

	if (argc < 3)
		return usage("api_fremovexattr PATH NAME");
	fd = open(argv[1], O_RDONLY);
	if (fd < 0)
		return 2;
	return outcome(fremovexattr(fd, argv[2]) < 0);
}
