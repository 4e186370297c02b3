/* SPDX-License-Identifier: MIT */
/* fsetxattr(FD, NAME, VALUE, 0) on a READ-ONLY fd of PATH. */
#include "prog.h"
#include <sys/xattr.h>

int main(int argc, char **argv)
{
	int fd;

	if (argc < 4)
		return usage("api_fsetxattr PATH NAME VALUE");
	fd = open(argv[1], O_RDONLY);
	if (fd < 0)
		return 2;
	return outcome(fsetxattr(fd, argv[2], argv[3], strlen(argv[3]), 0) < 0);
}
