/* SPDX-License-Identifier: MIT */
/* fgetxattr(FD, NAME) on a read-only fd of PATH: prints the value. */
#include "prog.h"
#include <sys/xattr.h>

int main(int argc, char **argv)
{
	char v[256];
	ssize_t n;
	int fd;

	if (argc < 3)
		return usage("api_fgetxattr PATH NAME");
	fd = open(argv[1], O_RDONLY);
	if (fd < 0)
		return 2;
	n = fgetxattr(fd, argv[2], v, sizeof v);
	if (n < 0)
		return outcome(1);
	printf("%.*s\n", (int)n, v);
	return 0;
}
